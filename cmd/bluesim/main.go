// Command bluesim simulates BLE contact-tracing apps (Bluezone, GAEN, DP-3T)
// over a synthetic population and load-tests their key servers.
//
// main only maps errors to exit codes: 0 success, 1 runtime failure, 2 usage
// or invalid input, 3 a threshold the user set was not met. Everything else
// lives in run, which tests call in process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}
