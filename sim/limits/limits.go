// Package limits holds the simulation engine's hard limits, each defined
// once, beside the storage type it comes from. The engine (package sim)
// stores with these types, and the scenario validator (package scenarios)
// refuses what they cannot hold, so a scenario that validates runs.
package limits // import "github.com/bluesim/bluesim/sim/limits"

import "math"

// Day is the type a stored sighting record keeps its day of the run in:
// one byte, because a phone's sightings are the bulk of the engine's
// memory (DESIGN.md rule 4, bounded memory).
type Day = uint8

// MaxDays is the longest run the engine can simulate: every day of the run
// (0 to MaxDays-1) must fit a Day.
const MaxDays = math.MaxUint8

// MaxRetentionDays is the most days of sightings a phone can be told to
// keep (engine.retention_days): no more than a run has.
const MaxRetentionDays = MaxDays

// MaxInfectiousDays is the longest infectious window before diagnosis
// (diagnosis.infectious_days) that uploads can cover: the apps keep 14
// days of keys and sightings (shared/reference/protocols.md: Bluezone's
// PeriodDay = 14, GAEN and DP-3T retention 14 days), so the engine
// schedules uploads, notification delays and ground truth for at most
// that window.
const MaxInfectiousDays = 14
