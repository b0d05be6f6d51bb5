package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"waybilldesk/wxapi"
)

// courier is one row of the catalogue with its services.
type courier struct {
	wxapi.Delivery
	Model string // modelFranchise, modelDirect or modelTest
}

// service returns the courier's service with that id.
func (c courier) service(t int) (wxapi.ServiceType, bool) {
	for _, s := range c.ServiceType {
		if s.ServiceType == t {
			return s, true
		}
	}
	return wxapi.ServiceType{}, false
}

// queryer is what both *sql.DB and *sql.Tx offer for reads.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// couriers lists the catalogue in the order of the courier table.
func (st *store) couriers(ctx context.Context) ([]courier, error) {
	return loadCouriers(ctx, st.db, "")
}

// courier returns one courier; ok is false when the id is unknown.
func (st *store) courier(ctx context.Context, id string) (c courier, ok bool, err error) {
	cs, err := loadCouriers(ctx, st.db, id)
	if err != nil || len(cs) == 0 {
		return courier{}, false, err
	}
	return cs[0], true, nil
}

// loadCouriers reads all couriers, or only the one with id when id != "".
func loadCouriers(ctx context.Context, q queryer, id string) ([]courier, error) {
	rows, err := q.QueryContext(ctx, `SELECT delivery_id, delivery_name, can_use_cash, can_get_quota, cash_biz_id, model
		FROM couriers WHERE ? = '' OR delivery_id = ? ORDER BY position`, id, id)
	if err != nil {
		return nil, fmt.Errorf("list couriers: %w", err)
	}
	var out []courier
	index := map[string]int{}
	for rows.Next() {
		var c courier
		if err := rows.Scan(&c.DeliveryID, &c.DeliveryName, &c.CanUseCash, &c.CanGetQuota, &c.CashBizID, &c.Model); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read courier: %w", err)
		}
		c.ServiceType = []wxapi.ServiceType{}
		index[c.DeliveryID] = len(out)
		out = append(out, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list couriers: %w", err)
	}
	rows, err = q.QueryContext(ctx, `SELECT delivery_id, service_type, service_name FROM services
		WHERE ? = '' OR delivery_id = ? ORDER BY delivery_id, service_type`, id, id)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	for rows.Next() {
		var did string
		var s wxapi.ServiceType
		if err := rows.Scan(&did, &s.ServiceType, &s.ServiceName); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read service: %w", err)
		}
		if i, ok := index[did]; ok {
			out[i].ServiceType = append(out[i].ServiceType, s)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	return out, nil
}

// closeRows closes rows and reports an iteration error, if any.
func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	return errors.Join(err, rows.Close())
}

// accounts lists the bound accounts in binding order, each with the
// services of its courier.
func (st *store) accounts(ctx context.Context) ([]wxapi.Account, error) {
	if err := resolveReviews(ctx, st.db, st.now()); err != nil {
		return nil, err
	}
	rows, err := st.db.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	var out []wxapi.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, a)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	cs, err := st.couriers(ctx)
	if err != nil {
		return nil, err
	}
	services := map[string][]wxapi.ServiceType{}
	for _, c := range cs {
		services[c.DeliveryID] = c.ServiceType
	}
	for i := range out {
		out[i].ServiceType = services[out[i].DeliveryID]
	}
	return out, nil
}

const accountColumns = `biz_id, delivery_id, create_time, update_time, status_code, alias,
	remark_wrong_msg, remark_content, quota_num, quota_update_time`

type scanner interface{ Scan(dest ...any) error }

func scanAccount(sc scanner) (wxapi.Account, error) {
	var a wxapi.Account
	if err := sc.Scan(&a.BizID, &a.DeliveryID, &a.CreateTime, &a.UpdateTime, &a.StatusCode, &a.Alias,
		&a.RemarkWrongMsg, &a.RemarkContent, &a.QuotaNum, &a.QuotaUpdateTime); err != nil {
		return wxapi.Account{}, fmt.Errorf("read account: %w", err)
	}
	return a, nil
}

// accountTx returns the bound account (delivery_id, biz_id), or nil when
// there is none.
func accountTx(ctx context.Context, tx *sql.Tx, deliveryID, bizID string) (*wxapi.Account, error) {
	a, err := scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE delivery_id = ? AND biz_id = ?`, deliveryID, bizID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// errNoAccount: no account is bound as (delivery_id, biz_id).
var errNoAccount = errors.New("no such account")

// setQuota changes an account's stock (POST /sandbox/quota, tests).
func (st *store) setQuota(ctx context.Context, deliveryID, bizID string, n int) error {
	res, err := st.db.ExecContext(ctx, `UPDATE accounts SET quota_num = ?, quota_update_time = ?
		WHERE delivery_id = ? AND biz_id = ?`, n, st.now().Unix(), deliveryID, bizID)
	if err != nil {
		return fmt.Errorf("set quota of %s/%s: %w", deliveryID, bizID, err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return fmt.Errorf("set quota of %s/%s: %w", deliveryID, bizID, errNoAccount)
	}
	return nil
}
