package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"waybilldesk/wxapi"
)

// Binding rules of the sandbox's couriers.
const (
	// wrongPassword is the password every courier refuses (9300531), so a
	// trainee can see the error without guessing.
	wrongPassword = "wrong"
	// emsReviewTime is how long EMS takes to review a bind, on the sandbox
	// clock (status_code 1 until then).
	emsReviewTime = 2 * time.Hour
	// boundQuota is the label stock a newly bound franchise account starts
	// with (the outlet's first recharge).
	boundQuota = 100
)

// emsRemarkParts are what EMS's reviewer looks for in remark_content.
var emsRemarkParts = []string{"电话", "联系人", "地址"}

// execer is what both *sql.DB and *sql.Tx offer for writes.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// resolveReviews ends the EMS reviews whose time has come: the account
// becomes bound (0) or failed (2) as decided when it was submitted.
func resolveReviews(ctx context.Context, ex execer, now time.Time) error {
	if _, err := ex.ExecContext(ctx, `UPDATE accounts SET status_code = review_status,
		remark_wrong_msg = review_msg, update_time = review_done_at, review_done_at = NULL
		WHERE status_code = ? AND review_done_at IS NOT NULL AND review_done_at <= ?`,
		wxapi.AccountReviewing, now.Unix()); err != nil {
		return fmt.Errorf("finish EMS reviews: %w", err)
	}
	return nil
}

// bindAccount binds (delivery_id, biz_id). reviewing is true when the
// courier reviews binds (EMS): the account is status 1 for now.
func (st *store) bindAccount(ctx context.Context, req *wxapi.BindAccountRequest, c courier) (reviewing bool, err error) {
	err = st.inTx(ctx, func(tx *sql.Tx) error {
		now := st.now()
		if err := resolveReviews(ctx, tx, now); err != nil {
			return err
		}
		acct, err := accountTx(ctx, tx, req.DeliveryID, req.BizID)
		if err != nil {
			return err
		}
		if acct != nil && (acct.StatusCode == wxapi.AccountBound || acct.StatusCode == wxapi.AccountReviewing) {
			return wxErrf(codeAlreadyBound, "%s/%s", req.DeliveryID, req.BizID)
		}
		// Franchise outlets check the customer password; EMS, SF and JD
		// bind without one (older doc), but a wrong one is still wrong.
		if req.Password == wrongPassword || (c.Model == modelFranchise && strings.TrimSpace(req.Password) == "") {
			return wxErr(codeWrongPassword)
		}
		quota := 0
		if c.Model == modelFranchise {
			quota = boundQuota
		}
		status, reviewAt, reviewStatus, reviewMsg := wxapi.AccountBound, sql.NullInt64{}, wxapi.AccountBound, ""
		if c.DeliveryID == "EMS" {
			reviewing = true
			status = wxapi.AccountReviewing
			reviewAt = sql.NullInt64{Int64: now.Add(emsReviewTime).Unix(), Valid: true}
			reviewStatus, reviewMsg = emsReview(req.RemarkContent)
		}
		// A failed or unbound account is bound again in place.
		if _, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE delivery_id = ? AND biz_id = ?`,
			req.DeliveryID, req.BizID); err != nil {
			return fmt.Errorf("replace account %s/%s: %w", req.DeliveryID, req.BizID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (delivery_id, biz_id, alias, status_code,
			remark_content, quota_num, quota_update_time, create_time, update_time,
			review_done_at, review_status, review_msg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			req.DeliveryID, req.BizID, "", status, req.RemarkContent, quota, now.Unix(), now.Unix(), now.Unix(),
			reviewAt, reviewStatus, reviewMsg); err != nil {
			return fmt.Errorf("bind account %s/%s: %w", req.DeliveryID, req.BizID, err)
		}
		return nil
	})
	return reviewing, err
}

// emsReview decides an EMS bind: the reviewer wants to reach the shipper.
func emsReview(remark string) (status int, wrongMsg string) {
	for _, p := range emsRemarkParts {
		if !strings.Contains(remark, p) {
			return wxapi.AccountBindFail, "审核未通过：备注信息不完整，请按“电话：… 联系人：… 服务类型：… 发货地址：…”填写后重新提交"
		}
	}
	return wxapi.AccountBound, ""
}

// unbindAccount removes a bound account.
func (st *store) unbindAccount(ctx context.Context, deliveryID, bizID string) error {
	return st.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE delivery_id = ? AND biz_id = ?`, deliveryID, bizID)
		if err != nil {
			return fmt.Errorf("unbind %s/%s: %w", deliveryID, bizID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return wxErrf(codeUnbindUnknown, "%s/%s", deliveryID, bizID)
		}
		return nil
	})
}

// account returns one account after settling due reviews, or nil.
func (st *store) account(ctx context.Context, deliveryID, bizID string) (*wxapi.Account, error) {
	var out *wxapi.Account
	err := st.inTx(ctx, func(tx *sql.Tx) error {
		if err := resolveReviews(ctx, tx, st.now()); err != nil {
			return err
		}
		var err error
		out, err = accountTx(ctx, tx, deliveryID, bizID)
		return err
	})
	return out, err
}
