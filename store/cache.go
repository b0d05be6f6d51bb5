package store

import (
	"context"
	"fmt"
)

// SetCacheSize bounds the memory SQLite's page cache may hold for the
// history, in KiB. Every connection opens with the DSN's 64 MiB, right for
// a command that reads much once; a window open all day fills it with
// whatever it last scrolled or searched, on a history of gigabytes, while
// the operating system caches the same pages anyway. The history has one
// connection (see Open), which keeps the setting while it is open.
func (db *DB) SetCacheSize(ctx context.Context, kib int) error {
	if kib < 1 {
		return fmt.Errorf("cache size of %s: %d KiB", db.path, kib)
	}
	if _, err := db.sql.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", kib)); err != nil {
		return fmt.Errorf("cache size of %s: %w", db.path, err)
	}
	return nil
}
