// Package queue is Waybill Desk's print queue: printers as records, and
// print jobs that are stored before anything is rendered, rendered by the
// shared warm Renderer at each printer's size, resolution, offsets and
// language, sent in order per printer, and left failed with the reason
// (never gone) when the printer is off, refuses or drops the connection.
//
// A job moves queued -> rendering -> sent -> done, or to failed from
// rendering or sent. It is marked sent just before its first byte goes
// out, so after a crash a job that was rendering is queued again (nothing
// reached the printer) while a job that was sent becomes failed with
// "outcome unknown" for a person to check and retry: a waybill label
// printed twice can end up on two parcels, which is worse than one that
// waits for a click.
//
// Each printer has one worker while it has jobs: jobs for one printer go
// out in the order they were queued, different printers print in
// parallel, and the next labels render while the previous one is being
// sent. The queue gets label HTML through LabelSource, so it does not
// depend on the order service.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"waybilldesk/internal/proc"
	"waybilldesk/printing"
	"waybilldesk/printing/output"
	"waybilldesk/store"
)

// Job is a print job as stored.
type Job = store.PrintJob

// The job states.
const (
	StateQueued    = store.JobQueued
	StateRendering = store.JobRendering
	StateSent      = store.JobSent
	StateDone      = store.JobDone
	StateFailed    = store.JobFailed
)

// Errors of the queue. Errors from the store (store.ErrNotFound for a
// missing job, order or printer) are wrapped as they are.
var (
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("print queue is closed")
	// ErrAlreadyQueued is returned by Submit when the order has a job on
	// that printer that is not finished: a waybill scanned twice must not
	// print twice. The returned Job is the existing one.
	ErrAlreadyQueued = store.ErrDuplicate
	// ErrQueueFull is returned when a printer already has Options.MaxQueued
	// jobs waiting.
	ErrQueueFull = store.ErrQueueFull
	// ErrNoPrinter is returned when a job names no printer and the order's
	// courier has no default printer.
	ErrNoPrinter = errors.New("no printer chosen")
)

// Label is an order's label as the queue needs it.
type Label struct {
	OrderID    string
	WaybillID  string
	DeliveryID string // the courier, which picks the default printer
	HTML       string // the decoded print_html
}

// LabelSource finds an order by its order_id or waybill id and returns its
// label. The order service implements it (through desk); tests can use a
// LabelFunc.
type LabelSource interface {
	Label(ctx context.Context, id string) (Label, error)
}

// LabelFunc adapts a function to LabelSource.
type LabelFunc func(ctx context.Context, id string) (Label, error)

// Label calls f.
func (f LabelFunc) Label(ctx context.Context, id string) (Label, error) { return f(ctx, id) }

// Event tells the UI that a job changed: a copy of the job after the change.
type Event struct {
	Job Job
}

// Options configures a Queue. The zero value is ready to use.
type Options struct {
	// Logger receives failures and the queue's life; nil means slog.Default().
	Logger *slog.Logger
	// Actor names who prints in the audit log; default the OS user.
	Actor string
	// JobTimeout bounds finding and rendering one label; default 60 s (the
	// renderer bounds its own part too).
	JobTimeout time.Duration
	// SendTimeout bounds one delivery to a printer or spooler; default 30 s.
	SendTimeout time.Duration
	// CUPSWait bounds the wait for CUPS to report a job completed; default 2 min.
	CUPSWait time.Duration
	// MaxQueued is how many jobs may wait for one printer; default 1000.
	MaxQueued int
	// RenderAhead is how many of a printer's jobs render at the same time
	// while the one before them is sent; default the renderer's tabs.
	RenderAhead int
	// Heartbeat is how often the queue tells the history it is alive and
	// looks for work left by stopped runners; default 2 s.
	Heartbeat time.Duration
	// StaleAfter is how long a runner may be silent before its unfinished
	// jobs are recovered; default 15 s.
	StaleAfter time.Duration
}

// Defaults of Options.
const (
	defaultJobTimeout  = 60 * time.Second
	defaultSendTimeout = 30 * time.Second
	defaultCUPSWait    = 2 * time.Minute
	defaultMaxQueued   = 1000
	defaultHeartbeat   = 2 * time.Second
	defaultStaleAfter  = 15 * time.Second
	// dbTimeout bounds a state change in the history, which must happen
	// even while the queue shuts down.
	dbTimeout = 10 * time.Second
	// closeGrace is how long Close lets a send in progress go on. A label
	// takes well under a second to send; a printer that stalls longer has
	// its job failed (with how far it got) rather than hold up the exit.
	closeGrace = 5 * time.Second
)

// Queue is the print queue. It is safe for concurrent use. Create it with
// New, call Start in a long-running program (the GUI), and Close it before
// the Renderer and the history.
type Queue struct {
	db     *store.DB
	r      *printing.Renderer
	labels LabelSource
	opts   Options
	log    *slog.Logger
	owner  string // this runner's id in print_runners and print_jobs.owner

	ctx    context.Context // ends at Close: no new claims, renders stop
	cancel context.CancelFunc
	// sendCtx ends closeGrace after Close: a send in progress may finish,
	// but a stalled printer does not hold the program's exit for long.
	sendCtx    context.Context
	sendCancel context.CancelFunc

	mu      sync.Mutex
	workers map[string]*worker
	subs    map[*subscriber]struct{}
	closed  bool
	runAll  bool // Start was called: work every printer's queue, not just those used here
	running bool // registered in print_runners, heartbeat started
	wg      sync.WaitGroup
}

// New returns a queue over the history, rendering with r (shared with
// previews; the queue never closes it). Nothing runs until a job is
// submitted or Start is called.
func New(db *store.DB, r *printing.Renderer, labels LabelSource, opts Options) *Queue {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Actor == "" {
		opts.Actor = "unknown"
		if u, err := user.Current(); err == nil && u.Username != "" {
			opts.Actor = u.Username
		}
	}
	setDefault(&opts.JobTimeout, defaultJobTimeout)
	setDefault(&opts.SendTimeout, defaultSendTimeout)
	setDefault(&opts.CUPSWait, defaultCUPSWait)
	setDefault(&opts.MaxQueued, defaultMaxQueued)
	setDefault(&opts.RenderAhead, r.Tabs())
	setDefault(&opts.Heartbeat, defaultHeartbeat)
	setDefault(&opts.StaleAfter, defaultStaleAfter)
	var id [6]byte
	_, _ = rand.Read(id[:])
	ctx, cancel := context.WithCancel(context.Background())
	sendCtx, sendCancel := context.WithCancel(context.Background())
	return &Queue{
		db: db, r: r, labels: labels, opts: opts,
		log:        opts.Logger.With("component", "print-queue"),
		owner:      fmt.Sprintf("%d-%s", os.Getpid(), hex.EncodeToString(id[:])),
		ctx:        ctx,
		cancel:     cancel,
		sendCtx:    sendCtx,
		sendCancel: sendCancel,
		workers:    map[string]*worker{},
		subs:       map[*subscriber]struct{}{},
	}
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// dbCtx is the context of a state change: it does not end with Close,
// because a job's state must be written even while the queue stops.
func dbCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), dbTimeout)
}

// Start makes the queue this program's: it recovers the jobs of runners
// that stopped (see the package comment), starts the workers of every
// printer with queued jobs, keeps doing so as jobs arrive from other
// processes, and warms the renderer in the background so the first label
// does not wait for a browser start. Call it when the app opens.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.register(ctx); err != nil {
		return err
	}
	q.mu.Lock()
	q.runAll = true
	q.mu.Unlock()
	q.resumeAll(ctx)
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		if err := q.r.Start(q.ctx); err != nil && q.ctx.Err() == nil {
			q.log.Warn("label renderer did not start; the first label will try again", "err", err)
		}
	}()
	return nil
}

// register records this runner in the history (so no other process takes
// its jobs for abandoned), recovers abandoned jobs, and starts the
// heartbeat. It runs once; Submit and Retry call it, so a command-line
// print needs no Start.
func (q *Queue) register(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	running := q.running
	q.mu.Unlock()
	if running {
		return nil
	}
	if err := q.db.TouchPrintRunner(ctx, q.owner, os.Getpid(), time.Now()); err != nil {
		return fmt.Errorf("start print queue: %w", err)
	}
	q.mu.Lock()
	if q.running || q.closed {
		q.mu.Unlock()
		return nil
	}
	q.running = true
	q.wg.Add(1)
	go q.heartbeat()
	q.mu.Unlock()
	q.recover(ctx)
	return nil
}

// heartbeat keeps this runner alive in the history and, every beat,
// recovers jobs of stopped runners and (after Start) picks up jobs queued
// by other processes.
func (q *Queue) heartbeat() {
	defer q.wg.Done()
	t := time.NewTicker(q.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-q.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := dbCtx()
		if err := q.db.TouchPrintRunner(ctx, q.owner, os.Getpid(), time.Now()); err != nil {
			q.log.Warn("print queue heartbeat not written", "err", err)
		}
		q.recover(ctx)
		q.mu.Lock()
		all := q.runAll
		q.mu.Unlock()
		if all {
			q.resumeAll(ctx)
		}
		cancel()
	}
}

// recover re-examines the unfinished jobs of stopped runners and wakes the
// workers of jobs queued again. It does not hold q.mu while it works.
func (q *Queue) recover(ctx context.Context) {
	// A runner on this machine whose process is gone is stale at once.
	if pids, err := q.db.PrintRunnerPIDs(ctx); err == nil {
		for owner, pid := range pids {
			if owner != q.owner && pid != os.Getpid() && proc.Gone(pid) {
				q.db.RemovePrintRunner(ctx, owner)
			}
		}
	}
	changed, err := q.db.RecoverPrintJobs(ctx, time.Now().Add(-q.opts.StaleAfter))
	if err != nil {
		q.log.Warn("could not recover print jobs of a stopped run", "err", err)
		return
	}
	for i := range changed {
		j := &changed[i]
		q.settleWrittenPDF(ctx, j)
		q.log.Warn("recovered a print job left by a stopped run", "job", j.ID, "order_id", j.OrderID,
			"waybill_id", j.WaybillID, "printer", j.Printer, "state", j.State, "reason", j.Reason)
		q.publish(j)
		if j.State == StateQueued {
			q.wake(j.Printer)
		}
	}
}

// settleWrittenPDF resolves an "outcome unknown" job of a PDF printer: the
// file is written through a rename, so if it is there the label is whole
// and the job is done; a printer cannot be asked, a folder can.
func (q *Queue) settleWrittenPDF(ctx context.Context, j *Job) {
	if j.State != StateFailed || j.Reason != store.ReasonOutcomeUnknown {
		return
	}
	p, err := q.JobPrinter(ctx, *j)
	if err != nil || p.Kind != KindPDF {
		return
	}
	path := j.Output
	if path == "" {
		path = filepath.Join(p.Address, fileName(j.WaybillID, j.ID))
	}
	head := make([]byte, 5)
	f, err := os.Open(path)
	if err != nil {
		return
	}
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || string(head) != "%PDF-" {
		return
	}
	const reason = "the PDF was written before the program stopped"
	if err := q.db.AdvancePrintJob(ctx, j.ID, j.Owner, store.JobFailed, store.JobDone, reason, path); err != nil {
		q.log.Warn("could not settle a recovered PDF job", "job", j.ID, "err", err)
		return
	}
	j.State, j.Reason, j.Output = store.JobDone, reason, path
}

// resumeAll starts a worker for every printer with queued jobs.
func (q *Queue) resumeAll(ctx context.Context) {
	printers, err := q.db.QueuedPrinters(ctx)
	if err != nil {
		q.log.Warn("could not look for queued print jobs", "err", err)
		return
	}
	for _, p := range printers {
		q.wake(p)
	}
}

// Close stops taking jobs, lets a job that is being sent finish (for up to
// 5 s; one cut off then is failed with how far it got, and a CUPS job that
// is not done yet is failed saying it is still in CUPS), puts jobs claimed
// but not sent back in the queue, and waits for the workers. It does not
// close the Renderer. It is idempotent.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	running := q.running
	q.mu.Unlock()
	q.cancel()
	grace := time.AfterFunc(closeGrace, q.sendCancel)
	q.wg.Wait()
	grace.Stop()
	q.sendCancel()
	q.mu.Lock()
	for s := range q.subs {
		close(s.ch)
		delete(q.subs, s)
	}
	q.mu.Unlock()
	if !running {
		return nil
	}
	ctx, cancel := dbCtx()
	defer cancel()
	return q.db.RemovePrintRunner(ctx, q.owner)
}

// Request says what to print where.
type Request struct {
	// Order is the order_id or waybill id (what a scanner reads).
	Order string
	// Test prints the printer's test label instead of an order.
	Test bool
	// Printer is a printer record's name; "" means Target, or else the
	// default printer of the order's courier (or the only printer there is).
	Printer string
	// Target is a one-off printer, not stored as a record, such as
	// "raw:10.0.0.5:9100" from the command line; its settings are stored
	// with the job. Its Name (default KIND:ADDRESS) keys the queue: jobs
	// with the same name print in order. A record's settings with changes
	// for one job may also be given here, under the record's name.
	Target *Printer
	// Copies of the label; 0 means 1.
	Copies int
	// Output is the PDF file to write, for a Target of kind pdf; "" writes
	// WAYBILL-JOB.pdf into the printer's folder.
	Output string
}

// Enqueue stores a job printing an order on a printer record ("" for the
// courier's default printer) and returns its id. The job is stored before
// anything is rendered.
func (q *Queue) Enqueue(ctx context.Context, orderID, printer string) (int64, error) {
	j, err := q.Submit(ctx, Request{Order: orderID, Printer: printer})
	return j.ID, err
}

// Submit stores a job and wakes its printer's worker. Nothing is stored
// when the order has no label or the printer settings are wrong. When the
// order already has an unfinished job on that printer it returns that job
// and an error wrapping ErrAlreadyQueued.
func (q *Queue) Submit(ctx context.Context, req Request) (Job, error) {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return Job{}, ErrClosed
	}
	var l Label
	if req.Test {
		l = Label{WaybillID: testCode()}
	} else {
		var err error
		if l, err = q.labels.Label(ctx, req.Order); err != nil {
			return Job{}, fmt.Errorf("print %s: %w", req.Order, err)
		}
	}
	return q.submit(ctx, req, l)
}

func (q *Queue) submit(ctx context.Context, req Request, l Label) (Job, error) {
	what := "print " + l.WaybillID
	if l.OrderID != "" {
		what = fmt.Sprintf("print %s (%s)", l.OrderID, l.WaybillID)
	}
	p, settings, err := q.resolve(ctx, req, l.DeliveryID)
	if err != nil {
		return Job{}, fmt.Errorf("%s: %w", what, err)
	}
	copies := max(req.Copies, 1)
	switch {
	case copies > maxCopies:
		return Job{}, fmt.Errorf("%s: %d copies: at most %d", what, copies, maxCopies)
	case copies > 1 && p.Language == LangPDF && p.Kind != KindCUPS:
		return Job{}, fmt.Errorf("%s: %d copies of a PDF need a CUPS printer or a printer language", what, copies)
	case req.Output != "" && p.Kind != KindPDF:
		return Job{}, fmt.Errorf("%s: an output file is only for pdf targets", what)
	}
	if err := q.register(ctx); err != nil {
		return Job{}, err
	}
	j := &Job{OrderID: l.OrderID, WaybillID: l.WaybillID, Printer: p.Name, Settings: settings,
		Copies: copies, Output: req.Output}
	if err := q.db.CreatePrintJob(ctx, j, q.opts.MaxQueued); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			q.wake(j.Printer)
			return *j, err
		}
		return Job{}, err
	}
	q.log.Debug("print job queued", "job", j.ID, "order_id", j.OrderID, "waybill_id", j.WaybillID, "printer", j.Printer)
	q.publish(j)
	q.wake(j.Printer)
	return *j, nil
}

// resolve finds the printer of a request and the settings to store with
// the job (nil: read the record when the job runs, so a corrected offset
// applies to a retry).
func (q *Queue) resolve(ctx context.Context, req Request, deliveryID string) (Printer, json.RawMessage, error) {
	if req.Target != nil {
		p := req.Target.withDefaults()
		if p.Name == "" {
			p.Name = string(p.Kind) + ":" + p.Address
			if p.Kind == KindPDF && req.Output != "" {
				p.Name = "pdf:" + req.Output
			}
		}
		if err := p.Validate(); err != nil {
			return Printer{}, nil, err
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return Printer{}, nil, fmt.Errorf("printer settings: %w", err)
		}
		return p, raw, nil
	}
	name := req.Printer
	if name == "" {
		var err error
		if name, err = q.defaultPrinter(ctx, deliveryID); err != nil {
			return Printer{}, nil, err
		}
	}
	p, err := q.Printer(ctx, name)
	if err != nil {
		return Printer{}, nil, err
	}
	return p, nil, p.Validate()
}

// PrinterFor returns the printer a request would print on, with its
// settings, without queuing anything: to show its status first.
func (q *Queue) PrinterFor(ctx context.Context, req Request) (Printer, error) {
	var deliveryID string
	if req.Target == nil && req.Printer == "" && !req.Test {
		l, err := q.labels.Label(ctx, req.Order)
		if err != nil {
			return Printer{}, fmt.Errorf("print %s: %w", req.Order, err)
		}
		deliveryID = l.DeliveryID
	}
	p, _, err := q.resolve(ctx, req, deliveryID)
	return p, err
}

// JobPrinter returns the printer and settings a job prints with: its own
// for a one-off target, else its printer record as it is now.
func (q *Queue) JobPrinter(ctx context.Context, j Job) (Printer, error) {
	return q.jobPrinter(ctx, &j)
}

// defaultPrinter is the courier's default printer, or the only printer.
func (q *Queue) defaultPrinter(ctx context.Context, deliveryID string) (string, error) {
	if deliveryID != "" {
		name, err := q.db.CourierPrinter(ctx, deliveryID)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	list, err := q.db.ListPrinters(ctx)
	if err != nil {
		return "", err
	}
	if len(list) == 1 {
		return list[0].Name, nil
	}
	return "", fmt.Errorf("%w, and courier %q has no default printer (printers add --default-for %s)", ErrNoPrinter, deliveryID, deliveryID)
}

// Retry puts a failed job back in its printer's queue. It keeps its place
// ahead of jobs queued after it.
func (q *Queue) Retry(ctx context.Context, jobID int64) (Job, error) {
	if err := q.register(ctx); err != nil {
		return Job{}, err
	}
	j, err := q.db.RetryPrintJob(ctx, jobID)
	if err != nil {
		return Job{}, err
	}
	q.log.Info("print job retried", "job", j.ID, "waybill_id", j.WaybillID, "printer", j.Printer, "attempts", j.Attempts)
	q.audit(j, "print-retry", "")
	q.publish(j)
	q.wake(j.Printer)
	return *j, nil
}

// Reprint prints an order again as a new job on the same waybill, pointing
// back at the previous one. printer "" means the printer (and settings) of
// the order's last job, or the courier's default when it has none.
func (q *Queue) Reprint(ctx context.Context, order, printer string) (Job, error) {
	l, err := q.labels.Label(ctx, order)
	if err != nil {
		return Job{}, fmt.Errorf("reprint %s: %w", order, err)
	}
	req, err := q.reprintRequest(ctx, l, printer)
	if err != nil {
		return Job{}, err
	}
	return q.submit(ctx, req, l)
}

// reprintRequest is the request of a reprint of l on printer, or, with
// printer "", on the printer and settings of its last job.
func (q *Queue) reprintRequest(ctx context.Context, l Label, printer string) (Request, error) {
	req := Request{Order: l.OrderID, Printer: printer}
	if printer != "" {
		return req, nil
	}
	last, err := q.db.ListPrintJobs(ctx, store.PrintJobQuery{OrderID: l.OrderID, Limit: 1})
	if err != nil {
		return req, fmt.Errorf("reprint %s: %w", l.OrderID, err)
	}
	if len(last) == 1 {
		req.Printer = last[0].Printer
		if len(last[0].Settings) > 0 {
			var p Printer
			if err := json.Unmarshal(last[0].Settings, &p); err != nil {
				return req, fmt.Errorf("reprint %s: settings of job %d: %w", l.OrderID, last[0].ID, err)
			}
			req.Target = &p
		}
		if req.Target != nil && req.Target.Kind == KindPDF && last[0].Output != "" {
			// A new file beside the first print, never over it.
			req.Target.Address = filepath.Dir(last[0].Output)
			req.Target.Name = "pdf:" + req.Target.Address
		}
	}
	return req, nil
}

// LabelSize is the size l comes out at when printed without naming a
// printer: the label stock of the printer it goes to, which for a reprint
// is the printer of the order's last job (as Reprint chooses) and
// otherwise the courier's default printer or the only one (as Submit
// does). A PDF printer prints at the label's own @page size when it has
// one, as the renderer does. With no printer to go to, it is the label's
// own size (printing.SizeOf). Previews and saved PDFs use it, so they look
// like the printed label.
func (q *Queue) LabelSize(ctx context.Context, l Label, reprint bool) printing.Size {
	own, hasOwn := printing.PageSize(l.HTML)
	req := Request{Order: l.OrderID}
	var err error
	if reprint {
		req, err = q.reprintRequest(ctx, l, "")
	}
	var p Printer
	if err == nil {
		p, _, err = q.resolve(ctx, req, l.DeliveryID)
	}
	switch {
	case err == nil && p.Language == LangPDF && hasOwn:
		return own
	case err == nil && p.Size != (printing.Size{}):
		return p.Size
	case err != nil && !errors.Is(err, ErrNoPrinter) && !errors.Is(err, store.ErrNotFound):
		q.log.Warn("label size: printer not resolved; using the label's own size", "order_id", l.OrderID, "err", err)
	}
	return printing.SizeOf(l.HTML)
}

// TestPrint queues the test label on a printer record: a frame on the
// label's edges, millimetre rulers, the settings in words and a barcode,
// so the operator sees size, offsets and scannability at a glance.
func (q *Queue) TestPrint(ctx context.Context, printer string) (Job, error) {
	return q.Submit(ctx, Request{Test: true, Printer: printer})
}

// Job returns one job.
func (q *Queue) Job(ctx context.Context, id int64) (Job, error) {
	j, err := q.db.GetPrintJob(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return *j, nil
}

// Jobs lists jobs, newest first.
func (q *Queue) Jobs(ctx context.Context, query store.PrintJobQuery) ([]Job, error) {
	return q.db.ListPrintJobs(ctx, query)
}

// Wait waits until the job is done or failed, or ctx ends, and returns it.
// It keeps the job's printer worked on while it waits, also when another
// process (the console) has the printer busy.
func (q *Queue) Wait(ctx context.Context, id int64) (Job, error) {
	events, stop := q.Subscribe(16)
	defer stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		j, err := q.db.GetPrintJob(ctx, id)
		if err != nil {
			return Job{}, err
		}
		if j.Final() {
			return *j, nil
		}
		if j.State == StateQueued {
			q.wake(j.Printer)
		}
		select {
		case <-ctx.Done():
			return *j, fmt.Errorf("wait for print job %d (%s): %w", id, j.State, ctx.Err())
		case <-events:
		case <-tick.C:
		}
	}
}

// Printers returns the printer records by name.
func (q *Queue) Printers(ctx context.Context) ([]Printer, error) {
	recs, err := q.db.ListPrinters(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Printer, 0, len(recs))
	for i := range recs {
		out = append(out, fromRecord(&recs[i]))
	}
	return out, nil
}

// Printer returns one printer record.
func (q *Queue) Printer(ctx context.Context, name string) (Printer, error) {
	r, err := q.db.GetPrinter(ctx, name)
	if err != nil {
		return Printer{}, err
	}
	return fromRecord(r), nil
}

// AddPrinter stores a new printer record (defaults: 100x180 mm, 203 dpi,
// TSPL for raw and windows, PDF for pdf and cups) and returns it as stored.
func (q *Queue) AddPrinter(ctx context.Context, p Printer) (Printer, error) {
	p = p.withDefaults()
	if err := p.validRecord(); err != nil {
		return Printer{}, err
	}
	if err := q.db.CreatePrinter(ctx, p.toRecord()); err != nil {
		return Printer{}, err
	}
	return p, nil
}

// UpdatePrinter replaces a printer record's settings. Queued jobs of the
// printer print with the new settings.
func (q *Queue) UpdatePrinter(ctx context.Context, p Printer) (Printer, error) {
	p = p.withDefaults()
	if err := p.validRecord(); err != nil {
		return Printer{}, err
	}
	if err := q.db.UpdatePrinter(ctx, p.toRecord()); err != nil {
		return Printer{}, err
	}
	return p, nil
}

// RemovePrinter removes a printer record; it refuses while the printer has
// unfinished jobs (store.ErrPrinterBusy).
func (q *Queue) RemovePrinter(ctx context.Context, name string) error {
	return q.db.DeletePrinter(ctx, name)
}

// Status asks a printer record's printer how it is (see StatusOf), to show
// before printing.
func (q *Queue) Status(ctx context.Context, name string) (output.State, error) {
	p, err := q.Printer(ctx, name)
	if err != nil {
		return output.State{}, err
	}
	return StatusOf(ctx, p)
}

// subscriber is one Subscribe call.
type subscriber struct{ ch chan Event }

// Subscribe returns the job changes from now on, and a function to stop.
// Events are dropped, not waited for, when the channel is full: the queue
// never waits for a slow screen, which should re-read the jobs instead.
// The channel is closed by stop or Close.
func (q *Queue) Subscribe(buffer int) (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, max(buffer, 1))}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	q.subs[s] = struct{}{}
	return s.ch, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if _, ok := q.subs[s]; ok {
			delete(q.subs, s)
			close(s.ch)
		}
	}
}

// publish sends a copy of the job to every subscriber that has room.
func (q *Queue) publish(j *Job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for s := range q.subs {
		select {
		case s.ch <- Event{Job: *j}:
		default:
		}
	}
}

// audit records a job's outcome in the audit log; failing to is logged,
// never fatal, because the print itself already happened.
func (q *Queue) audit(j *Job, action, detail string) {
	if j.OrderID == "" {
		return // a test print belongs to no order
	}
	if detail == "" {
		detail = fmt.Sprintf("job %d on %s: %s", j.ID, j.Printer, j.State)
	}
	ctx, cancel := dbCtx()
	defer cancel()
	if err := q.db.Audit(ctx, store.AuditEntry{Actor: q.opts.Actor, Action: action, OrderID: j.OrderID, Detail: detail}); err != nil {
		q.log.Warn("audit not written", "action", action, "order_id", j.OrderID, "err", err)
	}
}

// testCode is the barcode of a test label: recognisably not a waybill.
func testCode() string { return "WDTEST" + time.Now().Format("150405") }
