package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// run invokes the command line in-process, as `waybilldesk args...`.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb, nil)
	return out.String(), errb.String(), code
}

// tool runs an external program the tests depend on (installed by make test).
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is not installed (make test installs it): %v", name, err)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func examplePath(t *testing.T) string {
	p, err := filepath.Abs(filepath.Join("..", "examples", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlaceAndPrintThroughSandbox is the first slice's promise: place the
// example order in the sandbox, print it to PDF, and get a 100x180 mm page
// with the waybill id in its text and in a barcode a scanner reads.
func TestPlaceAndPrintThroughSandbox(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	out, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", examplePath(t))
	if code != 0 {
		t.Fatalf("place: exit %d\n%s", code, errOut)
	}
	m := regexp.MustCompile(`(?m)^order_id\s+(\S+)\nwaybill_id\s+(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("place printed %q", out)
	}
	orderID, waybillID := m[1], m[2]
	if _, err := os.Stat(filepath.Join(dir, "sandbox.db")); err != nil {
		t.Fatalf("sandbox state not beside the history: %v", err)
	}

	out, errOut, code = run(t, "--db", db, "--json", "order", "list")
	if code != 0 {
		t.Fatalf("list: %s", errOut)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("list --json = %s (%v)", out, err)
	}
	if list[0]["order_id"] != orderID || list[0]["waybill_id"] != waybillID || list[0]["status"] != "placed" ||
		list[0]["receiver_phone"] != "186****0000" {
		t.Fatalf("listed %v", list[0])
	}

	pdf := filepath.Join(dir, "L.pdf")
	if _, errOut, code = run(t, "--db", db, "print", orderID, "--to", "pdf:"+pdf); code != 0 {
		t.Fatalf("print: %s", errOut)
	}
	info := tool(t, "pdfinfo", pdf)
	if !regexp.MustCompile(`(?m)^Pages:\s+1$`).MatchString(info) {
		t.Fatalf("pdfinfo:\n%s", info)
	}
	w, h := pageSizeMM(t, info)
	if abs(w-100) > 1 || abs(h-180) > 1 {
		t.Fatalf("page is %.1f x %.1f mm, want 100 x 180", w, h)
	}
	text := tool(t, "pdftotext", "-layout", pdf, "-")
	for _, want := range []string{waybillID, "王小蒙", "顺丰"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "18610000000") {
		t.Error("the label shows the receiver's full phone number")
	}
	png := filepath.Join(dir, "L")
	tool(t, "pdftoppm", "-r", "300", "-png", "-singlefile", pdf, png)
	codes := tool(t, "zbarimg", "--raw", "-q", png+".png")
	if !strings.Contains(codes, waybillID) {
		t.Fatalf("zbarimg read %q, want %s", codes, waybillID)
	}

	// Printing by waybill id works too (what a scanner produces).
	if _, errOut, code = run(t, "--db", db, "print", waybillID, "--to", "pdf:"+filepath.Join(dir, "W.pdf")); code != 0 {
		t.Fatalf("print by waybill id: %s", errOut)
	}
}

func pageSizeMM(t *testing.T, pdfinfo string) (w, h float64) {
	m := regexp.MustCompile(`Page size:\s+([\d.]+) x ([\d.]+) pts`).FindStringSubmatch(pdfinfo)
	if m == nil {
		t.Fatalf("no page size in\n%s", pdfinfo)
	}
	w, _ = strconv.ParseFloat(m[1], 64)
	h, _ = strconv.ParseFloat(m[2], 64)
	return w / 72 * 25.4, h / 72 * 25.4
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestBadOrderNamesTheFieldAndWritesNothing: each bad input exits non-zero
// with a message naming the field, and the history stays empty.
func TestBadOrderNamesTheFieldAndWritesNothing(t *testing.T) {
	raw, err := os.ReadFile(examplePath(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		field string
		words string
	}{
		{"missing receiver phone", func(m map[string]any) {
			r := m["receiver"].(map[string]any)
			delete(r, "mobile")
			delete(r, "tel")
		}, "receiver.mobile", "mobile or a tel number is required"},
		{"negative weight", func(m map[string]any) { m["cargo"].(map[string]any)["weight"] = -1 }, "cargo.weight", "is -1"},
		{"unknown courier", func(m map[string]any) { m["delivery_id"] = "XYZ" }, "delivery_id", `unknown courier "XYZ"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			json.Unmarshal(raw, &m)
			tt.edit(m)
			b, _ := json.Marshal(m)
			dir := t.TempDir()
			file := filepath.Join(dir, "bad.json")
			os.WriteFile(file, b, 0o644)
			db := filepath.Join(dir, "history.db")

			_, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", file)
			if code != 1 || !strings.Contains(errOut, tt.field) || !strings.Contains(errOut, tt.words) {
				t.Fatalf("exit %d, stderr %q; want the field %s and %q", code, errOut, tt.field, tt.words)
			}
			_, errOut, code = run(t, "--sandbox", "--db", db, "--json", "order", "place", "--file", file)
			var je map[string]any
			if code != 1 || json.Unmarshal([]byte(errOut), &je) != nil || je["field"] != tt.field {
				t.Fatalf("--json error = %q", errOut)
			}
			out, _, _ := run(t, "--db", db, "--json", "order", "list")
			if strings.TrimSpace(out) != "[]" {
				t.Fatalf("history after bad input: %s", out)
			}
		})
	}
}

func TestOrderFileWithUnknownFieldIsRefused(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "typo.json")
	os.WriteFile(file, []byte(`{"delivery_id":"SF","reciever":{}}`), 0o644)
	_, errOut, code := run(t, "--sandbox", "--db", filepath.Join(dir, "h.db"), "order", "place", "--file", file)
	if code != 1 || !strings.Contains(errOut, `unknown field "reciever"`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// TestOrderFileWithMoreThanOneOrderIsRefused: place reads one order; a
// file of several (JSON Lines meant for import) used to place the first
// and drop the rest without a word. Now nothing is placed and the error
// says what to do. Blank lines after the one order are fine.
func TestOrderFileWithMoreThanOneOrderIsRefused(t *testing.T) {
	raw, err := os.ReadFile(examplePath(t))
	if err != nil {
		t.Fatal(err)
	}
	var one map[string]any
	json.Unmarshal(raw, &one)
	line, _ := json.Marshal(one)
	tests := []struct {
		name, body, words string
	}{
		{"JSON Lines", string(line) + "\n" + string(line) + "\n", "holds more than one order; give one order per file, or use `waybilldesk import` for many (JSON Lines)"},
		{"two pretty-printed orders", string(raw) + "\n\n" + string(raw), "holds more than one order"},
		{"two on one line", string(line) + string(line), "holds more than one order"},
		{"text after the order", string(raw) + "\n\nthanks!\n", "unexpected text after the order on line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "orders.json")
			os.WriteFile(file, []byte(tt.body), 0o644)
			db := filepath.Join(dir, "history.db")
			_, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", file)
			if code != 1 || !strings.Contains(errOut, tt.words) || !strings.Contains(errOut, file) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.words)
			}
			out, _, _ := run(t, "--db", db, "--json", "order", "list")
			if strings.TrimSpace(out) != "[]" {
				t.Fatalf("history after a file of several orders: %s", out)
			}
		})
	}
	// One order and trailing blank lines is one order.
	dir := t.TempDir()
	file := filepath.Join(dir, "one.json")
	os.WriteFile(file, append(append([]byte(nil), raw...), "\n \r\n\t\n"...), 0o644)
	db := filepath.Join(dir, "history.db")
	if _, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", file); code != 0 {
		t.Fatalf("one order with blank lines after it: exit %d %s", code, errOut)
	}
	var list []map[string]any
	out, _, _ := run(t, "--db", db, "--json", "order", "list")
	if json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("history after one order: %s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{"frobnicate"},
		{"order"},
		{"order", "place"},
		{"print", "X"},
		{"print", "X", "--to", "pdf:a.pdf", "--size", "huge"},
		{"render", "--html", "a.html"},
	}
	for _, args := range tests {
		if _, errOut, code := run(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

func TestPrintUnknownOrder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	_, errOut, code := run(t, "--db", db, "print", "NOPE", "--to", "pdf:"+filepath.Join(t.TempDir(), "x.pdf"))
	if code != 1 || !strings.Contains(errOut, "NOPE") || !strings.Contains(errOut, "not found") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestRenderHTMLFile(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "l.html")
	os.WriteFile(html, []byte(`<!doctype html><html><head><style>@page{size:76mm 130mm;margin:0}</style></head>
<body style="font-family:'WenQuanYi Micro Hei'">收件人 测试 WB-42</body></html>`), 0o644)
	pdf := filepath.Join(dir, "o.pdf")
	if _, errOut, code := run(t, "render", "--html", html, "--pdf", pdf); code != 0 {
		t.Fatal(errOut)
	}
	w, h := pageSizeMM(t, tool(t, "pdfinfo", pdf))
	if abs(w-76) > 1 || abs(h-130) > 1 {
		t.Fatalf("label CSS asks 76x130 mm, PDF is %.1f x %.1f", w, h)
	}
	if text := tool(t, "pdftotext", pdf, "-"); !strings.Contains(text, "收件人 测试 WB-42") {
		t.Fatalf("text %q", text)
	}
	png := filepath.Join(dir, "o.png")
	if _, errOut, code := run(t, "render", "--html", html, "--png", png, "--size", "100x150", "--dpi", "203"); code != 0 {
		t.Fatal(errOut)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Fatalf("png: %v", err)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := run(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "waybilldesk ") {
		t.Fatalf("%d %q", code, out)
	}
}

func TestAuditShowsWhoDidWhat(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	out, errOut, code := run(t, "--sandbox", "--db", db, "--json", "order", "place", "--file", examplePath(t))
	if code != 0 {
		t.Fatal(errOut)
	}
	var placed map[string]any
	json.Unmarshal([]byte(out), &placed)
	id := placed["order_id"].(string)
	if _, errOut, code := run(t, "--sandbox", "--db", db, "order", "cancel", id); code != 0 {
		t.Fatal(errOut)
	}
	out, _, code = run(t, "--db", db, "--json", "audit", "--order-id", id)
	var log []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &log) != nil || len(log) != 2 {
		t.Fatalf("audit: %s", out)
	}
	if log[0]["action"] != "cancel" || log[1]["action"] != "place" || log[0]["actor"] == "" {
		t.Fatalf("audit entries %v", log)
	}
	out, _, _ = run(t, "--db", db, "audit")
	if !strings.Contains(out, "cancel") || !strings.Contains(out, id) {
		t.Fatalf("audit table:\n%s", out)
	}
}

// TestSmallLabelThroughPrinting: a sandbox whose accounts print 76x130
// labels; the label goes through printing to a PDF of that size whose
// barcode a scanner reads.
func TestSmallLabelThroughPrinting(t *testing.T) {
	sb := startSandbox(t, "--label-size", "76x130")
	dir := t.TempDir()
	common := []string{"--db", filepath.Join(dir, "h.db"), "--api-base", sb.url, "--appid", "wxsandbox", "--secret", "sandbox"}
	out, errOut, code := run(t, append(common, "--json", "order", "place", "--file", examplePath(t))...)
	if code != 0 {
		t.Fatal(errOut)
	}
	var placed map[string]any
	json.Unmarshal([]byte(out), &placed)
	waybill := placed["waybill_id"].(string)
	pdf := filepath.Join(dir, "small.pdf")
	if _, errOut, code := run(t, append(common, "print", waybill, "--to", "pdf:"+pdf, "--size", "76x130")...); code != 0 {
		t.Fatal(errOut)
	}
	w, h := pageSizeMM(t, tool(t, "pdfinfo", pdf))
	if abs(w-76) > 1 || abs(h-130) > 1 {
		t.Fatalf("page is %.1f x %.1f mm, want 76 x 130", w, h)
	}
	png := filepath.Join(dir, "small")
	tool(t, "pdftoppm", "-r", "300", "-png", "-singlefile", pdf, png)
	if codes := tool(t, "zbarimg", "--raw", "-q", png+".png"); !strings.Contains(codes, waybill) {
		t.Fatalf("zbarimg read %q, want %s", codes, waybill)
	}
}
