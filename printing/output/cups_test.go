//go:build unix

package output

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"waybilldesk/printing/output/cupstest"
)

// TestCUPSRawQueueDeliversBytes sends a job in each printer language through
// a real (private) cupsd and a raw queue to a loopback printer, which must
// receive exactly the bytes that were sent.
func TestCUPSRawQueueDeliversBytes(t *testing.T) {
	srv := cupstest.Start(t)
	printer := cupstest.NewRawPrinter(t)
	srv.AddRawQueue("zpl", printer.Addr)
	q := CUPS{Queue: "zpl", Raw: true, Server: srv.Socket}
	for name, job := range testJobs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			start := time.Now()
			id, err := q.Submit(ctx, job, "waybill SF1234567890 "+name)
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^zpl-\d+$`).MatchString(id) {
				t.Fatalf("job id %q", id)
			}
			got := printer.Next(t, 20*time.Second)
			if !bytes.Equal(got, job) {
				t.Fatalf("printer got %d bytes, not the %d sent", len(got), len(job))
			}
			if err := q.WaitDone(ctx, id); err != nil {
				t.Fatalf("WaitDone: %v", err)
			}
			t.Logf("%s: %d bytes through CUPS, done in %v", name, len(job), time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestCUPSServerFromEnvironment: with no Server set, CUPS_SERVER decides,
// for Send as for Printers.
func TestCUPSServerFromEnvironment(t *testing.T) {
	srv := cupstest.Start(t)
	printer := cupstest.NewRawPrinter(t)
	srv.AddRawQueue("tspl", printer.Addr)
	t.Setenv("CUPS_SERVER", srv.Socket)
	job := testJobs(t)["tspl"]
	if err := (CUPS{Queue: "tspl", Raw: true}).Send(testCtx(t, 30*time.Second), job, "env"); err != nil {
		t.Fatal(err)
	}
	if got := printer.Next(t, 20*time.Second); !bytes.Equal(got, job) {
		t.Fatalf("printer got %d bytes, not the %d sent", len(got), len(job))
	}
	list, err := Printers(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Printer != "tspl" || !list[0].CanPrint() {
		t.Fatalf("Printers = %v", list)
	}
}

func TestCUPSStatusAndPrinters(t *testing.T) {
	srv := cupstest.Start(t)
	ctx := testCtx(t, 30*time.Second)
	none, err := CUPS{Server: srv.Socket}.Printers(ctx)
	if err != nil || len(none) != 0 {
		t.Fatalf("no queues: %v, %v", none, err)
	}
	printer := cupstest.NewRawPrinter(t)
	srv.AddRawQueue("zpl", printer.Addr)
	srv.AddRawQueue("escpos", printer.Addr)
	zpl := CUPS{Queue: "zpl", Raw: true, Server: srv.Socket}

	st, err := zpl.Status(ctx)
	if err != nil || st.Condition != Ready || !st.Accepting || !st.CanPrint() {
		t.Fatalf("new queue: %v, %v", st, err)
	}

	srv.Run("cupsdisable", "-r", "paper out", "zpl")
	st, err = zpl.Status(ctx)
	if err != nil || st.Condition != Stopped || st.Reason != "paper out" || !st.Accepting || st.CanPrint() {
		t.Fatalf("disabled queue: %v, %v", st, err)
	}

	srv.Run("cupsreject", "-r", "label stock changed", "zpl")
	st, err = zpl.Status(ctx)
	if err != nil || st.Accepting || !strings.Contains(st.Reason, "label stock changed") {
		t.Fatalf("rejecting queue: %v, %v", st, err)
	}
	if want := "zpl: stopped (label stock changed), not accepting jobs"; st.String() != want {
		t.Errorf("state reads %q, want %q", st, want)
	}
	err = zpl.Send(ctx, []byte("^XA^XZ"), "")
	if !errors.Is(err, ErrNotAccepting) || !strings.Contains(err.Error(), "zpl is not accepting jobs") {
		t.Fatalf("send to a rejecting queue: %v", err)
	}

	list, err := CUPS{Server: srv.Socket}.Printers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]State{}
	for _, s := range list {
		byName[s.Printer] = s
	}
	if len(list) != 2 || !byName["escpos"].CanPrint() || byName["zpl"].Condition != Stopped || byName["zpl"].Accepting {
		t.Fatalf("Printers = %v", list)
	}

	nosuch := CUPS{Queue: "nosuch", Server: srv.Socket}
	if _, err := nosuch.Status(ctx); !errors.Is(err, ErrNoSuchPrinter) {
		t.Fatalf("status of a missing queue: %v", err)
	}
	if err := nosuch.Send(ctx, []byte("x"), ""); !errors.Is(err, ErrNoSuchPrinter) {
		t.Fatalf("send to a missing queue: %v", err)
	}
}

// TestCUPSWaitDone covers a job that cannot print (the queue's printer
// refuses connections): WaitDone times out naming the printer's trouble,
// and reports the job as failed once it is cancelled.
func TestCUPSWaitDone(t *testing.T) {
	srv := cupstest.Start(t)
	srv.AddRawQueue("dead", closedPort(t))
	q := CUPS{Queue: "dead", Raw: true, Server: srv.Socket}
	id, err := q.Submit(testCtx(t, 10*time.Second), []byte("^XA^XZ"), "stuck")
	if err != nil {
		t.Fatal(err)
	}
	err = q.WaitDone(testCtx(t, 1500*time.Millisecond), id)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "job "+id+" on dead not done: printer") {
		t.Fatalf("WaitDone of a stuck job: %v", err)
	}
	t.Logf("stuck job: %v", err)

	srv.Run("cancel", id)
	err = CUPS{Server: srv.Socket}.WaitDone(testCtx(t, 10*time.Second), id) // queue taken from the id
	if !errors.Is(err, ErrJobFailed) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("WaitDone of a cancelled job: %v", err)
	}
}

func TestCUPSNotRunning(t *testing.T) {
	q := CUPS{Queue: "zpl", Raw: true, Server: t.TempDir() + "/no.sock"}
	ctx := testCtx(t, 10*time.Second)
	if err := q.Send(ctx, []byte("x"), ""); !errors.Is(err, ErrSpooler) || !strings.Contains(err.Error(), "CUPS is not running") {
		t.Fatalf("send without a scheduler: %v", err)
	}
	if _, err := q.Status(ctx); !errors.Is(err, ErrSpooler) {
		t.Fatalf("status without a scheduler: %v", err)
	}
}
