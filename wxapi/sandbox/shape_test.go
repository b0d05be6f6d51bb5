package sandbox

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// The sandbox answers in WeChat's shapes: every key of the published
// samples (../testdata/fixtures) is in the sandbox's answer, and every key
// of the sandbox's answer is a field of the wxapi type that decodes the
// sample, so the client reads both alike.

// statusKeys may accompany any answer.
var statusKeys = []string{"errcode", "errmsg", "delivery_resultcode", "delivery_resultmsg"}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// jsonPaths lists the key paths of a JSON document: "a", "a.b", "list[].c".
func jsonPaths(t *testing.T, raw []byte) map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	out := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				out[p] = true
				walk(p, c)
			}
		case []any:
			for _, c := range x {
				walk(prefix+"[]", c)
			}
		}
	}
	walk("", v)
	return out
}

// typePaths lists the JSON key paths a Go type decodes.
func typePaths(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			if t.Kind() == reflect.Slice {
				prefix += "[]"
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" {
				walk(prefix, f.Type)
				continue
			}
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			out[p] = true
			walk(p, f.Type)
		}
	}
	walk("", t)
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkShape compares one sandbox answer with one published sample.
func checkShape(t *testing.T, answer []byte, fixtureName string, typ any) {
	t.Helper()
	fix := fixture(t, fixtureName)
	// The same struct decodes both.
	for name, raw := range map[string][]byte{"sandbox answer": answer, fixtureName: fix} {
		v := reflect.New(reflect.TypeOf(typ)).Interface()
		if err := json.Unmarshal(raw, v); err != nil {
			t.Errorf("%s does not decode into %T: %v", name, typ, err)
		}
	}
	got, want := jsonPaths(t, answer), jsonPaths(t, fix)
	allowed := typePaths(reflect.TypeOf(typ))
	for _, k := range statusKeys {
		allowed[k] = true
	}
	for _, k := range sortedKeys(want) {
		if !got[k] {
			t.Errorf("the sample %s has %q, the sandbox's answer does not (answer keys %v)", fixtureName, k, sortedKeys(got))
		}
	}
	for _, k := range sortedKeys(got) {
		if !allowed[k] {
			t.Errorf("the sandbox answers %q, which %T does not decode", k, typ)
		}
	}
}

func TestAnswersMatchFixtures(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tok := "?access_token=" + h.token()
	placed := h.place("SHAPE-1", "SF")
	h.place("SHAPE-2", "ZTO")
	h.advance(10 * 24 * time.Hour)
	toCancel := h.place("SHAPE-3", "SF")
	if err := h.client.UpdatePrinter(ctx, &wxapi.UpdatePrinterRequest{OpenID: "oABC", UpdateType: "bind", TagIDList: "123,456"}); err != nil {
		t.Fatal(err)
	}
	follow := h.do(http.MethodPost, wxapi.PathFollowWaybill+tok, paidFixture(t, "open_msg.follow_waybill.request.json"))
	var token struct {
		WaybillToken string `json:"waybill_token"`
	}
	json.Unmarshal([]byte(follow.raw), &token)
	trace := h.do(http.MethodPost, wxapi.PathTraceWaybill+tok, paidFixture(t, "open_msg.trace_waybill.request.json"))
	var traceToken struct {
		WaybillToken string `json:"waybill_token"`
	}
	json.Unmarshal([]byte(trace.raw), &traceToken)

	type statusOnly struct{}
	cases := []struct {
		name, method, path string
		body               any
		fixture            string
		typ                any
	}{
		{"token", http.MethodGet, classicQuery("client_credential", DefaultAppID, DefaultSecret), nil, "token.response.json", wxapi.TokenResponse{}},
		{"token 40013", http.MethodGet, classicQuery("client_credential", "wxother", DefaultSecret), nil, "token.response.error-40013.json", statusOnly{}},
		{"getAllDelivery", http.MethodGet, wxapi.PathGetAllDelivery + tok, nil, "getAllDelivery.response.json", wxapi.GetAllDeliveryResponse{}},
		{"getAllAccount", http.MethodGet, wxapi.PathGetAllAccount + tok, nil, "getAllAccount.response.json", wxapi.GetAllAccountResponse{}},
		{"addOrder", http.MethodPost, wxapi.PathAddOrder + tok, sampleOrder("SHAPE-5", "SF", "SF_CASH", 3, "顺丰标快"), "addOrder.response.json", wxapi.AddOrderResponse{}},
		{"addOrder 9300501", http.MethodPost, wxapi.PathAddOrder + tok, func() any {
			r := sampleOrder("SHAPE-4", "YTO", "SANDBOX_YTO", 0, "普通快递")
			r.Cargo.DetailList = nil
			return r
		}(), "addOrder.response.error-30001-detaillist.community.json", wxapi.AddOrderResponse{}},
		{"addOrder 9300522", http.MethodPost, wxapi.PathAddOrder + tok, sampleOrder("SHAPE-1", "SF", "SF_CASH", 3, "顺丰标快"),
			"addOrder.response.error-9300522-repeated.community.json", statusOnly{}},
		{"getOrder", http.MethodPost, wxapi.PathGetOrder + tok, wxapi.GetOrderRequest{OrderID: "SHAPE-1", DeliveryID: "SF"}, "getOrder.response.json", wxapi.GetOrderResponse{}},
		{"getOrder 9300528", http.MethodPost, wxapi.PathGetOrder + tok, wxapi.GetOrderRequest{OrderID: "NOPE", DeliveryID: "SF"},
			"getOrder.response.error-9300528.community.json", statusOnly{}},
		{"batchGetOrder", http.MethodPost, wxapi.PathBatchGetOrder + tok, wxapi.BatchGetOrderRequest{OrderList: []wxapi.OrderKey{
			{OrderID: "SHAPE-1", DeliveryID: "SF", WaybillID: placed.WaybillID}}}, "batchGetOrder.response.json", wxapi.BatchGetOrderResponse{}},
		{"getPath", http.MethodPost, wxapi.PathGetPath + tok, wxapi.GetPathRequest{OrderID: "SHAPE-1", DeliveryID: "SF", WaybillID: placed.WaybillID},
			"getPath.response.json", wxapi.GetPathResponse{}},
		{"cancelOrder", http.MethodPost, wxapi.PathCancelOrder + tok, wxapi.CancelOrderRequest{OrderID: "SHAPE-3", DeliveryID: "SF",
			WaybillID: toCancel.WaybillID}, "cancelOrder.response.json", wxapi.CancelOrderResponse{}},
		{"cancelOrder 930563", http.MethodPost, wxapi.PathCancelOrder + tok, wxapi.CancelOrderRequest{OrderID: "NOPE", DeliveryID: "SF", WaybillID: "x"},
			"cancelOrder.response.error-930563.community.json", statusOnly{}},
		{"getQuota", http.MethodPost, wxapi.PathGetQuota + tok, fixtureAs(t, "getQuota.request.json", map[string]string{"delivery_id": "YTO", "biz_id": "SANDBOX_YTO"}),
			"getQuota.response.json", wxapi.GetQuotaResponse{}},
		{"bindAccount", http.MethodPost, wxapi.PathBindAccount + tok, wxapi.BindAccountRequest{Type: "bind", DeliveryID: "YUNDA", BizID: "SHAPE_YD", Password: "p"},
			"bindAccount.response.json", statusOnly{}},
		{"bindAccount 9300520", http.MethodPost, wxapi.PathBindAccount + tok, wxapi.BindAccountRequest{Type: "bind", DeliveryID: "NOPE", BizID: "x"},
			"bindAccount.response.error-9300520.community.json", statusOnly{}},
		{"getPrinter", http.MethodGet, wxapi.PathGetPrinter + tok, nil, "getPrinter.response.json", wxapi.GetPrinterResponse{}},
		{"updatePrinter", http.MethodPost, wxapi.PathUpdatePrinter + tok, fixture(t, "updatePrinter.request.json"), "updatePrinter.response.json", statusOnly{}},
		{"testUpdateOrder", http.MethodPost, wxapi.PathTestUpdate + tok, wxapi.TestUpdateOrderRequest{BizID: "test_biz_id", OrderID: "SHAPE-T",
			DeliveryID: "TEST", WaybillID: h.place("SHAPE-T", "TEST").WaybillID, ActionTime: 1, ActionType: actCollected, ActionMsg: "揽件阶段"},
			"testUpdateOrder.response.json", statusOnly{}},
		{"follow_waybill", http.MethodPost, wxapi.PathFollowWaybill + tok, paidFixture(t, "open_msg.follow_waybill.request.json"),
			"open_msg.follow_waybill.response.json", wxapi.FollowResponse{}},
		{"trace_waybill", http.MethodPost, wxapi.PathTraceWaybill + tok, paidFixture(t, "open_msg.trace_waybill.request.json"),
			"open_msg.trace_waybill.response.json", wxapi.FollowResponse{}},
		{"query_follow_trace", http.MethodPost, wxapi.PathQueryFollowTrace + tok, wxapi.QueryTraceRequest{WaybillToken: token.WaybillToken},
			"open_msg.query_follow_trace.response.json", wxapi.QueryTraceResponse{}},
		{"query_trace", http.MethodPost, wxapi.PathQueryTrace + tok, wxapi.QueryTraceRequest{WaybillToken: traceToken.WaybillToken},
			"open_msg.query_trace.response.json", wxapi.QueryTraceResponse{}},
		{"get_delivery_list", http.MethodPost, wxapi.PathGetDeliveryList + tok, `{}`, "open_msg.get_delivery_list.response.json", wxapi.GetDeliveryListResponse{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if b, ok := body.([]byte); ok {
				body = string(b)
			}
			r := h.do(tc.method, tc.path, body)
			checkShape(t, []byte(r.raw), tc.fixture, tc.typ)
		})
	}
}

// fixtureAs is a request fixture with some fields replaced (the samples
// name accounts the sandbox does not have).
func fixtureAs(t *testing.T, name string, set map[string]string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		m[k] = v
	}
	return mustJSON(t, m)
}

// paidFixture is a registration sample with the trans_id WeChat's samples
// leave out although its field table requires it.
func paidFixture(t *testing.T, name string) string {
	return fixtureAs(t, name, map[string]string{"trans_id": paidTx})
}

// The pushed add_express_path has the sample's keys, in JSON and in XML.
func TestPushMatchesFixtures(t *testing.T) {
	for _, format := range []string{PushJSON, PushXML} {
		t.Run(format, func(t *testing.T) {
			var mu sync.Mutex
			var bodies [][]byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, b)
				mu.Unlock()
				io.WriteString(w, "success")
			}))
			defer srv.Close()
			h := newHarnessWith(t, func(o *Options) {
				o.Push = PushOptions{URL: srv.URL, Token: pushToken, Format: format, Interval: 10 * time.Millisecond}
			})
			h.place("SHAPE-PUSH", "SF")
			h.advance(10 * 24 * time.Hour)
			deadline := time.Now().Add(5 * time.Second)
			var body []byte
			for body == nil && time.Now().Before(deadline) {
				mu.Lock()
				if len(bodies) > 0 {
					body = bodies[0]
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
			if body == nil {
				t.Fatal("no push")
			}
			if _, err := wxapi.ParsePathEvent(body); err != nil {
				t.Errorf("wxapi cannot parse the push: %v\n%s", err, body)
			}
			if format == PushJSON {
				got, want := jsonPaths(t, body), jsonPaths(t, fixture(t, "add_express_path.event.json"))
				if strings.Join(sortedKeys(got), " ") != strings.Join(sortedKeys(want), " ") {
					t.Errorf("push keys %v, sample %v", sortedKeys(got), sortedKeys(want))
				}
				return
			}
			got, want := xmlElements(t, body), xmlElements(t, fixture(t, "add_express_path.event.xml"))
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("push elements %v, sample %v", got, want)
			}
		})
	}
}

// xmlElements lists the distinct element paths of an XML document.
func xmlElements(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(string(raw)))
	var stack []string
	seen := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
			seen[strings.Join(stack, "/")] = true
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	return sortedKeys(seen)
}
