package loadgenfuzz_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/tracing/loadgen"
)

// FuzzParseThresholds: a parsed threshold names a known metric and
// operator and has a finite value for latency metrics; nothing panics.
func FuzzParseThresholds(f *testing.F) {
	for _, s := range []string{"p99<50ms,success>0.999", "publish.p99<=200ms", "errors<1", "success>99%", "p99<fast", "upload.p99<1s", "<", "p99.9>=1h", "shed<=0.5%,accepted.p99<100ms"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := loadgen.ParseThresholds(s)
		if err != nil {
			return
		}
		for _, th := range ts {
			switch th.Op {
			case "<", "<=", ">", ">=":
			default:
				t.Fatalf("%q: operator %q", s, th.Op)
			}
			if th.Metric == "" || th.String() == "" {
				t.Fatalf("%q: empty metric in %+v", s, th)
			}
		}
		// Checking any report must not panic.
		loadgen.Check(&loadgen.Report{Kinds: map[string]*loadgen.KindReport{}}, ts)
	})
}

// FuzzParseShard: an accepted shard i/n has 1 <= i <= n and prints back
// as itself.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "4/4", "-1/2", "1/0", "a/b", "1/2/3", "007/10", "9223372036854775807/9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := loadgen.ParseShard(s)
		if err != nil {
			return
		}
		if sh.N < 1 || sh.I < 1 || sh.I > sh.N {
			t.Fatalf("%q parsed as %+v", s, sh)
		}
		back, err := loadgen.ParseShard(sh.String())
		if err != nil || back != sh {
			t.Fatalf("%q: %v prints as %q, which parses as %+v, %v", s, sh, sh.String(), back, err)
		}
	})
}

// FuzzParseMix: an accepted mix has finite, non-negative weights, not all
// zero.
func FuzzParseMix(f *testing.F) {
	for _, s := range []string{"publish=1,chaff=9,index=40,export=50", "index=1", "publish=1,upload=3", "publish=-1", "publish=NaN", "export=Inf", "publish=1,publish=2", "=", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := loadgen.ParseMix(s)
		if err != nil {
			return
		}
		sum := 0.0
		for _, w := range []float64{m.Publish, m.Chaff, m.Index, m.Export} {
			if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
				t.Fatalf("%q: weight %v", s, w)
			}
			sum += w
		}
		if sum == 0 {
			t.Fatalf("%q: all weights zero", s)
		}
	})
}

// FuzzDecodeReport: a report that decodes writes back as JSON that
// decodes to the same counts, merges with itself, and prints as text.
func FuzzDecodeReport(f *testing.F) {
	f.Add([]byte(`{"kinds":{"index":{"requests":0,"histogram":"HISTFAAAABx4nJNpmSzMwMDAxQABzFCaEUzOmgEAMcADHQ=="}}}`))
	f.Add([]byte(`{"kinds":{}}`))
	f.Add([]byte(`{"kinds":{"x":null}}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := loadgen.DecodeReport(data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		again, err := loadgen.DecodeReport(buf.Bytes())
		if err != nil {
			t.Fatalf("a decoded report does not decode after writing: %v\n%s", err, buf.Bytes())
		}
		if again.Requests != r.Requests || again.Shed != r.Shed {
			t.Fatalf("round trip: %d requests (%d shed), then %d (%d)", r.Requests, r.Shed, again.Requests, again.Shed)
		}
		m, err := loadgen.MergeReports(r, again)
		if err != nil {
			t.Fatal(err)
		}
		if m.Requests != 2*r.Requests {
			t.Fatalf("merged %d requests, want %d", m.Requests, 2*r.Requests)
		}
		buf.Reset()
		if err := m.WriteText(&buf); err != nil || !strings.Contains(buf.String(), "Requests") {
			t.Fatalf("text: %v\n%s", err, buf.String())
		}
	})
}
