//go:build unix

package queue_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"waybilldesk/printing/output/cupstest"
	"waybilldesk/printing/queue"
)

// TestCUPSQueue prints through a real CUPS: a private cupsd with a raw
// queue to a loopback printer; the job goes through lp and is done only
// when CUPS reports it completed.
func TestCUPSQueue(t *testing.T) {
	srv := cupstest.Start(t)
	t.Setenv("CUPS_SERVER", srv.Socket)
	raw := cupstest.NewRawPrinter(t)
	srv.AddRawQueue("zebra_raw", raw.Addr)

	e := newEnv(t)
	ctx := context.Background()
	o := e.place(t)
	if _, err := e.q.AddPrinter(ctx, queue.Printer{Name: "zebra", Kind: queue.KindCUPS, Address: "zebra_raw",
		Language: queue.LangZPL, DPI: 203, Couriers: []string{"SF"}}); err != nil {
		t.Fatal(err)
	}
	st, err := e.q.Status(ctx, "zebra")
	if err != nil || !st.CanPrint() {
		t.Fatalf("status before printing: %v %v", st, err)
	}
	// No printer named: SF's default printer.
	id, err := e.q.Enqueue(ctx, o.OrderID, "")
	if err != nil {
		t.Fatal(err)
	}
	j := e.wait(t, e.q, id)
	if j.State != queue.StateDone || j.Printer != "zebra" {
		t.Fatalf("job %+v", j)
	}
	data := raw.Next(t, 30*time.Second)
	if !strings.HasPrefix(string(data), "^XA") {
		t.Fatalf("the printer got %q..., not ZPL", data[:min(len(data), 20)])
	}
	scansAs(t, t.TempDir(), "cups.png", decode(t, queue.LangZPL, data), o.WaybillID)
	if log := srv.Run("lpstat", "-W", "completed", "-o", "zebra_raw"); !strings.Contains(log, "zebra_raw-") {
		t.Fatalf("CUPS has no completed job:\n%s", log)
	}
}
