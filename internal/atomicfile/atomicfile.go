package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The modes of the files bluesim writes (see the README's "File modes").
const (
	// Output is the mode of every output: tables, figures, reports,
	// summaries, manifests, public keys. Readable by everyone, writable
	// by the owner.
	Output os.FileMode = 0o644
	// Private is the mode of private keys: the owner alone reads them.
	Private os.FileMode = 0o600
)

// Write creates or replaces the file at path with what write writes, with
// permission bits perm (Output or Private). The folder must exist. On any
// error, write's included, the temporary file is removed, path is left as
// it was and the error names path.
func Write(path string, perm os.FileMode, write func(io.Writer) error) error {
	if perm&^os.ModePerm != 0 {
		return fmt.Errorf("writing %s: mode %v is not a set of permission bits", path, perm)
	}
	if filepath.Base(path) == "." || filepath.Base(path) == string(filepath.Separator) {
		return fmt.Errorf("writing %q: not a file name", path)
	}
	if err := replace(path, perm, write); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}
