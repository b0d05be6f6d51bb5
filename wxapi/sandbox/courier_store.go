package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Phones bound to WeChat's express service (微信快递服务), which userquery
// answers and pathnotify needs, and the path notices WeChat accepted.

// errBadPhone is a phone number with too few or too many digits.
var errBadPhone = errors.New("a phone number needs 7 to 15 digits")

// normalizePhone keeps a phone's digits and drops China's 86 prefix of a
// mobile, so "+86 138-0013-8000" and "13800138000" are one number.
func normalizePhone(p string) (string, error) {
	var b strings.Builder
	for _, r := range p {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) == 13 && strings.HasPrefix(d, "861") {
		d = d[2:]
	}
	if len(d) < 7 || len(d) > 15 {
		return "", errBadPhone
	}
	return d, nil
}

// phoneBoundByDefault is the rule for phones nobody bound or unbound by
// hand: those ending in an even digit are bound, so half of any demo's
// receivers get notices and the other half show the unbound path.
func phoneBoundByDefault(digits string) bool {
	return (digits[len(digits)-1]-'0')%2 == 0
}

// setPhoneBound binds (or unbinds) a normalized phone by hand.
func (st *store) setPhoneBound(ctx context.Context, digits string, bound bool) error {
	if _, err := st.db.ExecContext(ctx, `INSERT INTO bound_phones (phone, bound, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (phone) DO UPDATE SET bound = excluded.bound, updated_at = excluded.updated_at`,
		digits, bound, st.now().Unix()); err != nil {
		return fmt.Errorf("bind phone: %w", err)
	}
	return nil
}

// phoneBound reports whether a normalized phone is bound: its setting, else
// the default rule.
func (st *store) phoneBound(ctx context.Context, digits string) (bool, error) {
	var bound bool
	err := st.db.QueryRowContext(ctx, `SELECT bound FROM bound_phones WHERE phone = ?`, digits).Scan(&bound)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return phoneBoundByDefault(digits), nil
	case err != nil:
		return false, fmt.Errorf("read bound phone: %w", err)
	}
	return bound, nil
}

// phoneSetting is a phone bound or unbound by hand, as the admin lists it.
type phoneSetting struct {
	Phone   string `json:"phone"` // masked
	Bound   bool   `json:"bound"`
	Updated string `json:"updated"` // RFC 3339, China time
}

func (st *store) phoneSettings(ctx context.Context) ([]phoneSetting, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT phone, bound, updated_at FROM bound_phones ORDER BY updated_at, phone`)
	if err != nil {
		return nil, fmt.Errorf("list bound phones: %w", err)
	}
	defer rows.Close()
	out := []phoneSetting{}
	for rows.Next() {
		var p phoneSetting
		var at int64
		if err := rows.Scan(&p.Phone, &p.Bound, &at); err != nil {
			return nil, fmt.Errorf("list bound phones: %w", err)
		}
		p.Phone = maskPhone(p.Phone)
		p.Updated = time.Unix(at, 0).In(chinaTime).Format(time.RFC3339)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Results of an accepted pathnotify: WeChat messages the user only for
// 300002 (派送中) and 300003 (签收) (seed 003, 测试流程); other events only
// update the waybill in the user's express service.
const (
	noticeMessageSent = "message_sent"
	noticePathUpdated = "path_updated"
)

// CourierNotice is a path notice WeChat accepted from a gateway courier,
// as GET /sandbox/courier_notices lists it.
type CourierNotice struct {
	Seq        int64  `json:"seq"`
	DeliveryID string `json:"delivery_id"`
	WaybillID  string `json:"waybill_id"`
	Phone      string `json:"phone"` // the receiver's, masked
	ActionTime int64  `json:"action_time"`
	ActionType int    `json:"action_type"`
	ActionMsg  string `json:"action_msg"`
	Result     string `json:"result"`      // message_sent or path_updated
	CreateTime int64  `json:"create_time"` // when it was accepted, sandbox clock
}

// addCourierNotice records an accepted push; the same event of a waybill
// pushed again is accepted but recorded once.
func (st *store) addCourierNotice(ctx context.Context, n *CourierNotice) (added bool, err error) {
	res, err := st.db.ExecContext(ctx, `INSERT INTO courier_notices (delivery_id, waybill_id, phone, action_time,
		action_type, action_msg, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (waybill_id, action_time, action_type, action_msg) DO NOTHING`,
		n.DeliveryID, n.WaybillID, n.Phone, n.ActionTime, n.ActionType, n.ActionMsg, n.Result, n.CreateTime)
	if err != nil {
		return false, fmt.Errorf("record courier notice: %w", err)
	}
	rows, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record courier notice: %w", err)
	}
	return rows == 1, nil
}

// courierNotices lists the accepted notices in order, of one waybill when
// waybill is not empty.
func (st *store) courierNotices(ctx context.Context, waybill string) ([]CourierNotice, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT seq, delivery_id, waybill_id, phone, action_time, action_type,
		action_msg, result, created_at FROM courier_notices WHERE ? = '' OR waybill_id = ? ORDER BY seq`, waybill, waybill)
	if err != nil {
		return nil, fmt.Errorf("list courier notices: %w", err)
	}
	defer rows.Close()
	out := []CourierNotice{}
	for rows.Next() {
		var n CourierNotice
		if err := rows.Scan(&n.Seq, &n.DeliveryID, &n.WaybillID, &n.Phone, &n.ActionTime, &n.ActionType,
			&n.ActionMsg, &n.Result, &n.CreateTime); err != nil {
			return nil, fmt.Errorf("list courier notices: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
