// Package sqlite is the key server's embedded store: one SQLite database
// file (modernc.org/sqlite, pure Go) in WAL mode under the server's data
// directory.
//
// Writes go through one connection (SQLite has one writer at a time anyway)
// and reads through a small pool, which WAL lets run beside the writer.
// synchronous=FULL makes every commit durable against power loss, not only
// against a killed process; the server groups concurrent uploads into one
// transaction, so the fsync is paid once per group rather than per upload.
//
// Deleted rows leave no trace in the database's files: secure_delete=ON
// overwrites deleted content with zeros, and after every cleanup a
// TRUNCATE checkpoint copies the zeroed pages into the main file and
// empties the write-ahead log, which still held the old page images. What
// the file system does with blocks the log released is beyond SQLite's
// reach (an encrypted volume covers that).
package sqlite
