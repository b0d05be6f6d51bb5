package sandbox

import (
	"context"
	"fmt"
	"strings"
)

// printer is a printer operator (打印员) with the tag ids of the tenants
// (platform-type mini programs) whose labels they may print.
type printer struct {
	OpenID string
	TagIDs []string
}

// bindPrinter adds an operator or replaces their tags.
func (st *store) bindPrinter(ctx context.Context, openID string, tags []string) error {
	if _, err := st.db.ExecContext(ctx, `INSERT INTO printers (openid, tagid_list, created_at) VALUES (?, ?, ?)
		ON CONFLICT (openid) DO UPDATE SET tagid_list = excluded.tagid_list`,
		openID, strings.Join(tags, ","), st.now().Unix()); err != nil {
		return fmt.Errorf("bind printer: %w", err)
	}
	return nil
}

// unbindPrinter removes an operator; an unknown one is already unbound.
func (st *store) unbindPrinter(ctx context.Context, openID string) error {
	if _, err := st.db.ExecContext(ctx, `DELETE FROM printers WHERE openid = ?`, openID); err != nil {
		return fmt.Errorf("unbind printer: %w", err)
	}
	return nil
}

// printers lists the operators in the order they were bound.
func (st *store) printers(ctx context.Context) ([]printer, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT openid, tagid_list FROM printers ORDER BY created_at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("list printers: %w", err)
	}
	var out []printer
	for rows.Next() {
		var p printer
		var tags string
		if err := rows.Scan(&p.OpenID, &tags); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read printer: %w", err)
		}
		if tags != "" {
			p.TagIDs = strings.Split(tags, ",")
		}
		out = append(out, p)
	}
	return out, closeRows(rows)
}
