package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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
