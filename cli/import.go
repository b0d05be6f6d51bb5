package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"

	"waybilldesk/desk"
	"waybilldesk/internal/atomicfile"
	"waybilldesk/orders"
	"waybilldesk/orders/batch"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// importFlags are the flags of `import`.
type importFlags struct {
	dryRun      bool
	mapFile     string
	template    string
	history     bool
	sheet       string
	results     string
	concurrency int
	rate        float64
	deliveryID  string
	bizID       string
	serviceType int
	senderFile  string
	weight      float64
	dims        string
	print       string
}

func runImport(e *env, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var f importFlags
	fs.BoolVar(&f.dryRun, "dry-run", false, "preview only: every row's order or its errors (row and column); nothing is sent")
	fs.StringVar(&f.mapFile, "map", "", `JSON column map, our field to the file's header, e.g. {"receiver_mobile":"买家手机"} (see docs/import.md)`)
	fs.StringVar(&f.template, "template", "", "write the header of our CSV template to this file and stop")
	fs.BoolVar(&f.history, "history", false, "list past import runs; with a RUN_ID, that run's rows and what became of them")
	fs.StringVar(&f.sheet, "sheet", "", "XLSX sheet to read (default: the first with data)")
	fs.StringVar(&f.results, "results", "", "also write the per-row results to this CSV file")
	fs.IntVar(&f.concurrency, "concurrency", batch.DefaultConcurrency, "orders placed at once")
	fs.Float64Var(&f.rate, "rate", batch.DefaultRate, "WeChat calls started per second at most")
	fs.StringVar(&f.deliveryID, "delivery-id", "", "courier for rows that name none (default: setting default_courier)")
	fs.StringVar(&f.bizID, "biz-id", "", "courier account for those rows (default: the setting, or the courier's first account)")
	fs.IntVar(&f.serviceType, "service-type", -1, "service type for those rows (see waybilldesk couriers)")
	fs.StringVar(&f.senderFile, "sender", "", "JSON file with the sender (like the sender of examples/order.json); default: setting default_sender")
	fs.Float64Var(&f.weight, "weight", 0, "parcel weight in kg for rows that give none (default: setting default_parcel)")
	fs.StringVar(&f.dims, "dims", "", "parcel size LxWxH in cm for rows that give none, e.g. 30x20x10")
	fs.StringVar(&f.print, "print", "", `print each label, in file order, on this printer record ("default": the courier's default printer)`)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case f.template != "":
		return writeTemplate(e, f.template)
	case f.history:
		return importHistory(e, pos)
	case len(pos) != 1:
		return usagef("import: want one FILE (.csv, .xlsx or .jsonl), or --template OUT.csv, or --history")
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	return e.withDesk(func(d *desk.Desk) error {
		stored, err := batch.LoadDefaults(e.ctx, d.DB)
		if err != nil {
			return err
		}
		opts.Defaults = stored.Over(opts.Defaults)
		opts.Logger = e.cfg.Logger
		if u, err := user.Current(); err == nil {
			opts.Actor = u.Username
		}
		return importFile(e, d, pos[0], f, opts)
	})
}

// options turns the flags into importer options; defaults from flags only
// (the stored settings are merged under them later).
func (f importFlags) options() (batch.Options, error) {
	o := batch.Options{Sheet: f.sheet, Concurrency: f.concurrency, Rate: f.rate}
	if f.concurrency < 1 || f.concurrency > 32 {
		return o, usagef("import: --concurrency must be 1 to 32")
	}
	if f.rate <= 0 {
		return o, usagef("import: --rate must be more than 0")
	}
	if f.mapFile != "" {
		m, err := batch.ReadColumnMap(f.mapFile)
		if err != nil {
			return o, err
		}
		o.Map = m
	}
	if f.senderFile != "" {
		var c wxapi.Contact
		if err := readJSONFile(f.senderFile, &c); err != nil {
			return o, fmt.Errorf("--sender: %w", err)
		}
		o.Defaults.Sender = &c
	}
	o.Defaults.Courier = batch.CourierDefault{DeliveryID: f.deliveryID, BizID: f.bizID}
	if f.serviceType >= 0 {
		st := f.serviceType
		o.Defaults.Courier.ServiceType = &st
	}
	if f.weight < 0 {
		return o, usagef("import: --weight must be more than 0")
	}
	o.Defaults.Parcel.WeightKg = f.weight
	if f.dims != "" {
		var l, w, h float64
		if _, err := fmt.Sscanf(strings.ReplaceAll(strings.ToLower(f.dims), "*", "x"), "%gx%gx%g", &l, &w, &h); err != nil || l < 0 || w < 0 || h < 0 {
			return o, usagef("import: --dims wants LxWxH in cm, e.g. 30x20x10")
		}
		o.Defaults.Parcel.LengthCm, o.Defaults.Parcel.WidthCm, o.Defaults.Parcel.HeightCm = l, w, h
	}
	return o, nil
}

func importFile(e *env, d *desk.Desk, path string, f importFlags, opts batch.Options) error {
	// Ctrl-C stops sending; the orders in flight finish and every row is
	// reported. A second Ctrl-C quits at once (the history stays
	// consistent: see docs/import.md).
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
			signal.Stop(sigs)
			e.notef("import: stopping after the orders in flight (Ctrl-C again quits now)")
			cancel()
		case <-ctx.Done():
		}
	}()
	var im *batch.Importer
	var plan *batch.Plan
	var err error
	opts.Progress = func(p batch.Progress) {
		r := p.Result
		e.notef("import: [%d/%d] row %d %s %s %s", p.Done, p.Total, r.Row, r.OrderID, r.Status, orStr(r.WaybillID, r.Message))
	}
	var printer *importPrinter
	if f.print != "" && !f.dryRun {
		if printer, err = startImportPrinter(ctx, e, d, f.print); err != nil {
			return err
		}
		opts.OnPlaced = func(r batch.RowResult) { printer.print(ctx, r.OrderID) }
	}
	im = batch.New(d.Orders, d.DB, opts)
	plan, err = im.PreviewFile(ctx, path)
	if err != nil {
		return err
	}
	if f.dryRun {
		return printPlan(e, plan)
	}
	for _, r := range plan.Rows {
		for _, re := range r.Errors {
			e.notef("import: %s (not sent)", re.Error())
		}
	}
	e.notef("import: %s: %d orders to place, %d rows with errors", plan.File, plan.Orders(), plan.Invalid())
	pauseFromTerminal(e, ctx, im)
	// A long import also settles orders whose outcome another program left
	// unknown (a window that crashed, an import that was killed), as the
	// window does; its own rows it settles itself.
	rctx, rstop := context.WithCancel(ctx)
	reconciled := make(chan struct{})
	go func() {
		defer close(reconciled)
		d.Orders.NewReconciler(orders.ReconcilerOptions{OnSettled: func(o orders.Order) {
			e.notef("import: settled with WeChat: %s %s %s", o.OrderID, o.Status, o.WaybillID)
		}}).Run(rctx)
	}()
	rep, err := im.Run(ctx, plan)
	rstop()
	<-reconciled
	if err != nil {
		return err
	}
	if printer != nil {
		// Orders placed by an earlier run that was cut off, or settled
		// while another program held them, may have no print job yet:
		// print those now (never the ones with a job).
		for _, r := range rep.Results {
			switch r.Status {
			case batch.StatusAlreadyPlaced:
				printer.ensure(ctx, r.OrderID)
			case batch.StatusSubmitting:
				if o, err := d.Orders.Get(ctx, r.OrderID); err == nil && o.Status == orders.StatusPlaced {
					printer.ensure(ctx, r.OrderID)
				}
			}
		}
		if err := printer.wait(ctx); err != nil {
			return err
		}
	}
	if f.results != "" {
		if err := writeResults(f.results, rep.Results); err != nil {
			return err
		}
	}
	if e.json {
		if err := e.printJSON(rep); err != nil {
			return err
		}
	} else if err := printResults(e, rep.Results); err != nil {
		return err
	}
	c := rep.Counts
	e.notef("import: run %d: %d placed, %d already placed, %d with errors, %d refused, %d submitting, %d not sent (%s)",
		rep.RunID, c.Placed, c.Skipped, c.Invalid, c.Failed, c.Unknown, c.NotSent, rep.Elapsed.Round(1e6))
	if rep.Failed() {
		return fmt.Errorf("import: %d of %d rows have no waybill (see the table)", c.Rows-c.Placed-c.Skipped, c.Rows)
	}
	return nil
}

// pauseFromTerminal lets an operator at a terminal type p (pause) and r
// (resume). Scripts, whose stdin is no terminal, are not read from.
func pauseFromTerminal(e *env, ctx context.Context, im *batch.Importer) {
	st, err := os.Stdin.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(st, null) {
		return // a character device, but no one types into /dev/null
	}
	e.notef("import: type p and Enter to pause, r and Enter to resume, Ctrl-C to stop")
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() && ctx.Err() == nil {
			switch strings.TrimSpace(sc.Text()) {
			case "p":
				im.Pause()
				e.notef("import: paused after the orders in flight; r and Enter resumes")
			case "r":
				im.Resume()
				e.notef("import: resumed")
			}
		}
	}()
}

// notef writes one line to stderr; progress comes from worker goroutines.
func (e *env) notef(format string, args ...any) {
	e.outMu.Lock()
	defer e.outMu.Unlock()
	fmt.Fprintf(e.stderr, format+"\n", args...)
}

func printPlan(e *env, p *batch.Plan) error {
	if e.json {
		if err := e.printJSON(p); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "%s: %s", p.File, p.Format)
		if p.Encoding != "" {
			fmt.Fprintf(e.stdout, " (%s)", p.Encoding)
		}
		if p.Sheet != "" {
			fmt.Fprintf(e.stdout, " sheet %s", p.Sheet)
		}
		if p.HeaderRow > 0 {
			fmt.Fprintf(e.stdout, ", header on row %d:", p.HeaderRow)
			for _, c := range p.Columns {
				if c.Header == string(c.Field) {
					fmt.Fprintf(e.stdout, " %s=%s", c.Letter, c.Header)
				} else {
					fmt.Fprintf(e.stdout, " %s=%s(%s)", c.Letter, c.Header, c.Field)
				}
			}
		}
		fmt.Fprintln(e.stdout)
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ROW\tORDER_ID\tSTATUS\tDETAIL")
		for _, r := range p.Rows {
			switch {
			case !r.OK():
				fmt.Fprintf(tw, "%d\t%s\terror\t%s\n", r.Row, orStr(r.OrderID, "-"), errorList(r.Errors))
			case r.MergedInto != 0:
				fmt.Fprintf(tw, "%d\t%s\tok\tgoods join row %d\n", r.Row, r.OrderID, r.MergedInto)
			case r.Existing != "":
				fmt.Fprintf(tw, "%d\t%s\tok\t%s | in the history: %s, will be skipped\n", r.Row, r.OrderID, summary(r.Request), r.Existing)
			default:
				fmt.Fprintf(tw, "%d\t%s\tok\t%s\n", r.Row, r.OrderID, summary(r.Request))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		known := 0
		for _, r := range p.Rows {
			if r.Existing != "" {
				known++
			}
		}
		fmt.Fprintf(e.stdout, "%d orders (%d already in the history), %d rows with errors; nothing was sent (--dry-run)\n",
			p.Orders(), known, p.Invalid())
	}
	if n := p.Invalid(); n > 0 {
		return fmt.Errorf("import: %d of %d rows have errors: nothing from them will be sent", n, len(p.Rows))
	}
	return nil
}

// summary is one line about an order for the preview; the phone is masked.
func summary(r *wxapi.AddOrderRequest) string {
	rc := r.Receiver
	var goods []string
	for _, g := range r.Cargo.DetailList {
		goods = append(goods, fmt.Sprintf("%s ×%d", g.Name, g.Count))
	}
	return fmt.Sprintf("%s %s %s%s%s | %s | %gkg | %s %s", rc.Name, orders.MaskPhone(rc.Phone()), rc.Province, rc.City, rc.Area,
		strings.Join(goods, ", "), r.Cargo.Weight, r.DeliveryID, r.Service.ServiceName)
}

func errorList(errs []batch.RowError) string {
	var parts []string
	for _, e := range errs {
		s := e.Message
		switch {
		case e.Column != "":
			s = fmt.Sprintf("%s %s: %s", e.Column, e.Header, e.Message)
		case e.Header != "":
			s = e.Header + ": " + e.Message
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func printResults(e *env, results []batch.RowResult) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tORDER_ID\tSTATUS\tWAYBILL_ID / ERROR")
	for _, r := range results {
		detail := r.WaybillID
		switch {
		case len(r.Errors) > 0:
			detail = errorList(r.Errors)
		case r.Message != "" && (r.Status != batch.StatusPlaced || detail == ""):
			detail = r.Message // it names the waybill when there is one
		case r.Message != "":
			detail += " (" + r.Message + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.Row, orStr(r.OrderID, "-"), r.Status, detail)
	}
	return tw.Flush()
}

func writeResults(path string, results []batch.RowResult) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return batch.WriteResultsCSV(w, results) })
}

func writeTemplate(e *env, path string) error {
	if err := atomicfile.Write(path, 0o644, batch.WriteTemplate); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote the import template to %s\n", path)
	return nil
}

func importHistory(e *env, pos []string) error {
	if len(pos) > 1 {
		return usagef("import --history: want at most one RUN_ID")
	}
	return e.withDesk(func(d *desk.Desk) error {
		if len(pos) == 1 {
			id, err := strconv.ParseInt(pos[0], 10, 64)
			if err != nil {
				return usagef("import --history: %q is not a run id", pos[0])
			}
			return importRunRows(e, d, id)
		}
		runs, err := d.DB.ImportRuns(e.ctx, 50)
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(runs)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tSTARTED\tFILE\tSTATE\tROWS\tPLACED\tALREADY\tERRORS\tREFUSED\tSUBMITTING\tNOT_SENT")
		for _, r := range runs {
			state, c := r.State, r.Counts
			if state == store.ImportRunning {
				// Cut off (or still going): its counts were never written;
				// the history knows what became of each row.
				state = "running or cut off*"
				if c, err = derivedCounts(e, d, r.ID); err != nil {
					return err
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.StartedAt.Format("2006-01-02 15:04"),
				r.FileName, state, c.Rows, c.Placed, c.Skipped, c.Invalid, c.Failed, c.Unknown, c.NotSent)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, r := range runs {
			if r.State == store.ImportRunning {
				fmt.Fprintln(e.stdout, "* counts as the history has them now; import the file again to finish a run that was cut off")
				break
			}
		}
		return nil
	})
}

// derivedCounts counts a run's rows by the state of their orders now.
func derivedCounts(e *env, d *desk.Desk, runID int64) (store.ImportCounts, error) {
	rows, err := d.DB.ImportRowStates(e.ctx, runID)
	if err != nil {
		return store.ImportCounts{}, err
	}
	c := store.ImportCounts{Rows: len(rows)}
	for _, r := range rows {
		switch {
		case r.Error != "":
			c.Invalid++
		case r.OrderStatus == "":
			c.NotSent++
		case r.OrderStatus == store.StatusPlaced, r.OrderStatus == store.StatusCancelled:
			c.Placed++
		case r.OrderStatus == store.StatusFailed:
			c.Failed++
		default:
			c.Unknown++
		}
	}
	return c, nil
}

// importRunRows lists one run's rows with their orders' state now: what a
// run cut off by a crash did is read from the history, not from the run.
func importRunRows(e *env, d *desk.Desk, id int64) error {
	run, err := d.DB.ImportRunByID(e.ctx, id)
	if err != nil {
		return err
	}
	rows, err := d.DB.ImportRowStates(e.ctx, id)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(map[string]any{"run": run, "rows": rows})
	}
	fmt.Fprintf(e.stdout, "run %d: %s (%s) started %s, %s\n", run.ID, run.FileName, run.FileHash[:12],
		run.StartedAt.Format("2006-01-02 15:04:05"), run.State)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tORDER_ID\tORDER_STATUS\tWAYBILL_ID / ERROR")
	for _, r := range rows {
		status, detail := r.OrderStatus, r.WaybillID
		switch {
		case r.Error != "":
			status, detail = "invalid", r.Error
		case status == "":
			status, detail = "not sent", "nothing was sent for this row"
		case r.ErrorCode != 0:
			detail = fmt.Sprintf("errcode %d %s", r.ErrorCode, r.ErrorMsg)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.Row, orStr(r.OrderID, "-"), status, detail)
	}
	return tw.Flush()
}
