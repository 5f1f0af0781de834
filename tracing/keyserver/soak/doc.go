// Package soak is the key server's crash-safety check: publishers upload
// keys to a bluesim serve process and record every upload the server
// acknowledges, the server is killed with SIGKILL at random times and
// restarted on the same data, and at the end the acknowledged keys are
// compared with the stored rows and the signed exports: none may be lost,
// none exported twice, every export signature must verify, and keys still
// valid at upload must not be exported (the embargo). bluesim soak runs it;
// its tests run a short version against SQLite and PostgreSQL.
package soak
