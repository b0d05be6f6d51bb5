package sandbox

import (
	"context"
	"net/http"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// account finds one account in getAllAccount, or nil.
func (h *harness) account(deliveryID, bizID string) *wxapi.Account {
	h.t.Helper()
	resp, err := h.client.GetAllAccount(context.Background())
	if err != nil {
		h.t.Fatalf("GetAllAccount: %v", err)
	}
	for _, a := range resp.List {
		if a.DeliveryID == deliveryID && a.BizID == bizID {
			return &a
		}
	}
	return nil
}

func TestBindAccount(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	bind := func(typ, delivery, biz, password, remark string) error {
		return h.client.BindAccount(ctx, &wxapi.BindAccountRequest{Type: typ, DeliveryID: delivery, BizID: biz,
			Password: password, RemarkContent: remark})
	}

	t.Run("franchise account", func(t *testing.T) {
		if err := bind("bind", "YTO", "SHOP_YTO_01", "secret", ""); err != nil {
			t.Fatalf("bind: %v", err)
		}
		a := h.account("YTO", "SHOP_YTO_01")
		if a == nil || !a.Usable() || a.QuotaNum != boundQuota || a.CreateTime != h.sb.Now().Unix() {
			t.Fatalf("bound account: %+v", a)
		}
		q, err := h.client.GetQuota(ctx, &wxapi.GetQuotaRequest{DeliveryID: "YTO", BizID: "SHOP_YTO_01"})
		if err != nil || q.QuotaNum != boundQuota {
			t.Fatalf("getQuota: %v %+v", err, q)
		}
		if _, err := h.client.AddOrder(ctx, sampleOrder("BIND-1", "YTO", "SHOP_YTO_01", 0, "普通快递")); err != nil {
			t.Fatalf("order on the new account: %v", err)
		}
		if q, _ := h.client.GetQuota(ctx, &wxapi.GetQuotaRequest{DeliveryID: "YTO", BizID: "SHOP_YTO_01"}); q.QuotaNum != boundQuota-1 {
			t.Errorf("quota after one order: %d", q.QuotaNum)
		}
		if err := bind("bind", "YTO", "SHOP_YTO_01", "secret", ""); wxapi.Code(err) != codeAlreadyBound {
			t.Errorf("second bind: %v, want 9300529", err)
		}
		if err := bind("unbind", "YTO", "SHOP_YTO_01", "", ""); err != nil {
			t.Fatalf("unbind: %v", err)
		}
		if a := h.account("YTO", "SHOP_YTO_01"); a != nil {
			t.Errorf("unbound account still listed: %+v", a)
		}
		if err := bind("unbind", "YTO", "SHOP_YTO_01", "", ""); wxapi.Code(err) != codeUnbindUnknown {
			t.Errorf("second unbind: %v, want 9300530", err)
		}
		_, err = h.client.GetQuota(ctx, &wxapi.GetQuotaRequest{DeliveryID: "YTO", BizID: "SHOP_YTO_01"})
		if wxapi.Code(err) != codeCourierFail {
			t.Errorf("getQuota of an unbound account: %v", err)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		for _, pw := range []string{wrongPassword, ""} {
			if err := bind("bind", "ZTO", "SHOP_ZTO_01", pw, ""); wxapi.Code(err) != codeWrongPassword {
				t.Errorf("password %q: %v, want 9300531", pw, err)
			}
		}
		if a := h.account("ZTO", "SHOP_ZTO_01"); a != nil {
			t.Errorf("a refused bind left an account: %+v", a)
		}
	})

	t.Run("EMS review", func(t *testing.T) {
		const remark = "电话：020-88888888 联系人：王经理 服务类型：快递包裹 发货地址：广州市天河区天河路385号"
		if err := bind("bind", "EMS", "EMS_SHOP_01", "", remark); wxapi.Code(err) != codeBindReviewing {
			t.Fatalf("EMS bind: %v, want 9300532 (under review)", err)
		}
		if a := h.account("EMS", "EMS_SHOP_01"); a == nil || a.StatusCode != wxapi.AccountReviewing || a.RemarkContent != remark {
			t.Fatalf("EMS account under review: %+v", a)
		}
		_, err := h.client.AddOrder(ctx, sampleOrder("EMS-REVIEW-1", "EMS", "EMS_SHOP_01", 6, "标准快递"))
		if wxapi.Code(err) != codeCourierFail {
			t.Errorf("order on an account under review: %v", err)
		}
		if err := bind("bind", "EMS", "EMS_SHOP_01", "", remark); wxapi.Code(err) != codeAlreadyBound {
			t.Errorf("bind during review: %v, want 9300529", err)
		}
		h.advance(emsReviewTime + time.Minute)
		if a := h.account("EMS", "EMS_SHOP_01"); a == nil || a.StatusCode != wxapi.AccountBound {
			t.Fatalf("EMS account after review: %+v", a)
		}
		if _, err := h.client.AddOrder(ctx, sampleOrder("EMS-REVIEW-2", "EMS", "EMS_SHOP_01", 6, "标准快递")); err != nil {
			t.Errorf("order after review: %v", err)
		}
	})

	t.Run("EMS review refused", func(t *testing.T) {
		if err := bind("bind", "EMS", "EMS_SHOP_02", "", "请尽快审核"); wxapi.Code(err) != codeBindReviewing {
			t.Fatalf("EMS bind: %v", err)
		}
		h.advance(emsReviewTime)
		a := h.account("EMS", "EMS_SHOP_02")
		if a == nil || a.StatusCode != wxapi.AccountBindFail || a.RemarkWrongMsg == "" {
			t.Fatalf("EMS account with a poor remark: %+v", a)
		}
		// A failed bind may be submitted again.
		if err := bind("bind", "EMS", "EMS_SHOP_02", "", "电话：1 联系人：2 发货地址：3"); wxapi.Code(err) != codeBindReviewing {
			t.Errorf("rebind after a failed review: %v", err)
		}
	})

	tok := h.token()
	for _, tc := range []struct {
		name string
		body any
		code int
	}{
		{"unknown courier", wxapi.BindAccountRequest{Type: "bind", DeliveryID: "NOPE", BizID: "x", Password: "p"}, 9300520},
		{"bad type", wxapi.BindAccountRequest{Type: "rebind", DeliveryID: "YTO", BizID: "x", Password: "p"}, 9300526},
		{"missing biz_id", wxapi.BindAccountRequest{Type: "bind", DeliveryID: "YTO", Password: "p"}, 9300526},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, h.do(http.MethodPost, wxapi.PathBindAccount+"?access_token="+tok, tc.body), tc.code)
		})
	}
}

func TestGetQuota(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	q, err := h.client.GetQuota(ctx, &wxapi.GetQuotaRequest{DeliveryID: "BEST", BizID: "SANDBOX_BEST"})
	if err != nil || q.QuotaNum != seedQuota {
		t.Fatalf("getQuota: %v %+v", err, q)
	}
	if code := h.admin(http.MethodPost, "/sandbox/quota", map[string]any{"delivery_id": "BEST", "biz_id": "SANDBOX_BEST", "quota_num": 3}, nil); code != http.StatusOK {
		t.Fatalf("POST /sandbox/quota: HTTP %d", code)
	}
	if q, _ := h.client.GetQuota(ctx, &wxapi.GetQuotaRequest{DeliveryID: "BEST", BizID: "SANDBOX_BEST"}); q.QuotaNum != 3 {
		t.Errorf("quota after POST /sandbox/quota: %d", q.QuotaNum)
	}
	if code := h.admin(http.MethodPost, "/sandbox/quota", map[string]any{"delivery_id": "BEST", "biz_id": "NOPE", "quota_num": 3}, nil); code != http.StatusNotFound {
		t.Errorf("quota of an unknown account: HTTP %d", code)
	}
	tok := h.token()
	var r reply
	for _, tc := range []struct {
		name        string
		body        any
		code        int
		courierCode int
	}{
		{"direct courier", wxapi.GetQuotaRequest{DeliveryID: "EMS", BizID: "SANDBOX_EMS"}, 9300501, -1},
		{"unbound account", wxapi.GetQuotaRequest{DeliveryID: "YTO", BizID: "NOBODY"}, 9300501, 10001},
		{"unknown courier", wxapi.GetQuotaRequest{DeliveryID: "NOPE", BizID: "x"}, 9300520, 0},
		{"missing biz_id", `{"delivery_id":"YTO"}`, 9300526, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r = h.do(http.MethodPost, wxapi.PathGetQuota+"?access_token="+tok, tc.body)
			wantErr(t, r, tc.code)
			if r.DeliveryResultCode != tc.courierCode {
				t.Errorf("delivery_resultcode %d, want %d", r.DeliveryResultCode, tc.courierCode)
			}
		})
	}
}
