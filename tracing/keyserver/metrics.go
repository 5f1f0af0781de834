package keyserver

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, on a registry of its own so
// that several servers can run in one process (tests).
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	keys       prometheus.Counter
	uploads    *prometheus.CounterVec
	chaff      prometheus.Counter
	groupSize  prometheus.Histogram
	exports    *prometheus.CounterVec
	exportKeys prometheus.Counter
	exportTime prometheus.Histogram
	cleaned    *prometheus.CounterVec
	refused    *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bluesim_keyserver_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "bluesim_keyserver_request_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
	}, []string{"route"})
	m.keys = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "bluesim_keyserver_published_keys_total", Help: "Temporary exposure keys stored.",
	})
	m.uploads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bluesim_keyserver_uploads_total", Help: "Publish requests by outcome.",
	}, []string{"outcome"})
	m.chaff = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "bluesim_keyserver_chaff_total", Help: "Chaff publish requests answered and discarded.",
	})
	m.groupSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "bluesim_keyserver_commit_group_uploads", Help: "Uploads committed per store transaction.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10),
	})
	m.exports = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bluesim_keyserver_export_runs_total", Help: "Export runs by outcome.",
	}, []string{"outcome"})
	m.exportKeys = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "bluesim_keyserver_exported_keys_total", Help: "Keys written to export files.",
	})
	m.exportTime = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "bluesim_keyserver_export_seconds", Help: "Duration of export runs.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	})
	m.cleaned = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bluesim_keyserver_cleaned_total", Help: "Records deleted by retention cleanup.",
	}, []string{"kind"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bluesim_keyserver_refused_total", Help: "Requests and connections refused: shed (overload), rate_limited, connections (over the cap).",
	}, []string{"reason"})
	m.reg.MustRegister(m.requests, m.latency, m.keys, m.uploads, m.chaff, m.groupSize,
		m.exports, m.exportKeys, m.exportTime, m.cleaned, m.refused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// statusWriter records the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// instrument counts and times requests to route.
func (m *metrics) instrument(route string, h http.HandlerFunc) http.HandlerFunc {
	lat := m.latency.WithLabelValues(route)
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		lat.Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
	}
}
