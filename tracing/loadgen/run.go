package loadgen

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
)

// newestExports is how many of the newest export files downloads pick
// from: a day of hourly files, what phones polling hourly fetch.
const newestExports = 24

// gen is one run's state.
type gen struct {
	cfg    Config
	base   string
	client *http.Client
	runID  string
	// nonce makes this run's devices differ from every earlier run's, so
	// that a rerun against the same server publishes new keys rather than
	// duplicates (which the server stores once) and old exports cannot
	// match this run's phones. Request kinds and timing stay fixed by Seed.
	nonce uint64
	// epoch is when the run began: devices are created relative to it,
	// so that a phone's sightings and the device's later upload agree
	// even if the run crosses a UTC midnight.
	epoch time.Time

	exports atomic.Pointer[[]string] // newest export names

	mu     sync.Mutex
	lag    *hdr.Histogram // send lag, µs
	kinds  [numKinds]*KindReport
	status map[string]int64
	errs   map[string]int64
	last   time.Time // last response

	chaff [][]byte

	ackMu    sync.Mutex
	acked    map[int]time.Time // publish number -> when acknowledged
	keyOwner map[[16]byte]int  // key -> publish number
}

// Run sends the configured traffic at cfg.Target and returns the report.
// Cancelling ctx stops scheduling; the report covers what was sent.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Each request in flight holds a connection: raise the open-files
	// limit as far as allowed, and keep the in-flight bound (and so the
	// connections) under it, so the generator never runs out of file
	// descriptors ("too many open files") and says so instead.
	files := raiseFileLimit(uint64(cfg.MaxInFlight) + fileReserve)
	if files > 0 && uint64(cfg.MaxInFlight)+fileReserve > files {
		cfg.MaxInFlight = max(1, int(files)-fileReserve)
	}
	g := &gen{
		cfg:  cfg,
		base: strings.TrimSuffix(cfg.Target, "/"),
		client: &http.Client{
			Timeout: cfg.Timeout,
			Transport: &http.Transport{
				MaxIdleConns: cfg.MaxInFlight, MaxIdleConnsPerHost: cfg.MaxInFlight, MaxConnsPerHost: cfg.MaxInFlight,
				IdleConnTimeout: 90 * time.Second, DisableCompression: true,
			},
		},
		lag:    newHist(),
		status: map[string]int64{}, errs: map[string]int64{},
		acked: map[int]time.Time{}, keyOwner: map[[16]byte]int{},
		// Tokens must be unique across runs against the same server.
		runID: strconv.FormatInt(time.Now().UnixNano(), 36),
		epoch: time.Now(),
		nonce: uint64(time.Now().UnixNano()),
	}
	defer g.client.CloseIdleConnections()
	for k := range g.kinds {
		g.kinds[k] = &KindReport{hist: newHist(), okHist: newHist()}
	}
	plan := cfg.Mix.Plan(cfg.Rate)
	setup, err := g.setup(ctx, plan[Export].Rate > 0)
	if err != nil {
		return nil, err
	}
	if err := g.buildChaff(); err != nil {
		return nil, err
	}
	var ph *phones
	if cfg.Phones.N > 0 {
		var err error
		if ph, err = newPhones(g); err != nil {
			return nil, err
		}
	}

	// This shard sends 1/N of every kind's rate; the kinds interleave
	// in their proportions (scheduler).
	rate := planTotal(plan) / float64(cfg.Shard.N)
	sched := newScheduler(plan)
	// Each shard draws its own stream of export choices, so shards never
	// repeat each other.
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(cfg.Shard.I)<<32|0x6c67))

	phCtx, stopPhones := context.WithCancel(ctx)
	var phWG sync.WaitGroup
	if ph != nil {
		phWG.Go(func() { ph.loop(phCtx) })
	}

	sem := make(chan struct{}, cfg.MaxInFlight)
	var waits int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(cfg.Duration)
	timer := time.NewTimer(0)
	<-timer.C
	publishes := 0
	var lastAt time.Time
	for i := 0; ; i++ {
		at := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if !at.Before(end) {
			break
		}
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		kind := sched.next()
		n, choice := 0, rng.IntN(newestExports)
		if kind == Publish {
			n = publishes
			publishes++
		}
		select {
		case sem <- struct{}{}:
		default:
			waits++
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		lastAt = at
		wg.Go(func() {
			defer func() { <-sem }()
			g.recordLag(at)
			// Requests already sent finish (within Timeout) even when ctx
			// is cancelled, so that a stopped run reports them.
			g.do(context.WithoutCancel(ctx), kind, n, choice, at)
		})
	}
	wg.Wait()
	stopPhones()
	phWG.Wait()

	r := &Report{
		Target: cfg.Target, Scenario: cfg.Scenario, Shards: []string{cfg.Shard.String()}, Start: start,
		RequestedRate: rate, Kinds: map[string]*KindReport{}, Status: g.status, errs: g.errs,
		Generator: &GeneratorReport{MaxInFlight: cfg.MaxInFlight, InFlightWaits: waits, FileLimit: files, lagHist: g.lag},
		Mix:       map[string]*KindRate{}, Setup: setup,
	}
	for k, p := range plan {
		if p.Share == 0 {
			continue
		}
		// This shard's part of the plan: merged reports add up to it.
		n := float64(cfg.Shard.N)
		r.Mix[Kind(k).String()] = &KindRate{Share: p.Share, Scaled: p.Scaled / n, Rate: p.Rate / n, Floored: p.Floored}
	}
	if !lastAt.IsZero() {
		r.Duration = lastAt.Sub(start).Seconds()
		if g.last.After(lastAt) {
			r.Wait = g.last.Sub(lastAt).Seconds()
		}
	}
	for k, kr := range g.kinds {
		r.Kinds[Kind(k).String()] = kr
	}
	if ph != nil {
		// Phones keep polling after the attack (not cancelled by its end,
		// only by ctx) to pick up the last exports.
		ph.settle(ctx)
		r.Phones = ph.report()
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return r, nil
}

// fileReserve is the open files kept for everything but connections.
const fileReserve = 256

// recordLag records how late a request is handed to the HTTP client.
func (g *gen) recordLag(at time.Time) {
	lag := time.Since(at).Microseconds()
	g.mu.Lock()
	g.lag.RecordValue(min(max(lag, histMin), histMax))
	g.mu.Unlock()
}

// Shed reports whether an answer is the server refusing for load or rate:
// 503 Service Unavailable or 429 Too Many Requests.
func Shed(code int) bool {
	return code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests
}

// result records one request.
func (g *gen) result(kind Kind, at time.Time, code int, in, out int64, errText string) {
	now := time.Now()
	lat := min(max(now.Sub(at).Microseconds(), histMin), histMax)
	g.mu.Lock()
	defer g.mu.Unlock()
	k := g.kinds[kind]
	k.Requests++
	k.BytesIn += in
	k.BytesOut += out
	k.hist.RecordValue(lat)
	g.status[strconv.Itoa(code)]++
	switch {
	case code >= 200 && code < 400 && errText == "":
		k.Successes++
		k.okHist.RecordValue(lat)
	case Shed(code):
		k.Shed++
	default:
		if errText == "" {
			errText = fmt.Sprintf("%s: HTTP %d", kind, code)
		}
		if _, ok := g.errs[errText]; ok || len(g.errs) < 4*maxErrors {
			g.errs[errText]++
		}
	}
	if now.After(g.last) {
		g.last = now
	}
}

// do sends one request scheduled at at.
func (g *gen) do(ctx context.Context, kind Kind, n, choice int, at time.Time) {
	var req *http.Request
	var body []byte
	var err error
	var keys [][16]byte
	switch kind {
	case Publish:
		body, keys, err = g.publishBody(n)
		if err == nil {
			req, err = http.NewRequestWithContext(ctx, http.MethodPost, g.base+"/v1/publish", bytes.NewReader(body))
		}
	case Chaff:
		body = g.chaff[choice%len(g.chaff)]
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, g.base+"/v1/publish", bytes.NewReader(body))
		if err == nil {
			req.Header.Set(keyserver.ChaffHeader, "1")
		}
	case Export:
		names := g.exports.Load()
		if names == nil || len(*names) == 0 {
			// The set-up saw an export; the server has since listed none.
			g.result(kind, at, 0, 0, 0, "export: the server's index lists no export file to download")
			return
		}
		list := *names
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/"+list[len(list)-1-choice%len(list)], nil)
	case Index:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/"+gaen.ExportIndexName(keyserver.ExportRoot), nil)
	}
	if err != nil {
		g.result(kind, at, 0, 0, 0, fmt.Sprintf("%s: building request: %v", kind, err))
		return
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := g.client.Do(req)
	if err != nil {
		g.result(kind, at, 0, 0, int64(len(body)), fmt.Sprintf("%s: %v", kind, trimURL(err)))
		return
	}
	// Export files are only counted, not kept: io.Discard reads them
	// through a pooled buffer.
	var data []byte
	var nIn int64
	if kind == Export && resp.StatusCode == http.StatusOK {
		nIn, err = io.Copy(io.Discard, resp.Body)
	} else {
		data, err = io.ReadAll(resp.Body)
		nIn = int64(len(data))
	}
	resp.Body.Close()
	if err != nil {
		g.result(kind, at, resp.StatusCode, nIn, int64(len(body)), fmt.Sprintf("%s: reading body: %v", kind, err))
		return
	}
	errText := ""
	if resp.StatusCode >= 400 {
		var e struct {
			Code string `json:"code"`
		}
		if json.Unmarshal(data, &e) == nil && e.Code != "" {
			errText = fmt.Sprintf("%s: HTTP %d %s", kind, resp.StatusCode, e.Code)
		}
	}
	switch {
	case kind == Index && resp.StatusCode == http.StatusOK:
		g.setIndex(data)
	case kind == Publish && resp.StatusCode == http.StatusOK:
		g.ack(n, keys)
	}
	g.result(kind, at, resp.StatusCode, nIn, int64(len(body)), errText)
}

// trimURL drops the URL from an error, so that errors of requests to
// different files count as one distinct error.
func trimURL(err error) string {
	s := err.Error()
	if i := strings.Index(s, "\": "); i >= 0 && strings.Contains(s[:i], "http") {
		return s[i+3:]
	}
	return s
}

// SetupReport says what the set-up found before the timed phase.
type SetupReport struct {
	// Exports is how many export files the server listed (at most the
	// newest 24 are downloaded).
	Exports int `json:"exports_listed"`
	// Waited is how long the set-up waited for the server to list one.
	Waited float64 `json:"waited_s"`
	// Checked is the newest export, downloaded once to check that the
	// files downloads target exist, and CheckedBytes its size.
	Checked      string `json:"checked_export,omitempty"`
	CheckedBytes int64  `json:"checked_export_bytes,omitempty"`
}

// setup reads the server's export index before the timed phase. When the
// mix downloads exports (needExports), it waits up to cfg.SetupWait for
// the server to list one (bluesim serve exports at start-up, a padded file
// even before any upload, and every --export-period after) and downloads
// the newest once, so that every timed download targets a file that
// exists; none by then is an error naming the wait.
func (g *gen) setup(ctx context.Context, needExports bool) (*SetupReport, error) {
	start := time.Now()
	indexURL := g.base + "/" + gaen.ExportIndexName(keyserver.ExportRoot)
	var problem string
	for {
		code, data, err := g.get(ctx, indexURL)
		switch {
		case err != nil:
			problem = err.Error()
		case code != http.StatusOK:
			problem = fmt.Sprintf("HTTP %d", code)
		default:
			g.setIndex(data)
			problem = "the index lists no export file"
		}
		names := g.exports.Load()
		listed := names != nil && len(*names) > 0
		if !needExports || listed {
			break
		}
		if time.Since(start) >= g.cfg.SetupWait {
			return nil, fmt.Errorf("set-up: GET %s: %s after waiting %v; the mix downloads exports, so the server must list one "+
				"(bluesim serve exports at start-up and every --export-period; or leave export out of the mix)",
				indexURL, problem, g.cfg.SetupWait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	rep := &SetupReport{Waited: time.Since(start).Seconds()}
	if names := g.exports.Load(); names != nil {
		rep.Exports = len(*names)
	}
	if needExports {
		list := *g.exports.Load()
		rep.Checked = list[len(list)-1]
		code, data, err := g.get(ctx, g.base+"/"+rep.Checked)
		if err != nil || code != http.StatusOK {
			if err == nil {
				err = fmt.Errorf("HTTP %d", code)
			}
			return nil, fmt.Errorf("set-up: the newest export the index lists, %s, does not download: %v", rep.Checked, err)
		}
		rep.CheckedBytes = int64(len(data))
	}
	return rep, nil
}

// get fetches url outside the timed phase.
func (g *gen) get(ctx context.Context, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s", trimURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (g *gen) setIndex(data []byte) {
	names, err := gaen.ReadExportIndex(bytes.NewReader(data))
	if err != nil {
		return
	}
	if len(names) > newestExports {
		names = names[len(names)-newestExports:]
	}
	g.exports.Store(&names)
}

// device returns publish n's device: a phone first run 14 days ago whose
// key material comes from a stream keyed by (seed, shard, n).
func (g *gen) device(n int) (*gaen.Device, error) {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[0:], g.cfg.Seed)
	binary.LittleEndian.PutUint64(seed[8:], uint64(g.cfg.Shard.I))
	binary.LittleEndian.PutUint64(seed[16:], uint64(n))
	binary.LittleEndian.PutUint64(seed[24:], g.nonce)
	return gaen.NewDevice(rand.NewChaCha8(seed), g.epoch.Add(-15*24*time.Hour))
}

// deviceKeys returns the 14 keys publish n uploads at now.
func (g *gen) deviceKeys(n int, now time.Time) (*gaen.Device, []ExposureKey, error) {
	d, err := g.device(n)
	if err != nil {
		return nil, nil, err
	}
	pk, err := d.Upload(now.Add(-13*24*time.Hour), now)
	if err != nil {
		return nil, nil, err
	}
	out := make([]ExposureKey, len(pk))
	for i, k := range pk {
		copy(out[i].Key[:], k.Key)
		out[i].Published = k
	}
	return d, out, nil
}

// padding is the request padding: the reference client pads uploads with
// 1-2 KB of random base64 so that real uploads and chaff look alike.
var padding = strings.Repeat("QmxVZVNpTQ==", 128)

func (g *gen) publishBody(n int) ([]byte, [][16]byte, error) {
	now := time.Now()
	_, keys, err := g.deviceKeys(n, now)
	if err != nil {
		return nil, nil, err
	}
	pks := make([]PublishedKey, len(keys))
	raw := make([][16]byte, len(keys))
	for i, k := range keys {
		pks[i] = k.Published
		raw[i] = k.Key
	}
	req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(pks, 2), HealthAuthorityID: g.cfg.HealthAuthorityID, Padding: padding}
	secret := make([]byte, 32)
	binary.LittleEndian.PutUint64(secret, uint64(n))
	copy(secret[8:], g.runID)
	id := fmt.Sprintf("loadgen-%s-%d-%d", g.runID, g.cfg.Shard.I, n)
	if err := g.cfg.Tokens.SignUpload(&req, id, secret, now); err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(req)
	return b, raw, err
}

// buildChaff makes a few chaff bodies shaped like real uploads: 14 random
// keys and a token-sized random string.
func (g *gen) buildChaff() error {
	src := rand.NewChaCha8([32]byte{'c', 'h', 'a', 'f', 'f', byte(g.cfg.Seed), byte(g.cfg.Shard.I)})
	now := time.Now()
	for range 8 {
		var pks []PublishedKey
		day := int64(gaen.RollingStart(gaen.ENIntervalNumber(now)))
		for d := range int64(14) {
			k := make([]byte, 16)
			src.Read(k)
			pks = append(pks, PublishedKey{Key: k, Start: (day - 144*d) * 600, Slots: 144})
		}
		tok := make([]byte, 270)
		src.Read(tok)
		req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(pks, 2), HealthAuthorityID: g.cfg.HealthAuthorityID,
			VerificationPayload: fmt.Sprintf("%x", tok)[:len(tok)*4/3], HMACKey: "Y2hhZmZjaGFmZmNoYWZmY2hhZmZjaGFmZmNoYWZmY2g=", Padding: padding}
		b, err := json.Marshal(req)
		if err != nil {
			return err
		}
		g.chaff = append(g.chaff, b)
	}
	return nil
}

func (g *gen) ack(n int, keys [][16]byte) {
	g.ackMu.Lock()
	defer g.ackMu.Unlock()
	g.acked[n] = time.Now()
	for _, k := range keys {
		g.keyOwner[k] = n
	}
}
