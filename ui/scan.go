package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/printing/output"
	"waybilldesk/printing/queue"
	"waybilldesk/store"
)

// prefScanPrinter keeps the station's printer ("" = each courier's default).
const prefScanPrinter = "scan.printer"

// recentScans is how many scans the list under the result keeps.
const recentScans = 50

// The result colours: the flash is the signal an operator sees from the
// corner of an eye, so they are strong and the text on them is white.
var (
	scanGreen   = color.NRGBA{R: 0x1B, G: 0x8A, B: 0x3A, A: 0xFF}
	scanRed     = color.NRGBA{R: 0xC6, G: 0x28, B: 0x28, A: 0xFF}
	scanAmber   = color.NRGBA{R: 0xE0, G: 0x8E, B: 0x00, A: 0xFF}
	scanGrey    = color.NRGBA{R: 0x60, G: 0x64, B: 0x6B, A: 0xFF}
	scanOnColor = color.White
)

// Scan outcomes, as the result panel and the list show them.
const (
	scanPending = iota
	scanOK
	scanFailed
	scanWarning // nothing went wrong, nothing was printed: already in the queue
)

// ScanScreen is the "扫描台" tab of a packing station: one big field that a
// barcode scanner types into and ends with Enter. A scanned order number,
// shop trade number or waybill id finds the order and prints its label on
// the station's printer; a draft with that number is placed first. The
// result shows large, green or red with the reason, with a beep, and the
// field is ready for the next parcel at once.
type ScanScreen struct {
	// Entry is the scan field; Enter scans, Esc clears. It keeps the focus.
	Entry *ScanEntry
	// Printer is the station's printer; the first option means "the
	// courier's default printer".
	Printer *widget.Select
	// PrinterState says whether the chosen printer can print, asked when
	// the station is shown, when a printer is chosen, after a failed
	// print and with CheckPrinter; hidden for "the courier's default".
	PrinterState *widget.Label
	CheckPrinter *widget.Button
	// Flash is the result panel's colour, Headline its big text and Reason
	// the explanation under it.
	Flash    *canvas.Rectangle
	Headline *canvas.Text
	Reason   *widget.Label
	// Count is the running count of this session's scans.
	Count *widget.Label
	// Recent lists the last scans, newest first.
	Recent *widget.List
	// ResetCount sets the count back to zero (a new shift).
	ResetCount *widget.Button
	Content    fyne.CanvasObject

	// Printed and Failed are the counts shown.
	Printed, Failed int

	m        *Main
	seq      int // numbers the scans; the panel shows the latest one's result
	shown    int
	outcome  int
	items    []*scanItem // newest first
	printers []string    // printer names behind Printer's options[1:]
	inFlight int
}

// scanItem is one scan in the list.
type scanItem struct {
	seq     int
	at      time.Time
	code    string
	outcome int
	text    string
}

// ScanEntry is the scan field: an Entry that clears on Esc.
type ScanEntry struct {
	widget.Entry
}

func newScanEntry() *ScanEntry {
	e := &ScanEntry{}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey clears the field on Esc; everything else is the Entry's.
func (e *ScanEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.SetText("")
		return
	}
	e.Entry.TypedKey(k)
}

// bigText is the theme of the scan field: text large enough to read at
// arm's length while holding a parcel.
type bigText struct{ fyne.Theme }

func (t bigText) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameText {
		return 30
	}
	return t.Theme.Size(n)
}

func newScanScreen(m *Main) *ScanScreen {
	s := &ScanScreen{m: m}
	s.Entry = newScanEntry()
	s.Entry.PlaceHolder = lang.L("Scan an order no., trade no. or waybill")
	s.Entry.OnSubmitted = s.scan

	s.PrinterState = widget.NewLabel("")
	s.PrinterState.Truncation = fyne.TextTruncateEllipsis
	s.PrinterState.Hide()
	s.CheckPrinter = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { s.checkPrinter(); s.focus() })
	s.CheckPrinter.Hide()
	s.Printer = widget.NewSelect([]string{lang.L("Courier's default printer")}, func(string) { s.printerChosen() })
	s.Printer.SetSelectedIndex(0)

	s.Flash = canvas.NewRectangle(scanGrey)
	s.Flash.CornerRadius = 8
	s.Flash.SetMinSize(fyne.NewSize(0, 150))
	s.Headline = canvas.NewText(lang.L("Ready to scan"), scanOnColor)
	s.Headline.TextSize = 44
	s.Headline.TextStyle = fyne.TextStyle{Bold: true}
	s.Headline.Alignment = fyne.TextAlignCenter
	s.Reason = widget.NewLabel(lang.L("Scan a parcel's order number, shop trade number or waybill: its label prints at once. Esc clears the field."))
	s.Reason.Wrapping = fyne.TextWrapWord
	s.Reason.Alignment = fyne.TextAlignCenter

	s.Count = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.ResetCount = widget.NewButtonWithIcon(lang.L("Reset count"), theme.ViewRefreshIcon(), func() {
		s.Printed, s.Failed = 0, 0
		s.updateCount()
		s.focus()
	})
	s.updateCount()

	s.Recent = widget.NewList(func() int { return len(s.items) }, newScanRow, s.updateScanRow)
	s.Recent.OnSelected = func(widget.ListItemID) {
		s.Recent.UnselectAll()
		s.focus() // the list never keeps the focus: the next scan must land in the field
	}

	field := container.NewThemeOverride(s.Entry, bigText{theme.DefaultTheme()})
	panel := container.NewStack(s.Flash, container.NewCenter(s.Headline))
	top := container.NewVBox(
		container.NewBorder(nil, nil, fieldLabel(lang.L("Station printer")), container.NewHBox(s.Count, s.ResetCount),
			container.NewBorder(nil, nil, container.New(&fixedWidth{320}, s.Printer), s.CheckPrinter, s.PrinterState)),
		field,
		panel,
		s.Reason,
		heading(lang.L("Recent scans")),
	)
	s.Content = container.NewBorder(top, nil, nil, nil, s.Recent)
	return s
}

// selected is called when the tab is shown: the field takes the focus.
func (s *ScanScreen) selected() {
	s.focus()
	s.loadPrinters()
}

// focus puts the cursor in the scan field, where the scanner types, while
// the scan station is the tab shown (a result arriving later must not
// take the focus from another screen).
func (s *ScanScreen) focus() {
	if t := s.m.Tabs; t != nil && t.Selected() != nil && t.Selected().Content != s.Content {
		return
	}
	if c := s.m.Window.Canvas(); c != nil {
		c.Focus(s.Entry)
	}
}

// loadPrinters fills the station printer picker with the printer records.
func (s *ScanScreen) loadPrinters() {
	s.m.printerRecords(func(list []queue.Printer, err error) {
		if err != nil {
			return // the picker keeps "courier's default"; a scan says what is wrong
		}
		want := s.m.App.Preferences().String(prefScanPrinter)
		s.Printer.OnChanged = func(string) { s.printerChosen() }
		s.printers = fillPrinterPicker(s.Printer, list, want, func(p queue.Printer) string { return p.Name + " · " + p.Address })
		s.checkPrinter()
	})
}

func (s *ScanScreen) printerChosen() {
	s.m.App.Preferences().SetString(prefScanPrinter, s.printer())
	s.checkPrinter()
	s.focus()
}

// checkPrinter asks the station printer how it is and shows the answer
// beside the picker, so an operator sees a printer that is off or out of
// paper before scanning, not after.
func (s *ScanScreen) checkPrinter() {
	q, name := s.m.s.Printing, s.printer()
	if q == nil || name == "" {
		s.PrinterState.Hide()
		s.CheckPrinter.Hide()
		return
	}
	s.CheckPrinter.Show()
	showMessage(s.PrinterState, widget.MediumImportance, lang.L("Asking the printer…"))
	background(s.m.b, localTimeout, func(ctx context.Context) (output.State, error) {
		return q.Status(ctx, name)
	}, func(st output.State, err error) {
		if s.printer() != name {
			return // another printer was chosen meanwhile
		}
		switch {
		case err != nil:
			showMessage(s.PrinterState, widget.DangerImportance, "● "+lang.L("The printer does not answer")+": "+err.Error())
		case !st.CanPrint():
			showMessage(s.PrinterState, widget.DangerImportance, "● "+lang.L("Printer status")+": "+st.String())
		default:
			showMessage(s.PrinterState, widget.SuccessImportance, "● "+lang.L("Ready to print"))
		}
	})
}

// printer is the chosen station printer's name, "" for the courier's default.
func (s *ScanScreen) printer() string {
	i := s.Printer.SelectedIndex()
	if i <= 0 || i > len(s.printers) {
		return ""
	}
	return s.printers[i-1]
}

// scanOutcome is what a scan brings back to the UI thread; it is worded
// there.
type scanOutcome struct {
	code    string
	order   *orders.Order
	drafted bool // placed now from a draft
	job     queue.Job
	before  int  // labels of the order printed before this scan
	already bool // a job of the order was still unfinished: not printed twice
	stage   string
}

// scan runs when the scanner sends Enter.
func (s *ScanScreen) scan(text string) {
	code := strings.TrimSpace(normalizeDigits(text))
	s.Entry.SetText("")
	s.focus()
	if code == "" {
		return
	}
	s.seq++
	seq := s.seq
	item := &scanItem{seq: seq, at: time.Now(), code: code, outcome: scanPending, text: lang.L("Working…")}
	s.items = append([]*scanItem{item}, s.items...)
	if len(s.items) > recentScans {
		s.items = s.items[:recentScans]
	}
	s.Recent.Refresh()
	s.show(seq, scanPending, code, lang.L("Looking up and printing…"))
	svc, q, printer := s.m.s.Orders, s.m.s.Printing, s.printer()
	if svc == nil || q == nil {
		s.finish(item, scanOutcome{code: code}, errors.New(lang.L("Printing is not available in this window.")))
		return
	}
	s.inFlight++
	background(s.m.b, printTimeout, func(ctx context.Context) (scanOutcome, error) {
		return scanAndPrint(ctx, svc, q, code, printer)
	}, func(out scanOutcome, err error) {
		s.inFlight--
		s.finish(item, out, err)
	})
}

// errNoOrder is a scan that matches no order, waybill or draft.
var errNoOrder = errors.New("no order, waybill or draft with that number")

// errNotPrintable is an order without a label (failed, cancelled, submitting).
var errNotPrintable = errors.New("the order has no label to print")

// scanAndPrint finds (or places) the order and prints it, waiting until
// the printer took the label. It runs off the UI thread.
func scanAndPrint(ctx context.Context, svc *orders.Service, q *queue.Queue, code, printer string) (scanOutcome, error) {
	out := scanOutcome{code: code, stage: "find"}
	o, err := svc.Find(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		out.stage = "place"
		o, err = svc.PlaceDraft(ctx, code)
		if errors.Is(err, orders.ErrNoDraft) {
			return out, errNoOrder
		}
		out.drafted = true
	}
	out.order = o
	if err == nil && o.Status == orders.StatusSubmitting {
		// WeChat's answer for it was lost: ask WeChat now rather than
		// turn the parcel away; a waybill found prints at once.
		out.stage = "check"
		if checked, cerr := svc.Check(ctx, o.OrderID); checked != nil {
			o, out.order, err = checked, checked, cerr
		} else {
			err = cerr
		}
	}
	if err != nil {
		return out, err
	}
	if o.Status != orders.StatusPlaced || o.WaybillID == "" {
		return out, errNotPrintable
	}
	out.stage = "print"
	if done, err := q.Jobs(ctx, store.PrintJobQuery{OrderID: o.OrderID, State: queue.StateDone, Limit: 100}); err == nil {
		out.before = len(done)
	}
	j, err := q.Submit(ctx, queue.Request{Order: o.OrderID, Printer: printer})
	if errors.Is(err, queue.ErrAlreadyQueued) {
		out.already, out.job = true, j
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.job = j
	j, err = q.Wait(ctx, j.ID)
	out.job = j
	if err != nil {
		return out, err
	}
	return out, nil
}

// finish words a scan's outcome, flashes it, beeps and counts it.
func (s *ScanScreen) finish(item *scanItem, out scanOutcome, err error) {
	outcome, head, reason := s.word(out, err)
	item.outcome, item.text = outcome, head+" — "+reason
	if out.order != nil && out.order.WaybillID != "" && item.code != out.order.WaybillID {
		item.text = out.order.WaybillID + "  " + item.text
	}
	switch outcome {
	case scanOK:
		s.Printed++
	default:
		s.Failed++
	}
	s.updateCount()
	s.Recent.Refresh()
	if item.seq >= s.shown {
		s.show(item.seq, outcome, head, reason)
	}
	if outcome == scanFailed && s.printer() != "" {
		s.checkPrinter() // the failure may be the printer's: say how it is now
	}
	playBeep(outcome == scanOK)
	s.focus()
}

// word turns a scan's outcome into the headline and the reason.
func (s *ScanScreen) word(out scanOutcome, err error) (outcome int, head, reason string) {
	o := out.order
	who := ""
	if o != nil {
		who = strings.TrimSpace(o.ReceiverName + " " + orders.MaskPhone(o.ReceiverPhone))
	}
	switch {
	case err == nil && out.already:
		return scanWarning, lang.L("Already printing"),
			lang.L("{{.Code}} is already in the print queue (job {{.Job}}, {{.State}}): not printed twice.",
				map[string]any{"Code": out.code, "Job": out.job.ID, "State": jobStateText(out.job.State)})
	case err == nil && out.job.State == queue.StateDone:
		head = lang.L("Printed") + " " + o.WaybillID
		reason = lang.L("{{.Who}} · on {{.Printer}}", map[string]any{"Who": who, "Printer": out.job.Printer})
		if out.drafted {
			reason = lang.L("Draft placed with {{.Courier}}.", map[string]any{"Courier": s.m.courierName(o.DeliveryID)}) + " " + reason
		}
		if out.before > 0 {
			reason += " · " + lang.L("printed {{.N}} time(s) before", map[string]any{"N": out.before})
		}
		return scanOK, head, reason
	case err == nil:
		// Wait returned a final job that is not done: it failed.
		return scanFailed, lang.L("Not printed"), lang.L("Printer {{.Printer}}: {{.Reason}}",
			map[string]any{"Printer": out.job.Printer, "Reason": out.job.Reason}) + " " + lang.L("Fix the printer, then scan again or retry the job in Orders.")
	case errors.Is(err, orders.ErrPending):
		return scanWarning, lang.L("Outcome unknown"), lang.L("Order {{.Order}}", map[string]any{"Order": o.OrderID}) + ": " + pendingText(err)
	case errors.Is(err, errNoOrder):
		return scanFailed, lang.L("Not found"), lang.L("No order, waybill or draft has the number {{.Code}}. Check that it is this shop's parcel.", map[string]any{"Code": out.code})
	case errors.Is(err, errNotPrintable):
		r := lang.L("Order {{.Order}} is {{.Status}}: it has no label to print.", map[string]any{"Order": o.OrderID, "Status": statusText(o.Status)})
		if o.ErrorCode != 0 {
			r += fmt.Sprintf(" (errcode %d %s)", o.ErrorCode, o.ErrorMsg)
		}
		return scanFailed, lang.L("No label"), r
	case out.stage == "place" || out.stage == "find" || out.stage == "check":
		head = lang.L("Not placed")
		if out.stage != "place" {
			head = lang.L("Lookup failed")
		}
		return scanFailed, head, failureText(err)
	}
	return scanFailed, lang.L("Not printed"), printFailureText(err, s.m.courierName(deliveryOf(o)))
}

func deliveryOf(o *orders.Order) string {
	if o == nil {
		return ""
	}
	return o.DeliveryID
}

// printFailureText explains why a label could not be queued or printed.
func printFailureText(err error, courier string) string {
	switch {
	case errors.Is(err, queue.ErrNoPrinter):
		return lang.L("No printer: choose the station printer, or make a printer the default for {{.Courier}} in Printers.", map[string]any{"Courier": courier})
	case errors.Is(err, store.ErrNotFound):
		return lang.L("The chosen printer no longer exists: choose another in Printers.") + " (" + err.Error() + ")"
	case errors.Is(err, queue.ErrQueueFull):
		return lang.L("The printer has too many labels waiting: check that it is on and has paper.")
	case errors.Is(err, queue.ErrInvalidPrinter):
		return lang.L("The printer settings are wrong: correct them in Printers.") + " (" + err.Error() + ")"
	case errors.Is(err, context.DeadlineExceeded):
		return lang.L("The printer did not finish in time: check that it is on, has paper and is not paused; the job is kept in Orders.")
	}
	return failureText(err)
}

// show sets the result panel.
func (s *ScanScreen) show(seq, outcome int, head, reason string) {
	s.shown, s.outcome = seq, outcome
	s.Flash.FillColor = outcomeColor(outcome)
	s.Flash.Refresh()
	s.Headline.Text = head
	s.Headline.Refresh()
	s.Reason.SetText(reason)
	s.Reason.Importance = widget.MediumImportance
	if outcome == scanFailed {
		s.Reason.Importance = widget.DangerImportance
	}
	s.Reason.Refresh()
}

func outcomeColor(outcome int) color.Color {
	switch outcome {
	case scanOK:
		return scanGreen
	case scanFailed:
		return scanRed
	case scanWarning:
		return scanAmber
	}
	return scanGrey
}

func (s *ScanScreen) updateCount() {
	s.Count.SetText(lang.L("Printed {{.OK}} · problems {{.Failed}}", map[string]any{"OK": s.Printed, "Failed": s.Failed}))
}

// Outcome is the colour the result panel shows: "green", "red", "amber"
// or "grey" while working; for tests and screen readers.
func (s *ScanScreen) Outcome() string {
	switch s.outcome {
	case scanOK:
		return "green"
	case scanFailed:
		return "red"
	case scanWarning:
		return "amber"
	}
	return "grey"
}

// Busy reports whether scans are still being worked on.
func (s *ScanScreen) Busy() bool { return s.inFlight > 0 }

func newScanRow() fyne.CanvasObject {
	dot := canvas.NewCircle(scanGrey)
	at := widget.NewLabel("00:00:00")
	code := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	text := widget.NewLabel("")
	text.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(nil, nil,
		container.NewHBox(container.New(&fixedWidth{14}, container.NewCenter(sized(dot, 12))), at, container.New(&fixedWidth{220}, code)),
		nil, text)
}

// sized gives a canvas object a minimum size.
func sized(o *canvas.Circle, px float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(px, px))
	return container.NewStack(r, o)
}

func (s *ScanScreen) updateScanRow(id widget.ListItemID, obj fyne.CanvasObject) {
	if id < 0 || id >= len(s.items) {
		return
	}
	it := s.items[id]
	b := obj.(*fyne.Container)
	left := b.Objects[1].(*fyne.Container)
	dot := left.Objects[0].(*fyne.Container).Objects[0].(*fyne.Container).Objects[0].(*fyne.Container).Objects[1].(*canvas.Circle)
	dot.FillColor = outcomeColor(it.outcome)
	dot.Refresh()
	left.Objects[1].(*widget.Label).SetText(it.at.Format("15:04:05"))
	left.Objects[2].(*fyne.Container).Objects[0].(*widget.Label).SetText(it.code)
	text := b.Objects[0].(*widget.Label)
	text.Importance = widget.MediumImportance
	if it.outcome == scanFailed {
		text.Importance = widget.DangerImportance
	}
	text.SetText(it.text)
}

// RecentText returns the list's lines, newest first, for tests.
func (s *ScanScreen) RecentText() []string {
	out := make([]string, len(s.items))
	for i, it := range s.items {
		out[i] = it.code + " " + it.text
	}
	return out
}
