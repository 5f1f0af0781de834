package keyserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	runtimemetrics "runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound what hostile or too many clients can make the server hold.
// Zero fields take the defaults below; each is a flag of bluesim serve.
type Limits struct {
	// MaxHeaderBytes caps a request's header (net/http adds 4 KiB of
	// slack); a longer header gets 431. Go's default, 1 MB, let 1,000
	// unfinished headers take 2.5 GB.
	MaxHeaderBytes int
	// MaxConns caps open connections per listener; a connection over the
	// cap is answered 503 with Retry-After and closed without reading it.
	MaxConns int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are
	// net/http's: a client that does not send its header, its body, read
	// its answer, or its next request in time is disconnected.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// PublishRate and PublishBurst are each client address's token bucket
	// for POST /v1/publish (real and chaff alike, so that a refusal tells
	// nothing about which) and POST /v1/bluezone/f0: over it, 429 with
	// Retry-After. A negative PublishRate disables the limit.
	PublishRate  float64
	PublishBurst int
	// RateExempt lists client networks the rate limit does not apply to
	// (a reverse proxy or load generator on the same machine stands for
	// many phones). Nil means loopback; an empty, non-nil list exempts
	// nobody.
	RateExempt []netip.Prefix
	// MaxInFlight caps requests being handled at once, publishes apart;
	// over it a request gets 503 with Retry-After at once (load shedding).
	MaxInFlight int
	// MaxInFlightPublish caps publishes (and chaff) being handled at once;
	// a publish over it waits up to PublishQueueWait for a slot before it
	// is shed: publishes, a diagnosed person's one chance to warn others,
	// are shed last.
	MaxInFlightPublish int
	PublishQueueWait   time.Duration
	// ShedLag is the scheduler lateness that means the machine is
	// saturated: while, over each 100 ms, the least lateness of a timer
	// stays above it, or a tenth of the goroutines that became runnable
	// waited longer than it for a CPU (Go's /sched/latencies), a growing
	// share of low-priority requests is shed. Negative disables this
	// shedding.
	ShedLag time.Duration
}

// Default limits.
const (
	DefaultMaxHeaderBytes     = 8 << 10
	DefaultMaxConns           = 4096
	DefaultReadHeaderTimeout  = 5 * time.Second
	DefaultReadTimeout        = 15 * time.Second
	DefaultWriteTimeout       = 30 * time.Second
	DefaultIdleTimeout        = 60 * time.Second
	DefaultPublishRate        = 1.0
	DefaultPublishBurst       = 20
	DefaultMaxInFlight        = 512
	DefaultMaxInFlightPublish = 256
	DefaultPublishQueueWait   = time.Second
	DefaultShedLag            = 5 * time.Millisecond
	// maxClients bounds the rate limiter's table of client addresses.
	maxClients = 1 << 18
)

func (l *Limits) defaults() {
	set := func(p *time.Duration, d time.Duration) {
		if *p <= 0 {
			*p = d
		}
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxConns <= 0 {
		l.MaxConns = DefaultMaxConns
	}
	set(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&l.ReadTimeout, DefaultReadTimeout)
	set(&l.WriteTimeout, DefaultWriteTimeout)
	set(&l.IdleTimeout, DefaultIdleTimeout)
	set(&l.PublishQueueWait, DefaultPublishQueueWait)
	if l.ShedLag == 0 {
		l.ShedLag = DefaultShedLag
	}
	if l.PublishRate == 0 {
		l.PublishRate = DefaultPublishRate
	}
	if l.PublishBurst <= 0 {
		l.PublishBurst = DefaultPublishBurst
	}
	if l.RateExempt == nil {
		l.RateExempt = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = DefaultMaxInFlight
	}
	if l.MaxInFlightPublish <= 0 {
		l.MaxInFlightPublish = DefaultMaxInFlightPublish
	}
}

// overloadBody is the answer to a connection over the cap: written raw,
// before anything is read, so that refusing costs next to nothing.
var overloadBody = func() []byte {
	body := `{"error":"too many connections; retry later","code":"` + CodeUnavailable + `"}` + "\n"
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}()

// capListener caps open connections: past max, it answers 503 itself and
// closes, so a flood of connections costs a bounded amount of memory. At
// most maxRefusing refusals are written at once; past that a connection is
// closed unanswered.
type capListener struct {
	net.Listener
	max      int64
	open     atomic.Int64
	refusing atomic.Int64
	refuse   func()
}

const maxRefusing = 256

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			l.refuse()
			if l.refusing.Add(1) > maxRefusing {
				l.refusing.Add(-1)
				c.Close()
				continue
			}
			go func() {
				defer l.refusing.Add(-1)
				refuseConn(c)
			}()
			continue
		}
		return &cappedConn{Conn: c, l: l}, nil
	}
}

// refuseConn writes the 503, half-closes and drains briefly so that the
// client reads the answer rather than a reset.
func refuseConn(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(overloadBody); err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	var buf [512]byte
	for {
		if _, err := c.Read(buf[:]); err != nil {
			return
		}
	}
}

type cappedConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *cappedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// clientLimiter is a token bucket per client address, in a table bounded
// by maxClients (when full, buckets idle for a minute are dropped, then,
// if still full, the whole table: a flood of addresses cannot grow it).
type clientLimiter struct {
	rate   rate.Limit
	burst  int
	exempt []netip.Prefix
	now    func() time.Time

	mu      sync.Mutex
	clients map[netip.Addr]*clientBucket
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newClientLimiter(l Limits, now func() time.Time) *clientLimiter {
	if l.PublishRate < 0 {
		return nil
	}
	return &clientLimiter{rate: rate.Limit(l.PublishRate), burst: l.PublishBurst, exempt: l.RateExempt, now: now,
		clients: map[netip.Addr]*clientBucket{}}
}

// clientAddr is the request's peer address.
func clientAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// allow reports whether the client may publish now, or how long it should
// wait.
func (c *clientLimiter) allow(r *http.Request) (bool, time.Duration) {
	if c == nil {
		return true, 0
	}
	addr, ok := clientAddr(r)
	if !ok {
		return true, 0
	}
	for _, p := range c.exempt {
		if p.Contains(addr) {
			return true, 0
		}
	}
	now := c.now()
	c.mu.Lock()
	b := c.clients[addr]
	if b == nil {
		if len(c.clients) >= maxClients {
			for a, cb := range c.clients {
				if now.Sub(cb.seen) > time.Minute {
					delete(c.clients, a)
				}
			}
			if len(c.clients) >= maxClients {
				clear(c.clients)
			}
		}
		b = &clientBucket{lim: rate.NewLimiter(c.rate, c.burst)}
		c.clients[addr] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	c.mu.Unlock()
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// retryAfter formats a wait as whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}

// admission sheds load: at most max requests of a class in flight. Low
// priority requests over the cap are refused at once; publishes wait up
// to wait for a slot. Besides, while the machine is saturated (see
// monitor), a growing share of low-priority requests is refused before it
// costs more than its parsing, so that publishes keep the CPU they need.
type admission struct {
	low, high chan struct{}
	wait      time.Duration
	lag       time.Duration // see Limits.ShedLag
	// shedLow is the share of low-priority requests refused, in 1/65536.
	shedLow atomic.Uint32
	ticket  atomic.Uint32
	// arrivals counts requests since the monitor's last window; frequent
	// is set while a window saw at least busyArrivals of them.
	arrivals atomic.Uint32
	frequent atomic.Bool
}

// busyArrivals is the number of requests in one monitor window (100 ms)
// from which the server counts as busy: 2,000 a second, one every 0.5 ms,
// each waking the network poller and with it the timers (see spinWindow).
const busyArrivals = 200

// busy reports whether requests arrived at least busyArrivals per monitor
// window in the last window.
func (a *admission) busy() bool { return a.frequent.Load() }

// Overload detection: a goroutine that should wake every tick measures how
// late it wakes. On a saturated machine runnable goroutines wait for a CPU
// and the lateness grows. As in CoDel, only a lateness that lasts counts:
// when the least lateness over an interval exceeds the target, the share
// of low-priority requests refused rises by shedStep; otherwise it falls
// by shedStep/2.
//
// The timer alone misses the commonest overload: a goroutine woken by its
// timer runs next on its CPU, ahead of the queue, so the monitor saw
// lateness under 0.2 ms while thousands of connections' goroutines waited
// 30-120 ms (p99) for a CPU and requests took 330 ms at 20,000 a second on
// 2 cores, none shed. So the runtime's own histogram of how long runnable
// goroutines waited (/sched/latencies:seconds, sampled) is read every
// interval too: when its 90th percentile over the interval exceeds the
// target while requests arrive at busyArrivals a window or more, that
// counts as lateness that lasts. (Its median stays in
// microseconds under any load, for the same run-next reason.)
const (
	monitorTick     = 5 * time.Millisecond
	monitorInterval = 100 * time.Millisecond
	shedStep        = 65536 / 10
	shedMax         = 65536 * 19 / 20
)

// monitor adjusts shedLow until ctx is done.
func (a *admission) monitor(ctx context.Context) {
	var sched schedLatency
	sched.late(0) // the baseline: what came before the monitor is not counted
	t := time.NewTimer(monitorTick)
	defer t.Stop()
	due := time.Now().Add(monitorTick)
	windowEnd := due.Add(monitorInterval)
	least := time.Duration(1<<63 - 1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		least = min(least, now.Sub(due))
		if now.After(windowEnd) {
			frequent := a.arrivals.Swap(0) >= busyArrivals
			a.frequent.Store(frequent)
			// Goroutines queue for the CPUs for other reasons too (a
			// process beside the server, a test's own goroutines): the
			// queue is the requests' only while they arrive at 2,000/s
			// or more.
			queued := sched.late(a.lag) && frequent
			cur := a.shedLow.Load()
			switch {
			case a.lag < 0:
				// Shedding by lateness is off.
			case least > a.lag || queued:
				a.shedLow.Store(min(cur+shedStep, shedMax))
			case cur > shedStep/2:
				a.shedLow.Store(cur - shedStep/2)
			default:
				a.shedLow.Store(0)
			}
			least, windowEnd = 1<<63-1, now.Add(monitorInterval)
		}
		due = now.Add(monitorTick)
		t.Reset(monitorTick)
	}
}

// schedLatency reads the runtime's histogram of scheduling latencies and
// judges each interval's share since the previous read.
type schedLatency struct {
	sample [1]runtimemetrics.Sample
	prev   []uint64
}

// minSchedSamples is the fewest sampled scheduling events an interval
// needs to be judged: an idle server's few wake-ups say nothing.
const minSchedSamples = 100

// late reports whether, since the last call, more than a tenth of the
// sampled goroutines waited longer than lag for a CPU.
func (s *schedLatency) late(lag time.Duration) bool {
	s.sample[0].Name = "/sched/latencies:seconds"
	runtimemetrics.Read(s.sample[:])
	if s.sample[0].Value.Kind() != runtimemetrics.KindFloat64Histogram {
		return false // not provided by this runtime
	}
	h := s.sample[0].Value.Float64Histogram()
	q, n := quantileSince(h.Buckets, s.prev, h.Counts, 0.9)
	s.prev = append(s.prev[:0], h.Counts...)
	return n >= minSchedSamples && q > lag.Seconds()
}

// quantileSince is the q-quantile of the events a cumulative histogram
// gained between prev and cur (nil prev: all of cur), as the upper bound
// of the bucket it falls in, and the number of those events.
// buckets[i], buckets[i+1] bound counts[i].
func quantileSince(buckets []float64, prev, cur []uint64, q float64) (float64, uint64) {
	var n uint64
	for i, c := range cur {
		if i < len(prev) {
			c -= prev[i]
		}
		n += c
	}
	if n == 0 {
		return 0, 0
	}
	var seen uint64
	for i, c := range cur {
		if i < len(prev) {
			c -= prev[i]
		}
		seen += c
		if float64(seen) >= q*float64(n) {
			return buckets[i+1], n
		}
	}
	return buckets[len(buckets)-1], n
}

func newAdmission(l Limits) *admission {
	return &admission{low: make(chan struct{}, l.MaxInFlight), high: make(chan struct{}, l.MaxInFlightPublish), wait: l.PublishQueueWait, lag: l.ShedLag}
}

// acquire takes a slot, or reports that the request is shed.
func (a *admission) acquire(ctx context.Context, publish bool) (release func(), ok bool) {
	a.arrivals.Add(1)
	sem := a.low
	if publish {
		sem = a.high
	} else if p := a.shedLow.Load(); p > 0 {
		// A deterministic spread (golden-ratio steps), not a random draw.
		if a.ticket.Add(40503)&0xffff < p {
			return nil, false
		}
	}
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, true
	default:
	}
	if !publish {
		return nil, false
	}
	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// guard wraps the public handler with load shedding and the per-client
// publish rate limit.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		publish := r.Method == http.MethodPost && (r.URL.Path == "/v1/publish" || r.URL.Path == "/v1/bluezone/f0")
		if publish {
			if ok, wait := s.rate.allow(r); !ok {
				s.m.refused.WithLabelValues("rate_limited").Inc()
				w.Header().Set("Retry-After", retryAfter(wait))
				s.refuse(w, r, http.StatusTooManyRequests, "too many uploads from this address; retry later")
				return
			}
		}
		release, ok := s.admit.acquire(r.Context(), publish)
		if !ok {
			s.m.refused.WithLabelValues("shed").Inc()
			w.Header().Set("Retry-After", "1")
			s.refuse(w, r, http.StatusServiceUnavailable, "the server is overloaded; retry later")
			return
		}
		var once sync.Once
		free := func() { once.Do(release) }
		defer free()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), slotKey{}, free)))
	})
}

// slotKey carries, in a request's context, the function that frees its
// in-flight slot early: chaff frees it before its artificial wait, which
// must not crowd real uploads out of their slots.
type slotKey struct{}

// freeSlot frees the request's in-flight slot, if it holds one.
func freeSlot(r *http.Request) {
	if f, ok := r.Context().Value(slotKey{}).(func()); ok {
		f()
	}
}

// refuse answers a shed or rate-limited request. A publish gets the
// publish answer's shape and padding, so the refusal of chaff and of a
// real upload look the same.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if r.URL.Path == "/v1/publish" {
		s.writePublish(w, status, PublishResponse{Error: msg, Code: CodeUnavailable}, nil)
		return
	}
	writeError(w, status, CodeUnavailable, msg)
}

// httpServer is the http.Server for the public listener.
func (s *Server) httpServer(h http.Handler) *http.Server {
	l := s.cfg.Limits
	return &http.Server{
		Handler:           h,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// Listen wraps ln with the connection cap of the server's limits.
func (s *Server) Listen(ln net.Listener) net.Listener {
	return &capListener{Listener: ln, max: int64(s.cfg.Limits.MaxConns), refuse: func() { s.m.refused.WithLabelValues("connections").Inc() }}
}

func (l Limits) String() string {
	return fmt.Sprintf("header %d B, %d connections, timeouts %v/%v/%v/%v, publish %.3g/s burst %d, in flight %d (+%d publishes)",
		l.MaxHeaderBytes, l.MaxConns, l.ReadHeaderTimeout, l.ReadTimeout, l.WriteTimeout, l.IdleTimeout, l.PublishRate, l.PublishBurst, l.MaxInFlight, l.MaxInFlightPublish)
}
