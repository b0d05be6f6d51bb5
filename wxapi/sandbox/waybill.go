package sandbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"

	"waybilldesk/wxapi"
)

// waybillFormat is the shape of a courier's waybill numbers: a prefix and a
// number of random digits. They follow the real numbering where it is
// public (SF, YT…, ZTO 7…, STO 77…, Yunda 43…, EMS 98…, Deppon DPK…); OTP
// and PJ are invented. All are plain ASCII, so Code128 prints them.
type waybillFormat struct {
	prefix string
	digits int
}

var waybillFormats = map[string]waybillFormat{
	"SF":           {"SF", 12},
	"YTO":          {"YT", 13},
	"ZTO":          {"7", 13},
	"STO":          {"77", 13},
	"YUNDA":        {"43", 11},
	"BEST":         {"55", 12},
	"EMS":          {"98", 11},
	"DB":           {"DPK", 12},
	"OTP":          {"63", 11},
	"PJ":           {"PJ", 12},
	testDeliveryID: {"TEST", 12},
}

// newWaybillID draws a waybill number that no stored order has. The draw
// is a hash of the seed and the order_id, so the same order placed in a
// fresh sandbox with the same seed gets the same waybill (tests can pin
// it); a clash with a stored waybill moves on to the next attempt, and the
// UNIQUE column is the final guard.
func newWaybillID(ctx context.Context, tx *sql.Tx, deliveryID, orderID string, seed int64) (string, error) {
	f, ok := waybillFormats[deliveryID]
	if !ok {
		f = waybillFormat{prefix: deliveryID, digits: 12}
	}
	for attempt := range 10 {
		id := f.prefix + hashDigits(f.digits, fmt.Sprint(seed), deliveryID, orderID, fmt.Sprint(attempt))
		var taken bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM orders WHERE waybill_id = ?)`, id).
			Scan(&taken); err != nil {
			return "", fmt.Errorf("check waybill id: %w", err)
		}
		if !taken {
			return id, nil
		}
	}
	return "", fmt.Errorf("no free %s waybill id after 10 draws", deliveryID)
}

// hashDigits turns the parts into n decimal digits.
func hashDigits(n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	b := make([]byte, n)
	for i := range b {
		// 32 bytes give 32 digits; a waybill needs at most 13. The modulo
		// bias (256 % 10) is irrelevant for test data.
		b[i] = '0' + sum[i%len(sum)]%10
	}
	// A leading zero after a numeric-only prefix reads like a typo to staff.
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

// routing is what the courier computes for an order's label.
type routing struct {
	SortingCode  string // 三段码
	BagAddr      string // 集包地
	OriginCenter string // 始发集包中心
}

func routeOrder(req *wxapi.AddOrderRequest) routing {
	return routing{
		SortingCode:  sortingCode(req.DeliveryID, req.Receiver),
		BagAddr:      bagAddress(req.DeliveryID, req.Receiver),
		OriginCenter: originCenter(req.DeliveryID, req.Sender),
	}
}

// waybillData is the courier-specific waybill_data of addOrder and getOrder.
// SF uses SF_-prefixed keys; EMS answers with none at all (observed on the
// real platform: clients must then rely on print_html).
func waybillData(deliveryID string, r routing) []wxapi.KV {
	switch deliveryID {
	case "SF":
		return []wxapi.KV{{Key: "SF_bagAddr", Value: r.BagAddr}, {Key: "SF_mark", Value: r.SortingCode}}
	case "EMS":
		return []wxapi.KV{}
	}
	return []wxapi.KV{
		{Key: "bagAddr", Value: r.BagAddr},
		{Key: "sortingCode", Value: r.SortingCode},
		{Key: "packageCenterName", Value: r.OriginCenter},
	}
}
