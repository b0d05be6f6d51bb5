package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"waybilldesk/desk"
	"waybilldesk/internal/atomicfile"
	"waybilldesk/printing"
	"waybilldesk/printing/output"
	"waybilldesk/printing/queue"
	"waybilldesk/store"
)

// defaultPrintWait bounds how long print waits for its job. A label prints
// in about a second; the queue's own deadlines (render 60 s, send 30 s,
// CUPS 2 min) end every job well before this.
const defaultPrintWait = 5 * time.Minute

// runPrint prints an order through the print queue: the job is stored,
// rendered for the target, sent, and waited for; the exit status is 1 when
// it failed, with the reason and the command to retry it. "print jobs" and
// "print retry" look at and retry jobs.
func runPrint(e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "jobs":
			return runPrintJobs(e, args[1:])
		case "retry":
			return runPrintRetry(e, args[1:])
		}
	}
	fs := flag.NewFlagSet("print", flag.ContinueOnError)
	to := fs.String("to", "", "destination: pdf:FILE, raw:HOST:PORT, printer:NAME, or default (the courier's default printer)")
	lang := fs.String("lang", "", "printer language: tspl, zpl, escpos or pdf (default: pdf for files, tspl for raw, the record's for printer:)")
	sizeFlag := fs.String("size", printing.Size100x180.String(), "label size in mm, WIDTHxHEIGHT")
	dpi := fs.Int("dpi", 203, "print head resolution for tspl, zpl and escpos (203 or 300)")
	offX := fs.Float64("offset-x", 0, "move the print right by this many mm (negative: left)")
	offY := fs.Float64("offset-y", 0, "move the print down by this many mm (negative: up)")
	rotate := fs.Int("rotate", 0, "turn the label clockwise: 0, 90, 180 or 270")
	density := fs.Int("density", 0, "darkness 1..15 (0 keeps the printer's setting)")
	copies := fs.Int("copies", 1, "copies of the label")
	wait := fs.Duration("wait", defaultPrintWait, "how long to wait for the job to finish")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("print: want one ORDER_ID (or waybill id)")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	size, err := printing.ParseSize(*sizeFlag)
	if err != nil {
		return usagef("print: --size: %v", err)
	}
	if *lang != "" && !slices.Contains(queue.Languages, queue.Language(*lang)) {
		return usagef("print: --lang %q: want tspl, zpl, escpos or pdf", *lang)
	}
	if *copies < 1 {
		return usagef("print: --copies must be at least 1")
	}
	// apply puts the flags given on the command line over a printer's settings.
	apply := func(p *queue.Printer, all bool) {
		if all || set["lang"] {
			p.Language = queue.Language(*lang)
		}
		if all || set["size"] {
			p.Size = size
		}
		if all || set["dpi"] {
			p.DPI = *dpi
		}
		if all || set["offset-x"] {
			p.OffsetXMM = *offX
		}
		if all || set["offset-y"] {
			p.OffsetYMM = *offY
		}
		if all || set["rotate"] {
			p.Rotate = *rotate
		}
		if all || set["density"] {
			p.Density = *density
		}
	}
	req := queue.Request{Order: pos[0], Copies: *copies}
	kind, target, _ := strings.Cut(*to, ":")
	switch {
	case kind == "pdf" && target != "":
		if *lang != "" && *lang != string(queue.LangPDF) {
			return usagef("print: a pdf: target is a PDF file; --lang %s needs raw: or printer:", *lang)
		}
		abs, err := filepath.Abs(target)
		if err != nil {
			return fmt.Errorf("print: %w", err)
		}
		req.Target = &queue.Printer{Kind: queue.KindPDF, Address: filepath.Dir(abs), Language: queue.LangPDF, Size: size}
		req.Output = abs
	case kind == "raw" && target != "":
		p := queue.Printer{Kind: queue.KindRaw, Address: target}
		apply(&p, true)
		if p.Language == "" {
			p.Language = queue.LangTSPL
		}
		req.Target = &p
	case kind == "printer" && target != "":
		req.Printer = target
	case *to == "default":
	default:
		return usagef("print: --to must be pdf:FILE, raw:HOST:PORT, printer:NAME or default")
	}

	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	if req.Printer != "" && len(set) > 0 {
		overrides := false
		for _, f := range []string{"lang", "size", "dpi", "offset-x", "offset-y", "rotate", "density"} {
			overrides = overrides || set[f]
		}
		if overrides {
			// The record with this job's changes, stored with the job; the
			// job still queues behind the printer's other jobs.
			p, err := d.Printing.Printer(e.ctx, req.Printer)
			if err != nil {
				return err
			}
			apply(&p, false)
			req.Target = &p
		}
	}
	p, err := d.Printing.PrinterFor(e.ctx, req)
	if err != nil {
		return err
	}
	// The browser starts while the printer is asked how it is.
	go d.Renderer.Start(e.ctx)
	if p.Kind != queue.KindPDF {
		// Shown before printing: a printer that is off still gets the job
		// (it fails with a retry), but the operator knows why at once.
		e.showStatus(p)
	}
	job, err := d.Printing.Submit(e.ctx, req)
	if errors.Is(err, queue.ErrAlreadyQueued) {
		fmt.Fprintf(e.stderr, "waybilldesk: %v; waiting for job %d instead of printing it twice\n", err, job.ID)
	} else if err != nil {
		return err
	}
	return e.waitJob(d, job.ID, *wait)
}

// showStatus writes a printer's state to stderr, as a warning when it
// cannot print now.
func (e *env) showStatus(p queue.Printer) {
	ctx, cancel := context.WithTimeout(e.ctx, statusTimeout)
	defer cancel()
	st, err := queue.StatusOf(ctx, p)
	switch {
	case err != nil && st.Condition == "":
		fmt.Fprintf(e.stderr, "waybilldesk: warning: status of printer %s unknown: %v\n", p.Name, err)
	case !st.CanPrint():
		fmt.Fprintf(e.stderr, "waybilldesk: warning: printer %s is %s; the job is queued and fails if it stays so\n", p.Name, stateText(st))
	default:
		fmt.Fprintf(e.stderr, "printer %s: %s\n", p.Name, stateText(st))
	}
}

// stateText is a printer state without the printer's name: "stopped
// (paper out), not accepting jobs".
func stateText(st output.State) string {
	s := string(st.Condition)
	if st.Reason != "" {
		s += " (" + st.Reason + ")"
	}
	if !st.Accepting && st.Condition != output.Offline {
		s += ", not accepting jobs"
	}
	return s
}

// statusTimeout bounds a status check: a printer on the LAN answers in
// milliseconds, CUPS too.
const statusTimeout = 5 * time.Second

// waitJob waits for a job and reports it; a failed job is an error that
// says how to retry it.
func (e *env) waitJob(d *desk.Desk, id int64, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(e.ctx, wait)
	defer cancel()
	j, err := d.Printing.Wait(ctx, id)
	if err != nil {
		if j.ID != 0 {
			return fmt.Errorf("print job %d is still %s after %s; it stays in the queue and prints when the console runs: %w", id, j.State, wait, err)
		}
		return err
	}
	if e.json {
		if err := e.printJSON(jobJSON(j)); err != nil {
			return err
		}
	} else {
		what := j.WaybillID
		if j.OrderID != "" {
			what = fmt.Sprintf("%s (%s)", j.OrderID, j.WaybillID)
		}
		dest := j.Printer
		if j.Output != "" {
			dest = j.Output
		}
		fmt.Fprintf(e.stdout, "%s -> %s: job %d %s\n", what, dest, j.ID, j.State)
	}
	if j.State == queue.StateFailed {
		return fmt.Errorf("print job %d failed after %d attempt(s): %s (retry: waybilldesk print retry %d)", j.ID, j.Attempts, j.Reason, j.ID)
	}
	return nil
}

// jobJSON is a job with WeChat's field names where they exist.
func jobJSON(j queue.Job) map[string]any {
	m := map[string]any{
		"job_id": j.ID, "order_id": j.OrderID, "waybill_id": j.WaybillID, "printer": j.Printer,
		"state": j.State, "attempts": j.Attempts, "copies": j.Copies,
		"created_at": j.CreatedAt.Format(time.RFC3339), "updated_at": j.UpdatedAt.Format(time.RFC3339),
	}
	if j.Reason != "" {
		m["reason"] = j.Reason
	}
	if j.Output != "" {
		m["file"] = j.Output
	}
	if j.ReprintOf != 0 {
		m["reprint_of"] = j.ReprintOf
	}
	return m
}

// runPrintJobs lists print jobs, newest first.
func runPrintJobs(e *env, args []string) error {
	fs := flag.NewFlagSet("print jobs", flag.ContinueOnError)
	state := fs.String("state", "", "only jobs in this state: queued, rendering, sent, done or failed")
	printer := fs.String("printer", "", "only jobs of this printer")
	order := fs.String("order-id", "", "only jobs of this order")
	limit := fs.Int("limit", 50, "at most this many jobs")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("print jobs: unexpected %q", pos[0])
	}
	if *state != "" && !slices.Contains([]string{queue.StateQueued, queue.StateRendering, queue.StateSent, queue.StateDone, queue.StateFailed}, *state) {
		return usagef("print jobs: --state %q: want queued, rendering, sent, done or failed", *state)
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	jobs, err := d.Printing.Jobs(e.ctx, store.PrintJobQuery{State: *state, Printer: *printer, OrderID: *order, Limit: *limit})
	if err != nil {
		return err
	}
	if e.json {
		out := make([]map[string]any, 0, len(jobs))
		for _, j := range jobs {
			out = append(out, jobJSON(j))
		}
		return e.printJSON(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSTATE\tTRIES\tPRINTER\tWAYBILL\tORDER\tUPDATED\tREASON")
	for _, j := range jobs {
		reason := j.Reason
		if j.Output != "" && reason == "" {
			reason = j.Output
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.State, j.Attempts, j.Printer, j.WaybillID,
			j.OrderID, j.UpdatedAt.Format("01-02 15:04:05"), reason)
	}
	return tw.Flush()
}

// runPrintRetry puts a failed job back in its queue and waits for it.
func runPrintRetry(e *env, args []string) error {
	fs := flag.NewFlagSet("print retry", flag.ContinueOnError)
	wait := fs.Duration("wait", defaultPrintWait, "how long to wait for the job to finish")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("print retry: want one JOB_ID")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("print retry: %q is not a job id", pos[0])
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	j, err := d.Printing.Retry(e.ctx, id)
	if err != nil {
		return err
	}
	if p, err := d.Printing.JobPrinter(e.ctx, j); err == nil && p.Kind != queue.KindPDF {
		e.showStatus(p)
	}
	return e.waitJob(d, id, *wait)
}

func runRender(e *env, args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	htmlFile := fs.String("html", "", "label HTML file")
	pdfOut := fs.String("pdf", "", "write a PDF here")
	pngOut := fs.String("png", "", "write a PNG here")
	sizeFlag := fs.String("size", printing.Size100x180.String(), "label size in mm, WIDTHxHEIGHT")
	dpi := fs.Float64("dpi", 203, "PNG resolution (203 or 300 for thermal printers)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *htmlFile == "" || (*pdfOut == "") == (*pngOut == "") {
		return usagef("render: want --html FILE and one of --pdf OUT or --png OUT")
	}
	size, err := printing.ParseSize(*sizeFlag)
	if err != nil {
		return usagef("render: --size: %v", err)
	}
	if *dpi < 72 || *dpi > 1200 {
		return usagef("render: --dpi %g is outside 72..1200", *dpi)
	}
	raw, err := printing.ReadHTMLFile(*htmlFile) // at most printing.MaxHTMLBytes: /dev/zero fails at once
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	r := printing.NewRenderer(printing.Options{Timeout: e.cfg.RenderTimeout, Logger: e.cfg.Logger})
	defer r.Close()
	out, data := *pdfOut, []byte(nil)
	if out != "" {
		data, err = r.PDF(e.ctx, string(raw), size)
	} else {
		out = *pngOut
		data, err = r.PNG(e.ctx, string(raw), size, *dpi)
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", *htmlFile, err)
	}
	if err := atomicfile.WriteBytes(out, 0o644, data); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s -> %s (%d bytes)\n", *htmlFile, out, len(data))
	return nil
}
