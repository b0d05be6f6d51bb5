package ui

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/orders/batch"
	"waybilldesk/printing/queue"
	"waybilldesk/wxapi"
)

// prefBatchPrinter keeps the printer batch labels go to ("" = each
// courier's default); prefBatchPrint whether they are printed at all.
const (
	prefBatchPrinter = "batch.printer"
	prefBatchPrint   = "batch.print"
)

// batchColumns: row, order no., receiver, courier, status, detail.
var batchColumns = []column{{fixed: 56}, {weight: 1}, {weight: 0.9}, {fixed: 70}, {fixed: 96}, {weight: 2}}

// BatchScreen is the "批量" tab: import a shop's order export (CSV, XLSX)
// or JSON Lines, preview every row with its errors before anything is
// sent, then place the valid orders and print their labels in file order
// with a progress bar that can be paused, resumed and cancelled, and
// export the per-row results.
type BatchScreen struct {
	// Open picks a file; Template saves our import template.
	Open     *widget.Button
	Template *widget.Button
	// Summary says what the file holds (rows, orders, errors) or how the
	// run went.
	Summary *widget.Label
	// Rows lists the file's rows: before the run what each becomes or its
	// errors, after it what happened.
	Rows *widget.List
	// Courier is the courier of rows that name none (the file's
	// delivery_id column and the stored default_courier come first).
	Courier *widget.Select
	// Service is the chosen courier's service for rows that name none.
	Service *widget.Select
	// Print prints each placed order's label, on Printer.
	Print   *widget.Check
	Printer *widget.Select
	// Start places the valid orders; Pause pauses or resumes; Stop
	// cancels what is not sent yet.
	Start, Pause, Stop *widget.Button
	Progress           *widget.ProgressBar
	// Export saves the per-row results as CSV.
	Export  *widget.Button
	Content fyne.CanvasObject

	// Plan is the previewed file; Report the finished run; Results the
	// rows' outcomes so far, by row index.
	Plan    *batch.Plan
	Report  *batch.Report
	Results map[int]batch.RowResult
	// Printed counts the labels queued for this run's orders; PrintErrors
	// keeps why a placed order's label was not queued, by row.
	Printed     int
	PrintErrors map[int]string

	m *Main
	// printTo is where the labels of placed orders go, read by the
	// importer's goroutine as each order is placed: nil when Print is off,
	// else the printer name ("" for each courier's default).
	printTo  atomic.Pointer[string]
	im       *batch.Importer
	running  bool
	paused   bool
	cancel   context.CancelFunc
	printers []string
	couriers []orders.Courier // behind Courier's options[1:]
	rowIndex map[int]int      // file row number -> index in Plan.Rows
	gen      int
}

func newBatchScreen(m *Main) *BatchScreen {
	s := &BatchScreen{m: m, Results: map[int]batch.RowResult{}, PrintErrors: map[int]string{}}
	s.Open = widget.NewButtonWithIcon(lang.L("Open a file…"), theme.FolderOpenIcon(), s.openDialog)
	s.Open.Importance = widget.HighImportance
	s.Template = widget.NewButtonWithIcon(lang.L("Save template…"), theme.DocumentSaveIcon(), s.templateDialog)
	s.Summary = widget.NewLabel(lang.L("Open a shop's order export (CSV or Excel) or a JSON Lines file. Every row is checked before anything is sent."))
	s.Summary.Wrapping = fyne.TextWrapWord
	s.Rows = widget.NewList(func() int { return s.rowCount() }, newBatchRow, s.updateRow)
	s.Courier = widget.NewSelect([]string{lang.L("Courier from the file")}, nil)
	s.Courier.SetSelectedIndex(0)
	s.Service = widget.NewSelect(nil, nil)
	s.Service.PlaceHolder = lang.L("Service from the file")
	s.Courier.OnChanged = func(string) { s.courierChosen() }
	s.Print = widget.NewCheck(lang.L("Print labels"), func(on bool) {
		m.App.Preferences().SetBool(prefBatchPrint, on)
		if on {
			s.Printer.Enable()
		} else {
			s.Printer.Disable()
		}
		s.updatePrintTo()
	})
	s.Printer = widget.NewSelect([]string{lang.L("Courier's default printer")}, func(string) {
		m.App.Preferences().SetString(prefBatchPrinter, s.printer())
		s.updatePrintTo()
	})
	s.Printer.SetSelectedIndex(0)
	s.Print.SetChecked(m.App.Preferences().BoolWithFallback(prefBatchPrint, true))
	s.Start = widget.NewButtonWithIcon(lang.L("Place & print"), theme.MediaPlayIcon(), s.run)
	s.Start.Importance = widget.HighImportance
	s.Pause = widget.NewButtonWithIcon(lang.L("Pause"), theme.MediaPauseIcon(), s.togglePause)
	s.Stop = widget.NewButtonWithIcon(lang.L("Stop"), theme.MediaStopIcon(), s.stopRun)
	s.Progress = widget.NewProgressBar()
	s.Export = widget.NewButtonWithIcon(lang.L("Export results…"), theme.DocumentSaveIcon(), s.exportDialog)
	s.updateButtons()

	header := container.New(&columns{batchColumns},
		heading(lang.L("Row")), heading(lang.L("Order no.")), heading(lang.L("Receiver")), heading(lang.L("Courier")), heading(lang.L("Status")), heading(lang.L("Detail")))
	top := container.NewVBox(
		container.NewHBox(s.Open, s.Template, layout.NewSpacer(), fieldLabel(lang.L("Courier")), container.New(&fixedWidth{170}, s.Courier), container.New(&fixedWidth{120}, s.Service),
			s.Print, container.New(&fixedWidth{220}, s.Printer)),
		s.Summary,
		header,
	)
	bottom := container.NewVBox(s.Progress, container.NewHBox(s.Start, s.Pause, s.Stop, layout.NewSpacer(), s.Export))
	s.Content = container.NewBorder(top, bottom, nil, nil, s.Rows)
	return s
}

func (s *BatchScreen) selected() { s.loadPrinters() }

// setCouriers offers the usable couriers for rows that name none.
func (s *BatchScreen) setCouriers(list []orders.Courier) {
	want := s.courier()
	s.couriers = s.couriers[:0]
	opts := []string{lang.L("Courier from the file")}
	sel := 0
	for _, c := range list {
		if !c.Usable() {
			continue
		}
		s.couriers = append(s.couriers, c)
		opts = append(opts, c.Label())
		if c.DeliveryID == want {
			sel = len(opts) - 1
		}
	}
	svc := s.Service.SelectedIndex()
	s.Courier.SetOptions(opts)
	s.Courier.SetSelectedIndex(sel)
	if svc >= 0 && svc < len(s.Service.Options) {
		s.Service.SetSelectedIndex(svc)
	}
}

// courierChosen offers the chosen courier's services.
func (s *BatchScreen) courierChosen() {
	i := s.Courier.SelectedIndex()
	if i <= 0 || i > len(s.couriers) {
		s.Service.SetOptions(nil)
		s.Service.ClearSelected()
		s.Service.Disable()
		return
	}
	c := s.couriers[i-1]
	var opts []string
	for j := range c.Services {
		opts = append(opts, serviceLabel(c.Services, j))
	}
	s.Service.Enable()
	s.Service.SetOptions(opts)
	if len(opts) > 0 {
		s.Service.SetSelectedIndex(0)
	}
}

// courier is the chosen courier's delivery_id, "" for the file's own.
func (s *BatchScreen) courier() string {
	i := s.Courier.SelectedIndex()
	if i <= 0 || i > len(s.couriers) {
		return ""
	}
	return s.couriers[i-1].DeliveryID
}

// courierDefault is the courier and service for rows that name none.
func (s *BatchScreen) courierDefault() batch.CourierDefault {
	i := s.Courier.SelectedIndex()
	if i <= 0 || i > len(s.couriers) {
		return batch.CourierDefault{}
	}
	c := s.couriers[i-1]
	d := batch.CourierDefault{DeliveryID: c.DeliveryID}
	if j := s.Service.SelectedIndex(); j >= 0 && j < len(c.Services) {
		t := c.Services[j].ServiceType
		d.ServiceType = &t
	}
	return d
}

// sender is the New order form's sender, the station's own, used for rows
// when it is complete; the stored default_sender otherwise.
func (s *BatchScreen) sender() *wxapi.Contact {
	c := s.m.NewOrder.Sender.Contact()
	if c.Name == "" || (c.Mobile == "" && c.Tel == "") || c.Address == "" || c.City == "" {
		return nil
	}
	return &c
}

// loadPrinters fills the printer picker.
func (s *BatchScreen) loadPrinters() {
	s.m.printerRecords(func(list []queue.Printer, err error) {
		if err != nil {
			return
		}
		want := s.m.App.Preferences().String(prefBatchPrinter)
		s.printers = fillPrinterPicker(s.Printer, list, want, func(p queue.Printer) string { return p.Name })
	})
}

// updatePrintTo tells a running import where labels go now.
func (s *BatchScreen) updatePrintTo() {
	if !s.Print.Checked {
		s.printTo.Store(nil)
		return
	}
	p := s.printer()
	s.printTo.Store(&p)
}

func (s *BatchScreen) printer() string {
	i := s.Printer.SelectedIndex()
	if i <= 0 || i > len(s.printers) {
		return ""
	}
	return s.printers[i-1]
}

func (s *BatchScreen) updateButtons() {
	has := s.Plan != nil && s.Plan.Orders() > 0
	set := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	set(s.Open, !s.running)
	set(s.Start, has && !s.running && s.Report == nil)
	set(s.Pause, s.running)
	set(s.Stop, s.running)
	set(s.Export, s.Report != nil)
	if s.paused {
		s.Pause.SetText(lang.L("Resume"))
		s.Pause.SetIcon(theme.MediaPlayIcon())
	} else {
		s.Pause.SetText(lang.L("Pause"))
		s.Pause.SetIcon(theme.MediaPauseIcon())
	}
}

// openDialog picks the file to import.
func (s *BatchScreen) openDialog() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		path := rc.URI().Path()
		rc.Close()
		s.LoadFile(path)
	}, s.m.Window)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".xlsx", ".jsonl", ".txt"}))
	d.Show()
}

// LoadFile previews a file: the rows, what each becomes, their errors.
func (s *BatchScreen) LoadFile(path string) {
	if s.running || s.m.s.NewImporter == nil {
		return
	}
	s.gen++
	gen := s.gen
	s.Plan, s.Report, s.im = nil, nil, nil
	s.Results, s.PrintErrors, s.Printed = map[int]batch.RowResult{}, map[int]string{}, 0
	s.Progress.SetValue(0)
	s.Rows.Refresh()
	s.Summary.Importance = widget.MediumImportance
	s.Summary.SetText(lang.L("Reading {{.File}}…", map[string]any{"File": filepath.Base(path)}))
	s.Open.Disable()
	// The hooks run on the importer's goroutines; progress posts to the UI.
	report := progress(s.m.b, func(p batch.Progress) { s.progressed(gen, p) })
	printed := progress(s.m.b, func(r printOutcome) { s.printedRow(gen, r) })
	newImporter, q := s.m.s.NewImporter, s.m.s.Printing
	s.updatePrintTo()
	defaults := batch.Defaults{Sender: s.sender(), Courier: s.courierDefault()}
	type loaded struct {
		im   *batch.Importer
		plan *batch.Plan
	}
	background(s.m.b, courierTimeout+localTimeout, func(ctx context.Context) (loaded, error) {
		im, err := newImporter(ctx, batch.Options{
			Defaults: defaults,
			Progress: report,
			OnPlaced: func(r batch.RowResult) {
				printer := s.printTo.Load()
				if q == nil || printer == nil {
					return
				}
				// In file order: labels come out in the order of the file.
				ctx, cancel := context.WithTimeout(context.Background(), localTimeout)
				defer cancel()
				j, err := q.Submit(ctx, queue.Request{Order: r.OrderID, Printer: *printer})
				printed(printOutcome{row: r.Row, job: j, err: err})
			},
		})
		if err != nil {
			return loaded{}, err
		}
		plan, err := im.PreviewFile(ctx, path)
		return loaded{im, plan}, err
	}, func(l loaded, err error) {
		if gen != s.gen {
			return
		}
		s.Open.Enable()
		if err != nil {
			s.Summary.Importance = widget.DangerImportance
			s.Summary.SetText(lang.L("Could not read the file") + ": " + err.Error())
			s.updateButtons()
			return
		}
		s.im, s.Plan = l.im, l.plan
		s.rowIndex = map[int]int{}
		for i, r := range l.plan.Rows {
			s.rowIndex[r.Row] = i
		}
		s.Rows.Refresh()
		s.Summary.SetText(s.planSummary())
		if l.plan.Invalid() > 0 {
			s.Summary.Importance = widget.WarningImportance
		}
		s.Summary.Refresh()
		s.updateButtons()
	})
}

// printOutcome is one placed order's label queued (or not).
type printOutcome struct {
	row int
	job queue.Job
	err error
}

func (s *BatchScreen) planSummary() string {
	p := s.Plan
	existing := 0
	for _, r := range p.Rows {
		if r.Existing != "" {
			existing++
		}
	}
	return lang.L("{{.File}}: {{.Rows}} rows, {{.Orders}} orders to place, {{.Invalid}} rows with errors (not sent), {{.Existing}} already in the history.",
		map[string]any{"File": p.File, "Rows": len(p.Rows), "Orders": p.Orders(), "Invalid": p.Invalid(), "Existing": existing})
}

// run places the plan's valid orders.
func (s *BatchScreen) run() {
	if s.Plan == nil || s.im == nil || s.running || s.Report != nil {
		return
	}
	s.running, s.paused = true, false
	s.Progress.Max = float64(max(s.Plan.Orders(), 1))
	s.Progress.SetValue(0)
	s.Summary.Importance = widget.MediumImportance
	s.Summary.SetText(lang.L("Placing {{.N}} orders…", map[string]any{"N": s.Plan.Orders()}))
	s.updateButtons()
	gen, im, plan := s.gen, s.im, s.Plan
	ctx, cancel := context.WithCancel(s.m.b.ctx)
	s.cancel = cancel
	background(s.m.b, batchTimeout, func(bctx context.Context) (*batch.Report, error) {
		// Stop cancels ctx; closing the window cancels bctx.
		stop := context.AfterFunc(bctx, cancel)
		defer stop()
		return im.Run(ctx, plan)
	}, func(rep *batch.Report, err error) {
		cancel()
		if gen != s.gen {
			return
		}
		s.running, s.paused, s.cancel = false, false, nil
		s.Report = rep
		if rep != nil {
			for _, r := range rep.Results {
				s.Results[r.Row] = r
			}
		}
		s.Rows.Refresh()
		s.updateButtons()
		if err != nil {
			s.Summary.Importance = widget.DangerImportance
			s.Summary.SetText(lang.L("The import could not be recorded") + ": " + err.Error())
			return
		}
		s.Summary.Importance = widget.SuccessImportance
		if rep.Counts.Failed+rep.Counts.Unknown+rep.Counts.Invalid+rep.Counts.NotSent > 0 {
			s.Summary.Importance = widget.WarningImportance
		}
		s.Summary.SetText(s.reportSummary(rep))
		s.m.Orders.Refresh()
		s.m.LoadCouriers(true) // the quota changed
	})
}

func (s *BatchScreen) reportSummary(rep *batch.Report) string {
	c := rep.Counts
	text := lang.L("Done in {{.Time}}: {{.Placed}} placed, {{.Skipped}} already placed, {{.Failed}} refused, {{.Unknown}} unknown (kept as submitting), {{.Invalid}} with errors, {{.NotSent}} not sent.",
		map[string]any{"Time": rep.Elapsed.Round(time.Second / 10), "Placed": c.Placed, "Skipped": c.Skipped, "Failed": c.Failed,
			"Unknown": c.Unknown, "Invalid": c.Invalid, "NotSent": c.NotSent})
	if rep.Cancelled {
		text = lang.L("Stopped.") + " " + text
	}
	if s.Print.Checked {
		text += " " + lang.L("{{.N}} labels sent to the printer queue.", map[string]any{"N": s.Printed})
		if n := len(s.PrintErrors); n > 0 {
			text += " " + lang.L("{{.N}} labels could not be queued: see the rows.", map[string]any{"N": n})
		}
	}
	return text
}

// progressed shows one finished order.
func (s *BatchScreen) progressed(gen int, p batch.Progress) {
	if gen != s.gen {
		return
	}
	s.Results[p.Result.Row] = p.Result
	s.Progress.Max = float64(max(p.Total, 1))
	s.Progress.SetValue(float64(p.Done))
	if i, ok := s.rowIndex[p.Result.Row]; ok {
		s.Rows.RefreshItem(i)
	}
	if !s.paused {
		s.Summary.SetText(lang.L("Placing: {{.Done}} of {{.Total}} orders done…", map[string]any{"Done": p.Done, "Total": p.Total}))
	}
}

func (s *BatchScreen) printedRow(gen int, r printOutcome) {
	if gen != s.gen {
		return
	}
	if r.err != nil {
		s.PrintErrors[r.row] = printFailureText(r.err, "")
	} else {
		s.Printed++
	}
	if i, ok := s.rowIndex[r.row]; ok {
		s.Rows.RefreshItem(i)
	}
}

// togglePause pauses or resumes the run: orders in flight finish.
func (s *BatchScreen) togglePause() {
	if !s.running || s.im == nil {
		return
	}
	if s.paused {
		s.im.Resume()
		s.paused = false
		s.Summary.SetText(lang.L("Resumed."))
	} else {
		s.im.Pause()
		s.paused = true
		s.Summary.SetText(lang.L("Paused: the orders already sent finish; nothing more is sent until you resume."))
	}
	s.updateButtons()
}

// Paused reports whether the run is paused.
func (s *BatchScreen) Paused() bool { return s.paused }

// Running reports whether a run is going on.
func (s *BatchScreen) Running() bool { return s.running }

// stopRun cancels the orders not sent yet.
func (s *BatchScreen) stopRun() {
	if s.cancel != nil {
		if s.paused {
			s.im.Resume() // a paused gate must open for the workers to see the cancel
		}
		s.cancel()
		s.Summary.SetText(lang.L("Stopping: the orders already sent finish…"))
	}
}

// stop is called when the window closes.
func (s *BatchScreen) stop() {
	if s.cancel != nil {
		s.cancel()
	}
}

func (s *BatchScreen) rowCount() int {
	if s.Plan == nil {
		return 0
	}
	return len(s.Plan.Rows)
}

func newBatchRow() fyne.CanvasObject {
	cells := make([]fyne.CanvasObject, len(batchColumns))
	for i := range cells {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		cells[i] = l
	}
	return container.New(&columns{batchColumns}, cells...)
}

// rowView is what one row shows.
func (s *BatchScreen) rowView(i int) (cells [6]string, imp widget.Importance) {
	r := s.Plan.Rows[i]
	cells[0] = fmt.Sprint(r.Row)
	cells[1] = r.OrderID
	imp = widget.MediumImportance
	if r.Request != nil {
		cells[2] = strings.TrimSpace(r.Request.Receiver.Name + " " + r.Request.Receiver.City)
		cells[3] = r.Request.DeliveryID
	}
	switch {
	case !r.OK():
		cells[4] = lang.L("Error")
		var msgs []string
		for _, e := range r.Errors {
			msgs = append(msgs, e.Error())
		}
		cells[5] = strings.Join(msgs, "; ")
		imp = widget.DangerImportance
	case r.MergedInto != 0:
		cells[4] = lang.L("Merged")
		cells[5] = lang.L("goods join row {{.Row}}", map[string]any{"Row": r.MergedInto})
	case r.Existing != "":
		cells[4] = lang.L("In history")
		cells[5] = r.Existing
	default:
		cells[4] = lang.L("Ready")
	}
	if res, ok := s.Results[r.Row]; ok && res.Status != batch.StatusInvalid {
		cells[4] = resultText(res.Status)
		cells[5] = res.Detail()
		switch {
		case res.OK():
			imp = widget.SuccessImportance
		case res.Status == batch.StatusSubmitting || res.Status == batch.StatusNotSent:
			imp = widget.WarningImportance
		default:
			imp = widget.DangerImportance
		}
		if res.ErrCode != 0 {
			cells[5] = fmt.Sprintf("errcode %d %s", res.ErrCode, cells[5])
		}
		if msg, bad := s.PrintErrors[r.Row]; bad {
			cells[5] += " · " + lang.L("label not printed") + ": " + msg
			imp = widget.WarningImportance
		}
	}
	return cells, imp
}

func (s *BatchScreen) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if s.Plan == nil || id < 0 || id >= len(s.Plan.Rows) {
		return
	}
	cells, imp := s.rowView(id)
	objs := o.(*fyne.Container).Objects
	for i, c := range cells {
		l := objs[i].(*widget.Label)
		want := widget.MediumImportance
		if i >= 4 {
			want = imp
		}
		if l.Text != c || l.Importance != want {
			l.Importance = want
			l.SetText(c)
		}
	}
}

// RowText is what row i shows, its cells joined by " | ", for tests.
func (s *BatchScreen) RowText(i int) string {
	cells, _ := s.rowView(i)
	return strings.Join(cells[:], " | ")
}

// resultText is a row outcome in the UI language.
func resultText(st batch.Status) string {
	switch st {
	case batch.StatusPlaced:
		return lang.L("Placed")
	case batch.StatusAlreadyPlaced:
		return lang.L("Already placed")
	case batch.StatusInvalid:
		return lang.L("Error")
	case batch.StatusFailed:
		return lang.L("Refused")
	case batch.StatusSubmitting:
		return lang.L("Unknown")
	case batch.StatusNotSent:
		return lang.L("Not sent")
	}
	return string(st)
}

// ExportResults writes the per-row results as CSV (UTF-8 with a BOM).
func (s *BatchScreen) ExportResults(w io.Writer) error {
	if s.Report == nil {
		return fmt.Errorf("no results yet")
	}
	return batch.WriteResultsCSV(w, s.Report.Results)
}

// exportDialog asks where to save the results.
func (s *BatchScreen) exportDialog() {
	if s.Report == nil {
		return
	}
	results := s.Report.Results
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		background(s.m.b, localTimeout, func(ctx context.Context) (string, error) {
			werr := batch.WriteResultsCSV(wc, results)
			if cerr := wc.Close(); werr == nil {
				werr = cerr
			}
			return wc.URI().Path(), werr
		}, func(path string, err error) {
			if err != nil {
				dialog.ShowError(err, s.m.Window)
				return
			}
			s.Summary.SetText(s.Summary.Text + "\n" + lang.L("Results saved to {{.Path}}", map[string]any{"Path": path}))
		})
	}, s.m.Window)
	name := "results.csv"
	if s.Plan != nil {
		name = strings.TrimSuffix(s.Plan.File, filepath.Ext(s.Plan.File)) + "-results.csv"
	}
	d.SetFileName(name)
	d.Show()
}

// templateDialog saves the import template.
func (s *BatchScreen) templateDialog() {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		werr := batch.WriteTemplate(wc)
		if cerr := wc.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			dialog.ShowError(werr, s.m.Window)
		}
	}, s.m.Window)
	d.SetFileName("waybilldesk-import.csv")
	d.Show()
}
