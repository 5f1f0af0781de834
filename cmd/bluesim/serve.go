package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
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
  GET  /healthz, GET /metrics      health and Prometheus metrics

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
	f.String("data", "bluesim-data", "data directory: the SQLite database and the --dev keys")
	f.String("db", "", "PostgreSQL URL (postgres://user@host/db) instead of SQLite")
	f.Bool("dev", false, "generate (or reuse) development keys in --data when no key flags are given")
	f.String("verification-key", "", "PEM file: the health authority's public key for verification tokens")
	f.String("signing-key", "", "PEM file: the ECDSA P-256 private key that signs exports")
	f.String("health-authority", keyserver.DefaultHealthAuthority, "healthAuthorityID uploads must name")
	f.String("issuer", keyserver.DefaultIssuer, "iss claim verification tokens must carry")
	f.String("audience", keyserver.DefaultAudience, "aud claim verification tokens must carry")
	f.String("region", keyserver.DefaultRegion, "region written into export files (Vietnam's MCC by default)")
	f.String("export-period", keyserver.DefaultExportPeriod.String(), "how often to export new keys (Go duration)")
	f.Int("export-max-records", gaen.ExportMaxRecords, "most keys per export file")
	f.String("retention", keyserver.DefaultRetention.String(), "how long keys and exports are kept")
	return cmd
}

func parsePositiveDuration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usagef("--%s %q: want a positive Go duration such as 5m or 336h", name, v)
	}
	return d, nil
}

func (a *app) serve(cmd *cobra.Command) error {
	exportPeriod, err := parsePositiveDuration("export-period", a.str("export-period"))
	if err != nil {
		return err
	}
	retention, err := parsePositiveDuration("retention", a.str("retention"))
	if err != nil {
		return err
	}
	maxRec := a.integer("export-max-records")
	if maxRec < 1 || maxRec > gaen.ExportMaxRecords {
		return usagef("--export-max-records %d: want 1..%d", maxRec, gaen.ExportMaxRecords)
	}
	dbURL := a.str("db")
	if dbURL != "" && !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return usagef("--db %q: want a postgres:// URL", dbURL)
	}
	dir := a.str("data")
	verPath, sigPath := a.str("verification-key"), a.str("signing-key")
	cfg := keyserver.Config{
		HealthAuthorityID: a.str("health-authority"), Issuer: a.str("issuer"), Audience: a.str("audience"),
		Region: a.str("region"), ExportPeriod: exportPeriod, ExportMaxRecords: maxRec, Retention: retention,
		Logger: slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
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
	fmt.Fprintf(a.stdout, "bluesim serve: listening on http://%s (store %s, exports every %v)\n", ln.Addr(), where, exportPeriod)
	if err := srv.Serve(ctx, ln); err != nil {
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
