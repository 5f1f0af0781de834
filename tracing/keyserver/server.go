package keyserver

import (
	"context"
	"crypto/ecdsa"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
)

// Defaults, after the reference servers (shared/reference/loadtest.md).
const (
	// DefaultRetention is how long keys, F0 entries and export files are
	// kept: 14 days (§1.1 CLEANUP_TTL=336h; §1.2 and §1.3 retention 14
	// days), counted from the end of a key's own rolling period, the end
	// of an F0 entry's day, and the end of an export file.
	DefaultRetention = 14 * 24 * time.Hour
	// DefaultExportPeriod is how often a batch is exported: hourly, the
	// reference's TRUNCATE_WINDOW=1h (§1.1) and CWA's hourly packages
	// (§1.2).
	DefaultExportPeriod = time.Hour
	// DefaultCleanupPeriod is how often retention is enforced, on a
	// schedule of its own (the reference runs cleanup-exposure and
	// cleanup-export as separate jobs, §1.1).
	DefaultCleanupPeriod = time.Hour
	// DefaultMinWindowAge is how long after its release a key waits before
	// it is exported: §1.1 MIN_WINDOW_AGE=2h, §1.2 "keys must be expired
	// ≥ 2 h before distribution".
	DefaultMinWindowAge = 2 * time.Hour
	// DefaultExportMinRecords and DefaultExportPaddingRange pad every
	// export file with random keys to at least 1,000 keys plus a random
	// 0–100 more, so that its size does not tell how many people uploaded
	// (§1.1 EXPORT_FILE_MIN_RECORDS=1000, EXPORT_FILE_PADDING_RANGE=100).
	DefaultExportMinRecords   = 1000
	DefaultExportPaddingRange = 100
	// DefaultMaxSameStartKeys is the most keys of one upload that may share
	// a rollingStartNumber (§1.1: the reference's
	// MAX_SAME_START_INTERVAL_KEYS default 3: a v1.5 phone ends today's
	// key early and starts another on the same day).
	DefaultMaxSameStartKeys = 3
	// DefaultMaxTokenLifetime is the longest a verification token may be
	// valid (exp − iat). Verification servers issue tokens for minutes
	// (TokenSigner's default is 15); a token valid for years is a leaked
	// signing key's work or a misconfigured issuer.
	DefaultMaxTokenLifetime = time.Hour
	// DefaultTokenLeeway is the clock skew allowed when checking a token's
	// expiry; the token's record is kept as long, so that a replay is
	// refused for as long as the token would be accepted.
	DefaultTokenLeeway = 30 * time.Second
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
	// MaxTokenLifetime caps a token's exp − iat; TokenLeeway is the clock
	// skew allowed on exp.
	MaxTokenLifetime, TokenLeeway time.Duration
	// MaxSameStartKeys caps the keys of one upload with the same
	// rollingStartNumber.
	MaxSameStartKeys int
	// RevisionKey is the 32-byte AES-256 key that seals revision tokens;
	// it must survive restarts for tokens to stay valid (bluesim serve
	// keeps it in its data directory). Nil: a random key for this process.
	RevisionKey []byte
	// Signer signs export files.
	Signer gaen.ExportSigner
	// Region goes into export files.
	Region string
	// ExportPeriod is the schedule of export runs; negative disables the
	// schedule (tests call ExportNow).
	ExportPeriod time.Duration
	// ExportMaxRecords caps keys per export file (0: gaen.ExportMaxRecords).
	ExportMaxRecords int
	// ExportMinRecords and ExportPaddingRange pad export files with
	// random keys; a negative ExportMinRecords disables padding.
	ExportMinRecords, ExportPaddingRange int
	// MinWindowAge delays every key's export past its release; negative
	// means none.
	MinWindowAge time.Duration
	// ReleaseSameDayKeys exports keys that were still valid when uploaded
	// without waiting for their rolling period to end (the reference's
	// DEBUG_RELEASE_SAME_DAY_KEYS; for development only).
	ReleaseSameDayKeys bool
	// Retention is how long data is kept; CleanupPeriod how often it is
	// enforced.
	Retention, CleanupPeriod time.Duration
	// MaxBodyBytes caps request bodies.
	MaxBodyBytes int64
	// MaxGroup caps the uploads committed in one transaction (default 512).
	MaxGroup int
	// Limits bound what clients can make the server hold.
	Limits Limits
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand, when set, supplies the random source of each request's
	// padding and chaff timing, and of export padding, in place of fresh
	// cryptographic seeds, and chaff is answered at once instead of after
	// a real upload's duration. Fuzz tests set it so that an input always
	// takes the same path, quickly; nothing else should.
	Rand func() *rand.Rand
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
	public  http.Handler
	queue   chan *pending
	stopped chan struct{}
	log     *slog.Logger
	rate    *clientLimiter
	admit   *admission
	revKey  []byte
	timing  *timingSampler

	exportMu sync.Mutex
	index    atomic.Pointer[indexState]
	cacheMu  sync.Mutex
	cache    map[string]ExportFile
	cacheLen int

	randPool sync.Pool
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
const maxCacheBytes = 256 << 20

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
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&cfg.HealthAuthorityID, DefaultHealthAuthority)
	def(&cfg.Issuer, DefaultIssuer)
	def(&cfg.Audience, DefaultAudience)
	def(&cfg.Region, DefaultRegion)
	dur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	dur(&cfg.ExportPeriod, DefaultExportPeriod)
	dur(&cfg.MinWindowAge, DefaultMinWindowAge)
	dur(&cfg.MaxTokenLifetime, DefaultMaxTokenLifetime)
	dur(&cfg.TokenLeeway, DefaultTokenLeeway)
	if cfg.MinWindowAge < 0 {
		cfg.MinWindowAge = 0
	}
	if cfg.TokenLeeway < 0 {
		cfg.TokenLeeway = 0
	}
	if cfg.MaxTokenLifetime < 0 {
		return nil, fmt.Errorf("keyserver: max token lifetime %v: want a positive duration", cfg.MaxTokenLifetime)
	}
	if cfg.ExportMaxRecords == 0 {
		cfg.ExportMaxRecords = gaen.ExportMaxRecords
	}
	if cfg.ExportMaxRecords < 1 || cfg.ExportMaxRecords > gaen.ExportMaxRecords {
		return nil, fmt.Errorf("keyserver: export max records %d outside 1..%d", cfg.ExportMaxRecords, gaen.ExportMaxRecords)
	}
	if cfg.ExportMinRecords == 0 {
		cfg.ExportMinRecords = DefaultExportMinRecords
	}
	if cfg.ExportPaddingRange == 0 {
		cfg.ExportPaddingRange = DefaultExportPaddingRange
	}
	if cfg.ExportMinRecords > 0 && cfg.ExportMinRecords+max(cfg.ExportPaddingRange, 0) > cfg.ExportMaxRecords {
		return nil, fmt.Errorf("keyserver: export padding to %d+%d keys exceeds the %d keys a file may hold",
			cfg.ExportMinRecords, cfg.ExportPaddingRange, cfg.ExportMaxRecords)
	}
	if cfg.MaxSameStartKeys <= 0 {
		cfg.MaxSameStartKeys = DefaultMaxSameStartKeys
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.CleanupPeriod <= 0 {
		cfg.CleanupPeriod = DefaultCleanupPeriod
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
	cfg.Limits.defaults()
	revKey := cfg.RevisionKey
	if revKey == nil {
		revKey = make([]byte, RevisionKeyLen)
		crand.Read(revKey)
	}
	if len(revKey) != RevisionKeyLen {
		return nil, fmt.Errorf("keyserver: revision key of %d bytes, want %d", len(revKey), RevisionKeyLen)
	}
	s := &Server{
		cfg: cfg, store: cfg.Store, m: newMetrics(), mux: http.NewServeMux(),
		queue: make(chan *pending, 4096), stopped: make(chan struct{}), log: cfg.Logger,
		cache: map[string]ExportFile{}, rate: newClientLimiter(cfg.Limits, cfg.Now), admit: newAdmission(cfg.Limits),
		revKey: revKey, timing: newTimingSampler(),
	}
	s.randPool.New = func() any {
		var seed [32]byte
		crand.Read(seed[:])
		return rand.New(rand.NewChaCha8(seed))
	}
	s.index.Store(&indexState{body: nil, etag: etagOf(nil), files: map[string]ExportFile{}})
	s.routes()
	s.public = s.guard(s.mux)
	return s, nil
}

// rng returns a random source for one request and a function to give it
// back.
func (s *Server) rng() (*rand.Rand, func()) {
	if s.cfg.Rand != nil {
		return s.cfg.Rand(), func() {}
	}
	r := s.randPool.Get().(*rand.Rand)
	return r, func() { s.randPool.Put(r) }
}

func (s *Server) routes() {
	h := func(pattern, route string, f http.HandlerFunc) { s.mux.HandleFunc(pattern, s.m.instrument(route, f)) }
	h("/v1/publish", "publish", s.handlePublish)
	h("/"+ExportRoot+"/", "exports", s.handleExports)
	h("/v1/bluezone/f0", "f0", s.handleF0)
	h("/healthz", "healthz", s.handleHealth)
	h("/", "other", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}

// Handler is the server's public HTTP handler: the API behind load
// shedding and the per-client publish rate limit. It does not serve
// /metrics (see AdminHandler).
func (s *Server) Handler() http.Handler { return s.public }

// AdminHandler serves /metrics (Prometheus), /healthz and Go's profiler
// (/debug/pprof/), for an operators' listener that the public cannot
// reach: the counters tell real uploads from chaff, and a profile taken
// under load is how the server's cost per request is found.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.m.handler())
	mux.HandleFunc("/healthz", s.handleHealth)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

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
			s.every(ctx, s.cfg.ExportPeriod, "export", func(ctx context.Context) error { _, err := s.ExportNow(ctx); return err })
		})
	}
	bg.Go(func() {
		s.every(ctx, s.cfg.CleanupPeriod, "cleanup", func(ctx context.Context) error { _, err := s.CleanupNow(ctx); return err })
	})
	bg.Go(func() { s.admit.monitor(ctx) })
	<-ctx.Done()
	bg.Wait()
	stopCommit()
	wg.Wait()
	close(s.stopped)
	return nil
}

// every runs fn now and every period until ctx is done.
func (s *Server) every(ctx context.Context, period time.Duration, name string, fn func(context.Context) error) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			s.log.Error(name+" failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Serve serves the public API on ln (with the connection cap, timeouts and
// header limit of cfg.Limits) and, if admin is not nil, AdminHandler on
// admin, until ctx is done; then it shuts down gracefully: it stops
// accepting, lets in-flight requests finish (up to 10 s), commits queued
// uploads and returns nil.
func (s *Server) Serve(ctx context.Context, ln, admin net.Listener) error {
	runCtx, stopRun := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(runCtx) }()
	hs := s.httpServer(s.public)
	serveErr := make(chan error, 2)
	go func() { serveErr <- hs.Serve(s.Listen(ln)) }()
	var as *http.Server
	if admin != nil {
		as = &http.Server{Handler: s.AdminHandler(), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
		go func() { serveErr <- as.Serve(admin) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case err = <-runErr:
		stopRun()
		hs.Close()
		if as != nil {
			as.Close()
		}
		return err
	}
	shCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e := hs.Shutdown(shCtx); e != nil && err == nil {
		err = e
	}
	if as != nil {
		as.Close()
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

// etagOf returns a strong ETag for content.
func etagOf(b []byte) string {
	return `"` + shaHex(b)[:32] + `"`
}
