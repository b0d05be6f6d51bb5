package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// The standalone sandbox is tested as a separate process: the test binary
// runs itself again with sandboxChildEnv set, and TestMain turns that child
// into `waybilldesk sandbox ...` with the arguments in sandboxArgsEnv.
const (
	sandboxChildEnv = "WAYBILLDESK_SANDBOX_CHILD"
	sandboxArgsEnv  = "WAYBILLDESK_SANDBOX_ARGS"
)

func TestMain(m *testing.M) {
	if os.Getenv(sandboxChildEnv) == "1" {
		var args []string
		if err := json.Unmarshal([]byte(os.Getenv(sandboxArgsEnv)), &args); err != nil {
			fmt.Fprintln(os.Stderr, "sandbox child: bad arguments:", err)
			os.Exit(2)
		}
		os.Exit(Main(context.Background(), args, os.Stdout, os.Stderr, nil))
	}
	os.Exit(m.Run())
}

// sandboxProcess is a running `waybilldesk sandbox` child.
type sandboxProcess struct {
	url    string
	cmd    *exec.Cmd
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingRe = regexp.MustCompile(`at (http://\S+) \(AppID`)

// startSandbox runs `waybilldesk sandbox --listen 127.0.0.1:0 --state ...
// args...` as a child process and returns when it serves. It is stopped
// with SIGINT (and must exit cleanly) when the test ends.
func startSandbox(t *testing.T, args ...string) *sandboxProcess {
	t.Helper()
	all := append([]string{"sandbox", "--listen", "127.0.0.1:0", "--state", filepath.Join(t.TempDir(), "sandbox.db")}, args...)
	raw, _ := json.Marshal(all)
	cmd := exec.Command(os.Args[0])
	for _, kv := range os.Environ() {
		// Credentials of the developer's environment must not leak in.
		if !strings.HasPrefix(kv, "WAYBILLDESK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, sandboxChildEnv+"=1", sandboxArgsEnv+"="+string(raw))
	p := &sandboxProcess{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t) })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line, ok := <-lines:
		m := servingRe.FindStringSubmatch(line)
		if !ok || m == nil {
			t.Fatalf("sandbox child printed %q; stderr:\n%s", line, p.stderr.String())
		}
		p.url = m[1]
	case <-time.After(20 * time.Second):
		t.Fatalf("sandbox child did not start; stderr:\n%s", p.stderr.String())
	}
	go func() {
		for range lines {
		}
	}()
	t.Logf("sandbox process %d serving %s after %v", cmd.Process.Pid, p.url, time.Since(start).Round(time.Millisecond))
	return p
}

// stop interrupts the child like Ctrl-C and waits for a clean exit.
func (p *sandboxProcess) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("sandbox child exited with %v; stderr:\n%s", err, p.stderr.String())
		}
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-done
		t.Errorf("sandbox child ignored SIGINT")
	}
	if strings.Contains(p.stderr.String(), "access_token=") {
		t.Errorf("the sandbox logged an access_token:\n%s", p.stderr.String())
	}
}

// client is the real WeChat client pointed at the child.
func (p *sandboxProcess) client(appID, secret string) *wxapi.Client {
	return wxapi.New(wxapi.Options{BaseURL: p.url, AppID: appID, Secret: secret, Timeout: 10 * time.Second,
		Logger: discardLogger()})
}

// admin calls a /sandbox/ endpoint of the child.
func (p *sandboxProcess) admin(t *testing.T, method, path, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

// platformOrder is an order as GET /sandbox/orders lists it.
type platformOrder struct {
	OrderID      string `json:"order_id"`
	WaybillID    string `json:"waybill_id"`
	DeliveryID   string `json:"delivery_id"`
	BizID        string `json:"biz_id"`
	Status       string `json:"status"`
	OrderStatus  int    `json:"order_status"`
	CustomRemark string `json:"custom_remark"`
	CreateTime   int64  `json:"create_time"`
}

func (p *sandboxProcess) orders(t *testing.T) map[string]platformOrder {
	t.Helper()
	var list struct {
		Count  int             `json:"count"`
		Orders []platformOrder `json:"orders"`
	}
	p.admin(t, http.MethodGet, "/sandbox/orders", "", &list)
	out := map[string]platformOrder{}
	for _, o := range list.Orders {
		out[o.OrderID] = o
	}
	return out
}

// standaloneCouriers: every courier of the catalogue with an account or a
// cash biz id of the sandbox, and a service it offers.
var standaloneCouriers = []struct {
	delivery, biz string
	svc           int
	svcName       string
}{
	{"BEST", "SANDBOX_BEST", 1, "标准快递"},
	{"DB", "DB_CASH", 1, "大件快递3.60"},
	{"EMS", "SANDBOX_EMS", 6, "标准快递"},
	{"OTP", "OTP_CASH", 1, "标准快递"},
	{"PJ", "PJ_CASH", 1, "标准快递"},
	{"SF", "SF_CASH", 4, "顺丰特惠"},
	{"STO", "SANDBOX_STO", 1, "标准快递"},
	{"YTO", "SANDBOX_YTO", 1, "圆准达"},
	{"YUNDA", "SANDBOX_YUNDA", 0, "标准快件"},
	{"ZTO", "SANDBOX_ZTO", 0, "标准快件"},
	{"TEST", "test_biz_id", 1, "test_service_name"},
}

// exampleOrder is examples/order.json for a courier.
func exampleOrder(t *testing.T, orderID, delivery, biz string, svc int, svcName string) *wxapi.AddOrderRequest {
	t.Helper()
	req, err := readOrderFile(examplePath(t))
	if err != nil {
		t.Fatal(err)
	}
	req.OrderID, req.DeliveryID, req.BizID = orderID, delivery, biz
	req.Service = wxapi.Service{ServiceType: svc, ServiceName: svcName}
	return req
}

// Every courier, through the real client against a sandbox in its own
// process: place, read the label, track to signed, cancel before pick-up,
// refuse to cancel once signed, and agree with GET /sandbox/orders.
func TestStandaloneSandboxEveryCourier(t *testing.T) {
	start := time.Now()
	p := startSandbox(t, "--seed", "7")
	ctx := context.Background()
	c := p.client("wxsandbox", "sandbox")

	for _, bad := range []struct{ appID, secret string }{{"wxother", "sandbox"}, {"wxsandbox", "nope"}} {
		_, err := p.client(bad.appID, bad.secret).GetAllDelivery(ctx)
		want := map[string]int{"wxother": 40013, "wxsandbox": 40125}[bad.appID]
		if wxapi.Code(err) != want {
			t.Errorf("credentials %s/%s: %v, want %d", bad.appID, bad.secret, err, want)
		}
	}
	all, err := c.GetAllDelivery(ctx)
	if err != nil || all.Count != len(standaloneCouriers) {
		t.Fatalf("getAllDelivery: %v %+v", err, all)
	}

	waybills := map[string]string{}
	for _, cc := range standaloneCouriers {
		for _, suffix := range []string{"-KEEP", "-CANCEL"} {
			id := "PROC-" + cc.delivery + suffix
			placed, err := c.AddOrder(ctx, exampleOrder(t, id, cc.delivery, cc.biz, cc.svc, cc.svcName))
			if err != nil {
				t.Fatalf("%s: addOrder: %v", id, err)
			}
			waybills[id] = placed.WaybillID
			got, err := c.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: id, DeliveryID: cc.delivery, WaybillID: placed.WaybillID})
			if err != nil {
				t.Fatalf("%s: getOrder: %v", id, err)
			}
			html, err := got.Label()
			if err != nil || !strings.Contains(html, placed.WaybillID) || !strings.Contains(html, cc.svcName) {
				t.Errorf("%s: label %v", id, err)
			}
		}
		id := "PROC-" + cc.delivery + "-CANCEL"
		if _, err := c.CancelOrder(ctx, &wxapi.CancelOrderRequest{OrderID: id, DeliveryID: cc.delivery, WaybillID: waybills[id]}); err != nil {
			t.Errorf("%s: cancel before pick-up: %v", id, err)
		}
		if got, _ := c.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: id, DeliveryID: cc.delivery}); got == nil || got.OrderStatus != wxapi.OrderStatusCancelled {
			t.Errorf("%s: order_status after cancel: %+v", id, got)
		}
	}

	// TEST moves by hand, the others by the clock: ten days pass.
	test := "PROC-TEST-KEEP"
	now := time.Now().Unix()
	for i, step := range []struct {
		typ int
		msg string
	}{{100001, "揽件成功"}, {200001, "【广州转运中心】已发出"}, {300002, "派件中"}, {300003, "已签收"}} {
		if err := c.TestUpdateOrder(ctx, &wxapi.TestUpdateOrderRequest{BizID: "test_biz_id", OrderID: test, DeliveryID: "TEST",
			WaybillID: waybills[test], ActionTime: now + int64(i)*3600, ActionType: step.typ, ActionMsg: step.msg}); err != nil {
			t.Fatalf("testUpdateOrder: %v", err)
		}
	}
	p.admin(t, http.MethodPost, "/sandbox/clock", `{"advance":"240h"}`, nil)

	platform := p.orders(t)
	if len(platform) != 2*len(standaloneCouriers) {
		t.Errorf("/sandbox/orders holds %d orders, want %d", len(platform), 2*len(standaloneCouriers))
	}
	for _, cc := range standaloneCouriers {
		id := "PROC-" + cc.delivery + "-KEEP"
		path, err := c.GetPath(ctx, &wxapi.GetPathRequest{OrderID: id, DeliveryID: cc.delivery, WaybillID: waybills[id]})
		if err != nil {
			t.Fatalf("%s: getPath: %v", id, err)
		}
		n := len(path.PathItemList)
		if n < 4 || path.PathItemList[n-1].ActionType != 300003 {
			t.Errorf("%s: path does not end signed: %+v", id, path.PathItemList)
		}
		_, err = c.CancelOrder(ctx, &wxapi.CancelOrderRequest{OrderID: id, DeliveryID: cc.delivery, WaybillID: waybills[id]})
		if wxapi.Code(err) != 9300506 {
			t.Errorf("%s: cancelling a signed order: %v, want 9300506", id, err)
		}
		keep, gone := platform[id], platform["PROC-"+cc.delivery+"-CANCEL"]
		if keep.Status != "signed" || keep.WaybillID != waybills[id] || keep.BizID != cc.biz || keep.CustomRemark == "" || keep.CreateTime == 0 {
			t.Errorf("%s on the platform: %+v", id, keep)
		}
		if gone.Status != "cancelled" || gone.OrderStatus != 1 {
			t.Errorf("cancelled %s on the platform: %+v", cc.delivery, gone)
		}
	}
	t.Logf("%d couriers placed, tracked and cancelled through a sandbox process in %v", len(standaloneCouriers), time.Since(start).Round(time.Millisecond))
}

// Each fault switch, given on the command line, reaches the process.
func TestStandaloneSandboxFaultFlags(t *testing.T) {
	ctx := context.Background()
	t.Run("flags and GET /sandbox/faults", func(t *testing.T) {
		p := startSandbox(t, "--latency", "60ms", "--token-ttl", "1s", "--appid", "wxdemo", "--secret", "s3cret", "--seed", "3", "--speed", "2")
		var f map[string]any
		p.admin(t, http.MethodGet, "/sandbox/faults", "", &f)
		if f["latency"] != "60ms" || f["token-ttl"] != "1s" || f["error-rate"] != 0.0 {
			t.Errorf("GET /sandbox/faults: %v", f)
		}
		c := p.client("wxdemo", "s3cret")
		if _, err := c.GetAllDelivery(ctx); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := c.GetAllAccount(ctx); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 60*time.Millisecond {
			t.Errorf("a call took %v with --latency 60ms", d)
		}
		// The token dies after a second although it announced 7200s; the
		// client sees 42001 and refreshes by itself.
		time.Sleep(1100 * time.Millisecond)
		if _, err := c.GetAllAccount(ctx); err != nil {
			t.Errorf("after the token died early: %v", err)
		}
		var clock struct {
			Speed float64 `json:"speed"`
		}
		p.admin(t, http.MethodGet, "/sandbox/clock", "", &clock)
		if clock.Speed != 2 {
			t.Errorf("--speed 2: clock %+v", clock)
		}
	})
	t.Run("error-rate", func(t *testing.T) {
		p := startSandbox(t, "--error-rate", "1")
		if _, err := p.client("wxsandbox", "sandbox").GetAllDelivery(ctx); wxapi.Code(err) != -1 {
			t.Errorf("--error-rate 1: %v, want errcode -1", err)
		}
	})
	t.Run("http500-rate", func(t *testing.T) {
		p := startSandbox(t, "--http500-rate", "1")
		resp, err := http.Get(p.url + wxapi.PathGetAllDelivery)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("--http500-rate 1: HTTP %d", resp.StatusCode)
		}
	})
	t.Run("drop-after-commit-rate", func(t *testing.T) {
		p := startSandbox(t, "--label-size", "76x130")
		c := p.client("wxsandbox", "sandbox")
		if _, err := c.GetAllDelivery(ctx); err != nil {
			t.Fatal(err)
		}
		p.admin(t, http.MethodPost, "/sandbox/faults", `{"drop-after-commit-rate":1}`, nil)
		_, err := c.AddOrder(ctx, exampleOrder(t, "DROP-1", "ZTO", "SANDBOX_ZTO", 0, "标准快件"))
		var we *wxapi.Error
		if err == nil || errors.As(err, &we) {
			t.Fatalf("addOrder with the answer dropped: %v, want a connection error", err)
		}
		p.admin(t, http.MethodPost, "/sandbox/faults", `{"drop-after-commit-rate":0}`, nil)
		o, ok := p.orders(t)["DROP-1"]
		got, err := c.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "DROP-1", DeliveryID: "ZTO"})
		if !ok || err != nil || got.WaybillID != o.WaybillID {
			t.Fatalf("the stored order: %+v %v %+v", o, err, got)
		}
		if html, _ := got.Label(); !strings.Contains(html, "size: 76mm 130mm") {
			t.Error("--label-size 76x130 not applied")
		}
	})
	t.Run("quota", func(t *testing.T) {
		p := startSandbox(t)
		p.admin(t, http.MethodPost, "/sandbox/quota", `{"delivery_id":"YTO","biz_id":"SANDBOX_YTO","quota_num":0}`, nil)
		_, err := p.client("wxsandbox", "sandbox").AddOrder(ctx, exampleOrder(t, "Q-1", "YTO", "SANDBOX_YTO", 0, "普通快递"))
		if wxapi.Code(err) != 9300501 {
			t.Errorf("addOrder on an empty account: %v, want 9300501", err)
		}
	})
}

// --callback and the push switches: an encrypted XML add_express_path
// reaches a mini program's receiver as the clock moves.
func TestStandaloneSandboxPush(t *testing.T) {
	const token, aesKey = "pushToken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	crypto, err := wxapi.NewPushCrypto(token, aesKey, "wxsandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *wxapi.PathEvent, 100)
	var raw sync.Map
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw.Store("query", r.URL.RawQuery)
		(&wxapi.PushHandler{Crypto: crypto, Logger: discardLogger(), OnPath: func(_ context.Context, ev *wxapi.PathEvent) error {
			got <- ev
			return nil
		}}).ServeHTTP(w, r)
	}))
	defer recv.Close()
	p := startSandbox(t, "--callback", recv.URL, "--push-token", token, "--push-aes-key", aesKey, "--push-format", "xml")
	c := p.client("wxsandbox", "sandbox")
	placed, err := c.AddOrder(context.Background(), exampleOrder(t, "PUSH-1", "SF", "SF_CASH", 4, "顺丰特惠"))
	if err != nil {
		t.Fatal(err)
	}
	p.admin(t, http.MethodPost, "/sandbox/clock", `{"advance":"240h"}`, nil)
	select {
	case ev := <-got:
		if ev.WaybillID != placed.WaybillID || ev.Version != 1 || ev.Count == 0 || ev.Count != len(ev.Actions) {
			t.Errorf("push %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no push in 10s; sandbox stderr:\n%s", p.stderr.String())
	}
	if q, _ := raw.Load("query"); !strings.Contains(fmt.Sprint(q), "encrypt_type=aes") {
		t.Errorf("push query %v is not safe mode", q)
	}
}

// `waybilldesk sandbox --help` explains every switch.
func TestSandboxHelp(t *testing.T) {
	_, errOut, code := run(t, "sandbox", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, flag := range []string{"listen", "state", "appid", "secret", "speed", "seed", "latency", "error-rate",
		"http500-rate", "drop-after-commit-rate", "token-ttl", "callback", "push-token", "push-aes-key", "push-format", "label-size"} {
		m := regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(flag) + `( \w+)?\n    \t(.{20,})$`).FindStringSubmatch(errOut)
		if m == nil {
			t.Errorf("--help does not explain --%s in a sentence:\n%s", flag, errOut)
		}
	}
	for _, want := range []string{"/sandbox/faults", "/sandbox/quota", "/sandbox/orders", "/sandbox/clock", "/sandbox/label_size"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
	for _, bad := range [][]string{{"sandbox", "--speed", "fast"}, {"sandbox", "extra"}, {"sandbox", "--label-size", "A4"},
		{"sandbox", "--push-token", "t"}} {
		if _, errOut, code := run(t, bad...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d %q, want 2", bad, code, errOut)
		}
	}
	if _, errOut, code := run(t, "sandbox", "--listen", "127.0.0.1:0", "--state", filepath.Join(t.TempDir(), "s.db"),
		"--error-rate", "2"); code != 1 || !strings.Contains(errOut, "error-rate") {
		t.Errorf("--error-rate 2: exit %d %q", code, errOut)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
