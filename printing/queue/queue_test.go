package queue_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"waybilldesk/printing"
	"waybilldesk/printing/queue"
	"waybilldesk/printing/thermal"
	"waybilldesk/store"
)

// TestThermalLabelsThroughQueue is the end-to-end promise: a real sandbox
// order, queued for a raw TCP printer in each language, arrives at a
// loopback listener; decoded, its barcodes scan as the waybill id, and it
// matches the PDF of the same job (written by the queue too) rasterised by
// pdftoppm at the same resolution.
func TestThermalLabelsThroughQueue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.place(t)
	dir := t.TempDir()
	pr := newFakePrinter(t, "127.0.0.1:0")

	pdfPath := filepath.Join(dir, "label.pdf")
	pj, err := e.q.Submit(ctx, queue.Request{Order: o.WaybillID, Output: pdfPath,
		Target: &queue.Printer{Kind: queue.KindPDF, Address: dir, Language: queue.LangPDF, Size: printing.Size100x180}})
	if err != nil {
		t.Fatal(err)
	}
	if j := e.wait(t, e.q, pj.ID); j.State != queue.StateDone || j.Output != pdfPath || j.OrderID != o.OrderID {
		t.Fatalf("pdf job %+v", j)
	}
	ref := popplerBitmap(t, pdfPath, 203)

	for i, lang := range []queue.Language{queue.LangTSPL, queue.LangZPL, queue.LangESCPOS} {
		t.Run(string(lang), func(t *testing.T) {
			start := time.Now()
			j, err := e.q.Submit(ctx, queue.Request{Order: o.OrderID,
				Target: &queue.Printer{Name: "station-" + string(lang), Kind: queue.KindRaw, Address: pr.addr, Language: lang, DPI: 203}})
			if err != nil {
				t.Fatal(err)
			}
			if j.State != queue.StateQueued || j.WaybillID != o.WaybillID {
				t.Fatalf("queued %+v", j)
			}
			if j = e.wait(t, e.q, j.ID); j.State != queue.StateDone || j.Attempts != 1 {
				t.Fatalf("job %+v", j)
			}
			took := time.Since(start)
			data := pr.waitJobs(t, i+1)[i]
			bm := decode(t, lang, data)
			if bm.Width < 799 || bm.Width > 800 || bm.Height != 1438 {
				t.Fatalf("%s bitmap %dx%d, want 799 (or 800) x 1438 dots", lang, bm.Width, bm.Height)
			}
			bm = bm.Crop(799, 1438)
			scansAs(t, dir, "label-"+string(lang)+".png", bm, o.WaybillID)

			m := compareAligned(bm, ref, 2)
			t.Logf("%s: %d bytes, queued to done in %v; vs poppler: shift %d,%d, %.2f%% equal, %.2f%% within a dot, %.1f%% black shared (%d vs %d)",
				lang, len(data), took.Round(time.Millisecond), m.dx, m.dy, 100*m.equal, 100*m.near, 100*m.blackShared, m.blackA, m.blackB)
			if m.equal < 0.95 || m.near < 0.99 || m.blackShared < 0.65 {
				writePNG(t, dir, "poppler.png", ref.Image())
				t.Errorf("the printed label does not match the PDF (images in %s)", dir)
			}
			if r := float64(m.blackA) / float64(max(m.blackB, 1)); r < 0.8 || r > 1.25 {
				t.Errorf("%d black dots against the PDF's %d", m.blackA, m.blackB)
			}
		})
	}
}

// TestRefusedThenRetry: a printer that is off leaves the job failed with
// the reason and one attempt; a retry once it is on prints it exactly once.
func TestRefusedThenRetry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.place(t)
	addr := closedPort(t)
	if _, err := e.q.AddPrinter(ctx, queue.Printer{Name: "gp1", Kind: queue.KindRaw, Address: addr}); err != nil {
		t.Fatal(err)
	}
	events, stop := e.q.Subscribe(64)
	defer stop()
	id, err := e.q.Enqueue(ctx, o.WaybillID, "gp1")
	if err != nil {
		t.Fatal(err)
	}
	j := e.wait(t, e.q, id)
	if j.State != queue.StateFailed || j.Attempts != 1 || !strings.Contains(j.Reason, "refused") {
		t.Fatalf("job %+v; want failed, 1 attempt, refused", j)
	}
	if st, err := e.q.Status(ctx, "gp1"); err == nil || st.CanPrint() {
		t.Fatalf("status of a printer that is off: %v %v", st, err)
	}
	var states []string
	for len(states) < 4 {
		select {
		case ev := <-events:
			if ev.Job.ID == id {
				states = append(states, ev.Job.State)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("events so far %v", states)
		}
	}
	if strings.Join(states, ",") != "queued,rendering,sent,failed" {
		t.Fatalf("events %v", states)
	}

	pr := newFakePrinter(t, addr) // the printer is switched on
	if _, err := e.q.Retry(ctx, id); err != nil {
		t.Fatal(err)
	}
	if j = e.wait(t, e.q, id); j.State != queue.StateDone || j.Attempts != 2 || j.Reason != "" {
		t.Fatalf("after retry %+v", j)
	}
	scansAs(t, t.TempDir(), "retry.png", decode(t, queue.LangTSPL, pr.waitJobs(t, 1)[0]), o.WaybillID)
	if _, err := e.q.Retry(ctx, id); !errors.Is(err, store.ErrJobState) {
		t.Fatalf("retry of a done job: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(pr.received()); n != 1 {
		t.Fatalf("printer got %d jobs, want exactly 1", n)
	}
}

// TestClosedMidJobThenRetry: a printer that hangs up mid-job leaves the
// job failed saying how far it got; a retry prints it once, whole.
//
// Loopback's socket buffers grow to megabytes (its packets are 64 KB), so
// a job smaller than that is swallowed whole before the printer hangs up
// and fails only at the end ("after all N bytes"). 40 ESC/POS copies, sent
// as 40 images, make a 5.8 MB job that is still being written when the
// printer hangs up, as a single label is on a real LAN.
func TestClosedMidJobThenRetry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.place(t)
	pr := newFakePrinter(t, "127.0.0.1:0")
	pr.setCut(4096)
	const copies = 40
	j, err := e.q.Submit(ctx, queue.Request{Order: o.OrderID, Copies: copies,
		Target: &queue.Printer{Kind: queue.KindRaw, Address: pr.addr, Language: queue.LangESCPOS, DPI: 203}})
	if err != nil {
		t.Fatal(err)
	}
	j = e.wait(t, e.q, j.ID)
	if j.State != queue.StateFailed || j.Attempts != 1 ||
		!regexp.MustCompile(`closed after \d+ of \d+ bytes`).MatchString(j.Reason) {
		t.Fatalf("job %+v; want failed with 'closed after N of M bytes'", j)
	}
	t.Logf("reason: %s", j.Reason)
	pr.setCut(0)
	if _, err := e.q.Retry(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if j = e.wait(t, e.q, j.ID); j.State != queue.StateDone || j.Attempts != 2 {
		t.Fatalf("after retry %+v", j)
	}
	jobs := pr.waitJobs(t, 1)
	bm, job, err := thermal.DecodeESCPOS(jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	if job.Copies != copies || bm.Height != 1438 {
		t.Fatalf("got %d copies of a %dx%d label, want %d of 100x180 mm", job.Copies, bm.Width, bm.Height, copies)
	}
	scansAs(t, t.TempDir(), "whole.png", bm, o.WaybillID)
	time.Sleep(300 * time.Millisecond)
	if n := len(pr.received()); n != 1 {
		t.Fatalf("printer got %d complete jobs, want 1", n)
	}
}

// TestJobsForOnePrinterInOrder: labels come out of one printer in the
// order they were queued, although several render at once.
func TestJobsForOnePrinterInOrder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pr := newFakePrinter(t, "127.0.0.1:0")
	if _, err := e.q.AddPrinter(ctx, queue.Printer{Name: "pack-1", Kind: queue.KindRaw, Address: pr.addr,
		Language: queue.LangTSPL, Size: printing.Size100x180}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	var want []string
	var ids []int64
	for range n {
		o := e.place(t)
		want = append(want, o.WaybillID)
		id, err := e.q.Enqueue(ctx, o.OrderID, "pack-1")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if j := e.wait(t, e.q, id); j.State != queue.StateDone {
			t.Fatalf("job %+v", j)
		}
	}
	dir := t.TempDir()
	var got []string
	for i, data := range pr.waitJobs(t, n) {
		vals := zbarimg(t, writePNG(t, dir, "l"+string(rune('a'+i))+".png", decode(t, queue.LangTSPL, data).Image()))
		if len(vals) == 0 {
			t.Fatalf("label %d does not scan", i)
		}
		got = append(got, vals[0])
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("printed in the order\n%v\nwant\n%v", got, want)
	}
}

// blockingLabels hands out labels, except that renders (every call after
// the first for an order) wait until their context ends: a render that
// is still going when the queue closes.
type blockingLabels struct {
	inner queue.LabelSource
	calls atomic.Int32
}

func (b *blockingLabels) Label(ctx context.Context, id string) (queue.Label, error) {
	if b.calls.Add(1) > 1 {
		<-ctx.Done()
		return queue.Label{}, ctx.Err()
	}
	return b.inner.Label(ctx, id)
}

// TestQueuedJobSurvivesRestart: the queue closes while a job renders; the
// job goes back to queued, not lost and not failed, and prints once when
// the program starts again.
func TestQueuedJobSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	e := newEnvAt(t, path)
	ctx := context.Background()
	o := e.place(t)
	pr := newFakePrinter(t, "127.0.0.1:0")
	if _, err := e.q.AddPrinter(ctx, queue.Printer{Name: "p", Kind: queue.KindRaw, Address: pr.addr}); err != nil {
		t.Fatal(err)
	}
	q1 := queue.New(e.d.DB, e.d.Renderer, &blockingLabels{inner: labelsOf(e.d)}, testOptions(t))
	id, err := q1.Enqueue(ctx, o.OrderID, "p")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		j, _ := q1.Job(ctx, id)
		if j.State == queue.StateRendering {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never started rendering: %+v", j)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := q1.Close(); err != nil {
		t.Fatal(err)
	}
	j, err := q1.Job(ctx, id)
	if err != nil || j.State != queue.StateQueued || !strings.Contains(j.Reason, "queued again") {
		t.Fatalf("after close: %+v %v", j, err)
	}
	if _, err := q1.Enqueue(ctx, o.OrderID, "p"); !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("enqueue after close: %v", err)
	}
	e.d.Close()

	// The program starts again.
	e2 := newEnvAt(t, path)
	if err := e2.q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if j = e2.wait(t, e2.q, id); j.State != queue.StateDone || j.Attempts != 2 {
		t.Fatalf("after restart: %+v", j)
	}
	scansAs(t, t.TempDir(), "restart.png", decode(t, queue.LangTSPL, pr.waitJobs(t, 1)[0]), o.WaybillID)
}

// TestCrashRecovery: jobs a crashed run left behind are re-examined at
// start. One that was rendering prints; one that was being sent is failed
// "outcome unknown" and not printed until a person retries it.
func TestCrashRecovery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o1, o2 := e.place(t), e.place(t)
	pr := newFakePrinter(t, "127.0.0.1:0")
	if _, err := e.q.AddPrinter(ctx, queue.Printer{Name: "a", Kind: queue.KindRaw, Address: pr.addr}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.q.AddPrinter(ctx, queue.Printer{Name: "b", Kind: queue.KindRaw, Address: pr.addr}); err != nil {
		t.Fatal(err)
	}
	// What a run killed mid-way leaves in the history.
	db := e.d.DB
	if err := db.TouchPrintRunner(ctx, "crashed", 1, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	rendering := &store.PrintJob{OrderID: o1.OrderID, WaybillID: o1.WaybillID, Printer: "a"}
	sent := &store.PrintJob{OrderID: o2.OrderID, WaybillID: o2.WaybillID, Printer: "b"}
	for _, j := range []*store.PrintJob{rendering, sent} {
		if err := db.CreatePrintJob(ctx, j, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimPrintJob(ctx, j.Printer, "crashed"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AdvancePrintJob(ctx, sent.ID, "crashed", store.JobRendering, store.JobSent, "", ""); err != nil {
		t.Fatal(err)
	}

	if err := e.q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if j := e.wait(t, e.q, rendering.ID); j.State != queue.StateDone || j.Attempts != 2 {
		t.Fatalf("rendering job after restart: %+v", j)
	}
	j := e.wait(t, e.q, sent.ID)
	if j.State != queue.StateFailed || j.Reason != store.ReasonOutcomeUnknown || j.Attempts != 1 {
		t.Fatalf("sent job after restart: %+v", j)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(pr.received()); n != 1 {
		t.Fatalf("printer got %d jobs, want 1 (the sent one must not print by itself)", n)
	}
	if _, err := e.q.Retry(ctx, sent.ID); err != nil {
		t.Fatal(err)
	}
	if j := e.wait(t, e.q, sent.ID); j.State != queue.StateDone {
		t.Fatalf("retried %+v", j)
	}
	scansAs(t, t.TempDir(), "b.png", decode(t, queue.LangTSPL, pr.waitJobs(t, 2)[1]), o2.WaybillID)
}

// TestReprintAndDuplicateScan: a waybill scanned twice while its job waits
// prints once; printing it again later is a reprint, a new job on the same
// waybill pointing back at the first.
func TestReprintAndDuplicateScan(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.place(t)
	dir := t.TempDir()
	if _, err := e.q.AddPrinter(ctx, queue.Printer{Name: "files", Kind: queue.KindPDF, Address: dir}); err != nil {
		t.Fatal(err)
	}
	first, err := e.q.Submit(ctx, queue.Request{Order: o.WaybillID, Printer: "files"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.q.Submit(ctx, queue.Request{Order: o.OrderID, Printer: "files"})
	if !errors.Is(err, queue.ErrAlreadyQueued) || again.ID != first.ID {
		t.Fatalf("second scan: job %d, %v; want job %d and ErrAlreadyQueued", again.ID, err, first.ID)
	}
	j := e.wait(t, e.q, first.ID)
	if j.State != queue.StateDone || filepath.Dir(j.Output) != dir {
		t.Fatalf("first %+v", j)
	}
	re, err := e.q.Reprint(ctx, o.OrderID, "")
	if err != nil {
		t.Fatal(err)
	}
	if re.ID == first.ID || re.ReprintOf != first.ID || re.WaybillID != o.WaybillID || re.Printer != "files" {
		t.Fatalf("reprint %+v", re)
	}
	r := e.wait(t, e.q, re.ID)
	if r.State != queue.StateDone || r.Output == j.Output {
		t.Fatalf("reprint %+v (first wrote %s)", r, j.Output)
	}
	for _, p := range []string{j.Output, r.Output} {
		if b, err := os.ReadFile(p); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
			t.Fatalf("%s: %v", p, err)
		}
	}
	log, err := e.d.DB.AuditLog(ctx, o.OrderID, 10)
	if err != nil {
		t.Fatal(err)
	}
	prints := 0
	for _, a := range log {
		if a.Action == "print" {
			prints++
		}
	}
	if prints != 2 {
		t.Fatalf("audit log %+v; want two prints", log)
	}
}

// TestTestPrint: the test label of a printer record scans and shows its
// frame where the offsets put it.
func TestTestPrint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pr := newFakePrinter(t, "127.0.0.1:0")
	p, err := e.q.AddPrinter(ctx, queue.Printer{Name: "deli", Kind: queue.KindRaw, Address: pr.addr,
		Language: queue.LangTSPL, Size: printing.Size100x100, OffsetXMM: 2})
	if err != nil {
		t.Fatal(err)
	}
	j, err := e.q.TestPrint(ctx, p.Name)
	if err != nil {
		t.Fatal(err)
	}
	if j = e.wait(t, e.q, j.ID); j.State != queue.StateDone || j.OrderID != "" {
		t.Fatalf("test job %+v", j)
	}
	bm := decode(t, queue.LangTSPL, pr.waitJobs(t, 1)[0])
	if bm.Height != 799 {
		t.Fatalf("test label %dx%d, want 100x100 mm", bm.Width, bm.Height)
	}
	scansAs(t, t.TempDir(), "test.png", bm, j.WaybillID)
	// The frame's left edge moved 2 mm (16 dots) right; the 0.5 mm frame
	// is 4 dots wide.
	col := func(x int) int {
		n := 0
		for y := 100; y < 700; y++ {
			if bm.Black(x, y) {
				n++
			}
		}
		return n
	}
	if col(17) < 550 || col(10) > 100 {
		t.Fatalf("frame not at 2 mm: column 17 has %d black dots, column 10 %d", col(17), col(10))
	}

	// Turned a quarter for stock fed sideways: the printer gets a
	// 150 x 100 mm label, and the barcode still scans.
	side, err := e.q.AddPrinter(ctx, queue.Printer{Name: "side", Kind: queue.KindRaw, Address: pr.addr,
		Size: printing.Size100x150, Rotate: 90})
	if err != nil {
		t.Fatal(err)
	}
	if j, err = e.q.TestPrint(ctx, side.Name); err != nil {
		t.Fatal(err)
	}
	if j = e.wait(t, e.q, j.ID); j.State != queue.StateDone {
		t.Fatalf("rotated test job %+v", j)
	}
	data := pr.waitJobs(t, 2)[1]
	if !strings.HasPrefix(string(data), "SIZE 150 mm,100 mm\r\n") {
		t.Fatalf("rotated label starts %q", data[:30])
	}
	bm = decode(t, queue.LangTSPL, data)
	if bm.Height != 799 || bm.Width < 1198 {
		t.Fatalf("rotated label %dx%d, want 150 x 100 mm", bm.Width, bm.Height)
	}
	scansAs(t, t.TempDir(), "side.png", bm, j.WaybillID)
}

// TestPrinterValidation: wrong settings are refused with the setting named,
// and nothing is stored.
func TestPrinterValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		p    queue.Printer
		want string
	}{
		{queue.Printer{Name: "a:b", Kind: queue.KindRaw, Address: "x"}, "may not contain ':'"},
		{queue.Printer{Name: "x", Kind: "usb", Address: "x"}, `kind "usb"`},
		{queue.Printer{Name: "x", Kind: queue.KindRaw}, "address is required"},
		{queue.Printer{Name: "x", Kind: queue.KindRaw, Address: "h", DPI: 1200}, "dpi 1200"},
		{queue.Printer{Name: "x", Kind: queue.KindRaw, Address: "h", Rotate: 45}, "rotate 45"},
		{queue.Printer{Name: "x", Kind: queue.KindRaw, Address: "h", OffsetXMM: 30}, "offsets"},
		{queue.Printer{Name: "x", Kind: queue.KindRaw, Address: "h", Size: printing.Size{WidthMM: 5, HeightMM: 5}}, "invalid label size"},
		{queue.Printer{Name: "x", Kind: queue.KindPDF, Address: "/tmp", Language: queue.LangZPL}, "language must be pdf"},
		{queue.Printer{Name: "x", Kind: queue.KindWindows, Address: "GP-1324D", Language: queue.LangPDF}, "needs a printer language"},
		{queue.Printer{Name: "x", Kind: queue.KindRaw, Address: "10.0.0.5:99999"}, `port "99999"`},
		{queue.Printer{Name: "x", Kind: queue.KindRaw, Address: ":abc"}, "want host or host:port"},
		{queue.Printer{Name: "x", Kind: queue.KindRaw, Address: "10.0.0.5:"}, `port ""`},
		{queue.Printer{Name: "x", Kind: queue.KindRaw, Address: ":9100"}, "host is missing"},
		{queue.Printer{Name: "x", Kind: queue.KindRaw, Address: "打印 机:9100"}, "neither an IP address nor a host name"},
		{queue.Printer{Name: "x", Kind: queue.KindCUPS, Address: "zebra left"}, "CUPS queue name"},
	} {
		_, err := e.q.AddPrinter(ctx, tc.p)
		if !errors.Is(err, queue.ErrInvalidPrinter) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v; want %q", tc.p, err, tc.want)
		}
	}
	if list, err := e.q.Printers(ctx); err != nil || len(list) != 0 {
		t.Fatalf("printers after bad input: %+v %v", list, err)
	}
	for _, addr := range []string{"192.168.1.50:9100", "192.168.1.50", "zebra-left.lan:9100", "[fe80::1]:9100", "localhost"} {
		if err := (queue.Printer{Name: "ok", Kind: queue.KindRaw, Address: addr, Language: queue.LangTSPL, DPI: 203,
			Size: printing.Size100x180}).Validate(); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
	// Without a printer record and without a default, nothing is queued.
	o := e.place(t)
	if _, err := e.q.Enqueue(ctx, o.OrderID, ""); !errors.Is(err, queue.ErrNoPrinter) {
		t.Fatalf("enqueue without printers: %v", err)
	}
	if _, err := e.q.Enqueue(ctx, "NOPE", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("enqueue of an unknown order: %v", err)
	}
	if jobs, _ := e.q.Jobs(ctx, store.PrintJobQuery{}); len(jobs) != 0 {
		t.Fatalf("jobs after refused input: %+v", jobs)
	}
}

// TestCloseCutsStalledSend: a printer that takes the connection but no
// data (paper out, buffer full) does not hold up Close beyond its grace
// period; the job is failed saying how far it got, for a person to check.
func TestCloseCutsStalledSend(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.place(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, read nothing
		}
	}()
	q := queue.New(e.d.DB, e.d.Renderer, labelsOf(e.d), testOptions(t))
	j, err := q.Submit(ctx, queue.Request{Order: o.OrderID, Copies: 40,
		Target: &queue.Printer{Kind: queue.KindRaw, Address: ln.Addr().String(), Language: queue.LangESCPOS}})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if j, _ = q.Job(ctx, j.ID); j.State == queue.StateSent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never sent: %+v", j)
		}
		time.Sleep(10 * time.Millisecond)
	}
	begin := time.Now()
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d < 4*time.Second || d > 8*time.Second {
		t.Fatalf("Close took %v, want the 5 s grace", d)
	}
	j, err = q.Job(ctx, j.ID)
	if err != nil || j.State != queue.StateFailed || !regexp.MustCompile(`cancelled after \d+ of \d+ bytes`).MatchString(j.Reason) {
		t.Fatalf("job after close: %+v %v", j, err)
	}
}

// TestLabelSizeIsThePrintersStock: a label previews at the stock of the
// printer it goes to (the courier's default, or for a reprint the printer
// of the last job), at its own @page size on a PDF printer, and at its own
// size when there is no printer.
func TestLabelSizeIsThePrintersStock(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.place(t)
	html, _, err := e.d.Orders.Label(ctx, o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	l := queue.Label{OrderID: o.OrderID, WaybillID: o.WaybillID, DeliveryID: o.DeliveryID, HTML: html}
	own := printing.SizeOf(html)
	if own != printing.Size100x180 {
		t.Fatalf("the sandbox label asks %v", own)
	}
	if got := e.q.LabelSize(ctx, l, false); got != own {
		t.Errorf("no printer: %v, want the label's own %v", got, own)
	}
	add := func(p queue.Printer) {
		t.Helper()
		if _, err := e.q.AddPrinter(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// The only printer is where labels go, even without being a default.
	add(queue.Printer{Name: "small", Kind: queue.KindRaw, Address: closedPort(t), Language: queue.LangTSPL, Size: printing.Size76x130})
	if got := e.q.LabelSize(ctx, l, false); got != printing.Size76x130 {
		t.Errorf("only printer 76x130: %v", got)
	}
	// A PDF printer, the courier's default: the template's @page wins.
	add(queue.Printer{Name: "files", Kind: queue.KindPDF, Address: t.TempDir(), Size: printing.Size100x150, Couriers: []string{o.DeliveryID}})
	if got := e.q.LabelSize(ctx, l, false); got != own {
		t.Errorf("PDF printer 100x150 for a 100x180 template: %v, want %v", got, own)
	}
	// Printed once on "small": a reprint goes there, a new print to the default.
	if _, err := e.q.Submit(ctx, queue.Request{Order: o.OrderID, Printer: "small"}); err != nil {
		t.Fatal(err)
	}
	if got := e.q.LabelSize(ctx, l, true); got != printing.Size76x130 {
		t.Errorf("reprint after a job on small: %v", got)
	}
	if got := e.q.LabelSize(ctx, l, false); got != own {
		t.Errorf("new print on the PDF default: %v", got)
	}
}
