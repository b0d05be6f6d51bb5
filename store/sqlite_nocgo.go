//go:build !cgo

package store

// Without cgo go-sqlite3 is a stub that fails every open, so there is no
// SQLite error to classify; see sqlite_cgo.go.

func sqliteVersion() string { return "none (built without cgo)" }

func isDamage(error) bool { return false }

func isBusy(error) bool { return false }
