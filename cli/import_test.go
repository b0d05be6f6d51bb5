package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"waybilldesk/orders/batch"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// importFixture writes a sender file and a CSV in our template with three
// good rows and one without a phone (row 4).
func importFixture(t *testing.T, dir string) (sender, data string) {
	t.Helper()
	raw, err := os.ReadFile(examplePath(t))
	if err != nil {
		t.Fatal(err)
	}
	var ex wxapi.AddOrderRequest
	json.Unmarshal(raw, &ex)
	sender = filepath.Join(dir, "sender.json")
	b, _ := json.Marshal(ex.Sender)
	os.WriteFile(sender, b, 0o600)

	tmpl := filepath.Join(dir, "template.csv")
	if _, errOut, code := run(t, "import", "--template", tmpl); code != 0 {
		t.Fatalf("template: %s", errOut)
	}
	head, _ := os.ReadFile(tmpl)
	rows := []string{
		",王小蒙,18610000000,广东省,广州市,天河区,天河北路233号,西湖龙井,2,1.2,30,20,10,500,易碎,,,",
		",李雷,13912345678,北京,北京市,朝阳区,建国路88号,青瓷茶杯,1,0.5,,,,,,,,",
		",韩梅梅,,浙江省,杭州市,西湖区,文三路398号,白茶,1,1,,,,,,,,",
		"TB-9,Lucy,13712345678,广西,南宁市,青秀区,民族大道136号,红茶,1,2,,,,,,,,",
	}
	data = filepath.Join(dir, "orders.csv")
	os.WriteFile(data, append(head, []byte(strings.Join(rows, "\n")+"\n")...), 0o600)
	return sender, data
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	sender, data := importFixture(t, dir)
	flags := []string{"--sandbox", "--db", db, "import", data, "--sender", sender, "--delivery-id", "SF", "--biz-id", "SF_CASH", "--service-type", "3"}

	out, errOut, code := run(t, append(flags, "--dry-run")...)
	if code != 1 || !strings.Contains(out, "header on row 1") || !regexpMatch(out, `(?m)^4\s+-\s+error\s+C receiver_mobile: .*phone number is empty`) {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "186****0000") || strings.Contains(out, "18610000000") {
		t.Fatalf("the preview does not mask phones:\n%s", out)
	}
	if list, _, _ := run(t, "--db", db, "--json", "order", "list"); strings.TrimSpace(list) != "[]" {
		t.Fatalf("the dry run placed orders: %s", list)
	}

	results := filepath.Join(dir, "results.csv")
	out, errOut, code = run(t, append(flags, "--results", results)...)
	if code != 1 || !strings.Contains(errOut, "have no waybill") || !strings.Contains(errOut, "[3/3]") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	if !regexpMatch(out, `(?m)^5\s+TB-9\s+placed\s+\S+`) || !regexpMatch(out, `(?m)^4\s+-\s+invalid\s+C receiver_mobile`) {
		t.Fatalf("results table:\n%s", out)
	}
	f, _ := os.Open(results)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 5 || recs[4][1] != "TB-9" || recs[4][2] != "placed" || recs[4][3] == "" {
		t.Fatalf("results file %v %v", recs, err)
	}

	// Again: nothing new is placed; JSON output.
	out, errOut, code = run(t, append([]string{"--json"}, flags...)...)
	var rep batch.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 {
		t.Fatalf("json: %v exit %d\n%s\n%s", err, code, out, errOut)
	}
	if rep.Counts.Skipped != 3 || rep.Counts.Placed != 0 || rep.Counts.Invalid != 1 || rep.Results[3].Status != batch.StatusAlreadyPlaced {
		t.Fatalf("second import %+v", rep)
	}

	out, _, code = run(t, "--db", db, "import", "--history")
	if code != 0 || !regexpMatch(out, `(?m)^2\s+\S+ \S+\s+orders.csv\s+done\s+4\s+0\s+3\s+1`) {
		t.Fatalf("history:\n%s", out)
	}
	out, _, code = run(t, "--db", db, "import", "--history", "1")
	if code != 0 || !regexpMatch(out, `(?m)^5\s+TB-9\s+placed\s+\S+`) || !regexpMatch(out, `(?m)^4\s+-\s+invalid`) {
		t.Fatalf("history of run 1:\n%s", out)
	}
}

// TestImportUsesStoredDefaults: with default_sender, default_courier and
// default_parcel set (as the window will), no flags are needed.
func TestImportUsesStoredDefaults(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "history.db")
	sender, data := importFixture(t, dir)
	ctx := context.Background()
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var c wxapi.Contact
	raw, _ := os.ReadFile(sender)
	json.Unmarshal(raw, &c)
	three := 3
	for key, v := range map[string]any{batch.SettingDefaultSender: c, batch.SettingDefaultParcel: batch.ParcelDefault{WeightKg: 1},
		batch.SettingDefaultCourier: batch.CourierDefault{DeliveryID: "SF", BizID: "SF_CASH", ServiceType: &three}} {
		if err := db.SetSettingJSON(ctx, key, v); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out, errOut, code := run(t, "--sandbox", "--db", dbPath, "import", data, "--dry-run")
	if code != 1 || strings.Count(out, " ok ") != 3 || !strings.Contains(out, "SF 顺丰标快") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	// Without a sender the whole file is refused, once, not row by row.
	_, errOut, code = run(t, "--sandbox", "--db", filepath.Join(dir, "other.db"), "import", data, "--dry-run")
	if code != 1 || !strings.Contains(errOut, "no sender") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	sender, data := importFixture(t, dir)
	run(t, "--sandbox", "--db", db, "import", data, "--sender", sender, "--delivery-id", "SF", "--biz-id", "SF_CASH", "--service-type", "3")

	csvPath := filepath.Join(dir, "h.csv")
	out, errOut, code := run(t, "--db", db, "export", "--file", csvPath, "--status", "placed", "--from", "2000-01-01")
	if code != 0 || !strings.Contains(out, "exported 3 orders") {
		t.Fatalf("export csv: exit %d\n%s\n%s", code, out, errOut)
	}
	if st, _ := os.Stat(csvPath); st.Mode().Perm() != 0o600 {
		t.Fatalf("export file mode %v: it holds full phone numbers", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(csvPath)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 4 || !strings.Contains(strings.Join(recs[0], ","), "收件人电话 receiver_phone") {
		t.Fatalf("csv %v %v", recs, err)
	}
	if !strings.Contains(string(raw), "18610000000") {
		t.Fatal("the export lacks the full phone number")
	}

	xlsxPath := filepath.Join(dir, "h.xlsx")
	if out, errOut, code = run(t, "--db", db, "--json", "export", "--file", xlsxPath); code != 0 || !strings.Contains(out, `"count": 3`) {
		t.Fatalf("export xlsx: exit %d\n%s\n%s", code, out, errOut)
	}
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(f.GetSheetList()[0])
	if len(rows) != 4 || rows[0][6] != "运单号 waybill_id" || rows[1][6] == "" {
		t.Fatalf("xlsx rows %v", rows)
	}

	if _, errOut, code = run(t, "--db", db, "export", "--file", filepath.Join(dir, "h.txt")); code != 2 {
		t.Fatalf("export to .txt: exit %d %s", code, errOut)
	}
	if _, errOut, code = run(t, "--db", db, "export", "--file", csvPath, "--from", "2026-13-01"); code != 2 {
		t.Fatalf("bad date: exit %d %s", code, errOut)
	}
}

func regexpMatch(s, pattern string) bool { return regexp.MustCompile(pattern).MatchString(s) }
