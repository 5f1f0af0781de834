package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
)

// The serve tests run the server as a separate process (this test binary
// re-executed with serveHelperEnv set), so that they can kill it with
// SIGKILL the way a crash or an OOM kill would.
const (
	serveHelperEnv  = "BLUESIM_TEST_SERVE_HELPER"
	serveHelperArgs = "BLUESIM_TEST_SERVE_ARGS"
)

// TestServeHelperProcess is not a test: it is the child process.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv(serveHelperEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, strings.Split(os.Getenv(serveHelperArgs), "\x1f"), os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// serverProc is a `bluesim serve` child process.
type serverProc struct {
	cmd    *exec.Cmd
	url    string
	stdout *bufio.Reader
	stderr *bytes.Buffer
}

func startServer(t *testing.T, args ...string) *serverProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	cmd.Env = append(os.Environ(), serveHelperEnv+"=1", serveHelperArgs+"="+strings.Join(append([]string{"serve"}, args...), "\x1f"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, stdout: bufio.NewReader(out), stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := p.stdout.ReadString('\n')
	if err != nil {
		t.Fatalf("server did not start: %v; stderr: %s", err, p.stderr)
	}
	_, rest, ok := strings.Cut(line, "listening on ")
	if !ok {
		t.Fatalf("unexpected first line %q", line)
	}
	p.url = strings.Fields(rest)[0]
	return p
}

// devClient signs uploads with the dev keys the server wrote into dir.
type devClient struct {
	url    string
	tokens keyserver.TokenSigner
	pub    *keyserver.DevKeys
}

func newDevClient(t *testing.T, url, dir string) *devClient {
	t.Helper()
	keys, made, err := keyserver.EnsureDevKeys(dir)
	if err != nil || made {
		t.Fatalf("dev keys in %s: made=%v err=%v (serve --dev should have written them)", dir, made, err)
	}
	return &devClient{url: url, pub: &keys,
		tokens: keyserver.TokenSigner{Key: keys.Token, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience}}
}

// upload publishes 14 fresh keys of a new phone and returns them if the
// server acknowledged them; err is set when the server could not be reached.
func (c *devClient) upload(seed uint64) ([][]byte, error) {
	now := time.Now()
	d, err := gaen.NewDevice(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), 9}), now.Add(-14*24*time.Hour))
	if err != nil {
		return nil, err
	}
	keys, err := d.Upload(now.Add(-13*24*time.Hour), now)
	if err != nil {
		return nil, err
	}
	req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(keys, 2), HealthAuthorityID: keyserver.DefaultHealthAuthority}
	if err := c.tokens.SignUpload(&req, fmt.Sprint("kill-", seed), []byte(fmt.Sprint(seed)), now); err != nil {
		return nil, err
	}
	body, _ := json.Marshal(req)
	resp, err := http.Post(c.url+"/v1/publish", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("%d %s %v", resp.StatusCode, b, err)
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = k.Key
	}
	return out, nil
}

// TestServeSIGKILLLosesNothing publishes from several clients, kills the
// server with SIGKILL mid-stream, restarts it on the same data directory
// and checks that every acknowledged key is in the next export.
func TestServeSIGKILLLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	args := []string{"--dev", "--data", dir, "--listen", "127.0.0.1:0", "--export-period", "1h", "--min-window-age", "0s", "--release-same-day-keys"}
	p := startServer(t, args...)
	c := newDevClient(t, p.url, dir)

	var mu sync.Mutex
	var acked [][]byte
	var ackCount int
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := uint64(0); ; i++ {
				keys, err := c.upload(uint64(w)<<20 | i)
				if err != nil {
					select {
					case <-killed:
						return // the server is gone
					default:
						t.Errorf("upload before the kill: %v", err)
						return
					}
				}
				mu.Lock()
				acked = append(acked, keys...)
				ackCount++
				mu.Unlock()
			}
		})
	}
	// Kill while uploads are streaming in.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := ackCount
		mu.Unlock()
		if n >= 200 || time.Now().After(deadline) {
			break
		}
	}
	// The first process exports only at start-up (the period is an
	// hour), possibly after the first uploads; remember what it listed.
	resp, err := http.Get(p.url + "/v1/exports/index.txt")
	if err != nil {
		t.Fatal(err)
	}
	before, err := gaen.ReadExportIndex(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	close(killed)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	wg.Wait()
	mu.Lock()
	t.Logf("%d uploads (%d keys) acknowledged before SIGKILL", ackCount, len(acked))
	mu.Unlock()
	if ackCount == 0 {
		t.Fatal("nothing was acknowledged")
	}

	// Restart on the same data; the startup export covers every key.
	p2 := startServer(t, args...)
	var names []string
	for deadline := time.Now().Add(30 * time.Second); len(names) <= len(before); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no export after restart")
		}
		resp, err := http.Get(p2.url + "/v1/exports/index.txt")
		if err != nil {
			t.Fatal(err)
		}
		names, err = gaen.ReadExportIndex(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	exportPub, err := keyserver.LoadPublicKey(filepath.Join(dir, keyserver.DevExportPublicFile))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range names {
		resp, err := http.Get(p2.url + "/" + n)
		if err != nil {
			t.Fatal(err)
		}
		zip, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b, err := gaen.ReadExportZip(bytes.NewReader(zip), int64(len(zip)), exportPub)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for _, k := range b.Keys {
			got[string(k.KeyData)] = true
		}
	}
	missing := 0
	for _, k := range acked {
		if !got[string(k)] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged keys missing from the export after SIGKILL and restart", missing, len(acked))
	}

	// SIGTERM stops the server gracefully with exit status 0.
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(p2.stdout)
	if err := p2.cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v; stderr: %s", err, p2.stderr)
	}
	if !strings.Contains(string(rest), "stopped") {
		t.Errorf("no stop message after SIGTERM: %q", rest)
	}
}

func TestServeUsage(t *testing.T) {
	golden(t, "serve_no_keys", "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	golden(t, "serve_bad_period", "serve", "--dev", "--export-period", "soon")
	golden(t, "serve_bad_db", "serve", "--dev", "--data", t.TempDir(), "--db", "mysql://x")
}
