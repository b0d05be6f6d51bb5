package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

func TestAccountsAndQuota(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	out, errOut, code := run(t, "--sandbox", "--db", db, "accounts")
	if code != 0 || !strings.Contains(out, "YTO") || !strings.Contains(out, "bound") || !strings.Contains(out, "QUOTA_NUM") {
		t.Fatalf("accounts: %d %s %s", code, out, errOut)
	}
	out, errOut, code = run(t, "--sandbox", "--db", db, "--json", "quota")
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) == 0 {
		t.Fatalf("quota: %d %s %s", code, out, errOut)
	}
	before := map[string]float64{}
	for _, r := range rows {
		before[r["delivery_id"].(string)] = r["quota_num"].(float64)
	}
	// An order on YTO spends one label.
	raw, _ := os.ReadFile(examplePath(t))
	var m map[string]any
	json.Unmarshal(raw, &m)
	m["delivery_id"], m["biz_id"], m["service"] = "YTO", "", map[string]any{"service_type": 0}
	b, _ := json.Marshal(m)
	file := filepath.Join(t.TempDir(), "yto.json")
	os.WriteFile(file, b, 0o644)
	if _, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", file); code != 0 {
		t.Fatal(errOut)
	}
	out, _, _ = run(t, "--sandbox", "--db", db, "--json", "quota", "--delivery-id", "YTO", "--biz-id", rowsBiz(rows, "YTO"))
	json.Unmarshal([]byte(out), &rows)
	if len(rows) != 1 || rows[0]["quota_num"].(float64) != before["YTO"]-1 {
		t.Fatalf("YTO quota after an order: %s (before %v)", out, before["YTO"])
	}
}

func rowsBiz(rows []map[string]any, delivery string) string {
	for _, r := range rows {
		if r["delivery_id"] == delivery {
			return r["biz_id"].(string)
		}
	}
	return ""
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestEventsServe runs the push receiver as a user would and sends it a
// plaintext and a safe-mode push, a forged one and a replay.
func TestEventsServe(t *testing.T) {
	const token, aesKey, appID = "pushtoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxb11529c136998cb6"
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"--appid", appID, "--db", filepath.Join(t.TempDir(), "h.db"), "events", "serve",
			"--listen", addr, "--token", token, "--aes-key", aesKey, "--apply=false"}, &out, &errb, nil)
	}()
	waitListening(t, addr)

	body, _ := os.ReadFile(filepath.Join("..", "wxapi", "testdata", "fixtures", "add_express_path.event.xml"))
	crypto, _ := wxapi.NewPushCrypto(token, aesKey, appID, "")
	send := func(q url.Values, payload []byte) int {
		resp, err := http.Post("http://"+addr+"/?"+q.Encode(), "text/xml", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := strconv.FormatInt(time.Now().Unix(), 10)
	if code := send(url.Values{"timestamp": {now}, "nonce": {"1"}, "signature": {wxapi.Signature(token, now, "1")}}, body); code != 200 {
		t.Fatalf("plaintext push: %d", code)
	}
	enc, _ := crypto.Encrypt(body)
	envelope := []byte("<xml><ToUserName>gh_x</ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
	q := url.Values{"timestamp": {now}, "nonce": {"2"}, "encrypt_type": {"aes"}, "signature": {wxapi.Signature(token, now, "2")},
		"msg_signature": {wxapi.Signature(token, now, "2", enc)}}
	if code := send(q, envelope); code != 200 {
		t.Fatalf("safe-mode push: %d", code)
	}
	if code := send(q, envelope); code != http.StatusUnauthorized {
		t.Fatalf("replay: %d", code)
	}
	if code := send(url.Values{"timestamp": {now}, "nonce": {"3"}, "signature": {"forged"}}, body); code != http.StatusUnauthorized {
		t.Fatalf("forged: %d", code)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("events serve exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("printed %d event lines, want 2:\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev["WayBillId"] != "123456789" || ev["Event"] != "add_express_path" {
			t.Fatalf("event line %q", l)
		}
	}
}

func waitListening(t *testing.T, addr string) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
