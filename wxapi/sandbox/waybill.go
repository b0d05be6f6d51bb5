package sandbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"math/big"

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

// newWaybillID draws a waybill number that no stored order has. The UNIQUE
// column is the final guard; the loop only makes a clash practically never
// surface as an error.
func newWaybillID(ctx context.Context, tx *sql.Tx, deliveryID string) (string, error) {
	f, ok := waybillFormats[deliveryID]
	if !ok {
		f = waybillFormat{prefix: deliveryID, digits: 12}
	}
	for range 10 {
		id, err := randomDigits(f.digits)
		if err != nil {
			return "", err
		}
		id = f.prefix + id
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

func randomDigits(n int) (string, error) {
	b := make([]byte, n)
	ten := big.NewInt(10)
	for i := range b {
		d, err := rand.Int(rand.Reader, ten)
		if err != nil {
			return "", fmt.Errorf("random waybill id: %w", err)
		}
		b[i] = byte('0' + d.Int64())
	}
	// A leading zero after a numeric-only prefix reads like a typo to staff.
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b), nil
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
