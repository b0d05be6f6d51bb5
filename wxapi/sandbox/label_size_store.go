package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// labelSizeSetting is one row of label_sizes; BizID "" covers the courier.
type labelSizeSetting struct {
	DeliveryID string    `json:"delivery_id"`
	BizID      string    `json:"biz_id,omitempty"`
	Size       LabelSize `json:"size"`
}

// setLabelSize stores (or, with size "", removes) a label size setting.
func (st *store) setLabelSize(ctx context.Context, l labelSizeSetting) error {
	if l.Size == "" {
		if _, err := st.db.ExecContext(ctx, `DELETE FROM label_sizes WHERE delivery_id = ? AND biz_id = ?`,
			l.DeliveryID, l.BizID); err != nil {
			return fmt.Errorf("remove label size of %s/%s: %w", l.DeliveryID, l.BizID, err)
		}
		return nil
	}
	if _, err := st.db.ExecContext(ctx, `INSERT INTO label_sizes (delivery_id, biz_id, size) VALUES (?, ?, ?)
		ON CONFLICT (delivery_id, biz_id) DO UPDATE SET size = excluded.size`,
		l.DeliveryID, l.BizID, string(l.Size)); err != nil {
		return fmt.Errorf("set label size of %s/%s: %w", l.DeliveryID, l.BizID, err)
	}
	return nil
}

// labelSizes lists the settings.
func (st *store) labelSizes(ctx context.Context) ([]labelSizeSetting, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT delivery_id, biz_id, size FROM label_sizes ORDER BY delivery_id, biz_id`)
	if err != nil {
		return nil, fmt.Errorf("list label sizes: %w", err)
	}
	out := []labelSizeSetting{}
	for rows.Next() {
		var l labelSizeSetting
		if err := rows.Scan(&l.DeliveryID, &l.BizID, &l.Size); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read label size: %w", err)
		}
		out = append(out, l)
	}
	return out, closeRows(rows)
}

// labelSizeFor picks the account's size, else the courier's, else def.
func (st *store) labelSizeFor(ctx context.Context, deliveryID, bizID string, def LabelSize) (LabelSize, error) {
	var size string
	err := st.db.QueryRowContext(ctx, `SELECT size FROM label_sizes WHERE delivery_id = ? AND biz_id IN (?, '')
		ORDER BY biz_id DESC LIMIT 1`, deliveryID, bizID).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return "", fmt.Errorf("label size of %s/%s: %w", deliveryID, bizID, err)
	}
	return LabelSize(size), nil
}
