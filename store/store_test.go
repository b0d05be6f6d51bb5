package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sampleOrder(id, name, phone string, at time.Time) *Order {
	return &Order{
		OrderID: id, DeliveryID: "YTO", BizID: "SANDBOX_YTO", ServiceType: 0, ServiceName: "普通快递",
		Status: StatusSubmitting, Request: json.RawMessage(`{"order_id":"` + id + `"}`),
		ReceiverName: name, ReceiverPhone: phone, ReceiverCity: "杭州市", CreatedAt: at,
	}
}

func TestOpenCreatesFolderWALAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a", "b", "history.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := db.sql.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var v int
	db.sql.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	if v != SchemaVersion() {
		t.Fatalf("user_version = %d, want %d", v, SchemaVersion())
	}
	db.Close()
	// A second open of a current database migrates nothing and keeps rows.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateOrder(ctx, sampleOrder("A1", "张三", "13812345678", time.Now()), Lease{}, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.sql.ExecContext(ctx, "PRAGMA user_version = 99")
	db.Close()
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("opened a database from a newer version")
	}
}

func TestOrderLifecycleAndDuplicate(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	o := sampleOrder("WD-1", "张三", "13812345678", time.Now())
	if err := db.CreateOrder(ctx, o, Lease{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateOrder(ctx, sampleOrder("WD-1", "李四", "13900000000", time.Now()), Lease{}, time.Now()); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second insert of WD-1: %v, want ErrDuplicate", err)
	}
	if err := db.Refused(ctx, "WD-1", Expect{Version: 1}, 9300501, "收件人信息异常", time.Now()); err != nil {
		t.Fatal(err)
	}
	// A refused order may be sent again under the same order_id.
	if err := db.CreateOrder(ctx, sampleOrder("WD-1", "张三", "13812345678", time.Now()), Lease{}, time.Now()); err != nil {
		t.Fatalf("resubmit failed order: %v", err)
	}
	data := []KV{{"bagAddr", "杭州"}, {"sortingCode", "571-D01"}}
	if err := db.Placed(ctx, "WD-1", "YT1234567890123", data, "", "addOrder", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.SetLabel(ctx, "WD-1", "YT1234567890123", "PGh0bWw+"); err != nil {
		t.Fatal(err)
	}
	got, err := db.Order(ctx, "WD-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusPlaced || got.ErrorCode != 0 || got.WaybillID != "YT1234567890123" || got.PrintHTML != "PGh0bWw+" ||
		len(got.WaybillData) != 2 || got.WaybillData[1].Value != "571-D01" || got.ReceiverName != "张三" {
		t.Fatalf("stored order = %+v", got)
	}
	byWaybill, err := db.OrderByWaybill(ctx, "YT1234567890123")
	if err != nil || byWaybill.OrderID != "WD-1" {
		t.Fatalf("by waybill: %v %v", byWaybill, err)
	}
	if err := db.CreateOrder(ctx, sampleOrder("WD-1", "李四", "13900000000", time.Now()), Lease{}, time.Now()); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("insert over a placed order: %v, want ErrDuplicate", err)
	}
	if err := db.Refused(ctx, "missing", Expect{}, 9300501, "x", time.Now()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("mark unknown order: %v, want ErrNotFound", err)
	}
	if _, err := db.Order(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown order: %v, want ErrNotFound", err)
	}
}

func TestListOrdersSearch(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	base := time.Date(2026, 11, 1, 10, 0, 0, 0, time.Local)
	for i, o := range []*Order{
		sampleOrder("SHOP-100", "张三", "13812345678", base),
		sampleOrder("SHOP-101", "李四", "13900001111", base.Add(time.Hour)),
		sampleOrder("SHOP_102", "王小蒙", "18610000000", base.Add(2*time.Hour)),
	} {
		if err := db.CreateOrder(ctx, o, Lease{}, time.Now()); err != nil {
			t.Fatal(i, err)
		}
	}
	db.Placed(ctx, "SHOP-101", "YT9999", nil, "", "addOrder", time.Now())
	tests := []struct {
		name string
		q    OrderQuery
		want []string
	}{
		{"all newest first", OrderQuery{}, []string{"SHOP_102", "SHOP-101", "SHOP-100"}},
		{"by name", OrderQuery{Search: "王小"}, []string{"SHOP_102"}},
		{"phone last four", OrderQuery{Search: "1111"}, []string{"SHOP-101"}},
		{"waybill", OrderQuery{Search: "YT9999"}, []string{"SHOP-101"}},
		{"underscore is literal", OrderQuery{Search: "SHOP_"}, []string{"SHOP_102"}},
		{"order id prefix", OrderQuery{Search: "SHOP-10"}, []string{"SHOP-101", "SHOP-100"}},
		{"name middle", OrderQuery{Search: "小蒙"}, []string{"SHOP_102"}},
		{"phone middle is not a suffix", OrderQuery{Search: "1234"}, nil},
		{"whole phone", OrderQuery{Search: "13812345678"}, []string{"SHOP-100"}},
		{"search with status", OrderQuery{Search: "SHOP", Status: StatusPlaced}, []string{"SHOP-101"}},
		{"status", OrderQuery{Status: StatusPlaced}, []string{"SHOP-101"}},
		{"date range", OrderQuery{From: base.Add(30 * time.Minute), To: base.Add(90 * time.Minute)}, []string{"SHOP-101"}},
		{"limit", OrderQuery{Limit: 1}, []string{"SHOP_102"}},
		{"no match", OrderQuery{Search: "nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.ListOrders(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, o := range got {
				ids = append(ids, o.OrderID)
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("got %v, want %v", ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", ids, tt.want)
				}
			}
		})
	}
}

func TestPathEventsStoredOnceAndVersioned(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	db.CreateOrder(ctx, sampleOrder("P1", "张三", "13812345678", time.Now()), Lease{}, time.Now())
	t0 := time.Unix(1763800000, 0)
	evs := []PathEvent{{t0, 100001, "揽收", "getPath"}, {t0.Add(time.Hour), 200001, "运输中", "getPath"}}
	if n, err := db.AddPathEvents(ctx, "P1", 0, evs); err != nil || n != 2 {
		t.Fatalf("first add: %d %v", n, err)
	}
	// The same events polled again, plus one new: only the new one is stored.
	evs = append(evs, PathEvent{t0.Add(2 * time.Hour), 300002, "派送中", "push"})
	if n, err := db.AddPathEvents(ctx, "P1", 3, evs); err != nil || n != 1 {
		t.Fatalf("second add: %d %v", n, err)
	}
	// An older push arriving late is ignored.
	if n, err := db.AddPathEvents(ctx, "P1", 2, []PathEvent{{t0.Add(5 * time.Hour), 300003, "签收", "push"}}); err != nil || n != 0 {
		t.Fatalf("stale push: %d %v", n, err)
	}
	got, err := db.PathEvents(ctx, "P1")
	if err != nil || len(got) != 3 || got[2].ActionType != 300002 || got[0].ActionMsg != "揽收" {
		t.Fatalf("events %+v %v", got, err)
	}
	if err := db.SetTrack(ctx, "P1", "out_for_delivery", got[2].ActionTime, got[2].ActionMsg); err != nil {
		t.Fatal(err)
	}
	o, _ := db.Order(ctx, "P1")
	if o.TrackStatus != "out_for_delivery" || !o.TrackTime.Equal(t0.Add(2*time.Hour)) || o.TrackMsg != "派送中" {
		t.Fatalf("order tracking %+v", o)
	}
	if _, err := db.AddPathEvents(ctx, "nope", 0, evs); !errors.Is(err, ErrNotFound) {
		t.Fatalf("events for an unknown order: %v", err)
	}
}

func TestSettingsAndAudit(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if v, err := db.Setting(ctx, "missing"); v != "" || err != nil {
		t.Fatalf("missing setting: %q %v", v, err)
	}
	type sender struct{ Name string }
	if err := db.SetSettingJSON(ctx, "default_sender", sender{"陈晓明"}); err != nil {
		t.Fatal(err)
	}
	var got sender
	if found, err := db.SettingJSON(ctx, "default_sender", &got); !found || err != nil || got.Name != "陈晓明" {
		t.Fatalf("%v %v %+v", found, err, got)
	}
	db.SetSetting(ctx, "default_sender", "")
	if found, _ := db.SettingJSON(ctx, "default_sender", &got); found {
		t.Fatal("deleted setting still found")
	}
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.Local)
	db.Audit(ctx, AuditEntry{At: t0, Actor: "station-1", Action: "place", OrderID: "A1", Detail: "YTO"})
	db.Audit(ctx, AuditEntry{At: t0.Add(time.Minute), Actor: "station-1", Action: "print", OrderID: "A1"})
	db.Audit(ctx, AuditEntry{At: t0.Add(2 * time.Minute), Actor: "mary", Action: "place", OrderID: "B2"})
	all, _ := db.AuditLog(ctx, "", 0)
	one, _ := db.AuditLog(ctx, "A1", 0)
	if len(all) != 3 || all[0].Actor != "mary" || len(one) != 2 || one[0].Action != "print" || !one[1].At.Equal(t0) {
		t.Fatalf("audit: %+v / %+v", all, one)
	}
}

func TestLabelsStoredCompactAndExact(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	html := "<!doctype html><html><body>" + strings.Repeat("<div class=\"row\">收件人 张三 138****5678</div>", 200) + "</body></html>"
	b64 := base64.StdEncoding.EncodeToString([]byte(html))
	for i, label := range []string{b64, "not base64 at all", ""} {
		id := fmt.Sprintf("L%d", i)
		db.CreateOrder(ctx, sampleOrder(id, "张三", "13812345678", time.Now()), Lease{}, time.Now())
		if err := db.Placed(ctx, id, "WB"+id, nil, label, "addOrder", time.Now()); err != nil {
			t.Fatal(err)
		}
		o, err := db.Order(ctx, id)
		if err != nil || o.PrintHTML != label || o.HasLabel != (label != "") {
			t.Fatalf("label %d came back as %.40q (has %v, %v)", i, o.PrintHTML, o.HasLabel, err)
		}
		list, _ := db.ListOrders(ctx, OrderQuery{Search: id})
		if len(list) != 1 || list[0].PrintHTML != "" || list[0].HasLabel != (label != "") {
			t.Fatalf("list row of %s: %+v", id, list)
		}
	}
	var stored int
	db.sql.QueryRowContext(ctx, `SELECT length(print_html) FROM orders WHERE order_id = 'L0'`).Scan(&stored)
	if stored*5 > len(b64) {
		t.Fatalf("a %d-byte label takes %d bytes on disk", len(b64), stored)
	}
}

// TestTwoProgramsOpenANewHistoryAtOnce: a window and a command started
// together on a history that does not exist yet both migrate it; the second
// finds the schema done under the write lock instead of failing.
func TestTwoProgramsOpenANewHistoryAtOnce(t *testing.T) {
	for round := 0; round < 5; round++ {
		path := filepath.Join(t.TempDir(), "history.db")
		errs := make(chan error, 3)
		for i := 0; i < 3; i++ {
			go func() {
				db, err := Open(context.Background(), path)
				if err == nil {
					err = db.Close()
				}
				errs <- err
			}()
		}
		for i := 0; i < 3; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
