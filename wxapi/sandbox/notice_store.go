package sandbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"waybilldesk/wxapi"
)

// noticeUpdateLimit is how often the goods of one notice may be replaced
// before update_*_goods answers 9300560.
const noticeUpdateLimit = 10

// notice is a waybill registered for buyer notices.
type notice struct {
	Token, Family, OpenID, WaybillID, DeliveryID string
	Goods                                        wxapi.GoodsInfo
	Updates                                      int
}

// newWaybillToken makes a token shaped like WeChat's ("o_" and 64 URL-safe
// characters). It is a capability, so it comes from crypto/rand.
func newWaybillToken() (string, error) {
	var b [48]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random waybill_token: %w", err)
	}
	return "o_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// registerNotice stores a trace/follow registration. Registering the same
// waybill for the same buyer again returns the token it already has, with
// the new goods.
func (st *store) registerNotice(ctx context.Context, family string, req *wxapi.FollowRequest) (string, error) {
	goods, err := json.Marshal(req.GoodsInfo)
	if err != nil {
		return "", fmt.Errorf("encode goods: %w", err)
	}
	var token string
	err = st.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT token FROM notices WHERE family = ? AND openid = ? AND waybill_id = ?`,
			family, req.OpenID, req.WaybillID).Scan(&token)
		switch {
		case err == nil:
			_, err = tx.ExecContext(ctx, `UPDATE notices SET goods_json = ?, delivery_id = ? WHERE token = ?`,
				string(goods), req.DeliveryID, token)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("find notice: %w", err)
		}
		if token, err = newWaybillToken(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notices (token, family, openid, waybill_id, delivery_id,
			goods_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, token, family, req.OpenID, req.WaybillID,
			req.DeliveryID, string(goods), st.now().Unix()); err != nil {
			return fmt.Errorf("store notice: %w", err)
		}
		return nil
	})
	return token, err
}

// notice loads a registration; a token of the other family is unknown here.
func (st *store) notice(ctx context.Context, family, token string) (*notice, error) {
	var n notice
	var goods string
	err := st.db.QueryRowContext(ctx, `SELECT token, family, openid, waybill_id, delivery_id, goods_json, updates
		FROM notices WHERE token = ? AND family = ?`, token, family).
		Scan(&n.Token, &n.Family, &n.OpenID, &n.WaybillID, &n.DeliveryID, &goods, &n.Updates)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wxErr(codeBadWaybillToken)
	}
	if err != nil {
		return nil, fmt.Errorf("load notice: %w", err)
	}
	if err := json.Unmarshal([]byte(goods), &n.Goods); err != nil {
		return nil, fmt.Errorf("decode notice goods: %w", err)
	}
	return &n, nil
}

// updateNoticeGoods replaces the goods, at most noticeUpdateLimit times.
func (st *store) updateNoticeGoods(ctx context.Context, family, token string, g wxapi.GoodsInfo) error {
	goods, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("encode goods: %w", err)
	}
	return st.inTx(ctx, func(tx *sql.Tx) error {
		var updates int
		err := tx.QueryRowContext(ctx, `SELECT updates FROM notices WHERE token = ? AND family = ?`, token, family).Scan(&updates)
		if errors.Is(err, sql.ErrNoRows) {
			return wxErr(codeBadWaybillToken)
		}
		if err != nil {
			return fmt.Errorf("load notice: %w", err)
		}
		if updates >= noticeUpdateLimit {
			return wxErrf(codeNoticeUpdates, "%d updates allowed", noticeUpdateLimit)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notices SET goods_json = ?, updates = updates + 1 WHERE token = ?`,
			string(goods), token); err != nil {
			return fmt.Errorf("update notice goods: %w", err)
		}
		return nil
	})
}
