package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

const settingClockOffset = "clock_offset_ms"

// clockOffset is the saved lead of the sandbox clock over the wall clock.
func (st *store) clockOffset(ctx context.Context) (time.Duration, error) {
	var v string
	err := st.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingClockOffset).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read clock offset: %w", err)
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("clock offset %q: %w", v, err)
	}
	// A wall clock that jumped forward past the sandbox time leaves the
	// sandbox at wall time; it never runs behind it.
	return max(0, time.Duration(ms)*time.Millisecond), nil
}

func (st *store) saveClockOffset(ctx context.Context, d time.Duration) error {
	if _, err := st.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		settingClockOffset, strconv.FormatInt(d.Milliseconds(), 10)); err != nil {
		return fmt.Errorf("save clock offset: %w", err)
	}
	return nil
}
