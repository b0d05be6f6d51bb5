package batch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"waybilldesk/store"
)

// Run places the plan's valid orders and returns one result per row in
// file order. Rows with errors are reported, never sent. The run and each
// row's order_id are recorded before the first order is sent, and every
// order is stored as submitting before its addOrder, so after a crash each
// row's outcome can be read from the history (store.ImportRowStates) and a
// new Run of the same file places only what is missing.
//
// Cancelling ctx stops new orders from being sent; orders in flight finish
// and are reported. The error is non-nil only when the run could not be
// recorded; refused rows are results, not errors.
func (im *Importer) Run(ctx context.Context, plan *Plan) (*Report, error) {
	start := time.Now()
	results := make([]RowResult, len(plan.Rows))
	var jobs []int // indexes of rows that carry an order, in file order
	recRows := make([]store.ImportRow, 0, len(plan.Rows))
	for i, r := range plan.Rows {
		results[i] = RowResult{Row: r.Row, OrderID: r.OrderID, MergedInto: r.MergedInto}
		rec := store.ImportRow{Row: r.Row, OrderID: r.OrderID}
		switch {
		case !r.OK():
			results[i].Status, results[i].Errors = StatusInvalid, r.Errors
			results[i].OrderID = ""
			rec.OrderID, rec.Error = "", joinErrors(r.Errors)
		case r.Request != nil:
			jobs = append(jobs, i)
		}
		recRows = append(recRows, rec)
	}
	run := &store.ImportRun{FileName: plan.File, FileHash: plan.Hash, Format: string(plan.Format),
		Actor: im.opts.Actor, StartedAt: im.opts.Now(), Counts: store.ImportCounts{Rows: len(plan.Rows)}}
	runID, err := im.db.CreateImportRun(ctx, run, recRows)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", plan.File, err)
	}
	log := im.log.With("run", runID, "file", plan.File)
	log.Info("import started", "orders", len(jobs), "invalid", plan.Invalid())

	im.place(ctx, plan, jobs, results)

	// Merged rows share their order's outcome.
	byRow := map[int]RowResult{}
	for _, i := range jobs {
		byRow[plan.Rows[i].Row] = results[i]
	}
	for i, r := range plan.Rows {
		if r.OK() && r.MergedInto != 0 {
			lead := byRow[r.MergedInto]
			results[i].Status, results[i].WaybillID, results[i].ErrCode = lead.Status, lead.WaybillID, lead.ErrCode
			results[i].Message = fmt.Sprintf("goods joined row %d (order %s)", r.MergedInto, lead.OrderID)
		}
	}
	rep := &Report{RunID: runID, File: plan.File, Results: results, Counts: countResults(results),
		Cancelled: ctx.Err() != nil, Elapsed: time.Since(start)}
	state := store.ImportDone
	if rep.Cancelled {
		state = store.ImportCancelled
	}
	// The run's record is finished even when ctx was cancelled.
	fin := context.WithoutCancel(ctx)
	if err := im.db.FinishImportRun(fin, runID, state, rep.Counts, im.opts.Now()); err != nil {
		return rep, fmt.Errorf("import %s: %w", plan.File, err)
	}
	c := rep.Counts
	if err := im.db.Audit(fin, store.AuditEntry{At: im.opts.Now(), Actor: im.opts.Actor, Action: "import",
		Detail: fmt.Sprintf("run %d %s: %d rows, %d placed, %d already placed, %d invalid, %d failed, %d submitting, %d not sent",
			runID, plan.File, c.Rows, c.Placed, c.Skipped, c.Invalid, c.Failed, c.Unknown, c.NotSent)}); err != nil {
		log.Warn("audit not written", "err", err)
	}
	log.Info("import finished", "state", state, "placed", c.Placed, "skipped", c.Skipped, "invalid", c.Invalid,
		"failed", c.Failed, "submitting", c.Unknown, "not_sent", c.NotSent, "elapsed", rep.Elapsed)
	return rep, nil
}

// finished is one order's result on its way to the collector.
type finished struct {
	idx int
	res RowResult
}

// place runs the workers and collects their results into results.
func (im *Importer) place(ctx context.Context, plan *Plan, jobs []int, results []RowResult) {
	lim := newLimiter(im.opts.Rate, im.opts.Concurrency)
	queue := make(chan int)
	done := make(chan finished, len(jobs))
	var wg sync.WaitGroup
	for w := 0; w < im.opts.Concurrency && w < len(jobs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				// A pause holds orders already handed out too: only the
				// ones in flight finish.
				if im.gate.wait(ctx) != nil {
					done <- finished{i, RowResult{Row: plan.Rows[i].Row, OrderID: plan.Rows[i].OrderID,
						Status: StatusNotSent, Message: "not sent: " + errCancelled.Error()}}
					continue
				}
				done <- finished{i, im.placeRow(ctx, lim, plan.Rows[i])}
			}
		}()
	}
	go func() {
		defer close(queue)
		for _, i := range jobs {
			// A paused import hands out nothing; a cancelled one stops.
			if im.gate.wait(ctx) != nil {
				return
			}
			select {
			case queue <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()

	// The collector: Progress as orders finish, OnPlaced in file order. A
	// reorder buffer (ready) holds results that overtook an earlier row.
	ready := map[int]bool{}
	next, count := 0, 0
	for f := range done {
		results[f.idx] = f.res
		ready[f.idx] = true
		count++
		if im.opts.Progress != nil {
			im.opts.Progress(Progress{Done: count, Total: len(jobs), Result: f.res})
		}
		for next < len(jobs) && ready[jobs[next]] {
			if r := results[jobs[next]]; r.Status == StatusPlaced && im.opts.OnPlaced != nil {
				im.opts.OnPlaced(r)
			}
			delete(ready, jobs[next])
			next++
		}
	}
	// Orders never handed out (cancelled) are reported as not sent.
	for _, i := range jobs {
		if results[i].Status == "" {
			results[i].Status, results[i].Message = StatusNotSent, "not sent: the import was cancelled"
		}
	}
}

func joinErrors(errs []RowError) string {
	var parts []string
	for _, e := range errs {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "; ")
}

var errCancelled = errors.New("the import was cancelled")
