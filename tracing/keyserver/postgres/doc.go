// Package postgres is the key server's PostgreSQL store (pgx/v5), for
// deployments that run the server beside a database, as the GAEN reference
// server does (shared/reference/loadtest.md §1.1).
//
// Each upload is one statement: a data-modifying CTE that records the
// token and inserts the keys only when the token was new. A group of
// uploads is pipelined in one pgx.Batch inside one transaction.
package postgres
