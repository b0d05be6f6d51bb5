package desk

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// TestOlderHistoryGivesUpItsSandboxOrders: a history.db from before each
// history belonged to one platform holds two orders tried in the embedded
// sandbox and one real order. The first start of this version moves the
// sandbox's two (and their audit entries) to history-sandbox.db and keeps
// the real one, so the real screens show only it.
func TestOlderHistoryGivesUpItsSandboxOrders(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	ctx := context.Background()
	dir := filepath.Join(home, AppName)
	main := filepath.Join(dir, "history.db")
	quiet := slog.New(slog.DiscardHandler)

	// The older version: sandbox orders placed into history.db itself.
	d, err := Open(ctx, Config{DBPath: main, Sandbox: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "examples", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"TRY-1", "TRY-2"} {
		var r wxapi.AddOrderRequest
		json.Unmarshal(raw, &r)
		r.OrderID = id
		if _, err := d.Orders.Place(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	h, err := store.Open(ctx, main)
	if err != nil {
		t.Fatal(err)
	}
	h.SetSetting(ctx, "history.platform", "") // older versions claimed nothing
	if err := h.CopyOrder(ctx, &store.Order{OrderID: "SHOP-9", DeliveryID: "SF", Status: store.StatusPlaced, WaybillID: "SF1400000009",
		Request: json.RawMessage(`{}`), ReceiverName: "真买家", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h.Close()

	ids := func(db *store.DB) []string {
		t.Helper()
		keys, err := db.OrderKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for id := range keys {
			out = append(out, id)
		}
		sort.Strings(out)
		return out
	}
	const api = "http://127.0.0.1:9"
	real, err := Open(ctx, Config{AppID: "wx5e1f2a3b4c5d6e7f", Secret: "s", APIBase: api, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	got := ids(real.DB)
	if real.DB.Path() != main || len(got) != 1 || got[0] != "SHOP-9" {
		t.Fatalf("the real history %s holds %v, want only SHOP-9", real.DB.Path(), got)
	}
	if log, _ := real.DB.AuditLog(ctx, "TRY-1", 0); len(log) != 0 {
		t.Fatalf("the real history keeps the sandbox order's audit: %+v", log)
	}
	real.Close()
	sb, err := Open(ctx, Config{Sandbox: true, APIBase: api, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	got = ids(sb.DB)
	if sb.DB.Path() != filepath.Join(dir, "history-sandbox.db") || len(got) != 2 || got[0] != "TRY-1" || got[1] != "TRY-2" {
		t.Fatalf("the sandbox history %s holds %v", sb.DB.Path(), got)
	}
	if o, err := sb.DB.Order(ctx, "TRY-1"); err != nil || o.Status != store.StatusPlaced || !o.HasLabel {
		t.Fatalf("the moved order: %+v %v", o, err)
	}
}
