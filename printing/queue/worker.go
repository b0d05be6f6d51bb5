package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"waybilldesk/printing"
	"waybilldesk/store"
)

// worker runs one printer's queue: it claims the printer's jobs oldest
// first, renders up to RenderAhead of them at once, and hands them to its
// sender in the order claimed, so the next labels render while one is
// sent and the printer still gets them in order. A worker stays until
// everything it claimed is sent, so that no second worker for the same
// printer can overtake it.
type worker struct {
	key string // the printer's name, as in print_jobs.printer
	// pending is set (under Queue.mu) when a job arrives while the worker
	// runs, so a worker that just found the queue empty looks once more
	// instead of leaving that job behind.
	pending bool
	// kick wakes a worker that waits for its sender or for new jobs.
	kick chan struct{}
}

// poke wakes the worker if it waits.
func (w *worker) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// prepared is a claimed job on its way: done closes when its label is
// rendered (or failed to).
type prepared struct {
	job  *Job
	done chan struct{}
	p    Printer
	data []byte
	err  error
}

// wake makes sure the printer's worker runs and looks at the queue again.
// Nothing runs before the queue is registered (Start, Submit or Retry).
func (q *Queue) wake(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || !q.running {
		return
	}
	if w := q.workers[key]; w != nil {
		w.pending = true
		w.poke()
		return
	}
	w := &worker{key: key, kick: make(chan struct{}, 1)}
	q.workers[key] = w
	q.wg.Add(1)
	go q.run(w)
}

// run is a worker's claim loop; its sender runs beside it.
func (q *Queue) run(w *worker) {
	defer q.wg.Done()
	ready := make(chan *prepared, q.opts.RenderAhead-1)
	var inflight atomic.Int32 // claimed and not yet finished
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		for pj := range ready {
			q.finish(pj)
			inflight.Add(-1)
			w.poke()
		}
	}()
	defer func() {
		close(ready)
		<-senderDone
		q.forget(w)
	}()
	for {
		q.mu.Lock()
		w.pending = false
		q.mu.Unlock()
		if q.ctx.Err() != nil {
			return
		}
		ctx, cancel := dbCtx()
		j, err := q.db.ClaimPrintJob(ctx, w.key, q.owner)
		cancel()
		if errors.Is(err, store.ErrNotFound) {
			if inflight.Load() > 0 {
				// Stay until the sender is done: a new worker for this
				// printer would send beside it, out of order.
				select {
				case <-w.kick:
				case <-q.ctx.Done():
				}
				continue
			}
			q.mu.Lock()
			if w.pending && !q.closed {
				q.mu.Unlock()
				continue
			}
			delete(q.workers, w.key)
			q.mu.Unlock()
			return
		}
		if err != nil {
			// The next job, Retry, Wait or heartbeat starts the worker again.
			q.log.Error("could not take the next print job", "printer", w.key, "err", err)
			return
		}
		q.publish(j)
		pj := &prepared{job: j, done: make(chan struct{})}
		inflight.Add(1)
		go q.prepare(pj)
		// Blocks while RenderAhead jobs wait for the sender: the bound on
		// labels held in memory.
		ready <- pj
	}
}

// forget removes a stopping worker from the map.
func (q *Queue) forget(w *worker) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.workers[w.key] == w {
		delete(q.workers, w.key)
	}
}

// prepare finds the job's printer and label and renders it, within
// Options.JobTimeout; Close cancels it.
func (q *Queue) prepare(pj *prepared) {
	defer close(pj.done)
	ctx, cancel := context.WithTimeout(q.ctx, q.opts.JobTimeout)
	defer cancel()
	j := pj.job
	p, err := q.jobPrinter(ctx, j)
	if err != nil {
		pj.err = err
		return
	}
	var html string
	if j.OrderID == "" {
		html = testLabelHTML(p, j.WaybillID)
	} else {
		l, err := q.labels.Label(ctx, j.OrderID)
		if err != nil {
			pj.err = fmt.Errorf("label: %w", err)
			return
		}
		if l.WaybillID != j.WaybillID {
			pj.err = fmt.Errorf("the order's waybill is now %s, not %s: print the order again", l.WaybillID, j.WaybillID)
			return
		}
		html = l.HTML
	}
	begin := time.Now()
	for try := 1; ; try++ {
		pj.data, pj.err = renderLabel(ctx, q.r, p, html, j.Copies)
		// A browser that crashed is restarted by the next render, so one
		// more try saves the operator a retry; a label that timed out or
		// is empty would fail the same way again.
		if pj.err == nil || try == 2 || ctx.Err() != nil ||
			errors.Is(pj.err, printing.ErrTimeout) || errors.Is(pj.err, printing.ErrEmptyHTML) || errors.Is(pj.err, printing.ErrClosed) {
			break
		}
		q.log.Warn("label render failed; trying once more", "job", j.ID, "printer", j.Printer, "err", pj.err)
	}
	if pj.err != nil {
		pj.err = fmt.Errorf("render: %w", pj.err)
	}
	pj.p = p
	q.log.Debug("label rendered", "job", j.ID, "printer", j.Printer, "language", p.Language, "bytes", len(pj.data), "took", time.Since(begin))
}

// jobPrinter returns the settings a job prints with: its own, or its
// printer record's as they are now.
func (q *Queue) jobPrinter(ctx context.Context, j *Job) (Printer, error) {
	if len(j.Settings) > 0 {
		var p Printer
		if err := json.Unmarshal(j.Settings, &p); err != nil {
			return Printer{}, fmt.Errorf("printer settings of the job: %w", err)
		}
		return p, p.Validate()
	}
	p, err := q.Printer(ctx, j.Printer)
	if err != nil {
		return Printer{}, err
	}
	return p, p.Validate()
}

// finish sends a prepared job and records the outcome. The job is marked
// sent before its first byte goes out (see the package comment). A send
// that started may finish while the queue closes (for closeGrace); a job
// not yet sent goes back to the queue.
func (q *Queue) finish(pj *prepared) {
	<-pj.done
	j := pj.job
	if q.ctx.Err() != nil {
		q.advance(j, StateRendering, StateQueued, "the print queue stopped before the label was sent; queued again", "")
		return
	}
	if pj.err != nil {
		q.log.Warn("print job failed before it was sent", "job", j.ID, "order_id", j.OrderID, "waybill_id", j.WaybillID,
			"printer", j.Printer, "err", pj.err)
		q.advance(j, StateRendering, StateFailed, pj.err.Error(), "")
		return
	}
	if !q.advance(j, StateRendering, StateSent, "", "") {
		return
	}
	begin := time.Now()
	out, err := q.deliver(q.sendCtx, pj.p, pj.data, j)
	if err != nil {
		q.log.Warn("print job failed", "job", j.ID, "order_id", j.OrderID, "waybill_id", j.WaybillID,
			"printer", j.Printer, "attempts", j.Attempts, "err", err)
		q.advance(j, StateSent, StateFailed, err.Error(), "")
		return
	}
	q.log.Debug("print job done", "job", j.ID, "waybill_id", j.WaybillID, "printer", j.Printer, "bytes", len(pj.data),
		"send_took", time.Since(begin))
	q.advance(j, StateSent, StateDone, "", out)
}

// advance records a state change, tells the subscribers and, for an
// outcome, the audit log. It reports whether the change was written.
func (q *Queue) advance(j *Job, from, to, reason, out string) bool {
	ctx, cancel := dbCtx()
	defer cancel()
	if err := q.db.AdvancePrintJob(ctx, j.ID, q.owner, from, to, reason, out); err != nil {
		q.log.Error("could not record a print job's state", "job", j.ID, "from", from, "to", to, "err", err)
		return false
	}
	j.State, j.Reason, j.UpdatedAt = to, reason, time.Now()
	if out != "" {
		j.Output = out
	}
	q.publish(j)
	if to == StateDone || to == StateFailed {
		q.audit(j, "print", "")
	}
	return true
}
