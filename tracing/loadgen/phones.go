package loadgen

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
)

// PhoneStat is one phone's totals over a run.
type PhoneStat struct {
	// MatchSeconds is the time spent in the GAEN matcher (deriving each
	// key's 144 RPIs and looking them up in the phone's sightings).
	MatchSeconds float64 `json:"match_s"`
	// Keys is the number of published keys matched against.
	Keys int64 `json:"keys"`
	// Bytes is the number of bytes downloaded (index and export files).
	Bytes int64 `json:"bytes"`
	Files int64 `json:"files"`
	Syncs int64 `json:"syncs"`
}

// Quantiles are the median and 99th percentile over phones.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// PhoneReport is the simulated phones' part of a report.
//
// Per-day figures scale each phone's measured cost per key to KeysPerDay,
// the keys published a day (the scenario's national volume, or this run's
// publish rate times a day): match_ms_per_phone_day = match time / keys ×
// KeysPerDay, bytes_per_phone_day = bytes / keys × KeysPerDay.
type PhoneReport struct {
	Phones        int       `json:"phones"`
	KeysPerDay    float64   `json:"keys_per_day"`
	MatchMSPerDay Quantiles `json:"match_ms_per_phone_day"`
	BytesPerDay   Quantiles `json:"bytes_per_phone_day"`
	MatchUSPerKey Quantiles `json:"match_us_per_key"`
	// EncountersPublished counts (phone, device) encounters whose device's
	// upload the server acknowledged; EncountersMatched those the phone
	// found in the exports; FalseMatches matches of devices it never met.
	EncountersPublished int64       `json:"encounters_published"`
	EncountersMatched   int64       `json:"encounters_matched"`
	FalseMatches        int64       `json:"false_matches"`
	Errors              int64       `json:"errors"`
	FirstError          string      `json:"first_error,omitempty"`
	PerPhone            []PhoneStat `json:"per_phone"`
}

func (p *PhoneReport) merge(o *PhoneReport) {
	p.Phones += o.Phones
	p.KeysPerDay = max(p.KeysPerDay, o.KeysPerDay)
	p.EncountersPublished += o.EncountersPublished
	p.EncountersMatched += o.EncountersMatched
	p.FalseMatches += o.FalseMatches
	p.Errors += o.Errors
	if p.FirstError == "" {
		p.FirstError = o.FirstError
	}
	p.PerPhone = append(p.PerPhone, o.PerPhone...)
}

func quantiles(v []float64) Quantiles {
	if len(v) == 0 {
		return Quantiles{}
	}
	slices.Sort(v)
	at := func(q float64) float64 { return v[min(len(v)-1, int(q*float64(len(v))))] }
	return Quantiles{P50: at(0.5), P99: at(0.99)}
}

func (p *PhoneReport) finish() {
	var match, bytes, perKey []float64
	for _, s := range p.PerPhone {
		if s.Keys == 0 {
			continue
		}
		match = append(match, s.MatchSeconds*1000/float64(s.Keys)*p.KeysPerDay)
		bytes = append(bytes, float64(s.Bytes)/float64(s.Keys)*p.KeysPerDay)
		perKey = append(perKey, s.MatchSeconds*1e6/float64(s.Keys))
	}
	p.MatchMSPerDay, p.BytesPerDay, p.MatchUSPerKey = quantiles(match), quantiles(bytes), quantiles(perKey)
}

func (p *PhoneReport) writeText(line func(string, ...any)) {
	line("Phones\t[phones, keys/day basis]\t%d, %.0f", p.Phones, p.KeysPerDay)
	line("  matching/day\t[p50, p99]\t%s, %s", fmtMS(p.MatchMSPerDay.P50), fmtMS(p.MatchMSPerDay.P99))
	line("  download/day\t[p50, p99]\t%.0f B, %.0f B", p.BytesPerDay.P50, p.BytesPerDay.P99)
	line("  match/key\t[p50, p99]\t%.2fµs, %.2fµs", p.MatchUSPerKey.P50, p.MatchUSPerKey.P99)
	line("  encounters\t[published, matched, false]\t%d, %d, %d", p.EncountersPublished, p.EncountersMatched, p.FalseMatches)
	if p.Errors > 0 {
		line("  errors\t%d (first: %s)", p.Errors, p.FirstError)
	}
}

// phone is one simulated phone.
type phone struct {
	id         int
	matcher    *gaen.Matcher
	encounters []int // publish numbers of the devices it met
	seen       map[string]bool
	etag       string
	maxEnd     uint64 // latest export end timestamp downloaded
	matched    map[int]bool
	false_     int64
	stat       PhoneStat
}

// phones is the set of simulated phones of a run.
type phones struct {
	g      *gen
	list   []*phone
	client *http.Client

	mu       sync.Mutex
	errors   int64
	firstErr string
}

// newPhones builds each phone's sighting store: background sightings of
// random RPIs over the last 14 days, and 10 one-minute sightings of each
// device it met yesterday. Phone p meets the devices of publishes p,
// p+N, p+2N, ... (N phones), so every early publish is met by one phone.
func newPhones(g *gen) (*phones, error) {
	cfg := g.cfg.Phones
	ps := &phones{g: g, client: &http.Client{Timeout: g.cfg.Timeout}}
	now := time.Now()
	meet := now.Add(-24 * time.Hour).Truncate(time.Hour)
	for p := range cfg.N {
		var seed [32]byte
		binary.LittleEndian.PutUint64(seed[0:], g.cfg.Seed)
		binary.LittleEndian.PutUint64(seed[8:], uint64(g.cfg.Shard.I))
		binary.LittleEndian.PutUint64(seed[16:], uint64(p))
		copy(seed[24:], "phone")
		src := rand.New(rand.NewChaCha8(seed))
		store := make([]tracing.Sighting, 0, cfg.Sightings+10*cfg.Encounters)
		for range cfg.Sightings {
			var s tracing.Sighting
			binary.LittleEndian.PutUint64(s.ID[0:], src.Uint64())
			binary.LittleEndian.PutUint64(s.ID[8:], src.Uint64())
			s.Time = now.Add(-time.Duration(src.Int64N(int64(14 * 24 * time.Hour)))).UnixMilli()
			s.RSSI = int8(-50 - src.IntN(50))
			store = append(store, s)
		}
		ph := &phone{id: p, seen: map[string]bool{}, matched: map[int]bool{}}
		for j := range cfg.Encounters {
			n := p + j*cfg.N
			d, err := g.device(n)
			if err != nil {
				return nil, err
			}
			at := meet.Add(time.Duration(p%60) * time.Minute)
			for m := range 10 {
				t := at.Add(time.Duration(m) * time.Minute)
				id, err := d.IDAt(t)
				if err != nil {
					return nil, err
				}
				store = append(store, tracing.Sighting{ID: id, Time: t.UnixMilli(), RSSI: -65})
			}
			ph.encounters = append(ph.encounters, n)
		}
		ph.matcher = gaen.NewMatcher(store)
		ps.list = append(ps.list, ph)
	}
	return ps, nil
}

func (ps *phones) fail(err error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.errors++
	if ps.firstErr == "" {
		ps.firstErr = err.Error()
	}
}

// loop polls on every phone's schedule (staggered) until ctx is done.
func (ps *phones) loop(ctx context.Context) {
	var wg sync.WaitGroup
	every := ps.g.cfg.Phones.PollInterval
	for i, ph := range ps.list {
		wg.Go(func() {
			offset := every * time.Duration(i) / time.Duration(len(ps.list))
			t := time.NewTimer(offset)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				ps.sync(ctx, ph)
				t.Reset(every)
			}
		})
	}
	wg.Wait()
}

// settle keeps the phones polling after the attack until an export covers
// the last acknowledged publish, or Settle passes; then every phone syncs
// once more.
func (ps *phones) settle(ctx context.Context) {
	g := ps.g
	g.ackMu.Lock()
	var lastAck time.Time
	for _, t := range g.acked {
		if t.After(lastAck) {
			lastAck = t
		}
	}
	g.ackMu.Unlock()
	deadline := time.Now().Add(g.cfg.Phones.Settle)
	for !lastAck.IsZero() && time.Now().Before(deadline) && ctx.Err() == nil {
		names, _, err := ps.index(ctx, "")
		if err == nil {
			var end uint64
			for _, n := range names {
				if _, _, e, _, err := gaen.ParseExportObjectName(n); err == nil {
					end = max(end, e)
				}
			}
			// A file's end is its cutoff rounded up to the second: one
			// ending two seconds past the last acknowledgement covers it.
			if int64(end) > lastAck.Unix()+1 {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for _, ph := range ps.list {
		wg.Go(func() { ps.sync(ctx, ph) })
	}
	wg.Wait()
}

// index fetches index.txt, revalidating with etag; names is nil on 304.
func (ps *phones) index(ctx context.Context, etag string) (names []string, newTag string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ps.g.base+"/"+gaen.ExportIndexName(keyserver.ExportRoot), nil)
	if err != nil {
		return nil, "", err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := ps.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil, etag, nil
	case http.StatusOK:
		names, err := gaen.ReadExportIndex(bytes.NewReader(data))
		if names == nil {
			names = []string{}
		}
		return names, resp.Header.Get("ETag"), err
	}
	return nil, "", fmt.Errorf("index: HTTP %d", resp.StatusCode)
}

// sync is one poll: fetch the index, download and verify new files, match.
func (ps *phones) sync(ctx context.Context, ph *phone) {
	ph.stat.Syncs++
	names, tag, err := ps.index(ctx, ph.etag)
	if err != nil {
		if ctx.Err() == nil {
			ps.fail(err)
		}
		return
	}
	ph.etag = tag
	for _, name := range names {
		if ph.seen[name] {
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ps.g.base+"/"+name, nil)
		if err != nil {
			ps.fail(err)
			return
		}
		resp, err := ps.client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				ps.fail(err)
			}
			return
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			ps.fail(fmt.Errorf("%s: HTTP %d %v", name, resp.StatusCode, err))
			return
		}
		ph.stat.Bytes += int64(len(data))
		ph.stat.Files++
		b, err := gaen.ReadExportZip(bytes.NewReader(data), int64(len(data)), ps.g.cfg.Phones.ExportKey)
		if err != nil {
			ps.fail(fmt.Errorf("%s: %w", name, err))
			ph.seen[name] = true
			continue
		}
		keys, err := gaen.ExportKeysToPublished(b.Keys)
		if err != nil {
			ps.fail(err)
			continue
		}
		t0 := time.Now()
		matches, err := ph.matcher.Match(nil, keys)
		ph.stat.MatchSeconds += time.Since(t0).Seconds()
		ph.stat.Keys += int64(len(keys))
		ph.seen[name] = true
		if err != nil {
			ps.fail(err)
			continue
		}
		ps.attribute(ph, keys, matches)
	}
}

// attribute credits matches to the devices that uploaded the keys.
func (ps *phones) attribute(ph *phone, keys []PublishedKey, matches []tracing.Match) {
	g := ps.g
	g.ackMu.Lock()
	defer g.ackMu.Unlock()
	for _, m := range matches {
		var k [16]byte
		copy(k[:], keys[m.Key].Key)
		n, ok := g.keyOwner[k]
		if ok && slices.Contains(ph.encounters, n) {
			ph.matched[n] = true
		} else {
			ph.false_++
		}
	}
}

func (ps *phones) report() *PhoneReport {
	g := ps.g
	r := &PhoneReport{Phones: len(ps.list), Errors: ps.errors, FirstError: ps.firstErr, KeysPerDay: g.cfg.KeysPerDay}
	if r.KeysPerDay == 0 {
		// This run's own publish rate, times a day.
		w := g.cfg.Mix.weights()
		sum := w[Publish] + w[Chaff] + w[Index] + w[Export]
		r.KeysPerDay = g.cfg.Rate * w[Publish] / sum * 14 * 86400
	}
	g.ackMu.Lock()
	for _, ph := range ps.list {
		for _, n := range ph.encounters {
			if _, ok := g.acked[n]; ok {
				r.EncountersPublished++
				if ph.matched[n] {
					r.EncountersMatched++
				}
			}
		}
		r.FalseMatches += ph.false_
		r.PerPhone = append(r.PerPhone, ph.stat)
	}
	g.ackMu.Unlock()
	r.finish()
	return r
}
