// Package atomicfile is the one way bluesim writes a file: every table,
// figure, report, summary, scenario copy, sweep manifest, merge output,
// radio plot, load-test report and key file goes through Write or
// WriteBytes.
//
// A write goes to a new temporary file in the target's folder, named
// "." + the target's name + a random number and created exclusively, so
// that two writers of the same path (two runs into one folder) never share
// a temporary file. The content is written, the file is given its mode
// explicitly (Output, 0644, for what users keep and share; Private, 0600,
// for private keys; the umask does not apply), synced, closed and renamed
// over the target, and then the folder is synced so that the rename itself
// survives a crash. On any error the temporary file is removed and the
// target is left as it was: a reader sees the old file or the whole new
// one, never part of one.
//
// The package imports nothing of bluesim. On Unix it builds on
// github.com/google/renameio/v2, adding the folder sync.
package atomicfile // import "github.com/bluesim/bluesim/internal/atomicfile"
