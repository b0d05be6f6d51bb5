package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
	"waybilldesk/wxapi/sandbox"
)

func TestReimportPlacesNothingNew(t *testing.T) {
	e := newEnv(t)
	file := templateFile(t, 6)
	im := e.importer(t, nil)
	rep := run(t, im, preview(t, im, "orders.csv", file))
	if rep.Counts.Placed != 6 || rep.Failed() {
		t.Fatalf("first run %+v", rep.Results)
	}
	again := run(t, im, preview(t, im, "orders.csv", file))
	if again.Counts.Skipped != 6 || again.Counts.Placed != 0 {
		t.Fatalf("second run %+v", again.Counts)
	}
	for i, r := range again.Results {
		if r.WaybillID != rep.Results[i].WaybillID || !strings.Contains(r.Message, "already placed") {
			t.Fatalf("row %d: %+v, first run %+v", r.Row, r, rep.Results[i])
		}
	}
	// The same rows re-exported as XLSX, in another column order, are the
	// same orders: a row's id depends on its values only.
	recs, _ := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file, []byte("\ufeff")))).ReadAll()
	var sheet [][]any
	for _, rec := range recs {
		row := []any{}
		for j := len(rec) - 1; j >= 0; j-- {
			row = append(row, rec[j])
		}
		sheet = append(sheet, row)
	}
	third := run(t, im, preview(t, im, "orders.xlsx", xlsxBytes(t, sheet)))
	if third.Counts.Skipped != 6 {
		t.Fatalf("XLSX re-export: %+v", third.Results)
	}
	if n := e.addOrders.Load(); n != 6 {
		t.Fatalf("%d addOrder calls, want 6", n)
	}
	runs, err := e.db.ImportRuns(context.Background(), 0)
	if err != nil || len(runs) != 3 || runs[1].Counts.Skipped != 6 || runs[2].Counts.Placed != 6 || runs[0].State != store.ImportDone {
		t.Fatalf("runs %+v %v", runs, err)
	}
}

// TestCutFileThenFullFile: a file cut off mid-row by a crash is imported,
// then the complete file: only the rows the first import lacked are placed.
func TestCutFileThenFullFile(t *testing.T) {
	e := newEnv(t)
	full := templateFile(t, 10)
	lines := bytes.SplitAfter(full, []byte("\n"))
	cut := bytes.Join(lines[:7], nil)                // header and rows 1..6
	cut = append(cut, lines[7][:len(lines[7])/2]...) // half of row 7
	im := e.importer(t, nil)
	p := preview(t, im, "orders-cut.csv", cut)
	if len(p.Rows) != 7 || p.Rows[6].OK() || !strings.Contains(p.Rows[6].Errors[0].Message, "cut off") {
		t.Fatalf("cut file plan: %d rows, last %+v", len(p.Rows), p.Rows[len(p.Rows)-1])
	}
	first := run(t, im, p)
	if first.Counts.Placed != 6 || first.Counts.Invalid != 1 {
		t.Fatalf("cut file: %+v", first.Counts)
	}
	second := run(t, im, preview(t, im, "orders.csv", full))
	if second.Counts.Skipped != 6 || second.Counts.Placed != 4 {
		t.Fatalf("full file: %+v", second.Counts)
	}
	if n := e.addOrders.Load(); n != 10 {
		t.Fatalf("%d addOrder calls, want 10", n)
	}
	if d := e.duplicates(); len(d) > 0 {
		t.Fatalf("sent twice: %v", d)
	}
	// Fixing a bad row and importing again places that row only.
	bad := [][]string{templateHeader(), templateRow(21, nil), templateRow(22, map[Field]string{FieldWeight: "abc"}), templateRow(23, nil)}
	third := run(t, im, preview(t, im, "fix.csv", csvBytes(t, bad)))
	bad[2] = templateRow(22, nil)
	fourth := run(t, im, preview(t, im, "fix.csv", csvBytes(t, bad)))
	if third.Counts.Invalid != 1 || third.Counts.Placed != 2 || fourth.Counts.Skipped != 2 || fourth.Counts.Placed != 1 {
		t.Fatalf("fix: %+v then %+v", third.Counts, fourth.Counts)
	}
}

// TestFileOrderWithConcurrency: orders finish in any order, but results
// and OnPlaced follow the file.
func TestFileOrderWithConcurrency(t *testing.T) {
	e := newEnv(t)
	// Random latency before the sandbox answers shuffles completion.
	e.setAnswer(func(int32) int { time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond); return 0 })
	var mu sync.Mutex
	var placed []int
	var progress []int
	maxDone := 0
	im := e.importer(t, func(o *Options) {
		o.Concurrency, o.Rate = 4, 200
		o.OnPlaced = func(r RowResult) { mu.Lock(); placed = append(placed, r.Row); mu.Unlock() }
		o.Progress = func(p Progress) {
			progress = append(progress, p.Result.Row)
			if p.Done > maxDone {
				maxDone = p.Done
			}
		}
	})
	rep := run(t, im, preview(t, im, "orders.csv", templateFile(t, 24)))
	if rep.Counts.Placed != 24 {
		t.Fatalf("%+v", rep.Counts)
	}
	for i, r := range rep.Results {
		if r.Row != i+2 {
			t.Fatalf("result %d is row %d", i, r.Row)
		}
	}
	for i, row := range placed {
		if row != i+2 {
			t.Fatalf("OnPlaced order %v", placed)
		}
	}
	if len(placed) != 24 || len(progress) != 24 || maxDone != 24 {
		t.Fatalf("OnPlaced %d, progress %d (max done %d)", len(placed), len(progress), maxDone)
	}
	inOrder := true
	for i := 1; i < len(progress); i++ {
		inOrder = inOrder && progress[i] > progress[i-1]
	}
	if inOrder {
		t.Log("progress came in file order this time; concurrency did not shuffle it")
	}
}

func TestPauseAndResume(t *testing.T) {
	e := newEnv(t)
	var im *Importer
	pausedAt := make(chan int32, 1)
	im = e.importer(t, func(o *Options) {
		o.Concurrency = 2
		o.Progress = func(p Progress) {
			if p.Done == 3 {
				im.Pause()
				pausedAt <- e.addOrders.Load()
			}
		}
	})
	p := preview(t, im, "orders.csv", templateFile(t, 12))
	done := make(chan *Report)
	go func() { done <- run(t, im, p) }()
	at := <-pausedAt
	time.Sleep(300 * time.Millisecond)
	// At most the orders already handed to the two workers finish.
	if n := e.addOrders.Load(); n > at+2 || !im.Paused() {
		t.Fatalf("paused at %d addOrder calls, %d after 300ms (paused %v)", at, n, im.Paused())
	}
	select {
	case <-done:
		t.Fatal("the run finished while paused")
	default:
	}
	im.Resume()
	rep := <-done
	if rep.Counts.Placed != 12 || e.addOrders.Load() != 12 {
		t.Fatalf("%+v, %d calls", rep.Counts, e.addOrders.Load())
	}
}

func TestCancelStopsSendingAndRerunPlacesTheRest(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	im := e.importer(t, func(o *Options) {
		o.Concurrency = 1
		o.Progress = func(p Progress) {
			if p.Done == 4 {
				cancel()
			}
		}
	})
	file := templateFile(t, 10)
	rep, err := im.Run(ctx, preview(t, im, "orders.csv", file))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Cancelled || rep.Counts.Placed < 4 || rep.Counts.NotSent == 0 || rep.Counts.Placed+rep.Counts.NotSent != 10 {
		t.Fatalf("cancelled run %+v", rep.Counts)
	}
	runs, _ := e.db.ImportRuns(context.Background(), 1)
	if runs[0].State != store.ImportCancelled {
		t.Fatalf("run state %s", runs[0].State)
	}
	again := run(t, e.importer(t, nil), preview(t, im, "orders.csv", file))
	if again.Counts.Skipped != rep.Counts.Placed || again.Counts.Placed != rep.Counts.NotSent || e.addOrders.Load() != 10 {
		t.Fatalf("rerun %+v, %d calls", again.Counts, e.addOrders.Load())
	}
}

// TestBusyAndQuotaAreRetriedAfterReconcile: 45011 turns the call away
// (WeChat created nothing: the order is refused, then sent again after the
// wait); -1 leaves the outcome unknown, so getOrder confirms WeChat has no
// such order before the same order_id is sent again.
func TestBusyAndQuotaAreRetriedAfterReconcile(t *testing.T) {
	e := newEnv(t)
	e.setAnswer(func(n int32) int {
		switch n {
		case 1:
			return wxapi.CodeMinuteQuota
		case 3:
			return wxapi.CodeBusy
		}
		return 0
	})
	im := e.importer(t, func(o *Options) { o.Concurrency = 1 })
	var waits []int
	im.delay = func(we *wxapi.Error, attempt int) time.Duration {
		waits = append(waits, we.Code)
		return 10 * time.Millisecond
	}
	rep := run(t, im, preview(t, im, "orders.csv", templateFile(t, 3)))
	if rep.Counts.Placed != 3 || len(waits) != 2 {
		t.Fatalf("%+v, waits %v", rep.Results, waits)
	}
	if n := e.addOrders.Load(); n != 5 {
		t.Fatalf("%d addOrder calls, want 5 (3 orders, 2 retries)", n)
	}
	if d := e.duplicates(); len(d) > 0 {
		t.Fatalf("sent twice to WeChat: %v", d)
	}
	// The audit log, newest first, shows why each was sent again.
	actions := func(orderID string) string {
		log, _ := e.svc.AuditLog(context.Background(), orderID, 0)
		var a []string
		for i := len(log) - 1; i >= 0; i-- {
			a = append(a, log[i].Action)
		}
		return strings.Join(a, " ")
	}
	if got := actions(rep.Results[0].OrderID); got != "refused place" {
		t.Fatalf("audit of the order turned away by 45011: %s", got)
	}
	if got := actions(rep.Results[1].OrderID); got != "unknown reconcile place" {
		t.Fatalf("audit of the order answered -1: %s", got)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	e := newEnv(t)
	e.setAnswer(func(int32) int { return wxapi.CodeBusy })
	im := e.importer(t, func(o *Options) { o.MaxRetries = 2 })
	im.delay = func(*wxapi.Error, int) time.Duration { return time.Millisecond }
	rep := run(t, im, preview(t, im, "orders.csv", templateFile(t, 1)))
	if r := rep.Results[0]; r.Status != StatusSubmitting || r.ErrCode != wxapi.CodeBusy || !strings.Contains(r.Message, "will be reconciled") {
		t.Fatalf("%+v", r)
	}
	if n := e.addOrders.Load(); n != 3 {
		t.Fatalf("%d addOrder calls, want 3", n)
	}
}

// TestLostAnswerIsRecoveredWithGetOrder: WeChat placed the order but the
// answer was lost. The run asks getOrder before anything else, finds the
// waybill and sends nothing more; labels still go to printing in file order.
func TestLostAnswerIsRecoveredWithGetOrder(t *testing.T) {
	e := newEnv(t)
	e.setAnswer(func(n int32) int {
		if n == 2 {
			return dropAnswer
		}
		return 0
	})
	var placedRows []int
	im := e.importer(t, func(o *Options) {
		o.Concurrency = 1
		o.OnPlaced = func(r RowResult) { placedRows = append(placedRows, r.Row) }
	})
	im.delay = func(*wxapi.Error, int) time.Duration { return time.Millisecond }
	rep := run(t, im, preview(t, im, "orders.csv", templateFile(t, 3)))
	if st := statuses(rep); st[2] != StatusPlaced || st[3] != StatusPlaced || st[4] != StatusPlaced {
		t.Fatalf("%+v", rep.Results)
	}
	if r := rep.Results[1]; !strings.Contains(r.Message, "answer was lost; recovered with getOrder") || r.WaybillID == "" {
		t.Fatalf("row 3: %+v", r)
	}
	if n := e.addOrders.Load(); n != 3 || len(e.duplicates()) > 0 {
		t.Fatalf("%d addOrder calls, want 3", n)
	}
	if fmt.Sprint(placedRows) != "[2 3 4]" {
		t.Fatalf("OnPlaced rows %v", placedRows)
	}
}

// TestLostAnswerIsReconciledByTheNextImport: the answer was lost and
// WeChat could not be asked either (getOrder busy every time): the row is
// reported submitting. The next import finds the waybill with getOrder and
// sends nothing; its label goes to printing then.
func TestLostAnswerIsReconciledByTheNextImport(t *testing.T) {
	e := newEnv(t)
	e.setAnswer(func(n int32) int {
		if n == 2 {
			return dropAnswer
		}
		return 0
	})
	e.getBusy.Store(true)
	var placedRows []int
	im := e.importer(t, func(o *Options) {
		o.Concurrency = 1
		o.MaxRetries = 2
		o.OnPlaced = func(r RowResult) { placedRows = append(placedRows, r.Row) }
	})
	im.delay = func(*wxapi.Error, int) time.Duration { return time.Millisecond }
	file := templateFile(t, 3)
	rep := run(t, im, preview(t, im, "orders.csv", file))
	if st := statuses(rep); st[2] != StatusPlaced || st[3] != StatusSubmitting || st[4] != StatusPlaced {
		t.Fatalf("%+v", rep.Results)
	}
	if !strings.Contains(rep.Results[1].Message, "submitting, will be reconciled") {
		t.Fatalf("message %q", rep.Results[1].Message)
	}
	states, err := e.db.ImportRowStates(context.Background(), rep.RunID)
	if err != nil || len(states) != 3 || states[1].OrderStatus != store.StatusSubmitting {
		t.Fatalf("row states %+v %v", states, err)
	}
	e.getBusy.Store(false)
	e.setAnswer(func(int32) int { return 0 })
	again := run(t, im, preview(t, im, "orders.csv", file))
	r := again.Results[1]
	if r.Status != StatusPlaced || r.WaybillID == "" || !strings.Contains(r.Message, "earlier import that was cut off") {
		t.Fatalf("second run row 3: %+v", r)
	}
	if n := e.addOrders.Load(); n != 3 {
		t.Fatalf("%d addOrder calls, want 3", n)
	}
	// The recovered order was never handed to printing before: it is now.
	if fmt.Sprint(placedRows) != "[2 4 3]" {
		t.Fatalf("OnPlaced rows %v", placedRows)
	}
}

// TestSubmittingLeftByACrash: a crash between storing the order and
// sending it leaves it submitting though WeChat never saw it. The next
// import reconciles it (WeChat has none) and then places it, once.
func TestSubmittingLeftByACrash(t *testing.T) {
	e := newEnv(t)
	im := e.importer(t, nil)
	file := templateFile(t, 2)
	p := preview(t, im, "orders.csv", file)
	body, _ := json.Marshal(p.Rows[0].Request)
	err := e.db.CopyOrder(context.Background(), &store.Order{OrderID: p.Rows[0].OrderID, DeliveryID: "SF", BizID: "SF_CASH",
		ServiceType: 3, ServiceName: "顺丰标快", Status: store.StatusSubmitting, Request: body})
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, im, p)
	if rep.Counts.Placed != 2 || e.addOrders.Load() != 2 {
		t.Fatalf("%+v, %d calls", rep.Results, e.addOrders.Load())
	}
}

func TestJSONLines(t *testing.T) {
	e := newEnv(t)
	ex := exampleOrder(t)
	line := func(edit func(r *wxapi.AddOrderRequest)) string {
		r := ex
		edit(&r)
		b, _ := json.Marshal(r)
		return string(b)
	}
	lines := []string{
		line(func(r *wxapi.AddOrderRequest) { r.OrderID = "JL-1" }),
		line(func(r *wxapi.AddOrderRequest) { r.OrderID = "" }), // gets a content id
		"",
		line(func(r *wxapi.AddOrderRequest) { r.OrderID = "JL-3"; r.Sender = wxapi.Contact{} }), // the default sender
		line(func(r *wxapi.AddOrderRequest) { r.OrderID = "JL-4"; r.Receiver.Mobile = "12345" }),
		`{"order_id":"JL-5","receiverr":{}}`,
		line(func(r *wxapi.AddOrderRequest) { r.OrderID = "JL-1" }),
		`{"order_id":"JL-7",`, // cut off
	}
	im := e.importer(t, nil)
	p := preview(t, im, "orders.jsonl", []byte(strings.Join(lines, "\n")))
	want := map[int]string{5: "receiver.mobile", 6: "unknown field", 7: "also on line 1", 8: "not an addOrder body"}
	for _, r := range p.Rows {
		if w, bad := want[r.Row]; bad {
			if r.OK() || !strings.Contains(r.Errors[0].Error(), w) {
				t.Errorf("line %d: %+v, want an error about %q", r.Row, r.Errors, w)
			}
		} else if !r.OK() {
			t.Errorf("line %d: %+v", r.Row, r.Errors)
		}
	}
	if id := p.Rows[1].OrderID; !strings.HasPrefix(id, "IMP") || len(id) != 19 {
		t.Fatalf("content id %q", id)
	}
	if p.Rows[2].Row != 4 || p.Rows[2].Request.Sender.Name != ex.Sender.Name {
		t.Fatalf("default sender not applied: %+v", p.Rows[2])
	}
	rep := run(t, im, p)
	if rep.Counts.Placed != 3 || rep.Counts.Invalid != 4 || e.addOrders.Load() != 3 {
		t.Fatalf("%+v", rep.Counts)
	}
	again := run(t, im, preview(t, im, "orders.jsonl", []byte(strings.Join(lines, "\n"))))
	if again.Counts.Skipped != 3 || e.addOrders.Load() != 3 {
		t.Fatalf("again %+v", again.Counts)
	}
}

func TestShopOrdersPlaceAndSkip(t *testing.T) {
	e := newEnv(t)
	im := e.importer(t, nil)
	rep := run(t, im, preview(t, im, "taobao.csv", gbk(t, taobaoCSV(t))))
	if rep.Counts.Placed != 3 || rep.Results[0].OrderID != "3012345678901234567" {
		t.Fatalf("%+v", rep.Results)
	}
	// The same orders exported by PDD-style UTF-8 later: same numbers, skipped.
	again := run(t, im, preview(t, im, "taobao-utf8.csv", withBOM(taobaoCSV(t))))
	if again.Counts.Skipped != 3 {
		t.Fatalf("%+v", again.Counts)
	}
}

// TestFlakyPlatformEndsWithOneWaybillPerRow: the sandbox answers -1 to a
// fifth of the calls and loses the answer of a tenth after doing the work.
// Importing the file until no row is left open places every row exactly
// once: the history's waybill of each order is the one WeChat holds.
func TestFlakyPlatformEndsWithOneWaybillPerRow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	im := e.importer(t, func(o *Options) { o.Rate = 500 })
	im.delay = func(*wxapi.Error, int) time.Duration { return time.Millisecond }
	file := templateFile(t, 60)
	p := preview(t, im, "orders.csv", file)
	e.sb.SetFaults(sandbox.Faults{ErrorRate: 0.2, DropAfterCommitRate: 0.1})
	var rep *Report
	for attempt := 1; ; attempt++ {
		rep = run(t, im, p)
		c := rep.Counts
		t.Logf("run %d: %+v", attempt, c)
		if c.Placed+c.Skipped == 60 {
			break
		}
		if attempt == 10 {
			t.Fatalf("rows still open after %d imports: %+v", attempt, c)
		}
	}
	e.sb.SetFaults(sandbox.Faults{})
	seen := map[string]string{}
	for _, r := range rep.Results {
		o, err := e.db.Order(ctx, r.OrderID)
		if err != nil || o.Status != store.StatusPlaced || o.WaybillID == "" {
			t.Fatalf("row %d: %+v %v", r.Row, o, err)
		}
		remote, err := e.api.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: o.OrderID, DeliveryID: o.DeliveryID})
		if err != nil || remote.WaybillID != o.WaybillID {
			t.Fatalf("row %d: history has %s, WeChat %+v %v", r.Row, o.WaybillID, remote, err)
		}
		if other, dup := seen[o.WaybillID]; dup {
			t.Fatalf("waybill %s twice: %s and %s", o.WaybillID, other, o.OrderID)
		}
		seen[o.WaybillID] = o.OrderID
	}
}
