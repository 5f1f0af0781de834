package mutate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Outcome statuses.
const (
	Caught    = "caught"
	Survived  = "survived"
	NotViable = "not viable" // the mutant does not compile
)

// Outcome is what the tests made of one mutant.
type Outcome struct {
	Mutant
	Status string `json:"status"`
	// By names the first test that failed (or was running when the tests
	// timed out, then with " (timeout)").
	By      string  `json:"by,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Runner runs a package's tests against mutants.
type Runner struct {
	// Root is the module root.
	Root string
	// Timeout bounds one test run (go test -timeout).
	Timeout time.Duration
	// Args are extra go test flags (default -short).
	Args []string
}

// Baseline runs dir's tests unmutated and says how long they took; they
// must pass, or no mutant's outcome would mean anything.
func (r *Runner) Baseline(ctx context.Context, dir string) (time.Duration, error) {
	t0 := time.Now()
	res, out, err := r.goTest(ctx, dir, "")
	if err != nil {
		return 0, err
	}
	if res.Status != Survived {
		return 0, fmt.Errorf("%s: the tests fail without any mutation (%s %s):\n%s", dir, res.Status, res.By, tail(out, 40))
	}
	return time.Since(t0), nil
}

// Run builds m through an overlay (the file on disk is not touched) and
// runs its package's tests.
func (r *Runner) Run(ctx context.Context, m Mutant) (Outcome, error) {
	path := filepath.Join(r.Root, m.File)
	src, err := os.ReadFile(path)
	if err != nil {
		return Outcome{}, err
	}
	tmp, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return Outcome{}, err
	}
	defer os.RemoveAll(tmp)
	mut := filepath.Join(tmp, filepath.Base(path))
	if err := os.WriteFile(mut, m.Apply(src), 0o644); err != nil {
		return Outcome{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Outcome{}, err
	}
	ov, err := json.Marshal(map[string]map[string]string{"Replace": {abs: mut}})
	if err != nil {
		return Outcome{}, err
	}
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		return Outcome{}, err
	}
	t0 := time.Now()
	res, _, err := r.goTest(ctx, m.Target.Dir, ovPath)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Mutant: m, Status: res.Status, By: res.By, Seconds: time.Since(t0).Seconds()}, nil
}

// Result is how one test run ended: Status (Caught, Survived or
// NotViable) and By, the test that caught the mutant.
type Result struct{ Status, By string }

// goTest runs go test -json on dir (with an overlay when ov is set) and
// reads its events.
func (r *Runner) goTest(ctx context.Context, dir, ov string) (Result, []byte, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	args := []string{"test", "-count=1", "-failfast", "-json", "-timeout=" + timeout.String()}
	if r.Args == nil {
		args = append(args, "-short")
	}
	args = append(args, r.Args...)
	if ov != "" {
		args = append(args, "-overlay="+ov)
	}
	args = append(args, "./"+filepath.ToSlash(dir)+"/")
	// The go command's own limit: the build plus the tests' timeout and a
	// margin for the test binary to report it.
	cctx, cancel := context.WithTimeout(ctx, timeout+3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, "go", args...)
	cmd.Dir = r.Root
	ownGroup(cmd)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return Result{}, out.Bytes(), ctx.Err()
	}
	res, perr := ParseEvents(bytes.NewReader(out.Bytes()))
	if perr != nil {
		return Result{}, out.Bytes(), perr
	}
	if cctx.Err() != nil && res.Status == Survived {
		// Killed from outside: the test binary hung past its own timeout.
		res = Result{Caught, "(hung past the timeout)"}
	}
	if err != nil && res.Status == Survived {
		return Result{}, out.Bytes(), fmt.Errorf("go test %s: %v with no failing test in its output:\n%s", dir, err, tail(out.Bytes(), 20))
	}
	return res, out.Bytes(), nil
}

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action, Test, Output string
}

var runningRe = regexp.MustCompile(`(?m)^\s+(Test\S*|Fuzz\S*|Example\S*) \(`)

// ParseEvents reads go test -json output and says how the run ended: a
// build failure is NotViable; a failing test (the first to fail) or a
// timeout (the tests then running) is Caught; otherwise Survived. Lines
// that are not JSON (the go command's own messages) are read as output.
func ParseEvents(r io.Reader) (Result, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	var firstFail string
	var out strings.Builder
	build := false
	// Tests started and not finished: when the test binary crashes (a
	// panic in a goroutine of its own), the one still running caught it.
	var running []string
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			out.Write(line)
			out.WriteByte('\n')
			continue
		}
		switch {
		case ev.Action == "build-fail" || ev.Action == "build-output":
			build = true
		case ev.Action == "run" && ev.Test != "":
			running = append(running, ev.Test)
		case (ev.Action == "pass" || ev.Action == "fail" || ev.Action == "skip") && ev.Test != "":
			if i := slices.Index(running, ev.Test); i >= 0 {
				running = slices.Delete(running, i, i+1)
			}
			if ev.Action == "fail" && firstFail == "" {
				firstFail = ev.Test
			}
		case ev.Action == "output":
			out.WriteString(ev.Output)
		}
	}
	if err := sc.Err(); err != nil {
		return Result{}, err
	}
	o := out.String()
	if i := strings.Index(o, "panic: test timed out"); i >= 0 {
		by := "(timeout)"
		if m := runningRe.FindStringSubmatch(o[i:]); m != nil {
			by = m[1] + " (timeout)"
		}
		return Result{Caught, by}, nil
	}
	switch {
	case firstFail != "":
		return Result{Caught, firstFail}, nil
	case build || strings.Contains(o, "[build failed]") || strings.Contains(o, "[setup failed]"):
		return Result{NotViable, ""}, nil
	case strings.Contains(o, "\nFAIL") || strings.HasPrefix(o, "FAIL"):
		// The test binary crashed (a panic in a goroutine a test started)
		// or the package failed outside any test (TestMain, init).
		if len(running) > 0 {
			return Result{Caught, running[0] + " (crash)"}, nil
		}
		return Result{Caught, "(package failed outside a test)"}, nil
	}
	return Result{Survived, ""}, nil
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
