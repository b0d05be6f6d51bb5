package sandbox

import (
	"context"
	"reflect"
	"testing"

	"waybilldesk/wxapi"
)

// wantDeliveries is ../shared/seeds/000 written out by hand, plus TEST.
var wantDeliveries = []wxapi.Delivery{
	{DeliveryID: "BEST", DeliveryName: "百世快递", CanUseCash: 0, CanGetQuota: 1,
		ServiceType: []wxapi.ServiceType{{ServiceType: 1, ServiceName: "标准快递"}}},
	{DeliveryID: "DB", DeliveryName: "德邦快递", CanUseCash: 1, CanGetQuota: 0, CashBizID: "DB_CASH",
		ServiceType: []wxapi.ServiceType{{ServiceType: 1, ServiceName: "大件快递3.60"}, {ServiceType: 2, ServiceName: "特准快件"}}},
	{DeliveryID: "EMS", DeliveryName: "中国邮政速递物流", CanUseCash: 0, CanGetQuota: 0,
		ServiceType: []wxapi.ServiceType{{ServiceType: 6, ServiceName: "标准快递"}, {ServiceType: 9, ServiceName: "快递包裹"}}},
	{DeliveryID: "OTP", DeliveryName: "承诺达特快", CanUseCash: 1, CanGetQuota: 0, CashBizID: "OTP_CASH",
		ServiceType: []wxapi.ServiceType{{ServiceType: 1, ServiceName: "标准快递"}}},
	{DeliveryID: "PJ", DeliveryName: "品骏快递", CanUseCash: 1, CanGetQuota: 0, CashBizID: "PJ_CASH",
		ServiceType: []wxapi.ServiceType{{ServiceType: 1, ServiceName: "标准快递"}}},
	{DeliveryID: "SF", DeliveryName: "顺丰速运", CanUseCash: 1, CanGetQuota: 0, CashBizID: "SF_CASH",
		ServiceType: []wxapi.ServiceType{{ServiceType: 1, ServiceName: "顺丰即日"}, {ServiceType: 2, ServiceName: "顺丰次晨"},
			{ServiceType: 3, ServiceName: "顺丰标快"}, {ServiceType: 4, ServiceName: "顺丰特惠"}}},
	{DeliveryID: "STO", DeliveryName: "申通快递", CanUseCash: 0, CanGetQuota: 1,
		ServiceType: []wxapi.ServiceType{{ServiceType: 1, ServiceName: "标准快递"}}},
	{DeliveryID: "YTO", DeliveryName: "圆通速递", CanUseCash: 0, CanGetQuota: 1,
		ServiceType: []wxapi.ServiceType{{ServiceType: 0, ServiceName: "普通快递"}, {ServiceType: 1, ServiceName: "圆准达"}}},
	{DeliveryID: "YUNDA", DeliveryName: "韵达快递", CanUseCash: 0, CanGetQuota: 1,
		ServiceType: []wxapi.ServiceType{{ServiceType: 0, ServiceName: "标准快件"}}},
	{DeliveryID: "ZTO", DeliveryName: "中通快递", CanUseCash: 0, CanGetQuota: 1,
		ServiceType: []wxapi.ServiceType{{ServiceType: 0, ServiceName: "标准快件"}}},
	{DeliveryID: "TEST", DeliveryName: "测试快递", CanUseCash: 0, CanGetQuota: 0,
		ServiceType: []wxapi.ServiceType{{ServiceType: 1, ServiceName: "test_service_name"}}},
}

func TestGetAllDelivery(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.GetAllDelivery(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != len(resp.Data) {
		t.Errorf("count = %d, data has %d", resp.Count, len(resp.Data))
	}
	if len(resp.Data) != len(wantDeliveries) {
		t.Fatalf("%d couriers, want %d: %+v", len(resp.Data), len(wantDeliveries), resp.Data)
	}
	for i, want := range wantDeliveries {
		got := resp.Data[i]
		t.Run(want.DeliveryID, func(t *testing.T) {
			if got.DeliveryID != want.DeliveryID || got.DeliveryName != want.DeliveryName {
				t.Errorf("courier = %s %s, want %s %s", got.DeliveryID, got.DeliveryName, want.DeliveryID, want.DeliveryName)
			}
			if got.CanUseCash != want.CanUseCash || got.CashBizID != want.CashBizID {
				t.Errorf("cash = %d %q, want %d %q", got.CanUseCash, got.CashBizID, want.CanUseCash, want.CashBizID)
			}
			if got.CanGetQuota != want.CanGetQuota {
				t.Errorf("can_get_quota = %d, want %d", got.CanGetQuota, want.CanGetQuota)
			}
			if !reflect.DeepEqual(got.ServiceType, want.ServiceType) {
				t.Errorf("service_type = %+v, want %+v", got.ServiceType, want.ServiceType)
			}
		})
	}
}

func TestGetAllAccount(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.GetAllAccount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != len(resp.List) {
		t.Errorf("count = %d, list has %d", resp.Count, len(resp.List))
	}
	want := []struct {
		delivery, biz string
		quota         int
	}{
		{"TEST", "test_biz_id", 0},
		{"BEST", "SANDBOX_BEST", 500},
		{"STO", "SANDBOX_STO", 500},
		{"YTO", "SANDBOX_YTO", 500},
		{"YUNDA", "SANDBOX_YUNDA", 500},
		{"ZTO", "SANDBOX_ZTO", 500},
		{"EMS", "SANDBOX_EMS", 0},
	}
	if len(resp.List) != len(want) {
		t.Fatalf("%d accounts, want %d: %+v", len(resp.List), len(want), resp.List)
	}
	services := map[string][]wxapi.ServiceType{}
	for _, d := range wantDeliveries {
		services[d.DeliveryID] = d.ServiceType
	}
	created := h.clock.Now().Unix()
	for i, w := range want {
		a := resp.List[i]
		if a.DeliveryID != w.delivery || a.BizID != w.biz || a.QuotaNum != w.quota {
			t.Errorf("account %d = %s/%s quota %d, want %s/%s quota %d", i, a.DeliveryID, a.BizID, a.QuotaNum, w.delivery, w.biz, w.quota)
		}
		if !a.Usable() || a.Alias == "" {
			t.Errorf("account %s: status %d alias %q", a.BizID, a.StatusCode, a.Alias)
		}
		if a.CreateTime != created || a.UpdateTime != created || a.QuotaUpdateTime != created {
			t.Errorf("account %s: times %d/%d/%d, want %d", a.BizID, a.CreateTime, a.UpdateTime, a.QuotaUpdateTime, created)
		}
		if !reflect.DeepEqual(a.ServiceType, services[a.DeliveryID]) {
			t.Errorf("account %s: service_type %+v", a.BizID, a.ServiceType)
		}
	}
	if resp.List[3].Alias != "沙箱圆通" {
		t.Errorf("YTO alias = %q", resp.List[3].Alias)
	}
}
