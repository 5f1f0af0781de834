package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/viper"
)

// FuzzReadConfig: whatever a config file holds, reading it never panics;
// it either gives values for flags the command has, or a usage error that
// names the file.
func FuzzReadConfig(f *testing.F) {
	for _, s := range []string{
		"out: x\nworkers: 2\nset: [days=3, seed=4]\n", "seeed: 3\n", "workers: two\n", "workers: [1, 2]\n",
		"seed:\n  value: 3\n", "config: other.yaml\n", `{"seed": -5}`, "- a\n- b\n", "a: &x 1\nb: *x\n",
		"set: [[1]]\n", "set: []\n", "out: ~\n", "? [a]\n: 1\n", "---\nout: a\n---\nout: b\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "bluesim.yaml")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := newRunCommand(&app{v: viper.New(), getenv: os.Getenv})
		cfg, err := readConfig(file, cmd)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), file) {
				t.Fatalf("error %v is not a usage error naming the file", err)
			}
			return
		}
		for name, e := range cfg {
			fl := cmd.Flags().Lookup(name)
			if fl == nil || (len(e.values) != 1 && !repeatable(fl)) {
				t.Fatalf("key %q accepted with %d values", name, len(e.values))
			}
		}
	})
}
