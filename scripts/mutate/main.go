// Command mutate is bluesim's mutation-testing run: it plants one fault at
// a time in the functions listed in a targets file, runs each package's
// tests (-short) against every mutant, and writes which mutants the tests
// caught, and with which test, to docs/mutation.md.
//
//	go run ./scripts/mutate                      # every target, resuming
//	go run ./scripts/mutate -pkg radio,sim       # some packages only
//	go run ./scripts/mutate -list                # the mutants, not run
//
// Each outcome is appended to -results as it comes (one JSON line), so an
// interrupted run resumes where it stopped; -fresh starts over, and
// -redo-survivors runs the survivors again once tests are added. The report
// covers the mutants of the current targets that have an outcome. A
// target line is `DIR FUNC [N]`: the package folder, the function (Name
// or Type.Name) and at most N mutants of it (default -per-func), spread
// over the function. Not part of CI: a whole run takes about an hour of
// CPU, most of it in sim's tests.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bluesim/bluesim/internal/mutate"
)

const (
	beginMark = "<!-- mutate:begin -->"
	endMark   = "<!-- mutate:end -->"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targetsPath := fs.String("targets", "scripts/mutate/targets.txt", "file of `DIR FUNC [N]` lines")
	perFunc := fs.Int("per-func", 12, "at most this many mutants per function (0: all)")
	pkgs := fs.String("pkg", "", "comma-separated package folders to run (default: every target's)")
	resultsPath := fs.String("results", "out/mutation/results.jsonl", "outcomes, one JSON line each, appended as they come")
	reportPath := fs.String("report", "docs/mutation.md", "Markdown report; an existing file keeps what lies outside its "+beginMark+" markers")
	timeout := fs.Duration("timeout", 0, "go test -timeout for one mutant (default: ten times the package's unmutated tests, at least 1m, at most 10m)")
	list := fs.Bool("list", false, "list the mutants and exit")
	fresh := fs.Bool("fresh", false, "ignore earlier outcomes in -results")
	redo := fs.Bool("redo-survivors", false, "run again the mutants that survived earlier (after adding tests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	targets, err := readTargets(under(root, *targetsPath), *perFunc)
	if err != nil {
		return err
	}
	only := map[string]bool{}
	for _, p := range strings.Split(*pkgs, ",") {
		if p = strings.TrimSpace(p); p != "" {
			only[strings.Trim(p, "./")] = true
		}
	}
	var all []mutate.Mutant
	for _, t := range targets {
		if len(only) > 0 && !only[t.Dir] {
			continue
		}
		ms, err := mutate.Find(root, t.Target)
		if err != nil {
			return err
		}
		all = append(all, mutate.Sample(ms, t.max)...)
	}
	if *list {
		for _, m := range all {
			fmt.Fprintf(stdout, "%s\t%s\t%s:%d\t%s\t%s\n", m.Target.Dir, m.Target.Func, m.File, m.Line, m.Kind, m.Desc)
		}
		fmt.Fprintf(stdout, "%d mutants\n", len(all))
		return nil
	}
	resPath := under(root, *resultsPath)
	done := map[string]mutate.Outcome{}
	if !*fresh {
		if done, err = readResults(resPath); err != nil {
			return err
		}
	} else if err := os.Remove(resPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(resPath), 0o755); err != nil {
		return err
	}
	rf, err := os.OpenFile(resPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer rf.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	r := &mutate.Runner{Root: root, Timeout: *timeout}
	baselined := map[string]bool{}
	var outs []mutate.Outcome
	for i, m := range all {
		if o, ok := done[m.ID()]; ok && !(*redo && o.Status == mutate.Survived) {
			outs = append(outs, o)
			continue
		}
		if !baselined[m.Target.Dir] {
			fmt.Fprintf(stderr, "baseline: go test -short ./%s/\n", m.Target.Dir)
			r.Timeout = 10 * time.Minute
			d, err := r.Baseline(ctx, m.Target.Dir)
			if err != nil {
				return err
			}
			// A mutant that makes a loop endless is caught by the timeout:
			// keep it near the package's own test time.
			r.Timeout = *timeout
			if r.Timeout <= 0 {
				r.Timeout = min(10*time.Minute, max(time.Minute, 10*d))
			}
			baselined[m.Target.Dir] = true
		}
		o, err := r.Run(ctx, m)
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintln(stderr, "interrupted: writing the report of what is done")
				break
			}
			return fmt.Errorf("%s: %w", m.ID(), err)
		}
		line, err := json.Marshal(o)
		if err != nil {
			return err
		}
		if _, err := rf.Write(append(line, '\n')); err != nil {
			return err
		}
		outs = append(outs, o)
		fmt.Fprintf(stderr, "[%d/%d] %s %s %s:%d %s: %s %s (%.0f s)\n", i+1, len(all), m.Target.Dir, m.Target.Func,
			filepath.Base(m.File), m.Line, m.Kind, o.Status, o.By, o.Seconds)
	}
	return writeReport(under(root, *reportPath), outs, stdout)
}

// target is one line of the targets file.
type target struct {
	mutate.Target
	max int
}

func readTargets(path string, perFunc int) ([]target, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []target
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || len(f) > 3 {
			return nil, fmt.Errorf("%s:%d: want `DIR FUNC [N]`, got %q", path, n, sc.Text())
		}
		t := target{Target: mutate.Target{Dir: f[0], Func: f[1]}, max: perFunc}
		if len(f) == 3 {
			if t.max, err = strconv.Atoi(f[2]); err != nil || t.max < 0 {
				return nil, fmt.Errorf("%s:%d: N = %q: want a whole number >= 0", path, n, f[2])
			}
		}
		out = append(out, t)
	}
	return out, sc.Err()
}

func readResults(path string) (map[string]mutate.Outcome, error) {
	out := map[string]mutate.Outcome{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for n, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var o mutate.Outcome
		if err := json.Unmarshal(line, &o); err != nil {
			return nil, fmt.Errorf("%s:%d: %v (delete the file, or use -fresh)", path, n+1, err)
		}
		out[o.ID()] = o
	}
	return out, nil
}

// writeReport puts the tables between the markers of the report file,
// creating it if needed.
func writeReport(path string, outs []mutate.Outcome, stdout io.Writer) error {
	var tab bytes.Buffer
	if err := mutate.WriteReport(&tab, outs); err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	head, tail := "# Mutation testing\n\nGenerated by `go run ./scripts/mutate`.\n\n", "\n"
	if i, j := bytes.Index(old, []byte(beginMark)), bytes.Index(old, []byte(endMark)); i >= 0 && j > i {
		head, tail = string(old[:i]), string(old[j+len(endMark):])
	}
	body := head + beginMark + "\n\n" + tab.String() + "\n" + endMark + tail
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	st := mutate.Stats(outs)
	slices.SortStableFunc(st, func(a, b mutate.PackageStats) int { return strings.Compare(a.Dir, b.Dir) })
	for _, p := range st {
		fmt.Fprintf(stdout, "%-22s %3d caught %3d survived %3d not viable  kill rate %.0f %%\n", p.Dir, p.Caught, p.Survived, p.NotViable, 100*p.KillRate)
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	return nil
}

// under resolves a relative path against the module root.
func under(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// moduleRoot is the folder of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from inside the module")
		}
		dir = parent
	}
}
