package courier

import (
	"strings"
	"testing"
)

func TestMaskCodes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"您的快件已到菜鸟驿站，取件码 7-5-2072，请及时领取", "您的快件已到菜鸟驿站，取件码 ****，请及时领取"},
		{"取件码：A12-3-4567", "取件码：****"},
		{"凭取件码【88-2-1031】到丰巢柜取件", "凭取件码【****】到丰巢柜取件"},
		{"提货码为 TH2024ab", "提货码为 ****"},
		{"取货码是123456", "取货码是****"},
		{"验证码: 4821", "验证码: ****"},
		{"取件密码 902311 开柜码 5521", "取件密码 **** 开柜码 ****"},
		{"取件码 1234、5678 两件", "取件码 **** 两件"},
		{"取件码７－５－２０７２", "取件码****"},
		{"Pickup code: K-7-123", "Pickup code: ****"},
		{"已放至驿站，凭7-5-2072取件", "已放至驿站，凭****取件"},
		{"货架 A12-3-4567", "货架 ****"},
		// Not codes: left alone.
		{"验证码已发送至收件人手机", "验证码已发送至收件人手机"},
		{"取件码请查看短信", "取件码请查看短信"},
		{"客服热线 400-820-8820", "客服热线 400-820-8820"},
		{"2024-03-10 12:00:00 到达【泉州磁灶集散中心】", "2024-03-10 12:00:00 到达【泉州磁灶集散中心】"},
		{"运单 YT0000000000001-1-1234 已揽收", "运单 YT0000000000001-1-1234 已揽收"},
		{"快件离开 【河北永清县】 已发往 【贵阳】", "快件离开 【河北永清县】 已发往 【贵阳】"},
	} {
		if got := maskCodes(tc.in); got != tc.want {
			t.Errorf("maskCodes(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Codes first, then phones: a code shaped like a mobile number goes
	// whole, a phone beside a code keeps its masked form.
	if got := maskScanText("验证码 13800138000，派件员电话 13912345678", nil); got != "验证码 ****，派件员电话 139****5678" {
		t.Errorf("maskScanText = %q", got)
	}
}

// TestScanMasksPickupCodes: through the real gateway over HTTP, a pickup
// code in an event text or its place is masked on the public scan page,
// while the back-check answer to WeChat keeps the text exactly as pushed
// to the receiver's WeChat (WeChat notifies only when the two agree).
func TestScanMasksPickupCodes(t *testing.T) {
	now := cst(2024, 3, 10, 12, 0, 0)
	g := startGateway(t, now, Options{})
	g.addOrder(t, "O-PC", "PC1", cst(2024, 3, 9, 9, 0, 0),
		act(cst(2024, 3, 9, 9, 30, 0), 100001, "快递员已揽收"),
		act(cst(2024, 3, 10, 9, 0, 0), 300005, "您的快件已存放至【菜鸟驿站取件码7-5-2072】，取件码 7-5-2072，提货码：A12-3-4567"),
		act(cst(2024, 3, 10, 10, 0, 0), 300005, "已放至丰巢柜，凭88-2-1031取件，验证码 4821"))
	_, _, body := get(t, g.scanURL("PC1", nil))
	for _, secret := range []string{"7-5-2072", "A12-3-4567", "88-2-1031", "4821"} {
		if strings.Contains(body, secret) {
			t.Errorf("the scan answer shows %s: %s", secret, body)
		}
	}
	var got OrderInfo
	jsonp(t, "WxOrderCb", body, &got)
	if len(got.Traces) != 3 || !strings.Contains(got.Traces[1].AcceptAddress, "取件码 ****") ||
		!strings.Contains(got.Traces[1].AcceptAddress, "提货码：****") || got.Traces[1].Remark != "菜鸟驿站取件码****" {
		t.Fatalf("traces %+v", got.Traces)
	}

	side := &wechat{token: testToken}
	status, reply, text := side.send(t, g, backCheckEvent(now, "PC1"), sendOpts{})
	if status != 200 || reply.ResultCode != 0 || len(reply.Path) != 3 {
		t.Fatalf("back-check: HTTP %d %s", status, text)
	}
	found := false
	for _, p := range reply.Path {
		found = found || p.ActionMsg == "您的快件已存放至【菜鸟驿站取件码7-5-2072】，取件码 7-5-2072，提货码：A12-3-4567"
	}
	if !found {
		t.Fatalf("the back-check's path differs from what pathnotify pushed: %s", text)
	}
}
