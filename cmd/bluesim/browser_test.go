package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bluesim/bluesim/internal/reportcheck"
)

// browser returns the path of a Chromium or Chrome to drive: the system's
// (Debian's chromium package; .ci/run installs it), or BLUESIM_CHROMIUM.
// No browser is downloaded.
func browser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BLUESIM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium or Chrome installed: the reports are not checked in a browser " +
		"(apt-get install chromium, or set BLUESIM_CHROMIUM to a browser's path)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// pageCheck is what a report looks like in the browser.
type pageCheck struct {
	errors []string // console errors and uncaught exceptions
	images []imageInfo
	text   string
	shot   []byte
}

// imageInfo is an image of the page as the browser loaded it.
type imageInfo struct {
	Alt           string
	Complete      bool
	Width, Height int
	Embedded      bool
}

// openReport loads an HTML file in headless Chromium and reads back its
// console errors, its images' load state and natural size, its visible
// text and a full-page screenshot.
func openReport(t *testing.T, exe, path string) *pageCheck {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1200, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	// Subscribe to the console before loading the page, so that nothing
	// it writes is lost.
	consoleCtx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(consoleCtx)
	pc := &pageCheck{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" || m.Type == "assert" {
				mu.Lock()
				pc.errors = append(pc.errors, m.String())
				mu.Unlock()
			}
		}
	})
	step, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	defer cancel3()
	fail := func(what string, err error) {
		stopConsole()
		t.Fatalf("%s in Chromium: %s: %v", path, what, err)
	}
	if err := chromedp.Do(step, chromedp.Navigate("file://"+abs), chromedp.WaitReady("body")); err != nil {
		fail("loading", err)
	}
	// Every image decoded (data URIs load at once, but decoding is
	// asynchronous).
	if _, err := chromedp.Run(step, chromedp.Evaluate[chromedp.Void](
		`Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)))`, chromedp.EvalAwaitPromise)); err != nil {
		fail("decoding the images", err)
	}
	if pc.images, err = chromedp.Run(step, chromedp.Evaluate[[]imageInfo](`Array.from(document.images).map(i => ({Alt: i.alt,
		Complete: i.complete, Width: i.naturalWidth, Height: i.naturalHeight, Embedded: i.src.startsWith("data:")}))`)); err != nil {
		fail("reading the images", err)
	}
	if pc.text, err = chromedp.Run(step, chromedp.Evaluate[string](`document.body.innerText`)); err != nil {
		fail("reading the text", err)
	}
	if pc.shot, err = chromedp.Run(step, chromedp.FullScreenshot(100)); err != nil {
		fail("taking a screenshot", err)
	}
	// Messages arrive asynchronously: give the last ones a moment.
	time.Sleep(200 * time.Millisecond)
	stopConsole()
	wg.Wait()
	return pc
}

// checkReport applies the three checks to a report in the browser
// and keeps its screenshot under the test's output folder.
func checkReport(t *testing.T, exe, dir, name string, wantImages int, allowed ...string) {
	t.Helper()
	pc := openReport(t, exe, filepath.Join(dir, "report.html"))
	shot := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(shot, pc.shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the %s report: %s", name, shot)
	os.WriteFile(filepath.Join(t.ArtifactDir(), name+".txt"), []byte(pc.text), 0o644)
	if len(pc.errors) > 0 {
		t.Errorf("%s report: console errors: %v", name, pc.errors)
	}
	if len(pc.images) != wantImages {
		t.Errorf("%s report: %d images, want %d (one per figure)", name, len(pc.images), wantImages)
	}
	for _, im := range pc.images {
		if !im.Complete || im.Width == 0 || im.Height == 0 || !im.Embedded {
			t.Errorf("%s report: figure %q did not load (complete %v, natural size %dx%d, embedded %v)",
				name, im.Alt, im.Complete, im.Width, im.Height, im.Embedded)
		}
	}
	summary, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	missing, err := reportcheck.Missing(pc.text, summary, allowed...)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("%s report: %d numbers of the text are not in summary.json: %v", name, len(missing), missing)
	}
}

// reportConstants are numbers of the reports' prose that are not results:
// the interval level, "of every 100", the close-contact definition the
// glossary gives as an example, the bands of the figures' captions.
var reportConstants = []string{"95", "100", "15", "2", "1", "4", "0.5"}

// TestReportsInBrowser opens the run report and the sweep report in
// headless Chromium: no console errors, every figure loaded with a
// non-zero natural size, every number of the text present in
// summary.json. Screenshots go under the test's output folder (go test
// -artifacts keeps them).
func TestReportsInBrowser(t *testing.T) {
	exe := browser(t)
	run := filepath.Join(t.TempDir(), "run")
	if r := runCLI(t, "run", "testdata/run_tiny.yaml", "--out", run); r.code != 0 {
		t.Fatalf("run: %s", r.stderr)
	}
	file := filepath.Join(t.TempDir(), "sweep.yaml")
	os.WriteFile(file, []byte(strings.Replace(cliSweep, "days: 3", "days: 4", 1)), 0o644)
	sweep := filepath.Join(t.TempDir(), "sweep")
	if r := runCLI(t, "sweep", file, "--out", sweep, "--workers", "2"); r.code != 0 {
		t.Fatalf("sweep: %s", r.stderr)
	}
	figs := func(dir string) int {
		m, _ := filepath.Glob(filepath.Join(dir, "plots", "*.svg"))
		return len(m)
	}
	t.Run("run", func(t *testing.T) { checkReport(t, exe, run, "run", figs(run), reportConstants...) })
	t.Run("sweep", func(t *testing.T) { checkReport(t, exe, sweep, "sweep", figs(sweep), reportConstants...) })
}
