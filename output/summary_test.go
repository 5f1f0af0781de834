package output

import (
	"encoding/json"
	"testing"

	"github.com/bluesim/bluesim/output/outputtest"
)

// TestArmSummariesReused: WriteRun computes each arm's summary once and
// passes it in Options.Arms; what a caller gets from it equals computing
// afresh, and its maps are its own.
func TestArmSummariesReused(t *testing.T) {
	r := outputtest.Result()
	same := func(a, b []ArmSummary) bool {
		ja, err1 := json.Marshal(a)
		jb, err2 := json.Marshal(b)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return string(ja) == string(jb)
	}
	fresh := ArmSummaries(r, Options{})
	o := Options{Arms: ArmSummaries(r, Options{})}
	got := ArmSummaries(r, o)
	if !same(got, fresh) {
		t.Fatalf("reused summaries differ from fresh ones")
	}
	got[0].Unestimable["zz"] = "changed by one caller"
	if _, leaked := o.Arms[0].Unestimable["zz"]; leaked {
		t.Errorf("a caller's change reached the shared summaries")
	}
	// Summaries of other arms are not taken for these.
	o.Arms[0].Name = "another arm"
	if again := ArmSummaries(r, o); !same(again, fresh) {
		t.Errorf("summaries of other arms were used")
	}
}
