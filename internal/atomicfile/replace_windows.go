//go:build windows

package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// replace is the Windows form of the Unix sequence (renameio does not
// build there): an exclusive temporary file beside path, written, given
// its mode, synced, closed and renamed over path (os.Rename replaces the
// target on Windows). Windows cannot sync a folder, so that step is left
// out.
func replace(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
