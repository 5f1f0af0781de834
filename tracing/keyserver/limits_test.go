package keyserver_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
)

// serveLimited runs Serve on a loopback listener with limits l.
func serveLimited(t *testing.T, l keyserver.Limits) string {
	t.Helper()
	l.ShedLag = -1 // saturation shedding has its own test
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	haKey := seededKey(t, "health authority")
	srv, err := keyserver.New(keyserver.Config{Store: st, VerificationKey: &haKey.PublicKey,
		Signer: gaen.ExportSigner{Key: seededKey(t, "export")}, ExportPeriod: -1, Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, nil) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// rawGet sends one request on a new connection and returns the status
// line's code and the Retry-After header.
func rawGet(t *testing.T, addr, req string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, req)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func TestHeaderLimit(t *testing.T) {
	addr := serveLimited(t, keyserver.Limits{MaxHeaderBytes: 4 << 10})
	big := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n"
	if code, _ := rawGet(t, addr, big); code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("16 KiB header: %d, want 431", code)
	}
	if code, _ := rawGet(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); code != 200 {
		t.Errorf("small header: %d", code)
	}
}

func TestConnectionCap(t *testing.T) {
	addr := serveLimited(t, keyserver.Limits{MaxConns: 2})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them
	code, retry := rawGet(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if code != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("connection over the cap: %d, Retry-After %q; want 503 with Retry-After", code, retry)
	}
	held[0].Close()
	time.Sleep(100 * time.Millisecond)
	if code, _ := rawGet(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); code != 200 {
		t.Errorf("after one closed: %d, want 200", code)
	}
}

func TestPublishRateLimit(t *testing.T) {
	// Loopback is exempt by default; here nobody is.
	addr := serveLimited(t, keyserver.Limits{PublishRate: 1, PublishBurst: 3, RateExempt: []netip.Prefix{}})
	codes := map[int]int{}
	retry := ""
	for range 6 {
		code, ra := rawGet(t, addr, "POST /v1/publish HTTP/1.1\r\nHost: x\r\nX-Chaff: 1\r\nContent-Length: 2\r\n\r\n{}")
		codes[code]++
		if code == http.StatusTooManyRequests {
			retry = ra
		}
	}
	if codes[200] != 3 || codes[429] != 3 || retry == "" {
		t.Errorf("6 publishes at a burst of 3: %v, Retry-After %q; want 3 × 200, 3 × 429 with Retry-After", codes, retry)
	}
	// Other routes are not limited.
	if code, _ := rawGet(t, addr, "GET /v1/exports/index.txt HTTP/1.1\r\nHost: x\r\n\r\n"); code != 200 {
		t.Errorf("index after the limit: %d", code)
	}
}
