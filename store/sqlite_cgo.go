//go:build cgo

package store

import (
	"errors"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// The driver's error codes and version exist only in cgo builds; the
// !cgo twin of this file keeps the package compiling without cgo (the
// screens' tests build that way), where the driver is a stub anyway.

func sqliteVersion() string {
	v, _, _ := sqlite3.Version()
	return v
}

// isDamage reports SQLite's "malformed" and "not a database" errors.
func isDamage(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB)
}

// isBusy reports that another connection holds a conflicting lock.
func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}
