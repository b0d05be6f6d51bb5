package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"waybilldesk/store"
)

// TestImportSurvivesKillsAndAgreesWithTheSandbox is the order lifecycle's
// promise under faults: 300 orders imported against a sandbox (its own
// process) that is slow, answers -1, drops connections after it stored the
// order and answers 9909001 for orders it created, while the importing
// process is killed with SIGKILL at random moments and started again, and
// a second process reconciles the same history over and over all along.
// Afterwards the history and the platform agree order by order, nothing is
// lost or placed twice, and every label was printed exactly once.
func TestImportSurvivesKillsAndAgreesWithTheSandbox(t *testing.T) {
	const rows = 300
	sb := startSandbox(t, "--seed", "11", "--latency", "15ms", "--error-rate", "0.05", "--drop-after-commit-rate", "0.05",
		"--unknown-after-commit-rate", "0.03")
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	labels := filepath.Join(dir, "labels")
	file := writeFaultCSV(t, dir, rows)
	common := []string{"--db", db, "--api-base", sb.url, "--appid", "wxsandbox", "--secret", "sandbox"}

	if _, errOut, code := run(t, append(common, "printers", "add", "--name", "pdfs", "--kind", "pdf",
		"--address", labels)...); code != 0 {
		t.Fatalf("printers add: %s", errOut)
	}
	importArgs := append(append([]string{}, common...), "import", file, "--print", "pdfs",
		"--delivery-id", "YTO", "--service-type", "0", "--sender", writeSender(t, dir), "--concurrency", "4", "--rate", "200")

	// The second process: `order reconcile` again and again, beside every
	// import, killed or not.
	stopReconciling := make(chan struct{})
	reconciled := make(chan int)
	go func() {
		runs := 0
		defer func() { reconciled <- runs }()
		for {
			select {
			case <-stopReconciling:
				return
			default:
			}
			p := startCLI(t, append(append([]string{}, common...), "order", "reconcile")...)
			if code := p.wait(); code != 0 {
				t.Errorf("order reconcile beside the import: exit %d: %s", code, p.errOut.String())
			}
			runs++
		}
	}()

	rng := rand.New(rand.NewSource(5))
	for kill := 0; kill < 4; kill++ {
		child := startCLI(t, importArgs...)
		wait := time.Duration(200+rng.Intn(900)) * time.Millisecond
		time.Sleep(wait)
		child.cmd.Process.Signal(syscall.SIGKILL)
		child.wait()
		placed, printed := progress(t, db)
		t.Logf("killed the import after %v: %d orders placed, %d labels printed so far", wait, placed, printed)
	}
	// Runs until one ends cleanly: an order whose answer was lost stays
	// submitting and is reconciled by the next run.
	var finished bool
	for attempt := 0; attempt < 6 && !finished; attempt++ {
		child := startCLI(t, importArgs...)
		code := child.wait()
		finished = code == 0
		t.Logf("import run to the end: exit %d %s", code, lastLine(child.errOut.String()))
	}
	close(stopReconciling)
	t.Logf("order reconcile ran %d times beside the imports", <-reconciled)
	if !finished {
		t.Fatal("no import run finished cleanly")
	}
	if _, errOut, code := run(t, append(common, "order", "reconcile")...); code != 0 {
		t.Fatalf("reconcile: %s", errOut)
	}

	// The platform's truth against the history, order by order.
	platform := sb.orders(t)
	out, errOut, code := run(t, append(common, "--json", "order", "list", "--limit", "1000")...)
	if code != 0 {
		t.Fatal(errOut)
	}
	var history []orderJSON
	if err := json.Unmarshal([]byte(out), &history); err != nil {
		t.Fatal(err)
	}
	if len(history) != rows || len(platform) != rows {
		t.Fatalf("history has %d orders, the platform %d; want %d each", len(history), len(platform), rows)
	}
	for _, o := range history {
		p, ok := platform[o.OrderID]
		switch {
		case !ok:
			t.Errorf("%s is in the history but not on the platform", o.OrderID)
		case o.Status != "placed" || o.WaybillID != p.WaybillID:
			t.Errorf("%s: history %s %s, platform %s", o.OrderID, o.Status, o.WaybillID, p.WaybillID)
		}
	}

	// Every label printed exactly once: one done job per order, one file each.
	h, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	jobs, err := h.ListPrintJobs(context.Background(), store.PrintJobQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]int{}
	for _, j := range jobs {
		if j.State != store.JobDone {
			t.Errorf("print job %d of %s is %s: %s", j.ID, j.OrderID, j.State, j.Reason)
		}
		done[j.OrderID]++
	}
	files, _ := os.ReadDir(labels)
	perWaybill := map[string]int{}
	for _, f := range files {
		if strings.HasSuffix(f.Name(), ".pdf") {
			perWaybill[strings.SplitN(f.Name(), "-", 2)[0]]++
		}
	}
	for _, o := range history {
		if done[o.OrderID] != 1 {
			t.Errorf("%s has %d done print jobs, want 1", o.OrderID, done[o.OrderID])
		}
		if perWaybill[o.WaybillID] != 1 {
			t.Errorf("waybill %s has %d label files, want 1", o.WaybillID, perWaybill[o.WaybillID])
		}
	}
}

// lastLine is the last non-empty line of a program's output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// writeFaultCSV writes an import in our template's columns with the shop's
// order numbers, the way a back-end export carries them.
func writeFaultCSV(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "orders.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"order_id", "receiver_name", "receiver_mobile", "receiver_province", "receiver_city", "receiver_area",
		"receiver_address", "goods_name", "goods_count", "weight_kg"})
	for i := 1; i <= n; i++ {
		w.Write([]string{fmt.Sprintf("FAULT-%04d", i), "收件人" + fmt.Sprint(i), fmt.Sprintf("139%08d", i), "广东省", "广州市", "天河区",
			fmt.Sprintf("天河北路 %d 号", i), "茶叶", "1", "1.2"})
	}
	w.Flush()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeSender(t *testing.T, dir string) string {
	path := filepath.Join(dir, "sender.json")
	os.WriteFile(path, []byte(`{"name":"陈晓明","mobile":"13800138000","province":"浙江省","city":"杭州市","area":"西湖区","address":"文三路 398 号"}`), 0o644)
	return path
}

// progress counts what the history holds between kills.
func progress(t *testing.T, db string) (placed, printed int) {
	h, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	orders, _ := h.ListOrders(context.Background(), store.OrderQuery{Status: store.StatusPlaced, Limit: 10000})
	jobs, _ := h.ListPrintJobs(context.Background(), store.PrintJobQuery{State: store.JobDone, Limit: 10000})
	return len(orders), len(jobs)
}
