// Package storetest is the test suite every keyserver.Store implementation
// must pass. Each backend's tests call Run with a function that opens a
// fresh, empty store.
package storetest
