package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"waybilldesk/wxapi"
)

// Courier models from the seed table's 快递模式 column. Franchise (加盟)
// couriers keep an e-waybill stock per account, so getQuota works for them
// (can_get_quota = 1) and every order uses one label.
const (
	modelFranchise = "franchise" // 加盟
	modelDirect    = "direct"    // 直营
	modelTest      = "test"      // WeChat's sandbox courier
)

// The test courier and account WeChat documents for trying the API.
const (
	testDeliveryID = "TEST"
	testBizID      = "test_biz_id"
)

// seedCourier is one row group of the courier table.
type seedCourier struct {
	ID, Name  string
	Services  []wxapi.ServiceType
	CashBizID string // "" = no cash (现付) orders
	Model     string
}

func svc(t int, name string) wxapi.ServiceType {
	return wxapi.ServiceType{ServiceType: t, ServiceName: name}
}

// seedCouriers is ../shared/seeds/000 ("已经支持的快递公司基本信息") verbatim.
// In that table the 是否支持现付 / 现付的BizID / 快递模式 cells of a courier's
// last row are merged cells that apply to the whole courier; YTO's
// "（ 普通快递）" loses its stray space. TEST comes last: WeChat's sandbox
// courier, used with biz_id test_biz_id.
var seedCouriers = []seedCourier{
	{ID: "BEST", Name: "百世快递", Services: []wxapi.ServiceType{svc(1, "标准快递")}, Model: modelFranchise},
	{ID: "DB", Name: "德邦快递", Services: []wxapi.ServiceType{svc(1, "大件快递3.60"), svc(2, "特准快件")}, CashBizID: "DB_CASH", Model: modelDirect},
	{ID: "EMS", Name: "中国邮政速递物流", Services: []wxapi.ServiceType{svc(6, "标准快递"), svc(9, "快递包裹")}, Model: modelDirect},
	{ID: "OTP", Name: "承诺达特快", Services: []wxapi.ServiceType{svc(1, "标准快递")}, CashBizID: "OTP_CASH", Model: modelDirect},
	{ID: "PJ", Name: "品骏快递", Services: []wxapi.ServiceType{svc(1, "标准快递")}, CashBizID: "PJ_CASH", Model: modelDirect},
	{ID: "SF", Name: "顺丰速运", Services: []wxapi.ServiceType{svc(1, "顺丰即日"), svc(2, "顺丰次晨"), svc(3, "顺丰标快"), svc(4, "顺丰特惠")}, CashBizID: "SF_CASH", Model: modelDirect},
	{ID: "STO", Name: "申通快递", Services: []wxapi.ServiceType{svc(1, "标准快递")}, Model: modelFranchise},
	{ID: "YTO", Name: "圆通速递", Services: []wxapi.ServiceType{svc(0, "普通快递"), svc(1, "圆准达")}, Model: modelFranchise},
	{ID: "YUNDA", Name: "韵达快递", Services: []wxapi.ServiceType{svc(0, "标准快件")}, Model: modelFranchise},
	{ID: "ZTO", Name: "中通快递", Services: []wxapi.ServiceType{svc(0, "标准快件")}, Model: modelFranchise},
	{ID: testDeliveryID, Name: "测试快递", Services: []wxapi.ServiceType{svc(1, "test_service_name")}, Model: modelTest},
}

// seedQuota is the e-waybill stock of each seeded franchise account.
const seedQuota = 500

// seedAccount is a courier account bound to the sandbox's mini program.
type seedAccount struct {
	DeliveryID, BizID, Alias string
	Quota                    int
}

// seedAccounts: the test account, one account per franchise courier (they
// cannot take cash orders, so without one they could not be tried), and one
// EMS account (direct, no stock). SF, DB, OTP and PJ are tried with their
// cash biz ids.
var seedAccounts = []seedAccount{
	{DeliveryID: testDeliveryID, BizID: testBizID, Alias: "测试账号"},
	{DeliveryID: "BEST", BizID: "SANDBOX_BEST", Alias: "沙箱百世", Quota: seedQuota},
	{DeliveryID: "STO", BizID: "SANDBOX_STO", Alias: "沙箱申通", Quota: seedQuota},
	{DeliveryID: "YTO", BizID: "SANDBOX_YTO", Alias: "沙箱圆通", Quota: seedQuota},
	{DeliveryID: "YUNDA", BizID: "SANDBOX_YUNDA", Alias: "沙箱韵达", Quota: seedQuota},
	{DeliveryID: "ZTO", BizID: "SANDBOX_ZTO", Alias: "沙箱中通", Quota: seedQuota},
	{DeliveryID: "EMS", BizID: "SANDBOX_EMS", Alias: "沙箱邮政"},
}

// migrateSeedV2 fills the courier catalogue and the bound accounts. As a
// migration it runs exactly once per database, so quotas used up by orders
// are never reset by a restart.
func migrateSeedV2(ctx context.Context, tx *sql.Tx, now time.Time) error {
	for i, c := range seedCouriers {
		canCash, canQuota := 0, 0
		if c.CashBizID != "" {
			canCash = 1
		}
		if c.Model == modelFranchise {
			canQuota = 1
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO couriers
			(delivery_id, delivery_name, can_use_cash, can_get_quota, cash_biz_id, model, position)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Name, canCash, canQuota, c.CashBizID, c.Model, i); err != nil {
			return fmt.Errorf("seed courier %s: %w", c.ID, err)
		}
		for _, s := range c.Services {
			if _, err := tx.ExecContext(ctx, `INSERT INTO services (delivery_id, service_type, service_name)
				VALUES (?, ?, ?)`, c.ID, s.ServiceType, s.ServiceName); err != nil {
				return fmt.Errorf("seed service %s/%d: %w", c.ID, s.ServiceType, err)
			}
		}
	}
	ts := now.Unix()
	for _, a := range seedAccounts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts
			(delivery_id, biz_id, alias, status_code, quota_num, quota_update_time, create_time, update_time)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.DeliveryID, a.BizID, a.Alias, wxapi.AccountBound, a.Quota, ts, ts, ts); err != nil {
			return fmt.Errorf("seed account %s/%s: %w", a.DeliveryID, a.BizID, err)
		}
	}
	return nil
}
