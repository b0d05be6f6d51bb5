package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestPrinterRecords(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	p := &Printer{Name: "打包台1", Kind: "raw", Address: "10.0.0.5:9100", Language: "tspl", DPI: 203,
		WidthMM: 100, HeightMM: 180, OffsetXMM: 1.5, OffsetYMM: -0.5, Rotate: 180, Density: 8, Couriers: []string{"SF", "YTO"}}
	if err := db.CreatePrinter(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePrinter(ctx, &Printer{Name: "打包台1", Kind: "pdf", Language: "pdf", WidthMM: 100, HeightMM: 100}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second printer of the same name: %v, want ErrDuplicate", err)
	}
	got, err := db.GetPrinter(ctx, "打包台1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Address != p.Address || got.OffsetXMM != 1.5 || got.OffsetYMM != -0.5 || got.Rotate != 180 ||
		!reflect.DeepEqual(got.Couriers, []string{"SF", "YTO"}) {
		t.Fatalf("read back %+v", got)
	}
	// A second printer takes YTO over.
	if err := db.CreatePrinter(ctx, &Printer{Name: "zebra", Kind: "cups", Address: "zpl", Language: "zpl", DPI: 300,
		WidthMM: 76, HeightMM: 130, Couriers: []string{"YTO"}}); err != nil {
		t.Fatal(err)
	}
	if name, err := db.CourierPrinter(ctx, "YTO"); err != nil || name != "zebra" {
		t.Fatalf("YTO prints on %q (%v), want zebra", name, err)
	}
	if name, _ := db.CourierPrinter(ctx, "SF"); name != "打包台1" {
		t.Fatalf("SF prints on %q", name)
	}
	if _, err := db.CourierPrinter(ctx, "EMS"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("EMS: %v", err)
	}
	list, err := db.ListPrinters(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "zebra" || !reflect.DeepEqual(list[1].Couriers, []string{"SF"}) {
		t.Fatalf("list %+v %v", list, err)
	}
	got.Address = "10.0.0.6:9100"
	got.Couriers = nil
	if err := db.UpdatePrinter(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CourierPrinter(ctx, "SF"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SF still has a default printer after the update: %v", err)
	}
	if err := db.UpdatePrinter(ctx, &Printer{Name: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing printer: %v", err)
	}

	// A printer with an unfinished job cannot be removed.
	j := &PrintJob{OrderID: "A1", WaybillID: "SF1", Printer: "zebra"}
	if err := db.CreatePrintJob(ctx, j, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.DeletePrinter(ctx, "zebra"); !errors.Is(err, ErrPrinterBusy) {
		t.Fatalf("remove a busy printer: %v", err)
	}
	if err := db.AdvancePrintJob(ctx, j.ID, "", JobQueued, JobFailed, "test", ""); err != nil {
		t.Fatal(err)
	}
	if err := db.DeletePrinter(ctx, "zebra"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CourierPrinter(ctx, "YTO"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the removed printer is still YTO's default: %v", err)
	}
	if err := db.DeletePrinter(ctx, "zebra"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
}

func TestPrintJobLifecycle(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	var ids []int64
	for _, o := range []string{"A1", "A2", "A3"} {
		j := &PrintJob{OrderID: o, WaybillID: "W" + o, Printer: "p1"}
		if err := db.CreatePrintJob(ctx, j, 3); err != nil {
			t.Fatal(err)
		}
		if j.State != JobQueued || j.Copies != 1 || j.ReprintOf != 0 {
			t.Fatalf("new job %+v", j)
		}
		ids = append(ids, j.ID)
	}
	// A second scan of A1 while it waits is refused and names the job.
	dup := &PrintJob{OrderID: "A1", WaybillID: "WA1", Printer: "p1"}
	if err := db.CreatePrintJob(ctx, dup, 0); !errors.Is(err, ErrDuplicate) || dup.ID != ids[0] {
		t.Fatalf("duplicate: %v, id %d", err, dup.ID)
	}
	if err := db.CreatePrintJob(ctx, &PrintJob{OrderID: "A4", WaybillID: "WA4", Printer: "p1"}, 3); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("fourth job with a limit of 3: %v", err)
	}

	// Claims go in id order; a second runner takes nothing from p1 while
	// the first has a job there.
	c1, err := db.ClaimPrintJob(ctx, "p1", "r1")
	if err != nil || c1.ID != ids[0] || c1.State != JobRendering || c1.Attempts != 1 || c1.Owner != "r1" {
		t.Fatalf("claim %+v %v", c1, err)
	}
	if _, err := db.ClaimPrintJob(ctx, "p1", "r2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second runner claimed from a busy printer: %v", err)
	}
	c2, err := db.ClaimPrintJob(ctx, "p1", "r1")
	if err != nil || c2.ID != ids[1] {
		t.Fatalf("second claim %+v %v", c2, err)
	}
	if _, err := db.ClaimPrintJob(ctx, "p2", "r1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim on an empty printer: %v", err)
	}

	if err := db.AdvancePrintJob(ctx, c1.ID, "r1", JobRendering, JobSent, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := db.AdvancePrintJob(ctx, c1.ID, "r1", JobRendering, JobSent, "", ""); !errors.Is(err, ErrJobState) {
		t.Fatalf("advancing twice: %v", err)
	}
	if err := db.AdvancePrintJob(ctx, c1.ID, "r2", JobSent, JobDone, "", ""); !errors.Is(err, ErrJobState) {
		t.Fatalf("advancing another runner's job: %v", err)
	}
	if err := db.AdvancePrintJob(ctx, c1.ID, "r1", JobSent, JobDone, "", "/tmp/x.pdf"); err != nil {
		t.Fatal(err)
	}
	if err := db.AdvancePrintJob(ctx, c2.ID, "r1", JobRendering, JobFailed, "printer refused", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetryPrintJob(ctx, c1.ID); !errors.Is(err, ErrJobState) {
		t.Fatalf("retry of a done job: %v", err)
	}
	r, err := db.RetryPrintJob(ctx, c2.ID)
	if err != nil || r.State != JobQueued || r.Reason != "" || r.Attempts != 1 {
		t.Fatalf("retry %+v %v", r, err)
	}
	// The retried job keeps its place ahead of A3.
	if c, _ := db.ClaimPrintJob(ctx, "p1", "r2"); c == nil || c.ID != c2.ID || c.Attempts != 2 {
		t.Fatalf("claim after retry %+v", c)
	}

	// A1 again is a reprint of its done job.
	re := &PrintJob{OrderID: "A1", WaybillID: "WA1", Printer: "p1"}
	if err := db.CreatePrintJob(ctx, re, 0); err != nil || re.ReprintOf != ids[0] {
		t.Fatalf("reprint %+v %v", re, err)
	}
	got, err := db.GetPrintJob(ctx, c1.ID)
	if err != nil || got.Output != "/tmp/x.pdf" || got.State != JobDone {
		t.Fatalf("done job %+v %v", got, err)
	}
	list, err := db.ListPrintJobs(ctx, PrintJobQuery{State: JobQueued})
	if err != nil || len(list) != 2 || list[0].ID != re.ID {
		t.Fatalf("queued jobs %+v %v", list, err)
	}
	if ps, err := db.QueuedPrinters(ctx); err != nil || !reflect.DeepEqual(ps, []string{"p1"}) {
		t.Fatalf("queued printers %v %v", ps, err)
	}
}

// TestRecoverPrintJobs: the jobs of a runner that stopped are re-examined,
// those of a live runner are left alone.
func TestRecoverPrintJobs(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	now := time.Now()
	mk := func(order, printer, owner, state string) int64 {
		j := &PrintJob{OrderID: order, WaybillID: "W" + order, Printer: printer}
		if err := db.CreatePrintJob(ctx, j, 0); err != nil {
			t.Fatal(err)
		}
		c, err := db.ClaimPrintJob(ctx, printer, owner)
		if err != nil || c.ID != j.ID {
			t.Fatalf("claim %v", err)
		}
		if state == JobSent {
			if err := db.AdvancePrintJob(ctx, j.ID, owner, JobRendering, JobSent, "", ""); err != nil {
				t.Fatal(err)
			}
		}
		return j.ID
	}
	if err := db.TouchPrintRunner(ctx, "dead", 1, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.TouchPrintRunner(ctx, "alive", 2, now); err != nil {
		t.Fatal(err)
	}
	rendering := mk("A1", "p1", "dead", JobRendering)
	sent := mk("A2", "p2", "dead", JobSent)
	unknownOwner := mk("A3", "p3", "gone-without-a-row", JobRendering)
	live := mk("A4", "p4", "alive", JobSent)

	changed, err := db.RecoverPrintJobs(ctx, now.Add(-10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 3 {
		t.Fatalf("changed %+v", changed)
	}
	want := map[int64]struct{ state, reason string }{
		rendering:    {JobQueued, ReasonRequeued},
		sent:         {JobFailed, ReasonOutcomeUnknown},
		unknownOwner: {JobQueued, ReasonRequeued},
		live:         {JobSent, ""},
	}
	for id, w := range want {
		j, err := db.GetPrintJob(ctx, id)
		if err != nil || j.State != w.state || j.Reason != w.reason {
			t.Errorf("job %d: %+v %v; want %s %q", id, j, err, w.state, w.reason)
		}
	}
	// The failed job can be retried by a person; it is not queued by itself.
	if _, err := db.RetryPrintJob(ctx, sent); err != nil {
		t.Fatal(err)
	}
	if err := db.RemovePrintRunner(ctx, "alive"); err != nil {
		t.Fatal(err)
	}
	if changed, _ := db.RecoverPrintJobs(ctx, now.Add(-10*time.Second)); len(changed) != 1 || changed[0].ID != live {
		t.Fatalf("after the live runner left: %+v", changed)
	}
}
