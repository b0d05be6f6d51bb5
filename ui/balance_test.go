package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestBalanceShowsQuotaAndWarnsWhenLow(t *testing.T) {
	h := newHarness(t)
	b := h.m.Balance
	h.m.ShowBalance()
	h.waitFor("the balances", func() bool { return len(b.Accounts) > 0 })
	yto := h.courier("YTO").Accounts[0]
	if !showsText(b.Table, yto.BizID) || !showsText(b.Table, "圆通") {
		t.Fatalf("table %q lacks YTO's account %s", texts(b.Table), yto.BizID)
	}
	if b.Threshold.Text != "50" {
		t.Errorf("threshold %q, want the default 50", b.Threshold.Text)
	}

	// The courier sold fewer labels: asking WeChat shows 3 left, in red.
	h.sandboxAdmin("/sandbox/quota", `{"delivery_id":"YTO","biz_id":"`+yto.BizID+`","quota_num":3}`)
	test.Tap(b.Refresh)
	h.waitFor("the new balance", func() bool {
		for _, a := range b.Accounts {
			if a.BizID == yto.BizID && a.Quota == 3 {
				return true
			}
		}
		return false
	})
	if !b.Warning.Visible() || !strings.Contains(b.Warning.Text, "少于 50") || !showsText(b.Table, "余额不足") {
		t.Errorf("no low-balance warning: %q / %q", b.Warning.Text, texts(b.Table))
	}
	if !strings.Contains(b.Info.Text, "刚刚查询") {
		t.Errorf("info %q does not say the numbers are fresh", b.Info.Text)
	}

	// Below 2 is low from now on: 3 is enough.
	typeInto(b.Threshold, "2")
	test.Tap(b.SaveThreshold)
	h.waitFor("the warning gone", func() bool { return !b.Warning.Visible() && !b.loading })
	if n, _ := h.d.Orders.QuotaThreshold(h.ctx); n != 2 {
		t.Errorf("stored threshold %d", n)
	}
	typeInto(b.Threshold, "abc")
	test.Tap(b.SaveThreshold)
	if b.Threshold.ErrorText() == "" {
		t.Error("a threshold of abc was accepted")
	}
}
