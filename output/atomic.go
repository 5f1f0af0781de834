package output

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic creates path with what write produces. The content goes
// to a temporary file in the same directory, which is synced and renamed
// over path only when write and the close succeed; on any error the
// temporary file is removed and path is left as it was. Readers therefore
// see the old file or the whole new one, never part of it (a rename within
// a directory is atomic on POSIX file systems).
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
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
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	// CreateTemp makes 0600 files; outputs are meant to be shared.
	if err = os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// WriteBytesAtomic writes data to path atomically (see WriteFileAtomic).
func WriteBytesAtomic(path string, data []byte) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}
