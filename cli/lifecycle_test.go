package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"waybilldesk/store"
)

// cliProcess is `waybilldesk args...` running as a process of its own: a
// second window, import or command beside the test's own.
type cliProcess struct {
	cmd         *exec.Cmd
	out, errOut *lockedBuffer
}

func startCLI(t *testing.T, args ...string) *cliProcess {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0])
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WAYBILLDESK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, sandboxChildEnv+"=1", sandboxArgsEnv+"="+string(raw))
	p := &cliProcess{cmd: cmd, out: &lockedBuffer{}, errOut: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.errOut
	if logDir := os.Getenv("FAULT_LOG_DIR"); logDir != "" {
		// For a person debugging a run: every child's output in a file too.
		if f, err := os.CreateTemp(logDir, "child-*.log"); err == nil {
			t.Cleanup(func() { f.Close() })
			cmd.Stdout, cmd.Stderr = io.MultiWriter(p.out, f), io.MultiWriter(p.errOut, f)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// wait returns the process's exit code.
func (p *cliProcess) wait() int {
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// orderIn reads one order of a history file, as another program would.
func orderIn(t *testing.T, db, orderID string) *store.Order {
	t.Helper()
	h, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	o, err := h.Order(context.Background(), orderID)
	if err != nil {
		return nil
	}
	return o
}

// waitSubmitting waits until the order is in the history, submitting.
func waitSubmitting(t *testing.T, db, orderID string) *store.Order {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if o := orderIn(t, db, orderID); o != nil && o.Status == store.StatusSubmitting {
			return o
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never became submitting: %+v", orderID, orderIn(t, db, orderID))
	return nil
}

// TestReconcileInASecondProcessDuringAddOrder: one process places an order
// while WeChat takes its time to issue the waybill; a second process runs
// `order reconcile` meanwhile. WeChat does not have the order yet, but the
// first process holds its lease: the reconcile says who is placing it and
// leaves it alone, and the first process prints the waybill WeChat issued.
func TestReconcileInASecondProcessDuringAddOrder(t *testing.T) {
	sb := startSandbox(t, "--addorder-latency", "6s")
	db := filepath.Join(t.TempDir(), "history.db")
	common := []string{"--db", db, "--api-base", sb.url, "--appid", "wxsandbox", "--secret", "sandbox"}
	placer := startCLI(t, append(common, "order", "place", "--file", examplePath(t), "--order-id", "RACE-1")...)
	o := waitSubmitting(t, db, "RACE-1")
	if !strings.Contains(o.Lease.Owner, "/") || !o.Lease.Until.After(time.Now()) {
		t.Fatalf("the placing process holds no lease: %+v", o.Lease)
	}

	out, errOut, code := run(t, append(common, "order", "reconcile")...)
	if code != 0 || !strings.Contains(out, "RACE-1 submitting") || !strings.Contains(out, "being placed by") {
		t.Fatalf("reconcile during addOrder: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, append(common, "order", "reconcile", "RACE-1")...)
	if code == 0 || !strings.Contains(out+errOut, "WeChat does not have it yet") {
		t.Fatalf("explicit reconcile during addOrder: exit %d\n%s%s", code, out, errOut)
	}
	if got := orderIn(t, db, "RACE-1"); got.Status != store.StatusSubmitting {
		t.Fatalf("a reconcile settled the order %s while it was being placed", got.Status)
	}

	if code := placer.wait(); code != 0 {
		t.Fatalf("the placing process: exit %d\n%s", code, placer.errOut.String())
	}
	m := regexp.MustCompile(`waybill_id (\S+)`).FindStringSubmatch(placer.out.String())
	if m == nil {
		t.Fatalf("the placing process printed %q", placer.out.String())
	}
	platform := sb.orders(t)
	if got := orderIn(t, db, "RACE-1"); got.Status != store.StatusPlaced || got.WaybillID != m[1] || platform["RACE-1"].WaybillID != m[1] {
		t.Fatalf("history %s %s, printed %s, WeChat %s", got.Status, got.WaybillID, m[1], platform["RACE-1"].WaybillID)
	}
}

// TestKilledPlacersLeaseDoesNotHoldTheOrder: the process placing an order
// is killed while it waits; its lease has not expired, but its process is
// gone, so the next reconcile asks WeChat at once instead of waiting.
func TestKilledPlacersLeaseDoesNotHoldTheOrder(t *testing.T) {
	sb := startSandbox(t, "--addorder-latency", "4s")
	db := filepath.Join(t.TempDir(), "history.db")
	common := []string{"--db", db, "--api-base", sb.url, "--appid", "wxsandbox", "--secret", "sandbox"}
	placer := startCLI(t, append(common, "order", "place", "--file", examplePath(t), "--order-id", "KILL-1")...)
	t.Cleanup(func() { t.Logf("placer's output: %s%s", placer.out.String(), placer.errOut.String()) })
	waitSubmitting(t, db, "KILL-1")
	placer.cmd.Process.Signal(syscall.SIGKILL)
	placer.wait()
	out, errOut, code := run(t, append(common, "order", "reconcile")...)
	if code != 0 || strings.Contains(out, "being placed by") || !strings.Contains(out, "KILL-1 submitting") ||
		!strings.Contains(out, "WeChat does not have it yet") {
		t.Fatalf("reconcile after the placer was killed: exit %d\n%s%s", code, out, errOut)
	}
}

// TestUnknownAnswersThroughTheCommandLine: 9909001 after WeChat created the
// order leaves it submitting, and `order reconcile` finds its waybill; the
// same file placed again without an order_id is refused while the first is
// unsettled (naming it), and --order-id of the unsettled order checks with
// WeChat instead of sending it again.
func TestUnknownAnswersThroughTheCommandLine(t *testing.T) {
	sb := startSandbox(t, "--unknown-after-commit-rate", "1")
	db := filepath.Join(t.TempDir(), "history.db")
	common := []string{"--db", db, "--api-base", sb.url, "--appid", "wxsandbox", "--secret", "sandbox"}
	place := append(append([]string{}, common...), "order", "place", "--file", examplePath(t))

	out, errOut, code := run(t, place...)
	if code == 0 || !strings.Contains(errOut, "9909001") || !strings.Contains(errOut, "outcome unknown") {
		t.Fatalf("first place: exit %d\n%s%s", code, out, errOut)
	}
	id := regexp.MustCompile(`place order (\S+):`).FindStringSubmatch(errOut)
	if id == nil {
		t.Fatalf("the error does not name the order: %s", errOut)
	}
	first := id[1]
	sb.setFaults(t, `{"unknown-after-commit-rate":0}`)

	// The same file again: refused, naming the unsettled order.
	out, errOut, code = run(t, place...)
	if code == 0 || !strings.Contains(errOut, first) || !strings.Contains(errOut, "still unsettled") || !strings.Contains(errOut, "--force") {
		t.Fatalf("second place of the same file: exit %d\n%s%s", code, out, errOut)
	}
	if n := len(sb.orders(t)); n != 1 {
		t.Fatalf("WeChat holds %d orders after the file was placed twice", n)
	}
	// Its order id given: checked with WeChat, which has the waybill.
	out, errOut, code = run(t, append(place, "--order-id", first)...)
	platform := sb.orders(t)
	if code != 0 || !strings.Contains(out, platform[first].WaybillID) || !strings.Contains(errOut, "checked with WeChat instead of sending it again") {
		t.Fatalf("place --order-id of the unsettled order: exit %d\n%s%s", code, out, errOut)
	}
	if len(platform) != 1 {
		t.Fatalf("WeChat holds %d orders", len(platform))
	}
	// Settled now: the same file places a second parcel.
	if _, errOut, code = run(t, place...); code != 0 {
		t.Fatalf("placing the file again once settled: %s", errOut)
	}
	if n := len(sb.orders(t)); n != 2 {
		t.Fatalf("WeChat holds %d orders", n)
	}

	// 9909001 again, then order reconcile.
	sb.setFaults(t, `{"unknown-after-commit-rate":1}`)
	run(t, append(place, "--order-id", "UNK-2")...)
	sb.setFaults(t, `{"unknown-after-commit-rate":0}`)
	if o := orderIn(t, db, "UNK-2"); o.Status != store.StatusSubmitting {
		t.Fatalf("after 9909001 the order is %s, want submitting", o.Status)
	}
	out, errOut, code = run(t, append(common, "order", "reconcile")...)
	wb := sb.orders(t)["UNK-2"].WaybillID
	if code != 0 || !strings.Contains(out, "UNK-2 placed "+wb) {
		t.Fatalf("reconcile after 9909001: exit %d\n%s%s", code, out, errOut)
	}
	// --force places the same data twice on purpose.
	sb.setFaults(t, `{"unknown-after-commit-rate":1}`)
	run(t, place...)
	sb.setFaults(t, `{"unknown-after-commit-rate":0}`)
	if _, errOut, code := run(t, append(place, "--force")...); code != 0 {
		t.Fatalf("--force: %s", errOut)
	}
	if n := len(sb.orders(t)); n != 5 {
		t.Fatalf("WeChat holds %d orders, want 5", n)
	}
}

// setFaults changes the standalone sandbox's faults.
func (p *sandboxProcess) setFaults(t *testing.T, body string) {
	t.Helper()
	p.admin(t, http.MethodPost, "/sandbox/faults", body, nil)
}

// TestSandboxAndRealHistoriesAreApart: a shop tries order SHOP-1 in the
// sandbox, then enters credentials and places SHOP-1 for real. The real
// order reaches WeChat once and the real history shows WeChat's waybill;
// each history lists only its own orders, also when the real one is named
// with --db in sandbox mode; the printer set up in the sandbox is there
// for real.
func TestSandboxAndRealHistoriesAreApart(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	order := examplePath(t)
	sandboxed := []string{"--sandbox"}
	if _, errOut, code := run(t, append(sandboxed, "printers", "add", "--name", "打包台", "--kind", "pdf", "--address", filepath.Join(home, "labels"))...); code != 0 {
		t.Fatalf("printers add: %s", errOut)
	}
	out, errOut, code := run(t, append(sandboxed, "order", "place", "--file", order, "--order-id", "SHOP-1")...)
	if code != 0 {
		t.Fatalf("sandbox place: %s", errOut)
	}
	sandboxWaybill := regexp.MustCompile(`waybill_id (\S+)`).FindStringSubmatch(out)[1]

	// "WeChat" for the real run: a platform of its own with the shop's AppID.
	wechat := startSandbox(t, "--appid", "wx5e1f2a3b4c5d6e7f", "--secret", "real-secret", "--seed", "4242")
	real := []string{"--api-base", wechat.url, "--appid", "wx5e1f2a3b4c5d6e7f", "--secret", "real-secret"}
	out, errOut, code = run(t, append(real, "order", "place", "--file", order, "--order-id", "SHOP-1")...)
	if code != 0 {
		t.Fatalf("real place of SHOP-1 after the sandbox's: exit %d\n%s%s", code, out, errOut)
	}
	realWaybill := regexp.MustCompile(`waybill_id (\S+)`).FindStringSubmatch(out)[1]
	platform := wechat.orders(t)
	if len(platform) != 1 || platform["SHOP-1"].WaybillID != realWaybill || realWaybill == sandboxWaybill {
		t.Fatalf("WeChat holds %+v; the real run printed %s, the sandbox's was %s", platform, realWaybill, sandboxWaybill)
	}

	list := func(args ...string) []orderJSON {
		t.Helper()
		out, errOut, code := run(t, append(append([]string{"--json"}, args...), "order", "list")...)
		if code != 0 {
			t.Fatalf("order list %v: %s", args, errOut)
		}
		var l []orderJSON
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := list(real...); len(l) != 1 || l[0].WaybillID != realWaybill || l[0].Status != "placed" {
		t.Fatalf("the real history lists %+v", l)
	}
	if l := list(sandboxed...); len(l) != 1 || l[0].WaybillID != sandboxWaybill {
		t.Fatalf("the sandbox history lists %+v", l)
	}
	dir := filepath.Join(home, "waybilldesk")
	for _, f := range []string{"history.db", "history-sandbox.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The real history named with --db in sandbox mode: the sandbox's
	// orders are the ones beside it, never the real ones.
	if l := list("--sandbox", "--db", filepath.Join(dir, "history.db")); len(l) != 1 || l[0].WaybillID != sandboxWaybill {
		t.Fatalf("--sandbox --db history.db lists %+v", l)
	}
	// The printer set up while trying the sandbox is there for real.
	if out, _, _ := run(t, append(real, "printers", "list")...); !strings.Contains(out, "打包台") {
		t.Fatalf("real printers: %s", out)
	}
}
