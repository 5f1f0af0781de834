package output

import (
	"math"
	"strings"

	"github.com/bluesim/bluesim/privacy"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/table"
)

// TablePrivacy is the table of the adversary's results, one row per arm
// (scenario key adversary).
const TablePrivacy = "privacy"

// PrivacyRow finds arm's adversary row in r (nil without an adversary).
func PrivacyRow(r *sim.Result, arm string) *sim.PrivacyRow {
	for i := range r.Privacy {
		if r.Privacy[i].Arm == arm {
			return &r.Privacy[i]
		}
	}
	return nil
}

// privacyUnestimable gives, for each privacy.* quantity of the row that
// is null (NaN), the reason and what would make it estimable: no
// sniffers, nothing heard, no uploaders, no bridge to judge. Keys are the
// summary keys ("privacy.home_share").
func privacyUnestimable(p *sim.PrivacyRow) map[string]string {
	r := &p.Result
	why := map[string]string{}
	for _, f := range r.Fields() {
		v, ok := f.Value.(float64)
		if !ok || !math.IsNaN(v) {
			continue
		}
		name := f.Name
		base := strings.TrimSuffix(strings.TrimSuffix(name, "_ci_low"), "_ci_high")
		if base != name {
			continue // the interval follows its value
		}
		var reason string
		switch {
		case r.Sniffers == 0 && base != "in_range_share":
			reason = "the arm's adversary has no sniffers: place some with adversary.sniffers or arms[].sniffers"
		case base == "in_range_share":
			reason = "the arm has no app users: raise its adoption"
		case base == "traced_share" || base == "home_share" || base == "home_nearest_share" || base == "key_revealed_minutes" || base == "slot_revealed_minutes":
			if r.Uploaders == 0 {
				reason = "nobody uploaded keys in this arm, so there was nobody to trace: raise diagnosis.daily_fraction, days or the arm's adoption"
			} else {
				reason = "no uploader's key matched enough sightings to reconstruct a day: place more sniffers"
			}
		case base == "link_precision":
			reason = "the linking attack bridged no ID rotation, so there is no bridge to judge"
		case r.Sightings == 0:
			reason = "the sniffers heard no app user: place more sniffers or raise the arm's adoption"
		default:
			reason = "undefined for this run"
		}
		why["privacy."+base] = reason
	}
	return why
}

// privacyTable is tables/privacy: one row per arm with an adversary, every
// privacy.* summary key a column (privacy.Keys), with the arm's network,
// the size of its sniffer log and of the export the tracing attack read.
func privacyTable(r *sim.Result) table.Table {
	t := table.Table{Name: TablePrivacy, Columns: cols("arm", table.String, "network", table.String)}
	for _, f := range (privacy.Result{}).Fields() {
		kind := table.Float
		switch f.Value.(type) {
		case string:
			kind = table.String
		case int64:
			kind = table.Int
		}
		t.Columns = append(t.Columns, table.Column{Name: f.Name, Kind: kind})
	}
	t.Columns = append(t.Columns, cols("log_bytes", table.Int, "export_format", table.String, "export_bytes", table.Int,
		"unestimable", table.String)...)
	for i := range r.Privacy {
		p := &r.Privacy[i]
		row := []any{p.Arm, p.Network}
		for _, f := range p.Result.Fields() {
			row = append(row, f.Value)
		}
		row = append(row, p.LogBytes, p.ExportFormat, int64(p.ExportBytes), unestimableText(privacyUnestimable(p)))
		t.Rows = append(t.Rows, row)
	}
	return t
}
