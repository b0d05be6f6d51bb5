//go:build unix

package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"waybilldesk/printing/output/cupstest"
)

// TestPrintersThroughCUPS: a printer record on a real CUPS raw queue, the
// default for SF; `print --to default` goes through lp to the printer,
// `printers test` prints the test label, `printers list` shows the status
// and the CUPS queue among the system's printers.
func TestPrintersThroughCUPS(t *testing.T) {
	srv := cupstest.Start(t)
	t.Setenv("CUPS_SERVER", srv.Socket)
	raw := cupstest.NewRawPrinter(t)
	srv.AddRawQueue("gp_raw", raw.Addr)
	db, orderID, _ := placeExample(t)

	if _, errOut, code := run(t, "--db", db, "printers", "add", "--name", "打包台1", "--kind", "cups", "--address", "gp_raw",
		"--lang", "tspl", "--size", "100x180", "--offset-y", "-1", "--default-for", "SF,YTO"); code != 0 {
		t.Fatalf("add: %s", errOut)
	}
	if _, errOut, code := run(t, "--db", db, "printers", "add", "--name", "打包台1", "--kind", "raw", "--address", "x"); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("second add: exit %d %s", code, errOut)
	}
	out, errOut, code := run(t, "--db", db, "--json", "printers", "list")
	var list struct {
		Printers []map[string]any `json:"printers"`
		System   []map[string]any `json:"system_printers"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Printers) != 1 || list.Printers[0]["status"] != "ready" ||
		len(list.System) != 1 || list.System[0]["name"] != "gp_raw" {
		t.Fatalf("list: exit %d\n%s\n%s", code, out, errOut)
	}

	out, errOut, code = run(t, "--db", db, "print", orderID, "--to", "default")
	if code != 0 || !strings.Contains(out, "-> 打包台1: job 1 done") || !strings.Contains(errOut, "printer 打包台1: ready") {
		t.Fatalf("print: exit %d\n%s\n%s", code, out, errOut)
	}
	if data := raw.Next(t, 30*time.Second); !strings.HasPrefix(string(data), "SIZE 100 mm,180 mm") {
		t.Fatalf("not TSPL: %q", data[:min(len(data), 40)])
	}
	if out, errOut, code = run(t, "--db", db, "printers", "test", "打包台1"); code != 0 || !strings.Contains(out, "job 2 done") {
		t.Fatalf("test: exit %d\n%s\n%s", code, out, errOut)
	}
	raw.Next(t, 30*time.Second)
	if _, errOut, code = run(t, "--db", db, "printers", "remove", "打包台1"); code != 0 {
		t.Fatalf("remove: %s", errOut)
	}
	if out, _, _ = run(t, "--db", db, "--json", "printers", "list", "--no-status"); !strings.Contains(out, `"printers": []`) {
		t.Fatalf("after remove: %s", out)
	}
}
