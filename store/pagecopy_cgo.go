//go:build cgo

package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// copyPages writes a consistent copy of the database read through src (a
// connection pool of its own on the source file) into the new, empty file
// dst with SQLite's online backup API, page by page, telling progress how
// many of the pages are done. It holds one read transaction on the source
// throughout: in WAL mode writers go on meanwhile (the window, the print
// queue), the copy is the snapshot of its start, and it never restarts
// because of them. The copy is left in rollback-journal mode, a single
// self-contained file.
func copyPages(ctx context.Context, src *sql.DB, dst string, progress Progress) error {
	sconn, err := src.Conn(ctx)
	if err != nil {
		return err
	}
	defer sconn.Close()
	if _, err := sconn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	defer sconn.ExecContext(context.Background(), "ROLLBACK")
	// The read transaction starts with the first read.
	var pageSize int64
	if err := sconn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(new(int)); err != nil {
		return err
	}
	if err := sconn.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return err
	}
	dest, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: dst}).EscapedPath()+"?_journal_mode=OFF&_sync=OFF")
	if err != nil {
		return err
	}
	defer dest.Close()
	dconn, err := dest.Conn(ctx)
	if err != nil {
		return err
	}
	defer dconn.Close()
	err = dconn.Raw(func(d any) error {
		return sconn.Raw(func(s any) error {
			dc, ok := d.(*sqlite3.SQLiteConn)
			if !ok {
				return fmt.Errorf("copy: unexpected connection %T", d)
			}
			sc, ok := unwrapConn(s)
			if !ok {
				return fmt.Errorf("copy: unexpected connection %T", s)
			}
			b, err := dc.Backup("main", sc, "main")
			if err != nil {
				return err
			}
			for {
				if err := ctx.Err(); err != nil {
					b.Close()
					return err
				}
				done, err := b.Step(copyStep)
				if err != nil && !isBusy(err) {
					b.Close()
					return err
				}
				if progress != nil {
					total := b.PageCount()
					progress(int64(total-b.Remaining())*pageSize, int64(total)*pageSize)
				}
				if done {
					return b.Finish()
				}
				if err != nil {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	})
	if err != nil {
		return err
	}
	// The pages carry the source's WAL flag; a backup is one plain file.
	if _, err := dconn.ExecContext(ctx, "PRAGMA journal_mode = DELETE"); err != nil {
		return fmt.Errorf("copy: leave WAL mode: %w", err)
	}
	return nil
}

// unwrapConn finds go-sqlite3's connection inside a history's guarded one.
func unwrapConn(c any) (*sqlite3.SQLiteConn, bool) {
	switch c := c.(type) {
	case *guardConn:
		return unwrapConn(c.Conn)
	case *sqlite3.SQLiteConn:
		return c, true
	}
	return nil, false
}
