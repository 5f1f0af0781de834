package keyserver

import (
	"context"
	"crypto/ecdsa"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
)

// Defaults, after the reference servers (shared/reference/loadtest.md).
const (
	// DefaultRetention is how long keys, F0 entries and export files are
	// kept: 14 days (§1.1 CLEANUP_TTL=336h; §1.2 and §1.3 retention 14 days).
	DefaultRetention = 14 * 24 * time.Hour
	// DefaultExportPeriod is how often a batch is exported. The reference
	// exports per configured period (§1.1 ExportConfig.period_seconds);
	// 5 minutes keeps a local test loop short.
	DefaultExportPeriod = 5 * time.Minute
	// DefaultMaxBodyBytes caps a request body: 100 KB, as cwa-server's
	// maximum-request-size (§1.2).
	DefaultMaxBodyBytes = 100_000
	// MaxKeysPerUpload is the most keys one upload may hold (§1.1, §1.2).
	MaxKeysPerUpload = 14
	// DefaultHealthAuthority, DefaultIssuer and DefaultAudience name the
	// verification tokens a dev server accepts.
	DefaultHealthAuthority = "bluesim-dev"
	DefaultIssuer          = "bluesim-dev"
	DefaultAudience        = "bluesim-keyserver"
	// DefaultRegion is the region written into export files: Vietnam's MCC.
	DefaultRegion = "452"
	// ExportRoot is where export files and index.txt are served.
	ExportRoot = "v1/exports"
	// MaxF0PerList is the most F0 entries one GET returns; poll again with
	// ?since=next for more.
	MaxF0PerList = 5000
	// MaxF0PerUpload is the most F0 entries one publish may hold.
	MaxF0PerUpload = 1000
	// ChaffHeader marks a chaff request, as in the reference server.
	ChaffHeader = "X-Chaff"
)

// Config configures a Server. Store, VerificationKey and Signer.Key are
// required; zero values elsewhere take the defaults above.
type Config struct {
	Store Store
	// VerificationKey is the health authority's public key: verification
	// tokens must be ES256-signed with its private key.
	VerificationKey *ecdsa.PublicKey
	// HealthAuthorityID must equal the request's healthAuthorityID;
	// Issuer and Audience the token's iss and aud.
	HealthAuthorityID, Issuer, Audience string
	// Signer signs export files.
	Signer gaen.ExportSigner
	// Region goes into export files.
	Region string
	// ExportPeriod is the schedule of export runs; negative disables the
	// schedule (tests call ExportNow).
	ExportPeriod time.Duration
	// ExportMaxRecords caps keys per export file (0: gaen.ExportMaxRecords).
	ExportMaxRecords int
	// Retention is how long data is kept; CleanupPeriod how often it is
	// enforced (default: one hour).
	Retention, CleanupPeriod time.Duration
	// MaxBodyBytes caps request bodies.
	MaxBodyBytes int64
	// MaxGroup caps the uploads committed in one transaction (default 512).
	MaxGroup int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives operational messages (default: discard).
	Logger *slog.Logger
}

// Server is the key server. Create it with New, serve it with Serve or
// mount Handler in your own http.Server and call Run.
type Server struct {
	cfg     Config
	store   Store
	m       *metrics
	mux     *http.ServeMux
	queue   chan *pending
	stopped chan struct{}
	log     *slog.Logger

	exportMu sync.Mutex
	index    atomic.Pointer[indexState]
	cacheMu  sync.Mutex
	cache    map[string]ExportFile
	cacheLen int

	padPool sync.Pool
}

type pending struct {
	up   Upload
	done chan commitResult
}

type commitResult struct {
	res PublishResult
	err error
}

// indexState is the current index.txt and the files it lists.
type indexState struct {
	body  []byte
	etag  string
	files map[string]ExportFile // by object name, without Data
}

// maxCacheBytes bounds the in-memory copies of export files. Files are
// immutable, so a cached copy never goes stale.
const maxCacheBytes = 512 << 20

// New checks cfg and creates a server. Call Run (or Serve) to start the
// committer and the export and cleanup schedules.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("keyserver: no store")
	}
	if cfg.VerificationKey == nil {
		return nil, errors.New("keyserver: no verification key (the health authority's token public key)")
	}
	if cfg.Signer.Key == nil {
		return nil, errors.New("keyserver: no export signing key")
	}
	if cfg.HealthAuthorityID == "" {
		cfg.HealthAuthorityID = DefaultHealthAuthority
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.ExportPeriod == 0 {
		cfg.ExportPeriod = DefaultExportPeriod
	}
	if cfg.ExportMaxRecords == 0 {
		cfg.ExportMaxRecords = gaen.ExportMaxRecords
	}
	if cfg.ExportMaxRecords < 1 || cfg.ExportMaxRecords > gaen.ExportMaxRecords {
		return nil, fmt.Errorf("keyserver: export max records %d outside 1..%d", cfg.ExportMaxRecords, gaen.ExportMaxRecords)
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.CleanupPeriod <= 0 {
		cfg.CleanupPeriod = time.Hour
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxGroup <= 0 {
		cfg.MaxGroup = 512
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg: cfg, store: cfg.Store, m: newMetrics(), mux: http.NewServeMux(),
		queue: make(chan *pending, 4096), stopped: make(chan struct{}), log: cfg.Logger,
		cache: map[string]ExportFile{},
	}
	s.padPool.New = func() any {
		var seed [32]byte
		crand.Read(seed[:])
		return rand.NewChaCha8(seed)
	}
	s.index.Store(&indexState{body: nil, etag: etagOf(nil), files: map[string]ExportFile{}})
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	h := func(pattern, route string, f http.HandlerFunc) { s.mux.HandleFunc(pattern, s.m.instrument(route, f)) }
	h("/v1/publish", "publish", s.handlePublish)
	h("/"+ExportRoot+"/", "exports", s.handleExports)
	h("/v1/bluezone/f0", "f0", s.handleF0)
	h("/healthz", "healthz", s.handleHealth)
	s.mux.Handle("/metrics", s.m.handler())
	h("/", "other", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Run runs the group committer and the export and cleanup schedules until
// ctx is done; then it commits what was queued and returns. Handlers that
// publish need Run to be running.
func (s *Server) Run(ctx context.Context) error {
	if err := s.refreshIndex(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	commitCtx, stopCommit := context.WithCancel(context.Background())
	wg.Go(func() { s.commitLoop(commitCtx) })
	var bg sync.WaitGroup
	if s.cfg.ExportPeriod > 0 {
		bg.Go(func() {
			s.every(ctx, s.cfg.ExportPeriod, true, "export", func(ctx context.Context) error { _, err := s.ExportNow(ctx); return err })
		})
	}
	bg.Go(func() {
		s.every(ctx, s.cfg.CleanupPeriod, true, "cleanup", func(ctx context.Context) error { _, err := s.CleanupNow(ctx); return err })
	})
	<-ctx.Done()
	bg.Wait()
	stopCommit()
	wg.Wait()
	close(s.stopped)
	return nil
}

// every runs fn now (if first) and every period until ctx is done.
func (s *Server) every(ctx context.Context, period time.Duration, first bool, name string, fn func(context.Context) error) {
	if first {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			s.log.Error(name+" failed", "err", err)
		}
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				s.log.Error(name+" failed", "err", err)
			}
		}
	}
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully:
// it stops accepting, lets in-flight requests finish (up to 10 s), commits
// queued uploads and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	runCtx, stopRun := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(runCtx) }()
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case err = <-runErr:
		stopRun()
		hs.Close()
		return err
	}
	shCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e := hs.Shutdown(shCtx); e != nil && err == nil {
		err = e
	}
	stopRun()
	if e := <-runErr; e != nil && err == nil {
		err = e
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// commitLoop groups queued uploads into one store transaction each: while
// one commit (and its fsync) runs, the next group gathers.
func (s *Server) commitLoop(ctx context.Context) {
	batch := make([]*pending, 0, s.cfg.MaxGroup)
	ups := make([]Upload, 0, s.cfg.MaxGroup)
	for {
		var first *pending
		select {
		case first = <-s.queue:
		case <-ctx.Done():
			// Drain what was queued before stopping.
			select {
			case first = <-s.queue:
			default:
				return
			}
		}
		batch = append(batch[:0], first)
	gather:
		for len(batch) < s.cfg.MaxGroup {
			select {
			case p := <-s.queue:
				batch = append(batch, p)
			default:
				break gather
			}
		}
		ups = ups[:0]
		for _, p := range batch {
			ups = append(ups, p.up)
		}
		res, err := s.store.Publish(context.Background(), ups)
		s.m.groupSize.Observe(float64(len(batch)))
		for i, p := range batch {
			if err != nil {
				p.done <- commitResult{err: err}
				continue
			}
			p.done <- commitResult{res: res[i]}
		}
	}
}

// commit queues an upload and waits until it is durable.
func (s *Server) commit(ctx context.Context, up Upload) (PublishResult, error) {
	p := &pending{up: up, done: make(chan commitResult, 1)}
	select {
	case s.queue <- p:
	case <-s.stopped:
		return PublishResult{}, errors.New("server is shutting down")
	case <-ctx.Done():
		return PublishResult{}, ctx.Err()
	}
	select {
	case r := <-p.done:
		return r.res, r.err
	case <-s.stopped:
		// The committer has exited after draining the queue: done is set
		// unless the upload was queued after the drain, in which case it
		// was not stored and is not acknowledged.
		select {
		case r := <-p.done:
			return r.res, r.err
		default:
			return PublishResult{}, errors.New("server is shutting down")
		}
	}
}

// Publish stores uploads directly through the group committer's store,
// bypassing HTTP: bulk loads and benchmarks use it.
func (s *Server) Publish(ctx context.Context, ups []Upload) ([]PublishResult, error) {
	return s.store.Publish(ctx, ups)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding response","code":"internal_error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorResponse{Error: msg, Code: code})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "store: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// padding returns 1–2 KB of random base64, so that the size of a response
// does not tell an observer whether the upload was real or chaff (the
// reference pads both requests and responses).
func (s *Server) padding() string {
	src := s.padPool.Get().(*rand.ChaCha8)
	defer s.padPool.Put(src)
	n := 1024 + int(src.Uint64()%1024)
	b := make([]byte, n)
	src.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// etagOf returns a strong ETag for content.
func etagOf(b []byte) string {
	return `"` + shaHex(b)[:32] + `"`
}
