package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"waybilldesk/desk"
	"waybilldesk/printing/queue"
	"waybilldesk/store"
)

// importPrinter prints an import's labels through the print queue: each
// job is stored before it renders, so a run killed half-way leaves queued
// jobs that the next run (or the console) prints, and never a lost label.
type importPrinter struct {
	e       *env
	q       *queue.Queue
	printer string // "" for the courier's default printer

	mu       sync.Mutex
	jobs     []int64
	unqueued []string // orders whose label could not even be queued
}

func startImportPrinter(ctx context.Context, e *env, d *desk.Desk, name string) (*importPrinter, error) {
	if name == "default" {
		name = ""
	} else if _, err := d.Printing.Printer(ctx, name); err != nil {
		return nil, fmt.Errorf("import --print: %w (see waybilldesk printers list)", err)
	}
	if err := d.Printing.Start(ctx); err != nil {
		return nil, fmt.Errorf("import --print: %w", err)
	}
	return &importPrinter{e: e, q: d.Printing, printer: name}, nil
}

// print queues one order's label; a job the order already has on that
// printer is reused rather than printed twice.
func (p *importPrinter) print(ctx context.Context, orderID string) {
	id, err := p.q.Enqueue(ctx, orderID, p.printer)
	if err != nil && !errors.Is(err, queue.ErrAlreadyQueued) {
		p.e.notef("import: print %s: %v", orderID, err)
		p.mu.Lock()
		p.unqueued = append(p.unqueued, orderID)
		p.mu.Unlock()
		return
	}
	p.mu.Lock()
	p.jobs = append(p.jobs, id)
	p.mu.Unlock()
}

// ensure queues an order placed by an earlier run unless it has a print
// job already: a failed job is left for a person, since its label may
// have come out.
func (p *importPrinter) ensure(ctx context.Context, orderID string) {
	jobs, err := p.q.Jobs(ctx, store.PrintJobQuery{OrderID: orderID})
	if err != nil {
		p.e.notef("import: print %s: %v", orderID, err)
		return
	}
	for _, j := range jobs {
		if j.State != store.JobFailed {
			if j.State != store.JobDone {
				p.mu.Lock()
				p.jobs = append(p.jobs, j.ID)
				p.mu.Unlock()
			}
			return
		}
	}
	if len(jobs) == 0 {
		p.print(ctx, orderID)
	}
}

// wait returns when every job of the run has finished, with an error
// naming the ones that failed.
func (p *importPrinter) wait(ctx context.Context) error {
	p.mu.Lock()
	jobs := append([]int64(nil), p.jobs...)
	unqueued := append([]string(nil), p.unqueued...)
	p.mu.Unlock()
	failed := 0
	for _, id := range jobs {
		j, err := p.q.Wait(ctx, id)
		if err != nil {
			return fmt.Errorf("import: waiting for print job %d: %w", id, err)
		}
		if j.State == store.JobFailed {
			failed++
			p.e.notef("import: print job %d (%s) failed: %s — waybilldesk print retry %d", j.ID, j.OrderID, j.Reason, j.ID)
		}
	}
	p.e.notef("import: %d labels printed, %d failed, %d not queued", len(jobs)-failed, failed, len(unqueued))
	if failed+len(unqueued) > 0 {
		return fmt.Errorf("import: %d labels did not print (%d failed, %d not queued: %v); importing the file again prints the ones never queued",
			failed+len(unqueued), failed, len(unqueued), unqueued)
	}
	return nil
}
