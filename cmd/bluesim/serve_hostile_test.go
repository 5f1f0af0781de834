package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
)

// hostileRSSBound is the most memory the server may hold under the
// hostile-client test: the bound, against 2.5 GB before the limits.
const hostileRSSBound = 256 << 20

// procStatus reads a field of /proc/PID/status in bytes (VmRSS, VmHWM).
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// TestServeHostileClients opens 1,000 connections that each send an
// unfinished 1 MB header and 50 that pipeline export downloads and never
// read, against a bluesim serve process. The server must stay under
// hostileRSSBound (its peak, VmHWM), keep answering normal clients, and
// close the non-readers when the write timeout passes. With -short it
// runs a tenth of the header flood.
func TestServeHostileClients(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the server's memory")
	}
	headers, headerBytes := 1000, 1<<20
	if testing.Short() {
		headers = 100
	}
	dir := t.TempDir()
	// Saturation shedding (--shed-lag) is off: on a busy machine it would
	// rightly answer some normal downloads 503; this test is about the
	// per-connection limits, and shedding has a test of its own.
	p := startServer(t, "--dev", "--data", dir, "--listen", "127.0.0.1:0", "--write-timeout", "2s", "--read-header-timeout", "3s", "--shed-lag", "0s")
	pid := p.cmd.Process.Pid
	addr := strings.TrimPrefix(p.url, "http://")
	c := newDevClient(t, p.url, dir)
	// The export at start-up wrote a padded file to download.
	var file string
	for deadline := time.Now().Add(10 * time.Second); file == ""; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no export file")
		}
		if resp, err := http.Get(p.url + "/v1/exports/index.txt"); err == nil {
			names, _ := gaen.ReadExportIndex(resp.Body)
			resp.Body.Close()
			if len(names) > 0 {
				file = names[0]
			}
		}
	}
	before, _ := procStatus(pid, "VmRSS")

	// 1,000 unfinished 1 MB headers.
	var wg sync.WaitGroup
	conns := make(chan net.Conn, headers+50)
	line := "X-Filler: " + strings.Repeat("a", 1000) + "\r\n"
	for range headers {
		wg.Go(func() {
			cn, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			conns <- cn
			cn.SetWriteDeadline(time.Now().Add(20 * time.Second))
			w := bufio.NewWriterSize(cn, 64<<10)
			fmt.Fprintf(w, "GET /v1/exports/index.txt HTTP/1.1\r\nHost: %s\r\n", addr)
			for sent := 0; sent < headerBytes; sent += len(line) {
				if _, err := w.WriteString(line); err != nil {
					return // the server gave up on us (431), as it should
				}
			}
			w.Flush() // and never the blank line that ends the header
		})
	}
	// 50 clients that pipeline downloads and never read.
	stuck := make([]net.Conn, 0, 50)
	var stuckMu sync.Mutex
	for range 50 {
		wg.Go(func() {
			cn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Errorf("non-reader: %v", err)
				return
			}
			stuckMu.Lock()
			stuck = append(stuck, cn)
			stuckMu.Unlock()
			cn.SetWriteDeadline(time.Now().Add(3 * time.Second))
			req := fmt.Sprintf("GET /%s HTTP/1.1\r\nHost: %s\r\n\r\n", file, addr)
			for range 2000 {
				if _, err := io.WriteString(cn, req); err != nil {
					return
				}
			}
		})
	}
	// Normal clients are still served meanwhile.
	time.Sleep(500 * time.Millisecond)
	for i := range 5 {
		if _, err := c.upload(uint64(900 + i)); err != nil {
			t.Errorf("normal upload %d during the attack: %v", i, err)
		}
		resp, err := http.Get(p.url + "/" + file)
		if err != nil {
			t.Fatalf("normal download during the attack: %v", err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n == 0 {
			t.Errorf("normal download during the attack: %d, %d bytes", resp.StatusCode, n)
		}
	}
	wg.Wait()
	// Past the write timeout the non-readers are closed: reading what the
	// kernel buffered ends in EOF or a reset, not in a wait.
	time.Sleep(2500 * time.Millisecond)
	open := 0
	for _, cn := range stuck {
		cn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := io.Copy(io.Discard, cn)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			open++
		}
		cn.Close()
	}
	if open > 0 {
		t.Errorf("%d of %d non-reading clients still open after the write timeout", open, len(stuck))
	}
	close(conns)
	for cn := range conns {
		cn.Close()
	}
	peak, err := procStatus(pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server RSS %d MB before, peak %d MB with %d unfinished %d KiB headers and 50 non-readers (bound %d MB)",
		before>>20, peak>>20, headers, headerBytes>>10, hostileRSSBound>>20)
	if peak > hostileRSSBound {
		t.Errorf("server peak RSS %d MB over the %d MB bound", peak>>20, hostileRSSBound>>20)
	}
	// And it still works.
	if resp, err := http.Get(p.url + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz after the attack: %v %v", resp, err)
	}
}
