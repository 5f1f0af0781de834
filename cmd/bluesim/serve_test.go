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
	"strings"
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

func TestServeUsage(t *testing.T) {
	golden(t, "serve_no_keys", "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	golden(t, "serve_bad_period", "serve", "--dev", "--export-period", "soon")
	golden(t, "serve_bad_db", "serve", "--dev", "--data", t.TempDir(), "--db", "mysql://x")
}
