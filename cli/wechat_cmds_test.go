package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// The WeChat commands through the in-process command line, as an operator
// types them: against the embedded sandbox (--sandbox) or, with --api-base,
// against a sandbox in its own process whose clock the tests move.

// cmdline runs waybilldesk with the flags that pick the history and WeChat.
type cmdline struct {
	t     *testing.T
	flags []string
}

// embedded uses the embedded sandbox beside a fresh history.
func embedded(t *testing.T) cmdline {
	return cmdline{t, []string{"--sandbox", "--db", filepath.Join(t.TempDir(), "h.db")}}
}

// standalone talks to a sandbox process through --api-base.
func standalone(t *testing.T, p *sandboxProcess) cmdline {
	return cmdline{t, []string{"--db", filepath.Join(t.TempDir(), "h.db"), "--api-base", p.url, "--appid", "wxsandbox", "--secret", "sandbox"}}
}

func (c cmdline) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	return run(c.t, append(append([]string(nil), c.flags...), args...)...)
}

// ok runs a command that must succeed and returns its stdout.
func (c cmdline) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("waybilldesk %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// asJSON runs a command with --json that must succeed and decodes its stdout.
func (c cmdline) asJSON(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("waybilldesk --json %s printed non-JSON (%v):\n%s", strings.Join(args, " "), err, out)
	}
}

// fails runs a command that must exit with code and returns its stderr.
func (c cmdline) fails(code int, args ...string) string {
	c.t.Helper()
	out, errOut, got := c.run(args...)
	if got != code {
		c.t.Fatalf("waybilldesk %s: exit %d, want %d\nstdout %s\nstderr %s", strings.Join(args, " "), got, code, out, errOut)
	}
	if code == 1 && out != "" {
		c.t.Errorf("waybilldesk %s failed but printed %q", strings.Join(args, " "), out)
	}
	return errOut
}

// place places examples/order.json as orderID, on another courier when
// delivery is given, and returns the waybill id.
func (c cmdline) place(orderID, delivery, biz string, svc int, svcName string) string {
	c.t.Helper()
	file := examplePath(c.t)
	if delivery != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			c.t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(raw, &m)
		m["delivery_id"], m["biz_id"] = delivery, biz
		m["service"] = map[string]any{"service_type": svc, "service_name": svcName}
		file = writeJSON(c.t, m)
	}
	var placed struct {
		OrderID   string `json:"order_id"`
		WaybillID string `json:"waybill_id"`
		Status    string `json:"status"`
	}
	c.asJSON(&placed, "order", "place", "--file", file, "--order-id", orderID)
	if placed.OrderID != orderID || placed.WaybillID == "" || placed.Status != "placed" {
		c.t.Fatalf("placed %+v", placed)
	}
	return placed.WaybillID
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(t.TempDir(), "body-*.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(b)
	return f.Name()
}

func sampleFile(name string) string {
	return filepath.Join("..", "wxapi", "testdata", "fixtures", name)
}

// lines splits output into its lines without the final newline.
func lines(out string) []string { return strings.Split(strings.TrimRight(out, "\n"), "\n") }

// keys lists a JSON object's field names, sorted.
func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func wantLines(t *testing.T, got string, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(lines(got), want) {
		t.Errorf("printed\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// errJSON decodes the error object --json prints on stderr.
func errJSON(t *testing.T, stderr string) (errcode int, msg string) {
	t.Helper()
	var e struct {
		ErrCode int    `json:"errcode"`
		Error   string `json:"error"`
	}
	if err := json.Unmarshal([]byte(stderr), &e); err != nil {
		t.Fatalf("--json error is not JSON: %q", stderr)
	}
	return e.ErrCode, e.Error
}

// TestCouriersCommand: every courier with its service types and accounts,
// as text and as JSON with WeChat's field names, the two agreeing.
func TestCouriersCommand(t *testing.T) {
	c := embedded(t)
	text := lines(c.ok("couriers"))
	var list []map[string]any
	c.asJSON(&list, "couriers")

	head := regexp.MustCompile(`^(\S+) +(\S+)  \[(.*)\]$`)
	var heads []string
	accounts := map[string][]string{}
	for _, l := range text {
		if m := head.FindStringSubmatch(l); m != nil {
			heads = append(heads, m[1]+" "+m[2]+" ["+m[3]+"]")
			continue
		}
		if !strings.HasPrefix(l, "       ") || len(heads) == 0 {
			t.Fatalf("unexpected line %q in\n%s", l, strings.Join(text, "\n"))
		}
		id := strings.Fields(heads[len(heads)-1])[0]
		accounts[id] = append(accounts[id], strings.TrimSpace(l))
	}
	if len(heads) != len(list) || len(list) < 10 {
		t.Fatalf("text lists %d couriers, --json %d", len(heads), len(list))
	}
	for i, cj := range list {
		if got := keys(cj); !reflect.DeepEqual(got, []string{"accounts", "delivery_id", "delivery_name", "service_type"}) {
			t.Fatalf("courier %d has fields %v", i, got)
		}
		var svcs []string
		for _, s := range cj["service_type"].([]any) {
			s := s.(map[string]any)
			svcs = append(svcs, fmt.Sprintf("%v %v", s["service_type"], s["service_name"]))
		}
		if len(svcs) == 0 {
			t.Errorf("%v has no service_type", cj["delivery_id"])
		}
		if want := fmt.Sprintf("%v %v [%s]", cj["delivery_id"], cj["delivery_name"], strings.Join(svcs, ", ")); heads[i] != want {
			t.Errorf("text %q, --json %q", heads[i], want)
		}
	}
	byID := map[string]map[string]any{}
	for _, cj := range list {
		byID[cj["delivery_id"].(string)] = cj
	}
	sf := byID["SF"]
	if sf["delivery_name"] != "顺丰速运" || !strings.Contains(fmt.Sprint(sf["service_type"]), "service_name:顺丰标快 service_type:3") {
		t.Errorf("SF: %v", sf)
	}
	if got := fmt.Sprint(sf["accounts"]); got != "[map[biz_id:SF_CASH cash:true]]" {
		t.Errorf("SF accounts %s, want its cash biz_id", got)
	}
	if want := []string{"SF_CASH · 现付 cash"}; !reflect.DeepEqual(accounts["SF"], want) {
		t.Errorf("SF account lines %q, want %q", accounts["SF"], want)
	}
	yto := byID["YTO"]["accounts"].([]any)[0].(map[string]any)
	if yto["biz_id"] != "SANDBOX_YTO" || yto["quota_num"] == nil {
		t.Errorf("YTO account %v: a franchise account shows its quota_num", yto)
	}
	if len(accounts["YTO"]) != 1 || !strings.HasSuffix(accounts["YTO"][0], fmt.Sprintf("(SANDBOX_YTO) · 余额 %v", yto["quota_num"])) {
		t.Errorf("YTO account lines %q", accounts["YTO"])
	}
}

// account is a row of accounts --json.
type account struct {
	BizID          string `json:"biz_id"`
	DeliveryID     string `json:"delivery_id"`
	StatusCode     int    `json:"status_code"`
	RemarkWrongMsg string `json:"remark_wrong_msg"`
	RemarkContent  string `json:"remark_content"`
	QuotaNum       int    `json:"quota_num"`
}

func (c cmdline) accounts() map[string]account {
	c.t.Helper()
	var resp struct {
		Count int       `json:"count"`
		List  []account `json:"list"`
	}
	c.asJSON(&resp, "accounts")
	if resp.Count != len(resp.List) {
		c.t.Errorf("accounts: count %d for %d rows", resp.Count, len(resp.List))
	}
	out := map[string]account{}
	for _, a := range resp.List {
		out[a.DeliveryID+"/"+a.BizID] = a
	}
	return out
}

// TestBindCommand: bind and unbind a franchise account, and each refusal
// with its errcode and exit status 1 (2 for a mistake in the flags).
func TestBindCommand(t *testing.T) {
	c := embedded(t)
	bind := func(extra ...string) []string {
		return append([]string{"bind", "--delivery-id", "YTO", "--biz-id", "MY_YTO", "--password", "pw"}, extra...)
	}
	steps := []struct {
		name   string
		args   []string
		code   int
		stdout string // the whole output, when the command succeeds
		stderr string // what the message must carry, when it fails
	}{
		{"bind", bind(), 0, "bind YTO MY_YTO: ok\n", ""},
		{"bind again", bind(), 1, "", "errcode 9300529"},
		{"wrong password", []string{"bind", "--delivery-id", "ZTO", "--biz-id", "MY_ZTO", "--password", "wrong"}, 1, "", "errcode 9300531 (账号或密码错误 / account or password wrong)"},
		{"franchise without password", []string{"bind", "--delivery-id", "ZTO", "--biz-id", "MY_ZTO"}, 1, "", "errcode 9300531"},
		{"unknown courier", []string{"bind", "--delivery-id", "XYZ", "--biz-id", "B", "--password", "pw"}, 1, "", "errcode 9300520"},
		{"unbind an unknown account", []string{"bind", "--unbind", "--delivery-id", "YTO", "--biz-id", "NOBODY"}, 1, "", "errcode 9300530"},
		{"no biz_id", []string{"bind", "--delivery-id", "YTO"}, 2, "", "biz_id: is required"},
		{"no delivery_id", []string{"bind", "--biz-id", "B"}, 2, "", "delivery_id: is required"},
	}
	for _, s := range steps {
		out, errOut, code := c.run(s.args...)
		if code != s.code || (s.code == 0 && out != s.stdout) || (s.code != 0 && (out != "" || !strings.Contains(errOut, s.stderr))) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and %q", s.name, code, out, errOut, s.code, s.stdout+s.stderr)
		}
	}

	accts := c.accounts()
	if a, ok := accts["YTO/MY_YTO"]; !ok || a.StatusCode != wxapi.AccountBound || a.QuotaNum <= 0 {
		t.Errorf("accounts after the bind: %+v", a)
	}
	if _, ok := accts["ZTO/MY_ZTO"]; ok {
		t.Error("a refused bind shows in accounts")
	}
	if !regexp.MustCompile(`(?m)^YTO +MY_YTO +bound +\d+ +\d{4}-\d\d-\d\d \d\d:\d\d$`).MatchString(c.ok("accounts")) {
		t.Errorf("accounts table lacks MY_YTO:\n%s", c.ok("accounts"))
	}

	// --json: WeChat's field names on stdout; the password is not echoed.
	var done map[string]any
	c.asJSON(&done, "bind", "--delivery-id", "STO", "--biz-id", "MY_STO", "--password", "s3cret")
	if want := map[string]any{"type": "bind", "delivery_id": "STO", "biz_id": "MY_STO", "errcode": 0.0, "errmsg": "ok"}; !reflect.DeepEqual(done, want) {
		t.Errorf("bind --json printed %v, want %v", done, want)
	}
	errOut := c.fails(1, "--json", "bind", "--delivery-id", "STO", "--biz-id", "OTHER", "--password", "wrong")
	if code, msg := errJSON(t, errOut); code != 9300531 || !strings.Contains(msg, "bindAccount") {
		t.Errorf("--json refusal: %q", errOut)
	}

	wantLines(t, c.ok("bind", "--unbind", "--delivery-id", "YTO", "--biz-id", "MY_YTO"), "unbind YTO MY_YTO: ok")
	accts = c.accounts()
	if _, ok := accts["YTO/MY_YTO"]; ok {
		t.Error("unbound account still listed")
	}
	if _, ok := accts["YTO/SANDBOX_YTO"]; !ok {
		t.Error("unbinding one account touched another")
	}
}

// TestBindEMSReview: EMS reviews binds. The bind is accepted for review
// (9300532, not a failure), accounts shows it reviewing, and once the
// review time has passed on the sandbox clock it is bound, or failed with
// the reviewer's reason when the remark lacks what EMS asks for. Runs
// against a sandbox process through --api-base.
func TestBindEMSReview(t *testing.T) {
	p := startSandbox(t)
	c := standalone(t, p)
	const full = "电话：13800138000 联系人：陈晓明 服务类型：标准快递 发货地址：浙江省杭州市西湖区文三路 398 号"
	wantLines(t, c.ok("bind", "--delivery-id", "EMS", "--biz-id", "EMS_OK", "--remark-content", full),
		"bind EMS EMS_OK: submitted, under review (errcode 9300532); accounts shows the result")
	var done map[string]any
	c.asJSON(&done, "bind", "--delivery-id", "EMS", "--biz-id", "EMS_SHORT", "--remark-content", "联系人：陈晓明")
	if done["errcode"] != 9300532.0 || done["delivery_id"] != "EMS" || done["biz_id"] != "EMS_SHORT" || done["errmsg"] == "" {
		t.Errorf("EMS bind --json: %v", done)
	}
	c.fails(1, "bind", "--delivery-id", "EMS", "--biz-id", "EMS_OK", "--remark-content", full) // under review = bound for now: 9300529

	accts := c.accounts()
	if a := accts["EMS/EMS_OK"]; a.StatusCode != wxapi.AccountReviewing || a.RemarkContent != full {
		t.Errorf("EMS account under review: %+v", a)
	}
	if !regexp.MustCompile(`(?m)^EMS +EMS_SHORT +reviewing `).MatchString(c.ok("accounts")) {
		t.Errorf("accounts does not show the review:\n%s", c.ok("accounts"))
	}

	p.admin(t, http.MethodPost, "/sandbox/clock", `{"advance":"3h"}`, nil)
	accts = c.accounts()
	if a := accts["EMS/EMS_OK"]; a.StatusCode != wxapi.AccountBound {
		t.Errorf("EMS account with a complete remark after review: %+v", a)
	}
	if a := accts["EMS/EMS_SHORT"]; a.StatusCode != wxapi.AccountBindFail || !strings.Contains(a.RemarkWrongMsg, "审核未通过") {
		t.Errorf("EMS account with an incomplete remark after review: %+v", a)
	}
	if !regexp.MustCompile(`(?m)^EMS +EMS_SHORT +failed \(审核未通过`).MatchString(c.ok("accounts")) {
		t.Errorf("accounts does not show why the review failed:\n%s", c.ok("accounts"))
	}
}

// getOrder is the answer of order get --remote --json.
type getOrder struct {
	PrintHTML   string     `json:"print_html"`
	WaybillData []wxapi.KV `json:"waybill_data"`
	DeliveryID  string     `json:"delivery_id"`
	WaybillID   string     `json:"waybill_id"`
	OrderID     string     `json:"order_id"`
	OrderStatus int        `json:"order_status"`
}

// label decodes print_html and returns the label's body class (the
// sandbox's templates mark p2 two-part, p1 one-part).
func label(t *testing.T, o getOrder) (html, bodyClass string) {
	t.Helper()
	html, err := wxapi.DecodePrintHTML(o.PrintHTML)
	if err != nil {
		t.Fatalf("print_html of %s: %v", o.OrderID, err)
	}
	if !strings.Contains(html, o.WaybillID) {
		t.Errorf("the label of %s lacks its waybill id", o.OrderID)
	}
	m := regexp.MustCompile(`<body class="([^"]*)"`).FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("label without a body class")
	}
	return html, m[1]
}

// TestOrderGetRemote: getOrder's answer for an order of the history, by
// order id or waybill id, the label type by --print-type, and the
// mistakes an operator can make.
func TestOrderGetRemote(t *testing.T) {
	c := embedded(t)
	wb := c.place("GET-1", "", "", 0, "")

	var two getOrder
	var raw map[string]any
	c.asJSON(&raw, "order", "get", "GET-1", "--remote")
	if got := keys(raw); !reflect.DeepEqual(got, []string{"delivery_id", "order_id", "order_status", "print_html", "waybill_data", "waybill_id"}) {
		t.Fatalf("--json fields %v, want getOrder's", got)
	}
	c.asJSON(&two, "order", "get", "GET-1", "--remote")
	if two.OrderID != "GET-1" || two.WaybillID != wb || two.DeliveryID != "SF" || two.OrderStatus != wxapi.OrderStatusNormal || len(two.WaybillData) == 0 {
		t.Fatalf("getOrder: %+v", two)
	}
	if _, class := label(t, two); !regexp.MustCompile(`\bp2\b`).MatchString(class) {
		t.Errorf("default label is %q, want the two-part p2", class)
	}

	want := []string{"order_id     GET-1", "waybill_id   " + wb, "delivery_id  SF", "order_status 0 (normal)",
		fmt.Sprintf("print_html   %d bytes (base64)", len(two.PrintHTML))}
	for _, kv := range two.WaybillData {
		want = append(want, "  "+kv.Key+" = "+kv.Value)
	}
	wantLines(t, c.ok("order", "get", "GET-1", "--remote"), want...)
	wantLines(t, c.ok("order", "get", wb, "--remote"), want...) // by waybill id, as a scanner gives it

	var one getOrder
	c.asJSON(&one, "order", "get", "GET-1", "--remote", "--print-type", "1")
	if _, class := label(t, one); !regexp.MustCompile(`\bp1\b`).MatchString(class) || one.PrintHTML == two.PrintHTML {
		t.Errorf("--print-type 1 gave a %q label, want the one-part p1", class)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"order", "get", "GET-1", "--remote", "--print-type", "3"}, "print_type"},
		{[]string{"order", "get", "NOPE", "--remote"}, "give --delivery-id"},
		{[]string{"order", "get", "NOPE", "--remote", "--delivery-id", "SF"}, "errcode 9300528"},
	} {
		if errOut := c.fails(1, tt.args...); !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: %q, want %q", tt.args, errOut, tt.want)
		}
	}
	c.fails(2, "order", "get", "--remote")
}

// TestOrderBatch: batchGetOrder by order ids of the history or with a body
// file, each item with its own result.
func TestOrderBatch(t *testing.T) {
	c := embedded(t)
	wb1 := c.place("BAT-1", "", "", 0, "")
	wb2 := c.place("BAT-2", "YTO", "SANDBOX_YTO", 0, "普通快递")

	type item struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		getOrder
	}
	var resp struct {
		OrderList []item `json:"order_list"`
	}
	c.asJSON(&resp, "order", "batch", "BAT-1", "BAT-2")
	if len(resp.OrderList) != 2 {
		t.Fatalf("batch of 2: %+v", resp)
	}
	for i, want := range []struct{ order, delivery, waybill string }{{"BAT-1", "SF", wb1}, {"BAT-2", "YTO", wb2}} {
		got := resp.OrderList[i]
		if got.ErrCode != 0 || got.OrderID != want.order || got.DeliveryID != want.delivery || got.WaybillID != want.waybill {
			t.Errorf("item %d: %+v", i, got)
		}
		label(t, got.getOrder)
	}
	wantLines(t, c.ok("order", "batch", "BAT-1", "BAT-2"),
		fmt.Sprintf("BAT-1 SF %s status=0 label=%dB ok", wb1, len(resp.OrderList[0].PrintHTML)),
		fmt.Sprintf("BAT-2 YTO %s status=0 label=%dB ok", wb2, len(resp.OrderList[1].PrintHTML)))

	// A body file: one good key and one with a wrong waybill id.
	file := writeJSON(t, map[string]any{"order_list": []map[string]string{
		{"order_id": "BAT-1", "delivery_id": "SF", "waybill_id": wb1},
		{"order_id": "BAT-2", "delivery_id": "YTO", "waybill_id": "YT0000000000"},
	}})
	out := lines(c.ok("order", "batch", "--file", file))
	if len(out) != 2 || !strings.HasSuffix(out[0], " ok") || !strings.HasPrefix(out[1], "BAT-2 YTO YT0000000000 ") ||
		!strings.Contains(out[1], "errcode 9300528") {
		t.Errorf("batch --file printed\n%s", strings.Join(out, "\n"))
	}
	resp.OrderList = nil
	c.asJSON(&resp, "order", "batch", "--file", file)
	if len(resp.OrderList) != 2 || resp.OrderList[0].ErrCode != 0 || resp.OrderList[1].ErrCode != wxapi.CodeInvalidWaybill || resp.OrderList[1].ErrMsg == "" {
		t.Errorf("batch --file --json: %+v", resp)
	}

	c.fails(2, "order", "batch")
	if errOut := c.fails(1, "order", "batch", "--file", writeJSON(t, map[string]any{"orders": []any{}})); !strings.Contains(errOut, `unknown field "orders"`) {
		t.Errorf("misspelt body: %q", errOut)
	}
	if errOut := c.fails(1, "order", "batch", "NOPE"); !strings.Contains(errOut, "NOPE") {
		t.Errorf("unknown order: %q", errOut)
	}
}

// orderRow is an order as order get/list --json print it.
type orderRow struct {
	OrderID   string `json:"order_id"`
	WaybillID string `json:"waybill_id"`
	Status    string `json:"status"`
}

// TestOrderCancelAndPath, against a sandbox process through --api-base: an
// order is cancelled before pick-up; once the courier has collected a
// parcel (the TEST courier moved by testUpdateOrder) WeChat refuses with
// 9300506 and the courier's reason, and the order stays as it was; path
// lists the events, as text and as getPath's path_item_list.
func TestOrderCancelAndPath(t *testing.T) {
	p := startSandbox(t)
	c := standalone(t, p)
	wbFree := c.place("CAN-1", "", "", 0, "")
	wbTest := c.place("CAN-2", wxapi.TestDeliveryID, wxapi.TestBizID, 1, "test_service_name")

	// A fresh order has no path yet.
	wantLines(t, c.ok("order", "path", "CAN-2"), "CAN-2 TEST "+wbTest+": no tracking yet")

	// Before pick-up: cancelled, here and on the platform.
	wantLines(t, c.ok("order", "cancel", "CAN-1"), "CAN-1 ("+wbFree+") cancelled")
	var row orderRow
	c.asJSON(&row, "order", "get", "CAN-1")
	if row.Status != "cancelled" {
		t.Errorf("after cancel: %+v", row)
	}
	if !strings.Contains(c.ok("order", "get", "CAN-1", "--remote"), "order_status 1 (cancelled)") {
		t.Error("getOrder does not show the cancellation")
	}
	if o := p.orders(t)["CAN-1"]; o.Status != "cancelled" || o.OrderStatus != wxapi.OrderStatusCancelled {
		t.Errorf("on the platform: %+v", o)
	}
	if errOut := c.fails(1, "order", "cancel", "CAN-1"); !strings.Contains(errOut, "already cancelled") {
		t.Errorf("second cancel: %q", errOut)
	}

	// The courier collects CAN-2 and it leaves the hub.
	api := p.client("wxsandbox", "sandbox")
	t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Minute).Unix()
	events := []wxapi.PathItem{{ActionTime: t0, ActionType: 100001, ActionMsg: "揽件成功"}, {ActionTime: t0 + 3600, ActionType: 200001, ActionMsg: "【杭州转运中心】已发出"}}
	for _, ev := range events {
		if err := api.TestUpdateOrder(t.Context(), &wxapi.TestUpdateOrderRequest{BizID: wxapi.TestBizID, OrderID: "CAN-2",
			DeliveryID: wxapi.TestDeliveryID, WaybillID: wbTest, ActionTime: ev.ActionTime, ActionType: ev.ActionType, ActionMsg: ev.ActionMsg}); err != nil {
			t.Fatal(err)
		}
	}
	errOut := c.fails(1, "order", "cancel", "CAN-2")
	for _, want := range []string{"cancel CAN-2", "errcode 9300506", "[courier 30002: 已揽件不能取消]"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("cancel after pick-up: %q lacks %q", errOut, want)
		}
	}
	if code, msg := errJSON(t, c.fails(1, "--json", "order", "cancel", "CAN-2")); code != 9300506 || !strings.Contains(msg, "30002") {
		t.Errorf("--json: errcode %d %q", code, msg)
	}
	row = orderRow{}
	c.asJSON(&row, "order", "get", "CAN-2")
	if row.Status != "placed" || row.WaybillID != wbTest {
		t.Errorf("a refused cancel changed the order: %+v", row)
	}
	if o := p.orders(t)["CAN-2"]; o.OrderStatus != wxapi.OrderStatusNormal {
		t.Errorf("a refused cancel changed the platform's order: %+v", o)
	}

	// path: the events, oldest first, with the stage they lead to.
	wantLines(t, c.ok("order", "path", "CAN-2"), "CAN-2 TEST "+wbTest+": in_transit",
		"  "+time.Unix(t0, 0).Format("2006-01-02 15:04")+"  100001  揽件成功",
		"  "+time.Unix(t0+3600, 0).Format("2006-01-02 15:04")+"  200001  【杭州转运中心】已发出")
	var path struct {
		OrderID      string           `json:"order_id"`
		WaybillID    string           `json:"waybill_id"`
		DeliveryID   string           `json:"delivery_id"`
		TrackStatus  string           `json:"track_status"`
		PathItemNum  int              `json:"path_item_num"`
		PathItemList []wxapi.PathItem `json:"path_item_list"`
	}
	c.asJSON(&path, "order", "path", "CAN-2")
	if path.OrderID != "CAN-2" || path.WaybillID != wbTest || path.DeliveryID != "TEST" || path.TrackStatus != "in_transit" ||
		path.PathItemNum != 2 || !reflect.DeepEqual(path.PathItemList, events) {
		t.Errorf("path --json: %+v", path)
	}

	// Signed: still refused, now with the courier's 30003.
	if err := api.TestUpdateOrder(t.Context(), &wxapi.TestUpdateOrderRequest{BizID: wxapi.TestBizID, OrderID: "CAN-2",
		DeliveryID: wxapi.TestDeliveryID, WaybillID: wbTest, ActionTime: t0 + 7200, ActionType: 300003, ActionMsg: "已签收"}); err != nil {
		t.Fatal(err)
	}
	if errOut := c.fails(1, "order", "cancel", "CAN-2"); !strings.Contains(errOut, "errcode 9300506") || !strings.Contains(errOut, "[courier 30003:") {
		t.Errorf("cancel after signing: %q", errOut)
	}
	path.PathItemList = nil
	c.asJSON(&path, "order", "path", "CAN-2")
	if path.TrackStatus != "signed" || path.PathItemNum != 3 {
		t.Errorf("path after signing: %+v", path)
	}
	c.fails(2, "order", "cancel")
	c.fails(2, "order", "path")
}

// TestOperatorsCommand: printer operators (打印员) are listed, added with
// their tag ids and removed; a malformed tag list is a usage error naming
// tagid_list and reaches nobody.
func TestOperatorsCommand(t *testing.T) {
	c := embedded(t)
	steps := []struct {
		args []string
		want []string
	}{
		{[]string{"operators", "list"}, []string{""}},
		{[]string{"operators", "add", "--openid", "oOP_A", "--tagid-list", "123,456"}, []string{"bind oOP_A: ok"}},
		{[]string{"operators", "add", "--openid", "oOP_B"}, []string{"bind oOP_B: ok"}},
		{[]string{"operators", "list"}, []string{"oOP_A", "oOP_B", "tagid_list: 123,456"}},
		{[]string{"operators", "add", "--openid", "oOP_A", "--tagid-list", "789"}, []string{"bind oOP_A: ok"}}, // replaces A's tags
		{[]string{"operators", "list"}, []string{"oOP_A", "oOP_B", "tagid_list: 789"}},
		{[]string{"operators", "remove", "--openid", "oOP_A"}, []string{"unbind oOP_A: ok"}},
		{[]string{"operators", "list"}, []string{"oOP_B"}},
	}
	for _, s := range steps {
		if got := lines(c.ok(s.args...)); !reflect.DeepEqual(got, s.want) {
			t.Errorf("%v printed %q, want %q", s.args, got, s.want)
		}
	}

	var done map[string]any
	c.asJSON(&done, "operators", "add", "--openid", "oOP_C", "--tagid-list", "1,2")
	if want := map[string]any{"openid": "oOP_C", "update_type": "bind", "tagid_list": "1,2", "errcode": 0.0, "errmsg": "ok"}; !reflect.DeepEqual(done, want) {
		t.Errorf("operators add --json: %v, want %v", done, want)
	}
	var list wxapi.GetPrinterResponse
	var raw map[string]any
	c.asJSON(&raw, "operators", "list")
	c.asJSON(&list, "operators", "list")
	if got := keys(raw); !reflect.DeepEqual(got, []string{"count", "openid", "tagid_list"}) {
		t.Errorf("operators list --json fields %v", got)
	}
	if want := (wxapi.GetPrinterResponse{Count: 2, OpenID: []string{"oOP_B", "oOP_C"}, TagIDList: []string{"1", "2"}}); !reflect.DeepEqual(list, want) {
		t.Errorf("operators list --json: %+v, want %+v", list, want)
	}

	for _, tags := range []string{"1, 2", "1,,2", "a,b", "1;2", "1,2,3,4,5,6,7,8,9,10,11"} {
		errOut := c.fails(2, "operators", "add", "--openid", "oOP_D", "--tagid-list", tags)
		if !strings.Contains(errOut, "tagid_list") {
			t.Errorf("--tagid-list %q: %q does not name tagid_list", tags, errOut)
		}
	}
	if errOut := c.fails(2, "operators", "add"); !strings.Contains(errOut, "openid") {
		t.Errorf("add without --openid: %q", errOut)
	}
	c.fails(2, "operators")
	c.fails(2, "operators", "promote", "--openid", "x")
	c.asJSON(&list, "operators", "list")
	if list.Count != 2 {
		t.Errorf("refused commands changed the operators: %+v", list)
	}
}

// queryAnswer is notify query --json.
type queryAnswer struct {
	WaybillInfo struct {
		Status    int    `json:"status"`
		WaybillID string `json:"waybill_id"`
	} `json:"waybill_info"`
	ShopInfo struct {
		GoodsInfo wxapi.GoodsInfo `json:"goods_info"`
	} `json:"shop_info"`
	DeliveryInfo struct {
		DeliveryID   string `json:"delivery_id"`
		DeliveryName string `json:"delivery_name"`
	} `json:"delivery_info"`
}

// TestNotifyCommands: buyer notices of both families with WeChat's sample
// bodies as --file and the trans_id they lack as --trans-id: register,
// query, replace the goods; the families' tokens do not mix; the flags
// override the body.
func TestNotifyCommands(t *testing.T) {
	c := embedded(t)
	tokenRe := regexp.MustCompile(`^waybill_token (o_[A-Za-z0-9_-]{20,})$`)
	const paid = "4200001234202503140000000001"

	// WeChat's samples leave out trans_id, which its field table requires:
	// refused as a usage error, and nothing is registered.
	for _, sub := range []string{"follow", "trace"} {
		errOut := c.fails(2, "notify", sub, "--file", sampleFile("open_msg."+sub+"_waybill.request.json"))
		if !strings.Contains(errOut, "trans_id is required") || !strings.Contains(errOut, "--trans-id") {
			t.Errorf("notify %s without trans_id: %q", sub, errOut)
		}
	}

	out := lines(c.ok("notify", "follow", "--trans-id", paid, "--file", sampleFile("open_msg.follow_waybill.request.json")))
	m := tokenRe.FindStringSubmatch(out[0])
	if len(out) != 1 || m == nil {
		t.Fatalf("notify follow printed %q", out)
	}
	follow := m[1]
	var reg map[string]any
	c.asJSON(&reg, "notify", "trace", "--trans-id", paid, "--file", sampleFile("open_msg.trace_waybill.request.json"))
	trace, _ := reg["waybill_token"].(string)
	if !reflect.DeepEqual(keys(reg), []string{"waybill_token"}) || !strings.HasPrefix(trace, "o_") || trace == follow {
		t.Fatalf("notify trace --json printed %v", reg)
	}

	// query shows the status; the sample's waybill is not collected yet.
	if got := lines(c.ok("notify", "query", "--waybill-token", follow)); len(got) != 3 || got[0] != "waybill_id WXTESTEXPRESS0000014" ||
		got[1] != "status     0 运单不存在或未揽收 not found / not collected" || !strings.HasPrefix(got[2], "courier ") {
		t.Errorf("notify query printed %q", got)
	}
	var q queryAnswer
	c.asJSON(&q, "notify", "query", "--waybill-token", trace, "--family", "trace")
	if q.WaybillInfo.WaybillID != "WXTESTEXPRESS0000014" || q.WaybillInfo.Status != wxapi.NoticeStatusNotFound ||
		q.ShopInfo.GoodsInfo.DetailList[1].GoodsName != "测试名字2" || q.ShopInfo.GoodsInfo.DetailList[1].GoodsImgURL != "www.qq.com" {
		t.Errorf("query --family trace: %+v", q)
	}
	// A follow token is unknown to the trace family and the other way round.
	if errOut := c.fails(1, "notify", "query", "--waybill-token", trace); !strings.Contains(errOut, "errcode 9300507") {
		t.Errorf("trace token asked as follow: %q", errOut)
	}

	// update-goods takes WeChat's body; --waybill-token names the notice
	// (the sample's own token is another mini program's).
	wantLines(t, c.ok("notify", "update-goods", "--waybill-token", follow, "--file", sampleFile("open_msg.update_follow_waybill_goods.request.json")), "goods updated")
	q = queryAnswer{}
	c.asJSON(&q, "notify", "query", "--waybill-token", follow)
	if want := []wxapi.NoticeGoods{{GoodsName: "测试更新商品", GoodsImgURL: "www.baidu.com"}}; !reflect.DeepEqual(q.ShopInfo.GoodsInfo.DetailList, want) {
		t.Errorf("goods after update-goods: %+v", q.ShopInfo.GoodsInfo)
	}
	var done map[string]any
	c.asJSON(&done, "notify", "update-goods", "--family", "trace", "--waybill-token", trace, "--file", sampleFile("open_msg.update_waybill_goods.request.json"))
	if done["waybill_token"] != trace || done["errcode"] != 0.0 || !strings.Contains(fmt.Sprint(done["goods_info"]), "测试更新商品") {
		t.Errorf("update-goods --json: %v", done)
	}
	// goods_info alone, with the token in the flag.
	goods := writeJSON(t, map[string]any{"detail_list": []map[string]string{{"goods_name": "西湖龙井 250g", "goods_img_url": "https://example.com/tea.png", "goods_desc": "明前特级"}}})
	c.ok("notify", "update-goods", "--waybill-token", follow, "--file", goods)
	q = queryAnswer{}
	c.asJSON(&q, "notify", "query", "--waybill-token", follow)
	if got := q.ShopInfo.GoodsInfo.DetailList; len(got) != 1 || got[0].GoodsDesc != "明前特级" {
		t.Errorf("goods after update-goods with goods_info alone: %+v", got)
	}

	// --openid overrides the body's buyer: a new notice, a new token.
	out = lines(c.ok("notify", "follow", "--openid", "oOTHER_BUYER", "--trans-id", paid, "--file", sampleFile("open_msg.follow_waybill.request.json")))
	if m := tokenRe.FindStringSubmatch(out[0]); m == nil || m[1] == follow {
		t.Errorf("follow for another buyer printed %q", out)
	}

	for _, tt := range []struct {
		code int
		args []string
		want string
	}{
		{2, []string{"notify", "follow"}, "--file"},
		{2, []string{"notify", "query"}, "--waybill-token"},
		{2, []string{"notify", "query", "--waybill-token", follow, "--family", "both"}, "--family"},
		{2, []string{"notify", "update-goods", "--file", goods}, "--waybill-token"},
		{2, []string{"notify", "ring"}, "ring"},
		{1, []string{"notify", "follow", "--file", writeJSON(t, map[string]any{"open_id": "o"})}, `unknown field "open_id"`},
		{1, []string{"notify", "follow", "--trans-id", paid, "--file", writeJSON(t, map[string]any{"openid": "o", "waybill_id": "W123456"})}, "goods_info.detail_list"},
		{1, []string{"notify", "update-goods", "--waybill-token", "o_forged_token", "--file", goods}, "errcode 9300507"},
	} {
		if errOut := c.fails(tt.code, tt.args...); !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: %q, want %q", tt.args, errOut, tt.want)
		}
	}
}

// TestNotifyFollowsTheParcel, through --api-base: a notice on a waybill the
// sandbox issued reports the parcel's progress as the sandbox clock moves.
func TestNotifyFollowsTheParcel(t *testing.T) {
	p := startSandbox(t)
	c := standalone(t, p)
	wb := c.place("NOTE-1", "", "", 0, "")
	// trans_id may come in the body instead of --trans-id.
	body := map[string]any{"openid": "oBUYER", "waybill_id": wb, "receiver_phone": "18610000000", "trans_id": "4200001234202503140000000003",
		"goods_info": map[string]any{"detail_list": []map[string]string{{"goods_name": "西湖龙井 250g", "goods_img_url": "https://example.com/tea.png"}}}}
	var reg wxapi.FollowResponse
	c.asJSON(&reg, "notify", "follow", "--file", writeJSON(t, body))

	var q queryAnswer
	c.asJSON(&q, "notify", "query", "--waybill-token", reg.WaybillToken)
	if q.WaybillInfo.WaybillID != wb || q.WaybillInfo.Status != wxapi.NoticeStatusNotFound || q.DeliveryInfo.DeliveryName == "" {
		t.Fatalf("before pick-up: %+v", q)
	}
	p.admin(t, http.MethodPost, "/sandbox/clock", `{"advance":"240h"}`, nil)
	q = queryAnswer{}
	c.asJSON(&q, "notify", "query", "--waybill-token", reg.WaybillToken)
	if q.WaybillInfo.Status == wxapi.NoticeStatusNotFound {
		t.Fatalf("ten days later the notice still says not collected: %+v", q)
	}
	status := regexp.MustCompile(`(?m)^status +(\d) (.+)$`).FindStringSubmatch(c.ok("notify", "query", "--waybill-token", reg.WaybillToken))
	if status == nil || status[1] != fmt.Sprint(q.WaybillInfo.Status) || strings.Contains(status[2], "unknown") {
		t.Errorf("text status %q, --json %d", status, q.WaybillInfo.Status)
	}
}
