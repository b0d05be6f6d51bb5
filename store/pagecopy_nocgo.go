//go:build !cgo

package store

import (
	"context"
	"database/sql"
	"errors"
)

// copyPages needs SQLite itself, which a build without cgo does not have.
func copyPages(context.Context, *sql.DB, string, Progress) error {
	return errors.New("copy the database: built without SQLite (cgo)")
}
