package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// The result hash streams the JSON of the hashed fields piece by piece:
// the bytes must be exactly json.Marshal's, for a detection run, an
// epidemic run, and results with nil and empty tables (null, [] and an
// omitted field).
func TestStreamedHashIsMarshal(t *testing.T) {
	l, err := scenarios.LoadBuiltin("policy", "population.size=600", "days=8")
	if err != nil {
		t.Fatal(err)
	}
	var results []*Result
	for _, sc := range []scenarios.Scenario{small(500, 3), l.Scenario} {
		r, err := Run(context.Background(), sc, WithWorkers(2))
		if err != nil {
			t.Fatal(err)
		}
		if sc.Epidemic.Enabled != (r.Epidemic != nil) {
			t.Fatalf("epidemic %v, result %v", sc.Epidemic.Enabled, r.Epidemic)
		}
		results = append(results, r)
	}
	if len(results[0].Pairs) == 0 {
		t.Fatal("no pair scores: the test would not cover the largest table")
	}
	results = append(results, &Result{Scenario: "empty"}, &Result{Scenario: "empty tables", Arms: []ArmSummary{}, Pairs: []PairScore{}},
		// The census and adversary tables, omitted when empty, written
		// when not.
		&Result{Scenario: "areas and privacy", Areas: []AreaRow{{Arm: "a", Area: "nam-dinh-city", People: 3}},
			IndexCaseAreas: []IndexCaseArea{{Case: 1, Row: 2, TP: 3}},
			Privacy:        []PrivacyRow{{Arm: "a", Protocol: "gaen", Network: "4 markets", LogBytes: 7, ExportFormat: "zip", ExportBytes: 9}}})
	for i, r := range results {
		want, err := json.Marshal(r.hashView())
		if err != nil {
			t.Fatal(err)
		}
		// One goroutine, and three with batches of 7 elements (every
		// table longer than 7 is encoded in parallel rounds).
		for _, split := range [][2]int{{1, hashBatch}, {3, 7}} {
			var got bytes.Buffer
			if err := r.hashView().stream(&got, split[0], split[1]); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("result %d, %d workers, batches of %d: streamed JSON differs from json.Marshal\nstreamed %.300s\nmarshal  %.300s",
					i, split[0], split[1], got.Bytes(), want)
			}
		}
		sum := sha256.Sum256(want)
		if err := r.computeHash(); err != nil || r.Hash != hex.EncodeToString(sum[:]) {
			t.Fatalf("result %d: hash %s (%v), want %x", i, r.Hash, err, sum)
		}
	}
}
