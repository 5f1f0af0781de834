package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/postgres"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
)

func init() { register("", newServeCommand) }

func newServeCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the reference key server (GAEN publish and exports, Bluezone F0 list)",
		Long: `serve runs bluesim's reference key server until SIGTERM or Ctrl-C, then stops
gracefully: in-flight requests finish and every acknowledged upload is stored.

Endpoints:
  POST /v1/publish                 GAEN upload (1-14 keys, ES256 verification token);
                                   header X-Chaff: 1 marks chaff, answered and discarded
  GET  /v1/exports/index.txt       the export files, one per line
  GET  /v1/exports/<s>-<e>-<n>.zip signed export (export.bin + export.sig)
  GET  /v1/bluezone/f0?since=N     Bluezone F0 list {"data":[...]}; cursor in X-Next-Since
  POST /v1/bluezone/f0             publish F0 entries (same token scheme)
  GET  /healthz                    health
  GET  /metrics                    Prometheus metrics, only on --admin-listen
  GET  /debug/pprof/               Go profiler, only on --admin-listen

Privacy (on by default, after the GAEN reference server and CWA): a key
still valid when uploaded is held back until its period ends, and every key
waits --min-window-age (2h) more before export; export files are padded with
random keys to --export-min-records (1000) plus up to --export-padding-range
(100); chaff is answered with the status, size and timing of real uploads;
keys are deleted --retention after their own period ends, and SQLite
overwrites deleted rows (secure_delete).

Limits (each a flag below): header size (431), connections per listener
(503 + Retry-After), read/write/idle timeouts, publishes per client address
(429 + Retry-After), requests in flight (503 + Retry-After; publishes are
shed last).

Keys: --verification-key is the health authority's public key that tokens
must verify with, --signing-key the private key that signs exports (PEM,
ECDSA P-256). With --dev and neither given, serve generates both key pairs
(plus the health authority's private key) into --data, reusing them on the
next start, so that "bluesim loadtest --data DIR" can sign tokens and
verify exports.

Storage: SQLite in --data (default), or PostgreSQL with --db postgres://...`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd) },
	}
	f := cmd.Flags()
	f.String("listen", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	f.String("admin-listen", "", "address of the operators' listener for /metrics, /healthz and /debug/pprof/ (default: none; never the public address)")
	f.String("data", "bluesim-data", "data directory: the SQLite database, the revision-token key and the --dev keys")
	f.String("db", "", "PostgreSQL URL (postgres://user@host/db) instead of SQLite")
	f.Bool("dev", false, "generate (or reuse) development keys in --data when no key flags are given")
	f.String("verification-key", "", "PEM file: the health authority's public key for verification tokens")
	f.String("signing-key", "", "PEM file: the ECDSA P-256 private key that signs exports")
	f.String("revision-key", "", "file with the 32-byte AES key (64 hex digits) that seals revision tokens (default: DATA/"+keyserver.RevisionKeyFile+", generated when missing)")
	f.String("health-authority", keyserver.DefaultHealthAuthority, "healthAuthorityID uploads must name")
	f.String("issuer", keyserver.DefaultIssuer, "iss claim verification tokens must carry")
	f.String("audience", keyserver.DefaultAudience, "aud claim verification tokens must carry")
	f.String("max-token-lifetime", keyserver.DefaultMaxTokenLifetime.String(), "longest a verification token may be valid (exp - iat)")
	f.String("token-leeway", keyserver.DefaultTokenLeeway.String(), "clock skew allowed on a token's expiry; replays are refused as long")
	f.Int("max-same-start-keys", keyserver.DefaultMaxSameStartKeys, "most keys of one upload with the same rollingStartNumber")
	f.String("region", keyserver.DefaultRegion, "region written into export files (Vietnam's MCC by default)")
	f.String("export-period", keyserver.DefaultExportPeriod.String(), "how often to export released keys (Go duration)")
	f.Int("export-max-records", gaen.ExportMaxRecords, "most keys per export file")
	f.Int("export-min-records", keyserver.DefaultExportMinRecords, "pad every export file with random keys to at least this many (0: no padding)")
	f.Int("export-padding-range", keyserver.DefaultExportPaddingRange, "and a random 0..this many more")
	f.String("min-window-age", keyserver.DefaultMinWindowAge.String(), "how long after its release (upload, or the end of a still-valid key's period) a key waits before export (0s: none)")
	f.Bool("release-same-day-keys", false, "export keys still valid at upload without waiting for their period to end (development only)")
	f.String("retention", keyserver.DefaultRetention.String(), "how long keys (from the end of their own period), F0 entries and exports are kept")
	f.String("cleanup-period", keyserver.DefaultCleanupPeriod.String(), "how often retention is enforced")
	f.Int("max-header-bytes", keyserver.DefaultMaxHeaderBytes, "largest request header (431 over it)")
	f.Int("max-conns", keyserver.DefaultMaxConns, "most open connections on the public listener (503 with Retry-After over it)")
	f.String("read-header-timeout", keyserver.DefaultReadHeaderTimeout.String(), "time a client has to send its request header")
	f.String("read-timeout", keyserver.DefaultReadTimeout.String(), "time a client has to send its whole request")
	f.String("write-timeout", keyserver.DefaultWriteTimeout.String(), "time a client has to read its whole answer")
	f.String("idle-timeout", keyserver.DefaultIdleTimeout.String(), "how long an idle keep-alive connection stays open")
	f.Float64("publish-rate", keyserver.DefaultPublishRate, "publishes (and chaff) per second per client address (429 with Retry-After over it; negative: no limit)")
	f.Int("publish-burst", keyserver.DefaultPublishBurst, "burst of the per-client publish rate")
	f.String("rate-exempt", "127.0.0.0/8,::1/128", "client networks exempt from the publish rate (a local proxy stands for many phones); empty: none")
	f.Int("max-in-flight", keyserver.DefaultMaxInFlight, "most requests handled at once, publishes apart (503 with Retry-After over it)")
	f.Int("max-in-flight-publish", keyserver.DefaultMaxInFlightPublish, "most publishes handled at once")
	f.String("publish-queue-wait", keyserver.DefaultPublishQueueWait.String(), "how long a publish waits for a slot before it is shed")
	f.String("shed-lag", keyserver.DefaultShedLag.String(), "scheduler lateness that lasts 100 ms (or that a tenth of runnable goroutines wait for a CPU) and means saturation: downloads and polls are then shed in growing share (0s: never)")
	return cmd
}

func parsePositiveDuration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usagef("--%s %q: want a positive Go duration such as 5m or 336h", name, v)
	}
	return d, nil
}

// durationFlags parses the named duration flags; nonNegative ones may be 0.
func (a *app) durationFlags(positive, nonNegative []string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, n := range positive {
		d, err := parsePositiveDuration(n, a.str(n))
		if err != nil {
			return nil, err
		}
		out[n] = d
	}
	for _, n := range nonNegative {
		d, err := time.ParseDuration(a.str(n))
		if err != nil || d < 0 {
			return nil, usagef("--%s %q: want a Go duration >= 0 such as 0s or 2h", n, a.str(n))
		}
		out[n] = d
	}
	return out, nil
}

// parsePrefixes parses a comma-separated list of CIDR networks.
func parsePrefixes(name, v string) ([]netip.Prefix, error) {
	out := []netip.Prefix{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, usagef("--%s: %q is not a network such as 10.0.0.0/8 or ::1/128", name, part)
		}
		out = append(out, p)
	}
	return out, nil
}

func (a *app) serve(cmd *cobra.Command) error {
	d, err := a.durationFlags(
		[]string{"export-period", "retention", "cleanup-period", "max-token-lifetime", "read-header-timeout", "read-timeout", "write-timeout", "idle-timeout", "publish-queue-wait"},
		[]string{"min-window-age", "token-leeway", "shed-lag"})
	if err != nil {
		return err
	}
	maxRec := a.integer("export-max-records")
	if maxRec < 1 || maxRec > gaen.ExportMaxRecords {
		return usagef("--export-max-records %d: want 1..%d", maxRec, gaen.ExportMaxRecords)
	}
	minRec, padRange := a.integer("export-min-records"), a.integer("export-padding-range")
	if minRec < 0 || padRange < 0 || minRec+padRange > maxRec {
		return usagef("--export-min-records %d and --export-padding-range %d: want >= 0 and a sum of at most --export-max-records %d", minRec, padRange, maxRec)
	}
	for _, n := range []string{"max-same-start-keys", "max-header-bytes", "max-conns", "publish-burst", "max-in-flight", "max-in-flight-publish"} {
		if a.integer(n) < 1 {
			return usagef("--%s %d: want >= 1", n, a.integer(n))
		}
	}
	rate := a.float("publish-rate")
	if math.IsNaN(rate) || math.IsInf(rate, 0) || rate == 0 {
		return usagef("--publish-rate %v: want publishes per second per client (> 0), or a negative number for no limit", rate)
	}
	exempt, err := parsePrefixes("rate-exempt", a.str("rate-exempt"))
	if err != nil {
		return err
	}
	dbURL := a.str("db")
	if dbURL != "" && !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return usagef("--db %q: want a postgres:// URL", dbURL)
	}
	dir := a.str("data")
	verPath, sigPath := a.str("verification-key"), a.str("signing-key")
	// Zero means "the default" in keyserver.Config; 0 given on the command
	// line means none.
	orNone := func(d time.Duration) time.Duration {
		if d == 0 {
			return -1
		}
		return d
	}
	cfg := keyserver.Config{
		HealthAuthorityID: a.str("health-authority"), Issuer: a.str("issuer"), Audience: a.str("audience"),
		MaxTokenLifetime: d["max-token-lifetime"], TokenLeeway: orNone(d["token-leeway"]), MaxSameStartKeys: a.integer("max-same-start-keys"),
		Region: a.str("region"), ExportPeriod: d["export-period"], ExportMaxRecords: maxRec,
		ExportMinRecords: minRec, ExportPaddingRange: padRange, MinWindowAge: orNone(d["min-window-age"]),
		ReleaseSameDayKeys: a.boolean("release-same-day-keys"),
		Retention:          d["retention"], CleanupPeriod: d["cleanup-period"],
		Limits: keyserver.Limits{
			MaxHeaderBytes: a.integer("max-header-bytes"), MaxConns: a.integer("max-conns"),
			ReadHeaderTimeout: d["read-header-timeout"], ReadTimeout: d["read-timeout"], WriteTimeout: d["write-timeout"], IdleTimeout: d["idle-timeout"],
			PublishRate: rate, PublishBurst: a.integer("publish-burst"), RateExempt: exempt,
			MaxInFlight: a.integer("max-in-flight"), MaxInFlightPublish: a.integer("max-in-flight-publish"), PublishQueueWait: d["publish-queue-wait"],
			ShedLag: orNone(d["shed-lag"]),
		},
		Logger: slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if minRec == 0 {
		cfg.ExportMinRecords = -1
	}
	if padRange == 0 {
		cfg.ExportPaddingRange = -1
	}
	switch {
	case verPath == "" && sigPath == "" && a.boolean("dev"):
		keys, made, err := keyserver.EnsureDevKeys(dir)
		if err != nil {
			return fmt.Errorf("--dev keys in %s: %w", dir, err)
		}
		if made {
			fmt.Fprintf(a.stderr, "bluesim serve: generated development keys in %s (%s, %s, %s, %s)\n", dir,
				keyserver.DevTokenKeyFile, keyserver.DevTokenPublicFile, keyserver.DevExportKeyFile, keyserver.DevExportPublicFile)
		}
		cfg.VerificationKey, cfg.Signer.Key = &keys.Token.PublicKey, keys.Export
	case verPath != "" && sigPath != "":
		pub, err := keyserver.LoadPublicKey(verPath)
		if err != nil {
			return usagef("--verification-key: %v", err)
		}
		priv, err := keyserver.LoadPrivateKey(sigPath)
		if err != nil {
			return usagef("--signing-key: %v", err)
		}
		cfg.VerificationKey, cfg.Signer.Key = pub, priv
	default:
		return usagef("give both --verification-key and --signing-key, or --dev to generate development keys into --data")
	}
	cfg.Signer.KeyVersion, cfg.Signer.KeyID = "v1", keyIDLabel(cfg.Region)
	if p := a.str("revision-key"); p != "" {
		if cfg.RevisionKey, err = keyserver.LoadRevisionKey(p); err != nil {
			return usagef("--revision-key: %v", err)
		}
	} else if cfg.RevisionKey, err = keyserver.EnsureRevisionKey(dir); err != nil {
		return fmt.Errorf("revision key in %s: %w", dir, err)
	}

	ctx := a.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var store keyserver.Store
	where := ""
	if dbURL != "" {
		store, err = postgres.Open(ctx, dbURL)
		where = "postgresql"
	} else {
		store, err = sqlite.Open(ctx, dir)
		where = "sqlite " + dir
	}
	if err != nil {
		return err
	}
	defer store.Close()
	cfg.Store = store
	srv, err := keyserver.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.str("listen"))
	if err != nil {
		return usagef("--listen %s: %v", a.str("listen"), err)
	}
	var admin net.Listener
	adminNote := ""
	if addr := a.str("admin-listen"); addr != "" {
		if admin, err = net.Listen("tcp", addr); err != nil {
			ln.Close()
			return usagef("--admin-listen %s: %v", addr, err)
		}
		adminNote = fmt.Sprintf(", metrics on http://%s/metrics", admin.Addr())
	}
	fmt.Fprintf(a.stdout, "bluesim serve: listening on http://%s (store %s, exports every %v%s)\n", ln.Addr(), where, d["export-period"], adminNote)
	if err := srv.Serve(ctx, ln, admin); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "bluesim serve: stopped")
	return nil
}

// keyIDLabel keeps the characters export signature labels allow.
func keyIDLabel(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
