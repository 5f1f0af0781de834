package main

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/loadgen"
)

func init() { register("", newLoadtestCommand) }

func newLoadtestCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Send open-model traffic at a key server and report latencies",
		Long: `loadtest sends a fixed arrival rate of GAEN publishes (real keys, signed
verification tokens), chaff, index polls and export downloads at --target
(default: a local "bluesim serve"). Latency is measured from each request's
scheduled send time (no coordinated omission) into HDR histograms. The report
gives rate, throughput, success ratio, latency percentiles, status codes and
distinct errors, as text or JSON; JSON reports of --shard runs merge.

Traffic comes from --rate, --duration and --mix, or from --scenario:
"national-load" (Vietnam in an outbreak) or a YAML file with its parameters
(population, adoption, diagnoses_per_day, upload_fraction, keys_per_upload,
poll_interval, downloads_per_poll, chaff_per_user_per_day). A scenario's
national request rates keep their proportions and are scaled to --rate, the
rate this machine can drive; the report gives the scale. Every kind the mix
or scenario has is sent at least once a second (a national load's publishes
would otherwise round to none), and the report says which kinds were raised
to that floor; it prints the mix asked for beside the one achieved.

Before the timed phase, a set-up reads the server's export index and, when
the mix downloads exports, waits (--setup-wait) for the server to list one
and downloads the newest once, so that every timed download targets a file
that exists. "bluesim serve" exports at start-up (a padded file even before
any upload) and every --export-period.

--threshold prints each threshold with its measured value and PASS or FAIL;
a threshold on a kind that got no requests fails (nothing measured is not a
pass), and any failure exits with code 3.

Keys: publishes sign tokens with the health authority's private key
(--token-key), phones verify exports with the export public key
(--export-key). --data DIR reads both from a "bluesim serve --dev" data
directory.

--phones N adds N simulated phones that poll the index, download and verify
new exports and run the real GAEN matcher over their sightings; the report
gives their matching time and download volume per phone per day.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.loadtest(cmd) },
	}
	f := cmd.Flags()
	f.String("target", "http://127.0.0.1:8080", "base URL of the key server")
	f.Float64("rate", 1000, "total arrival rate, requests per second (split over --shard)")
	f.String("duration", "30s", "how long to send")
	f.String("mix", "publish=1,chaff=9,index=40,export=50", "weights of the request kinds")
	f.String("scenario", "", `"national-load" or a scenario YAML file (replaces --mix)`)
	f.String("shard", "1/1", "this process's share i/n of --rate (counted from 1: 1/2 and 2/2 are the two halves)")
	f.Uint64("seed", 1, "seed of the request draws and generated keys")
	f.String("data", "", `data directory of "bluesim serve --dev": its token key and export public key`)
	f.String("token-key", "", "PEM file: the health authority's private key that signs verification tokens")
	f.String("export-key", "", "PEM file: the public key exports are signed with (for --phones)")
	f.String("health-authority", keyserver.DefaultHealthAuthority, "healthAuthorityID to publish as")
	f.String("issuer", keyserver.DefaultIssuer, "iss claim of the tokens")
	f.String("audience", keyserver.DefaultAudience, "aud claim of the tokens")
	f.Int("phones", 0, "simulated phones that download exports and run the GAEN matcher")
	f.Int("phone-sightings", 20000, "background sightings each phone stores")
	f.String("phone-poll", "5s", "how often each phone polls index.txt")
	f.String("phones-settle", "0s", "after the attack, how long phones wait for the export of the last upload")
	f.String("threshold", "", `pass/fail conditions, e.g. "p99<50ms,success>0.999" (exit 3 when missed)`)
	f.String("format", "text", "report format: text or json")
	f.String("output", "", "write the report in --format to this file (a text summary still goes to standard output)")
	f.String("timeout", "30s", "timeout of one request")
	f.String("setup-wait", loadgen.DefaultSetupWait.String(), "before the timed phase, how long to wait for the server to list an export file when the mix downloads exports")
	f.Int("max-in-flight", 4096, "most requests in flight at once (lowered to fit the open-files limit, which is raised as far as allowed); when all are busy the generator waits and the report says it was the bottleneck")
	return cmd
}

// parseMix parses --mix (loadgen.ParseMix, with the flag named).
func parseMix(s string) (loadgen.Mix, error) {
	m, err := loadgen.ParseMix(s)
	if err != nil {
		return m, fmt.Errorf("--%w", err)
	}
	return m, nil
}

func (a *app) loadtest(cmd *cobra.Command) error {
	cfg := loadgen.Config{
		Target: a.str("target"), Rate: a.float("rate"), Seed: a.v.GetUint64("seed"),
		HealthAuthorityID: a.str("health-authority"), MaxInFlight: a.integer("max-in-flight"),
	}
	var err error
	if cfg.Duration, err = parsePositiveDuration("duration", a.str("duration")); err != nil {
		return err
	}
	if cfg.Timeout, err = parsePositiveDuration("timeout", a.str("timeout")); err != nil {
		return err
	}
	if cfg.SetupWait, err = parsePositiveDuration("setup-wait", a.str("setup-wait")); err != nil {
		return err
	}
	if cfg.Shard, err = loadgen.ParseShard(a.str("shard")); err != nil {
		return usagef("--shard: %v", err)
	}
	format := a.str("format")
	if format != "text" && format != "json" {
		return usagef("--format %q: want text or json", format)
	}
	thresholds, err := loadgen.ParseThresholds(a.str("threshold"))
	if err != nil {
		return usagef("--threshold: %v", err)
	}
	var scale float64
	switch sc := a.str("scenario"); sc {
	case "":
		if cfg.Mix, err = parseMix(a.str("mix")); err != nil {
			return usagef("%v", err)
		}
	default:
		nl := loadgen.DefaultNationalLoad
		if sc != "national-load" {
			data, err := os.ReadFile(sc)
			if err != nil {
				return usagef("--scenario %q: not \"national-load\" and not a readable file: %v", sc, err)
			}
			if nl, err = loadgen.LoadNationalLoad(sc, data); err != nil {
				// The errors name the file, line, column and key.
				return asUsage(err)
			}
		} else if a.changed(cmd, "mix") {
			return usagef("give --mix or --scenario, not both")
		}
		cfg.Mix, scale = nl.Scale(cfg.Rate)
		cfg.Scenario, cfg.KeysPerDay = filepath.Base(sc), nl.KeysPerDay()
	}
	if !(cfg.Rate > 0) {
		return usagef("--rate %v: want a positive number of requests per second", cfg.Rate)
	}

	// Keys: explicit files win over --data.
	tokenPath, exportPath := a.str("token-key"), a.str("export-key")
	if dir := a.str("data"); dir != "" {
		if tokenPath == "" {
			tokenPath = filepath.Join(dir, keyserver.DevTokenKeyFile)
		}
		if exportPath == "" {
			exportPath = filepath.Join(dir, keyserver.DevExportPublicFile)
		}
	}
	if cfg.Mix.Publish > 0 {
		if tokenPath == "" {
			return usagef("publishes need the health authority's private key: give --token-key FILE.pem or --data DIR of \"bluesim serve --dev\" (or set publish=0 in --mix)")
		}
		k, err := keyserver.LoadPrivateKey(tokenPath)
		if err != nil {
			return usagef("token key: %v", err)
		}
		cfg.Tokens = keyserver.TokenSigner{Key: k, Issuer: a.str("issuer"), Audience: a.str("audience")}
	}
	if n := a.integer("phones"); n > 0 {
		if exportPath == "" {
			return usagef("--phones needs the export public key: give --export-key FILE.pem or --data DIR")
		}
		var pub *ecdsa.PublicKey
		if pub, err = keyserver.LoadPublicKey(exportPath); err != nil {
			return usagef("export key: %v", err)
		}
		cfg.Phones = loadgen.PhoneConfig{N: n, ExportKey: pub, Sightings: a.integer("phone-sightings")}
		if cfg.Phones.PollInterval, err = parsePositiveDuration("phone-poll", a.str("phone-poll")); err != nil {
			return err
		}
		if cfg.Phones.Settle, err = time.ParseDuration(a.str("phones-settle")); err != nil || cfg.Phones.Settle < 0 {
			return usagef("--phones-settle %q: want a duration >= 0", a.str("phones-settle"))
		}
	} else if n < 0 {
		return usagef("--phones %d: want >= 0", n)
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}

	// The generator allocates per request and shares the machine with
	// what it measures; collecting less often keeps its own GC pauses out
	// of the latencies. GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	r, err := loadgen.Run(a.ctx, cfg)
	if err != nil {
		return err
	}
	r.Scale = scale
	r.Thresholds = loadgen.Evaluate(r, thresholds)
	var buf bytes.Buffer
	if format == "json" {
		err = r.WriteJSON(&buf)
	} else {
		err = r.WriteText(&buf)
	}
	if err != nil {
		return err
	}
	if out := a.str("output"); out != "" {
		if err := atomicfile.WriteBytes(out, buf.Bytes(), atomicfile.Output); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		// People still see how it went.
		if err := r.WriteText(a.stdout); err != nil {
			return err
		}
	} else if _, err := a.stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	var failed []string
	for _, t := range r.Thresholds {
		if !t.Pass {
			failed = append(failed, t.String())
		}
	}
	if len(failed) > 0 {
		return &thresholdError{fmt.Sprintf("loadtest: %d of %d thresholds failed: %s", len(failed), len(r.Thresholds), strings.Join(failed, "; "))}
	}
	return nil
}
