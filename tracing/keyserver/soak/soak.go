package soak

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/postgres"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
)

// Config configures a soak.
type Config struct {
	// Command returns the command that runs "bluesim serve" with args
	// (bluesim soak runs its own executable).
	Command func(args []string) *exec.Cmd
	// Data is the server's data directory (SQLite database, dev keys).
	Data string
	// DB is a PostgreSQL URL; empty means SQLite in Data.
	DB string
	// Kills is how many times the server is killed (default 10).
	Kills int
	// Publishers is how many clients upload at once (default 8).
	Publishers int
	// MinUp and MaxUp bound the random time the server runs before each
	// kill (default 200 ms and 2 s).
	MinUp, MaxUp time.Duration
	// Seed draws the kill times.
	Seed uint64
	// Log receives a line per kill (default: discard).
	Log io.Writer
}

// Report is what a soak found.
type Report struct {
	Kills          int `json:"kills"`
	AckedUploads   int `json:"acked_uploads"`
	AckedKeys      int `json:"acked_keys"`
	StoredKeys     int `json:"stored_keys"`
	ExportFiles    int `json:"export_files"`
	ExportedKeys   int `json:"exported_keys"` // real and padding
	MissingStored  int `json:"missing_stored"`
	MissingExport  int `json:"missing_export"`
	Duplicated     int `json:"duplicated"`
	EmbargoLeaked  int `json:"embargo_leaked"`
	BadSignatures  int `json:"bad_signatures"`
	FailedRequests int `json:"failed_requests"`
	// Integrity is SQLite's PRAGMA integrity_check ("ok"), empty for
	// PostgreSQL.
	Integrity string  `json:"integrity,omitempty"`
	Seconds   float64 `json:"seconds"`
}

// OK reports whether the soak found nothing wrong.
func (r Report) OK() bool {
	return r.MissingStored == 0 && r.MissingExport == 0 && r.Duplicated == 0 && r.EmbargoLeaked == 0 &&
		r.BadSignatures == 0 && (r.Integrity == "" || r.Integrity == "ok") && r.AckedUploads > 0
}

func (r Report) String() string {
	return fmt.Sprintf("%d kills, %d uploads (%d keys) acknowledged, %d keys stored, %d export files (%d keys with padding): "+
		"%d acknowledged keys not stored, %d released keys not exported, %d exported twice, %d still-valid keys exported, %d bad signatures%s",
		r.Kills, r.AckedUploads, r.AckedKeys, r.StoredKeys, r.ExportFiles, r.ExportedKeys,
		r.MissingStored, r.MissingExport, r.Duplicated, r.EmbargoLeaked, r.BadSignatures, integrityNote(r.Integrity))
}

func integrityNote(s string) string {
	if s == "" {
		return ""
	}
	return ", integrity_check " + s
}

// server is one running server process.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

// acked is what the publishers saw acknowledged.
type acked struct {
	mu              sync.Mutex
	uploads         int
	released, valid map[[keyserver.KeyLen]byte]bool
	last            time.Time
	failed          int
}

// Run runs the soak.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Command == nil || cfg.Data == "" {
		return Report{}, errors.New("soak: Command and Data are required")
	}
	if cfg.Kills <= 0 {
		cfg.Kills = 10
	}
	if cfg.Publishers <= 0 {
		cfg.Publishers = 8
	}
	if cfg.MinUp <= 0 {
		cfg.MinUp = 200 * time.Millisecond
	}
	if cfg.MaxUp < cfg.MinUp {
		cfg.MaxUp = max(cfg.MinUp, 2*time.Second)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	t0 := time.Now()
	port, err := freePort()
	if err != nil {
		return Report{}, err
	}
	args := []string{"serve", "--dev", "--data", cfg.Data, "--listen", "127.0.0.1:" + strconv.Itoa(port),
		"--export-period", "300ms", "--min-window-age", "0s", "--cleanup-period", "1h"}
	if cfg.DB != "" {
		args = append(args, "--db", cfg.DB)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x50a4))
	start := func() (*server, error) {
		cmd := cfg.Command(args)
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("soak: starting the server: %w", err)
		}
		s := &server{cmd: cmd, done: make(chan error, 1)}
		line, err := bufio.NewReader(out).ReadString('\n')
		if _, rest, ok := strings.Cut(line, "listening on "); err == nil && ok {
			s.url = strings.Fields(rest)[0]
		}
		go func() { io.Copy(io.Discard, out); s.done <- cmd.Wait() }()
		if s.url == "" {
			cmd.Process.Kill()
			<-s.done
			return nil, fmt.Errorf("soak: the server did not start (%q): %s", line, stderr.String())
		}
		return s, nil
	}
	kill := func(s *server) {
		s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
	}

	srv, err := start()
	if err != nil {
		return Report{}, err
	}
	keys, _, err := keyserver.EnsureDevKeys(cfg.Data)
	if err != nil {
		kill(srv)
		return Report{}, err
	}
	tokens := keyserver.TokenSigner{Key: keys.Token, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience}
	var url atomic.Pointer[string]
	url.Store(&srv.url)
	ack := &acked{released: map[[keyserver.KeyLen]byte]bool{}, valid: map[[keyserver.KeyLen]byte]bool{}}
	pubCtx, stopPub := context.WithCancel(ctx)
	var wg sync.WaitGroup
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	client := &http.Client{Timeout: 10 * time.Second}
	for p := range cfg.Publishers {
		wg.Go(func() {
			publisher(pubCtx, client, &url, tokens, ack, fmt.Sprintf("%s-%d", runID, p), cfg.Seed<<8|uint64(p))
		})
	}
	rep := Report{}
	for k := 0; k < cfg.Kills && ctx.Err() == nil; k++ {
		up := cfg.MinUp + time.Duration(rng.Int64N(int64(cfg.MaxUp-cfg.MinUp)+1))
		select {
		case <-time.After(up):
		case <-ctx.Done():
		}
		kill(srv)
		rep.Kills++
		ack.mu.Lock()
		fmt.Fprintf(cfg.Log, "kill %d after %v: %d uploads acknowledged so far\n", k+1, up.Round(time.Millisecond), ack.uploads)
		ack.mu.Unlock()
		if srv, err = start(); err != nil {
			stopPub()
			wg.Wait()
			return rep, err
		}
	}
	stopPub()
	wg.Wait()
	defer func() {
		if srv != nil {
			kill(srv)
		}
	}()
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	ack.mu.Lock()
	rep.AckedUploads, rep.AckedKeys, rep.FailedRequests = ack.uploads, len(ack.released)+len(ack.valid), ack.failed
	last := ack.last
	ack.mu.Unlock()

	// Wait for an export that covers the last acknowledgement, then read
	// every file.
	exportPub, err := keyserver.LoadPublicKey(filepath.Join(cfg.Data, keyserver.DevExportPublicFile))
	if err != nil {
		return rep, err
	}
	exported := map[[keyserver.KeyLen]byte]int{}
	deadline := time.Now().Add(30 * time.Second)
	for {
		names, err := index(client, srv.url)
		if errors.Is(err, errShed) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			return rep, err
		}
		var end uint64
		for _, n := range names {
			if _, _, e, _, err := gaen.ParseExportObjectName(n); err == nil {
				end = max(end, e)
			}
		}
		if int64(end) > last.Unix()+1 {
			clear(exported)
			rep.ExportFiles, rep.ExportedKeys, rep.BadSignatures = len(names), 0, 0
			for _, n := range names {
				ks, err := download(client, srv.url+"/"+n, exportPub)
				if err != nil {
					rep.BadSignatures++
					fmt.Fprintf(cfg.Log, "%s: %v\n", n, err)
					continue
				}
				rep.ExportedKeys += len(ks)
				for _, k := range ks {
					exported[k]++
				}
			}
			break
		}
		if time.Now().After(deadline) {
			return rep, fmt.Errorf("soak: no export covered the last acknowledged upload within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Stop the server gracefully and read the store directly.
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-srv.done; err != nil {
		srv = nil
		return rep, fmt.Errorf("soak: the server did not stop cleanly on SIGTERM: %w", err)
	}
	srv = nil
	stored, integrity, err := readStore(ctx, cfg)
	if err != nil {
		return rep, err
	}
	rep.StoredKeys, rep.Integrity = len(stored), integrity
	for k := range ack.released {
		if !stored[k] {
			rep.MissingStored++
		}
		if exported[k] == 0 {
			rep.MissingExport++
		}
	}
	for k := range ack.valid {
		if !stored[k] {
			rep.MissingStored++
		}
		if exported[k] > 0 {
			rep.EmbargoLeaked++
		}
	}
	for _, n := range exported {
		if n > 1 {
			rep.Duplicated++
		}
	}
	rep.Seconds = time.Since(t0).Seconds()
	return rep, nil
}

// publisher uploads a fresh phone's 14 keys again and again; the keys of
// the 13 past days are released at once, today's key is still valid and
// must stay embargoed.
func publisher(ctx context.Context, client *http.Client, url *atomic.Pointer[string], tokens keyserver.TokenSigner, ack *acked, id string, seed uint64) {
	for i := 0; ctx.Err() == nil; i++ {
		now := time.Now()
		var s [32]byte
		copy(s[:], fmt.Sprintf("%s/%d/%d", id, seed, i))
		d, err := gaen.NewDevice(rand.NewChaCha8(s), now.Add(-15*24*time.Hour))
		if err != nil {
			return
		}
		keys, err := d.Upload(now.Add(-13*24*time.Hour), now)
		if err != nil {
			return
		}
		req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(keys, 2), HealthAuthorityID: keyserver.DefaultHealthAuthority}
		if err := tokens.SignUpload(&req, fmt.Sprintf("soak-%s-%d", id, i), s[:], now); err != nil {
			return
		}
		body, _ := json.Marshal(req)
		resp, err := client.Post(*url.Load()+"/v1/publish", "application/json", bytes.NewReader(body))
		ok := false
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ok = resp.StatusCode == http.StatusOK
		}
		ack.mu.Lock()
		if ok {
			ack.uploads++
			nowIv := gaen.ENIntervalNumber(now)
			for _, k := range keys {
				var kk [keyserver.KeyLen]byte
				copy(kk[:], k.Key)
				if k.Start/600+int64(k.Slots) > int64(nowIv) {
					ack.valid[kk] = true
				} else {
					ack.released[kk] = true
				}
			}
			ack.last = time.Now()
		} else {
			ack.failed++
		}
		ack.mu.Unlock()
		if !ok {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func index(client *http.Client, url string) ([]string, error) {
	resp, err := client.Get(url + "/" + gaen.ExportIndexName(keyserver.ExportRoot))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable {
		return nil, errShed
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("soak: index.txt: HTTP %d", resp.StatusCode)
	}
	return gaen.ReadExportIndex(resp.Body)
}

// errShed is a 503: the server shed the request; try again.
var errShed = errors.New("shed")

func download(client *http.Client, url string, pub *ecdsa.PublicKey) ([][keyserver.KeyLen]byte, error) {
	resp, err := client.Get(url)
	for try := 0; err == nil && resp.StatusCode == http.StatusServiceUnavailable && try < 50; try++ {
		resp.Body.Close()
		time.Sleep(100 * time.Millisecond)
		resp, err = client.Get(url)
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("HTTP %d %v", resp.StatusCode, err)
	}
	b, err := gaen.ReadExportZip(bytes.NewReader(data), int64(len(data)), pub)
	if err != nil {
		return nil, err
	}
	out := make([][keyserver.KeyLen]byte, 0, len(b.Keys))
	for _, k := range b.Keys {
		var kk [keyserver.KeyLen]byte
		copy(kk[:], k.KeyData)
		out = append(out, kk)
	}
	return out, nil
}

// readStore returns the stored keys and, for SQLite, integrity_check.
func readStore(ctx context.Context, cfg Config) (map[[keyserver.KeyLen]byte]bool, string, error) {
	var st keyserver.Store
	var lite *sqlite.Store
	var err error
	if cfg.DB != "" {
		st, err = postgres.Open(ctx, cfg.DB)
	} else {
		lite, err = sqlite.Open(ctx, cfg.Data)
		st = lite
	}
	if err != nil {
		return nil, "", err
	}
	defer st.Close()
	integrity := ""
	if lite != nil {
		if integrity, err = lite.IntegrityCheck(ctx); err != nil {
			return nil, "", err
		}
	}
	max, err := st.MaxSeq(ctx)
	if err != nil {
		return nil, "", err
	}
	stored := map[[keyserver.KeyLen]byte]bool{}
	err = st.Exposures(ctx, 0, max, func(_ int64, e keyserver.Exposure) error {
		stored[e.Key] = true
		return nil
	})
	return stored, integrity, err
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
