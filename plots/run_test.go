package plots

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/scenarios"
)

func TestWriteRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := WriteRun(context.Background(), dir, outputtest.Result())
	if err != nil {
		t.Fatal(err)
	}
	files := append([]string{SummaryFile, ReportFile}, s.Tables...)
	files = append(files, s.Plots...)
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.Open(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	back, err := output.ReadSummary(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.OutputHash != s.OutputHash || len(back.OutputHash) != 64 {
		t.Fatalf("hash %q, want %q", back.OutputHash, s.OutputHash)
	}
}

func TestWriteRunCancelled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := WriteRun(ctx, dir, outputtest.Result())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// Tables and summary are complete; nothing after them was started.
	if _, err := os.Stat(filepath.Join(dir, SummaryFile)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ReportFile, PlotsDir} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s exists after cancellation", f)
		}
	}
}

func BenchmarkWriteRun(b *testing.B) {
	r := outputtest.Result()
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WriteRun(context.Background(), dir, r); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWriteRunWithScenario(t *testing.T) {
	sc := scenarios.Default()
	sc.Diagnosis.Among = output.AmongAppUsers
	sc.Engine.Workers = 3
	dir := filepath.Join(t.TempDir(), "out")
	s, err := WriteRun(context.Background(), dir, outputtest.Result(), WithScenario(sc))
	if err != nil {
		t.Fatal(err)
	}
	if s.DiagnosedAmong != output.AmongAppUsers || len(s.ScenarioHash) != 64 {
		t.Fatalf("diagnosed_among %q, scenario_hash %q", s.DiagnosedAmong, s.ScenarioHash)
	}
	l, err := scenarios.Load(filepath.Join(dir, ScenarioFile))
	if err != nil {
		t.Fatalf("scenario.yaml does not load back: %v", err)
	}
	if h, _ := scenarios.Hash(l.Scenario); h != s.ScenarioHash {
		t.Errorf("scenario.yaml hashes to %s, summary says %s", h, s.ScenarioHash)
	}
	// The worker count is not part of the scenario's identity.
	sc.Engine.Workers = 1
	s2, err := WriteRun(context.Background(), filepath.Join(t.TempDir(), "out"), outputtest.Result(), WithScenario(sc))
	if err != nil {
		t.Fatal(err)
	}
	if s2.ScenarioHash != s.ScenarioHash || s2.OutputHash != s.OutputHash {
		t.Error("engine.workers changes the hashes")
	}
	page, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "every index case here had the app") {
		t.Error("the report does not explain the law for index cases drawn from app users")
	}
}
