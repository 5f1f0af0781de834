package georun

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/sweeprun"
)

// Names inside a shard folder.
const (
	ManifestFile = "manifest.json"
	ScenarioFile = "scenario.yaml"
	PartsDir     = "provinces"
	// Format names the manifest layout of a province shard.
	Format = "bluesim-provinces/1"
)

// Plan is a scenario split into provinces.
type Plan struct {
	// Scenario is the whole scenario (engine.workers cleared).
	Scenario scenarios.Scenario
	// Hash is its scenarios.Hash: shards of different scenarios (or of
	// different --set overrides) never merge.
	Hash string
	// Parts are the provinces, in census order.
	Parts []scenarios.ProvincePart
}

// NewPlan splits a scenario simulated province by province.
func NewPlan(sc scenarios.Scenario) (*Plan, error) {
	sc.Engine.Workers = 0
	parts, err := scenarios.SplitProvinces(sc)
	if err != nil {
		return nil, err
	}
	h, err := scenarios.Hash(sc)
	if err != nil {
		return nil, err
	}
	return &Plan{Scenario: sc, Hash: h, Parts: parts}, nil
}

// Assign returns, for each part, the shard that runs it, counted from 1
// as sweeprun.ShardID counts (1 to n): parts are taken from the most
// people to the fewest (ties in census order) and each goes to the shard
// with the fewest people so far (ties to the lowest shard), so shards are
// balanced and the assignment depends only on the plan and n.
func (p *Plan) Assign(n int) ([]int, error) {
	if n < 1 || n > len(p.Parts) {
		return nil, fmt.Errorf("%d shards for %d provinces: want 1 to %d (one province per shard at most)", n, len(p.Parts), len(p.Parts))
	}
	order := make([]int, len(p.Parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p.Parts[b].People, p.Parts[a].People) })
	load := make([]int, n)
	out := make([]int, len(p.Parts))
	for _, i := range order {
		s := 0
		for j := range load {
			if load[j] < load[s] {
				s = j
			}
		}
		out[i] = s + 1
		load[s] += p.Parts[i].People
	}
	return out, nil
}

// Shard returns the parts shard id runs (id.Index of id.Count, counted
// from 1), in census order.
func (p *Plan) Shard(id sweeprun.ShardID) ([]scenarios.ProvincePart, error) {
	if err := id.Check(); err != nil {
		return nil, err
	}
	as, err := p.Assign(id.Count)
	if err != nil {
		return nil, err
	}
	var out []scenarios.ProvincePart
	for k, s := range as {
		if s == id.Index {
			out = append(out, p.Parts[k])
		}
	}
	return out, nil
}

// RunFunc simulates one part.
type RunFunc func(ctx context.Context, part scenarios.ProvincePart) (*sim.Result, error)

// Run simulates parts one after the other (each run uses every worker it
// is given) and returns their results in the same order; it stops at the
// first error or when ctx is cancelled, returning the results finished.
func Run(ctx context.Context, parts []scenarios.ProvincePart, run RunFunc) ([]*sim.Result, error) {
	var out []*sim.Result
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r, err := run(ctx, p)
		if err != nil {
			return out, fmt.Errorf("province %s: %w", p.Province, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Combine adds up the results of every part of the plan, given in the
// plan's order, into the result of the whole area (sim.Combine).
func (p *Plan) Combine(results []*sim.Result) (*sim.Result, error) {
	if len(results) != len(p.Parts) {
		return nil, fmt.Errorf("%d results for %d provinces", len(results), len(p.Parts))
	}
	return sim.Combine(p.Scenario.Name, p.Scenario.Seed, p.Scenario.Metrics.AttenuationSamples, results)
}

// Manifest describes a shard folder.
type Manifest struct {
	Format       string           `json:"format"`
	Scenario     string           `json:"scenario"`
	ScenarioHash string           `json:"scenario_hash"`
	Shard        sweeprun.ShardID `json:"shard"`
	// Provinces are every province of the area, in census order.
	Provinces []string `json:"provinces"`
	// Parts are the provinces this folder holds, each with its file.
	Parts []ManifestPart `json:"parts"`
	// Files are the folder's files, this one included, relative to it
	// and sorted (the listing package internal/outdir reads).
	Files []string `json:"files"`
}

// ManifestPart is one province a shard folder holds.
type ManifestPart struct {
	Index    int    `json:"index"`
	Province string `json:"province"`
	People   int    `json:"people"`
	Seed     uint64 `json:"seed"`
	File     string `json:"file"`
	// WallSeconds is how long its simulation took, for capacity planning.
	WallSeconds float64 `json:"wall_seconds"`
}

// WriteShard writes a shard's finished results in dir (by convention
// shard.Dir() under the run's folder): each province's result as
// provinces/SLUG.json, the whole scenario as scenario.yaml, then the
// manifest, last, so that a folder with a manifest is complete. It
// returns the manifest.
func WriteShard(dir string, p *Plan, shard sweeprun.ShardID, parts []scenarios.ProvincePart, results []*sim.Result) (*Manifest, error) {
	if len(parts) != len(results) {
		return nil, fmt.Errorf("%d results for %d provinces", len(results), len(parts))
	}
	m := &Manifest{Format: Format, Scenario: p.Scenario.Name, ScenarioHash: p.Hash, Shard: shard, Parts: []ManifestPart{},
		Files: []string{ManifestFile, ScenarioFile}}
	for _, pt := range p.Parts {
		m.Provinces = append(m.Provinces, pt.Province)
	}
	if err := os.MkdirAll(filepath.Join(dir, PartsDir), 0o755); err != nil {
		return nil, err
	}
	yml, err := scenarios.Encode(p.Scenario, nil, true)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, ScenarioFile), yml, atomicfile.Output); err != nil {
		return nil, err
	}
	for i, pt := range parts {
		b, err := json.Marshal(results[i])
		if err != nil {
			return nil, err
		}
		file := filepath.Join(PartsDir, pt.Province+".json")
		if err := atomicfile.WriteBytes(filepath.Join(dir, file), append(b, '\n'), atomicfile.Output); err != nil {
			return nil, err
		}
		m.Parts = append(m.Parts, ManifestPart{Index: pt.Index, Province: pt.Province, People: pt.People,
			Seed: pt.Scenario.Seed, File: filepath.ToSlash(file), WallSeconds: results[i].WallSeconds})
		m.Files = append(m.Files, filepath.ToSlash(file))
	}
	slices.Sort(m.Files)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return m, atomicfile.WriteBytes(filepath.Join(dir, ManifestFile), append(b, '\n'), atomicfile.Output)
}

// IsShard reports whether dir holds a province shard's manifest.
func IsShard(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return false
	}
	var m struct {
		Format string `json:"format"`
	}
	return json.Unmarshal(b, &m) == nil && m.Format == Format
}

// readManifest reads and checks a shard folder's manifest.
func readManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no %s: not a province shard, or the shard has not finished", dir, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, ManifestFile), err)
	}
	switch {
	case m.Format != Format:
		return nil, fmt.Errorf("%s: manifest format %q, want %q", dir, m.Format, Format)
	case m.Shard.Check() != nil:
		return nil, fmt.Errorf("%s: manifest: %v", dir, m.Shard.Check())
	case len(m.Provinces) == 0:
		return nil, fmt.Errorf("%s: manifest lists no provinces", dir)
	}
	for _, pt := range m.Parts {
		if pt.Index < 0 || pt.Index >= len(m.Provinces) || m.Provinces[pt.Index] != pt.Province {
			return nil, fmt.Errorf("%s: manifest part %d (%s) is not province %d of the area", dir, pt.Index, pt.Province, pt.Index)
		}
		if pt.File != PartsDir+"/"+pt.Province+".json" {
			return nil, fmt.Errorf("%s: manifest part %s names file %q, want %s/%s.json", dir, pt.Province, pt.File, PartsDir, pt.Province)
		}
	}
	return &m, nil
}

// Merge reads shard folders of one scenario, checks that they hold every
// province exactly once, and returns the scenario (from the folders'
// scenario.yaml, checked against the manifests' hash) and the combined
// result of the whole area.
func Merge(dirs []string) (*scenarios.Scenario, *sim.Result, error) {
	if len(dirs) == 0 {
		return nil, nil, errors.New("no folders to merge")
	}
	var mans []*Manifest
	for _, d := range dirs {
		m, err := readManifest(d)
		if err != nil {
			return nil, nil, err
		}
		if len(mans) > 0 && m.ScenarioHash != mans[0].ScenarioHash {
			return nil, nil, fmt.Errorf("%s and %s are shards of different runs (scenario hash %.12s… and %.12s…): "+
				"every shard must run the same scenario with the same --set overrides", dirs[0], d, mans[0].ScenarioHash, m.ScenarioHash)
		}
		mans = append(mans, m)
	}
	first := mans[0]
	src, err := os.ReadFile(filepath.Join(dirs[0], ScenarioFile))
	if err != nil {
		return nil, nil, err
	}
	l, err := scenarios.LoadBytes(filepath.Join(dirs[0], ScenarioFile), src)
	if err != nil {
		return nil, nil, err
	}
	plan, err := NewPlan(l.Scenario)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dirs[0], ScenarioFile), err)
	}
	if plan.Hash != first.ScenarioHash {
		return nil, nil, fmt.Errorf("%s does not match its manifest's scenario hash: the folder was changed after the run", filepath.Join(dirs[0], ScenarioFile))
	}
	results := make([]*sim.Result, len(plan.Parts))
	owner := make([]string, len(plan.Parts))
	for di, m := range mans {
		for _, pt := range m.Parts {
			if pt.Index >= len(plan.Parts) || plan.Parts[pt.Index].Province != pt.Province {
				return nil, nil, fmt.Errorf("%s: province %s is not part %d of the scenario", dirs[di], pt.Province, pt.Index)
			}
			if owner[pt.Index] != "" {
				return nil, nil, fmt.Errorf("province %s is in both %s and %s: merge each shard once", pt.Province, owner[pt.Index], dirs[di])
			}
			owner[pt.Index] = fmt.Sprintf("%s (shard %s)", dirs[di], m.Shard)
			r, err := readResult(filepath.Join(dirs[di], filepath.FromSlash(pt.File)))
			if err != nil {
				return nil, nil, err
			}
			want := plan.Parts[pt.Index].Scenario
			if r.Scenario != want.Name || r.Seed != want.Seed || r.Agents != pt.People {
				return nil, nil, fmt.Errorf("%s: a result of scenario %s, seed %d, %d people; the scenario's province %s is %s, seed %d, %d people",
					pt.File, r.Scenario, r.Seed, r.Agents, pt.Province, want.Name, want.Seed, plan.Parts[pt.Index].People)
			}
			results[pt.Index] = r
		}
	}
	var missing []string
	for i, r := range results {
		if r == nil {
			missing = append(missing, plan.Parts[i].Province)
		}
	}
	if len(missing) > 0 {
		hint := ""
		if n := first.Shard.Count; n > 1 {
			if as, err := plan.Assign(n); err == nil {
				i := slices.IndexFunc(plan.Parts, func(p scenarios.ProvincePart) bool { return p.Province == missing[0] })
				hint = fmt.Sprintf("; %s belongs to shard %s", missing[0], sweeprun.ShardID{Index: as[i], Count: n})
			}
		}
		shown := missing
		if len(shown) > 10 {
			shown = append(slices.Clip(shown[:10]), "...")
		}
		return nil, nil, fmt.Errorf("%d of %d provinces are missing (%s)%s: run the missing shards (or rerun the interrupted ones) and merge again",
			len(missing), len(plan.Parts), strings.Join(shown, ", "), hint)
	}
	r, err := plan.Combine(results)
	if err != nil {
		return nil, nil, err
	}
	return &plan.Scenario, r, nil
}

// readResult decodes a province's result, refusing unknown keys.
func readResult(path string) (*sim.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r sim.Result
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &r, nil
}
