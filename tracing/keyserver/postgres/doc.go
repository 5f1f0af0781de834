// Package postgres is the key server's PostgreSQL store (pgx/v5), for
// deployments that run the server beside a database, as the GAEN reference
// server does (shared/reference/loadtest.md §1.1).
//
// Each upload is one statement: a data-modifying CTE that records the
// token and inserts the keys only when the token was new. A group of
// uploads is pipelined in one pgx.Batch inside one transaction.
//
// What deletion guarantees. A DELETE only marks rows dead; their bytes stay
// in the table's and the indexes' data files until the space is reused,
// and in the write-ahead log segments until they are recycled. Cleanup
// runs VACUUM on the tables it deleted from, which makes the space
// reusable but does not overwrite it; VACUUM FULL (not run automatically:
// it locks the table) rewrites a table into new files and unlinks the old
// ones, leaving their blocks to the file system. PostgreSQL has no
// equivalent of SQLite's secure_delete: a deployment that must not keep
// deleted keys on disk needs an encrypted volume or tablespace whose key
// it can rotate, and WAL archives that expire.
package postgres
