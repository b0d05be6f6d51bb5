package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/printing"
	"waybilldesk/printing/output"
	"waybilldesk/printing/queue"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// printerKinds are the kind picker's choices, in the order shown.
var printerKinds = []struct {
	label string
	kind  queue.Kind
}{
	{"Network label printer (TCP 9100)", queue.KindRaw},
	{"System printer (CUPS)", queue.KindCUPS},
	{"Windows printer", queue.KindWindows},
	{"PDF files in a folder", queue.KindPDF},
}

// printerLanguages are the language picker's choices.
var printerLanguages = []struct {
	label string
	lang  queue.Language
}{
	{"TSPL (Gprinter, Xprinter, TSC, HPRT, Deli)", queue.LangTSPL},
	{"ZPL (Zebra)", queue.LangZPL},
	{"ESC/POS (receipt printers)", queue.LangESCPOS},
	{"PDF (office printers, files)", queue.LangPDF},
}

var (
	printerDPIs    = []string{"203", "300", "600"}
	printerRotates = []string{"0", "90", "180", "270"}
	labelSizes     = []string{printing.Size100x180.String(), printing.Size100x150.String(), printing.Size76x130.String(), printing.Size100x100.String()}
)

// PrintersScreen is the "打印机" tab: the printer records (network label
// printers, system and Windows printers, PDF folders) with their language,
// resolution, label size and offsets, the default printer of each
// courier, a test print and a status check; and WeChat's list of printer
// operators (打印员) who may print from WeChat's PC software.
type PrintersScreen struct {
	// List shows the printer records; New starts an empty form.
	List *widget.List
	New  *widget.Button
	// The form of the chosen (or new) printer.
	Name                         *FormEntry
	Kind                         *widget.Select
	Address                      *FormEntry
	System                       *widget.Select // system printers found, to fill Address
	Language                     *widget.Select
	DPI                          *widget.Select
	Size                         *widget.SelectEntry
	OffsetX, OffsetY             *FormEntry
	Rotate                       *widget.Select
	Couriers                     *widget.CheckGroup // the couriers this printer is the default for
	Save, Delete, Test, CheckNow *widget.Button
	// Message is the outcome of the last action, in red when it failed.
	Message *widget.Label

	// Operators lists the WeChat printer operators' openids; OperatorID
	// and OperatorTags take a new one, AddOperator binds it.
	Operators      *fyne.Container
	OperatorID     *FormEntry
	OperatorTags   *FormEntry
	AddOperator    *widget.Button
	LoadOperators  *widget.Button
	OperatorsMsg   *widget.Label
	OperatorOpenID []string

	Tabs    *container.AppTabs
	Content fyne.CanvasObject

	// Records are the printers shown in List.
	Records []queue.Printer

	m          *Main
	editing    string   // name of the record in the form; "" for a new one
	couriers   []string // delivery_ids behind Couriers' options
	labels     map[string]string
	sysLoaded  bool
	busy       bool
	opsLoaded  bool
	systemList []output.State
}

func newPrintersScreen(m *Main) *PrintersScreen {
	s := &PrintersScreen{m: m, labels: map[string]string{}}
	s.List = widget.NewList(func() int { return len(s.Records) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			desc := widget.NewLabel("")
			desc.SizeName = theme.SizeNameCaptionText
			desc.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(name, desc)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < 0 || id >= len(s.Records) {
				return
			}
			p := s.Records[id]
			c := o.(*fyne.Container)
			c.Objects[0].(*widget.Label).SetText(p.Name)
			c.Objects[1].(*widget.Label).SetText(printerSummary(p))
		})
	s.List.OnSelected = func(id widget.ListItemID) {
		if id >= 0 && id < len(s.Records) {
			s.edit(s.Records[id])
		}
	}
	s.New = widget.NewButtonWithIcon(lang.L("New printer"), theme.ContentAddIcon(), func() {
		s.List.UnselectAll()
		s.edit(queue.Printer{})
	})

	s.Name = newFormEntry(lang.L("e.g. Packing table 1"))
	var kinds []string
	for _, k := range printerKinds {
		kinds = append(kinds, lang.L(k.label))
	}
	s.Kind = widget.NewSelect(kinds, func(string) { s.kindChosen() })
	s.Address = newFormEntry("192.168.1.50:9100")
	s.System = widget.NewSelect(nil, func(v string) {
		if i := s.System.SelectedIndex(); i >= 0 && i < len(s.systemList) {
			s.Address.SetText(s.systemList[i].Printer)
		}
	})
	s.System.PlaceHolder = lang.L("System printers…")
	var langs []string
	for _, l := range printerLanguages {
		langs = append(langs, lang.L(l.label))
	}
	s.Language = widget.NewSelect(langs, nil)
	s.DPI = widget.NewSelect(printerDPIs, nil)
	s.Size = widget.NewSelectEntry(labelSizes)
	s.OffsetX = newFormEntry("0")
	s.OffsetY = newFormEntry("0")
	for _, e := range []*FormEntry{s.OffsetX, s.OffsetY} {
		e.onLeave = func(t string) string {
			if _, err := parseOffset(t); err != nil {
				return err.Error()
			}
			return ""
		}
	}
	s.Rotate = widget.NewSelect(printerRotates, nil)
	s.Couriers = widget.NewCheckGroup(nil, nil)

	s.Save = widget.NewButtonWithIcon(lang.L("Save"), theme.DocumentSaveIcon(), s.save)
	s.Save.Importance = widget.HighImportance
	s.Delete = widget.NewButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), s.confirmDelete)
	s.Test = widget.NewButtonWithIcon(lang.L("Test print"), theme.DocumentPrintIcon(), s.testPrint)
	s.CheckNow = widget.NewButtonWithIcon(lang.L("Check status"), theme.QuestionIcon(), s.checkStatus)
	s.Message = widget.NewLabel("")
	s.Message.Wrapping = fyne.TextWrapWord
	s.Message.Hide()

	form := formColumn(
		headingRow(lang.L("Printer")),
		[]fyne.CanvasObject{
			fieldLabel(lang.L("Printer name")), s.Name.withError(),
			fieldLabel(lang.L("Connection")), s.Kind,
			fieldLabel(lang.L("Address")), container.NewVBox(s.Address.withError(), s.System),
			fieldLabel(lang.L("Language")), s.Language,
			fieldLabel(lang.L("Resolution dpi")), s.DPI,
			fieldLabel(lang.L("Label size mm")), s.Size,
			fieldLabel(lang.L("Offset mm (right, down)")), container.NewGridWithColumns(2, s.OffsetX.withError(), s.OffsetY.withError()),
			fieldLabel(lang.L("Rotate°")), s.Rotate,
			fieldLabel(lang.L("Default for")), s.Couriers,
		},
	)
	buttons := container.NewHBox(s.Save, s.Test, s.CheckNow, layout.NewSpacer(), s.Delete)
	right := container.NewBorder(nil, container.NewVBox(s.Message, buttons), nil, nil, container.NewVScroll(form))
	left := container.NewBorder(nil, container.NewHBox(s.New), nil, nil, s.List)
	split := container.NewHSplit(left, right)
	split.Offset = 0.3

	s.Operators = container.NewVBox()
	s.OperatorID = newFormEntry(lang.L("the operator's openid"))
	s.OperatorTags = newFormEntry(lang.L("tag ids, e.g. 123,456 (platforms only)"))
	s.AddOperator = widget.NewButtonWithIcon(lang.L("Add operator"), theme.ContentAddIcon(), func() { s.setOperator(s.OperatorID.Text, true) })
	s.LoadOperators = widget.NewButtonWithIcon(lang.L("Ask WeChat"), theme.ViewRefreshIcon(), s.loadOperators)
	s.OperatorsMsg = widget.NewLabel(lang.L("Printer operators (打印员) are the WeChat users who may print this mini program's waybills from WeChat's PC label software."))
	s.OperatorsMsg.Wrapping = fyne.TextWrapWord
	ops := container.NewBorder(
		container.NewVBox(s.OperatorsMsg,
			container.NewBorder(nil, nil, nil, container.NewHBox(s.AddOperator, s.LoadOperators),
				container.NewGridWithColumns(2, s.OperatorID.withError(), s.OperatorTags.withError()))),
		nil, nil, nil, container.NewVScroll(s.Operators))

	s.Tabs = container.NewAppTabs(
		container.NewTabItem(lang.L("Printers"), split),
		container.NewTabItem(lang.L("WeChat printer operators"), ops),
	)
	s.Tabs.OnSelected = func(t *container.TabItem) {
		if t.Content == ops && !s.opsLoaded {
			s.loadOperators()
		}
	}
	s.Content = s.Tabs
	s.edit(queue.Printer{})
	return s
}

// printerSummary is a record's one-line description in the list.
func printerSummary(p queue.Printer) string {
	parts := []string{string(p.Kind) + " " + p.Address}
	if len(p.Couriers) > 0 {
		parts = append(parts, lang.L("default for")+" "+strings.Join(p.Couriers, ","))
	}
	parts = append(parts, strings.ToUpper(string(p.Language)))
	if p.Language.Thermal() {
		parts = append(parts, fmt.Sprintf("%d dpi", p.DPI))
	}
	parts = append(parts, p.Size.String()+" mm")
	return strings.Join(parts, " · ")
}

// parseOffset reads an offset in mm, which may be negative.
func parseOffset(t string) (float64, error) {
	t = normalizeDigits(t)
	neg := strings.HasPrefix(t, "-")
	v, err := parseDecimal(strings.TrimPrefix(t, "-"))
	if neg {
		v = -v
	}
	return v, err
}

// selected loads the records (and the system printers once) when the tab
// is shown.
func (s *PrintersScreen) selected() {
	s.load("")
	if !s.sysLoaded {
		s.loadSystem()
	}
}

// load reads the printer records, then selects the one named.
func (s *PrintersScreen) load(selectName string) {
	s.m.printerRecords(func(list []queue.Printer, err error) {
		if err != nil {
			s.say(widget.DangerImportance, lang.L("Could not read the printers")+": "+err.Error())
			return
		}
		s.Records = list
		s.List.UnselectAll()
		s.List.Refresh()
		for i, p := range list {
			if p.Name == selectName {
				s.List.Select(i)
			}
		}
	})
}

// loadSystem lists the printers the system knows (CUPS, Windows).
func (s *PrintersScreen) loadSystem() {
	s.sysLoaded = true
	background(s.m.b, localTimeout, func(ctx context.Context) ([]output.State, error) {
		return output.Printers(ctx)
	}, func(list []output.State, err error) {
		s.systemList = list
		var opts []string
		for _, p := range list {
			opts = append(opts, p.String())
		}
		s.System.SetOptions(opts)
		switch {
		case err != nil:
			s.System.PlaceHolder = lang.L("No system printers found")
		case len(list) == 0:
			s.System.PlaceHolder = lang.L("The system has no printers")
		default:
			s.System.PlaceHolder = lang.L("System printers…")
		}
		s.System.Refresh()
	})
}

// setCouriers gives the form the couriers a printer can be the default for.
func (s *PrintersScreen) setCouriers(list []orders.Courier) {
	chosen := s.chosenCouriers()
	s.couriers = s.couriers[:0]
	var opts []string
	for _, c := range list {
		if !c.Usable() {
			continue
		}
		s.couriers = append(s.couriers, c.DeliveryID)
		opts = append(opts, c.Label())
		s.labels[c.DeliveryID] = c.Label()
	}
	s.Couriers.Options = opts
	s.setChosenCouriers(chosen)
}

func (s *PrintersScreen) chosenCouriers() []string {
	var out []string
	for i, o := range s.Couriers.Options {
		if slices.Contains(s.Couriers.Selected, o) && i < len(s.couriers) {
			out = append(out, s.couriers[i])
		}
	}
	return out
}

func (s *PrintersScreen) setChosenCouriers(ids []string) {
	var sel []string
	for _, id := range ids {
		if l, ok := s.labels[id]; ok {
			sel = append(sel, l)
		}
	}
	s.Couriers.SetSelected(sel)
	s.Couriers.Refresh()
}

// edit puts a record (or an empty one) into the form.
func (s *PrintersScreen) edit(p queue.Printer) {
	if p.Name != s.editing || p.Name == "" {
		s.Message.Hide() // another printer: the last outcome was about the one before
	}
	s.editing = p.Name
	if p.Kind == "" {
		p.Kind, p.Language, p.DPI, p.Size = queue.KindRaw, queue.LangTSPL, 203, printing.Size100x180
	}
	s.Name.SetText(p.Name)
	if p.Name != "" {
		s.Name.Disable() // the name keys the jobs: remove and add to rename
	} else {
		s.Name.Enable()
	}
	for i, k := range printerKinds {
		if k.kind == p.Kind {
			s.Kind.SetSelectedIndex(i)
		}
	}
	s.Address.SetText(p.Address)
	for i, l := range printerLanguages {
		if l.lang == p.Language {
			s.Language.SetSelectedIndex(i)
		}
	}
	s.DPI.SetSelected(strconv.Itoa(p.DPI))
	s.Size.SetText(p.Size.String())
	s.OffsetX.SetText(strconv.FormatFloat(p.OffsetXMM, 'f', -1, 64))
	s.OffsetY.SetText(strconv.FormatFloat(p.OffsetYMM, 'f', -1, 64))
	s.Rotate.SetSelected(strconv.Itoa(p.Rotate))
	s.setChosenCouriers(p.Couriers)
	for _, e := range []*FormEntry{s.Name, s.Address, s.OffsetX, s.OffsetY} {
		e.ClearError()
	}
	s.updateButtons()
}

func (s *PrintersScreen) updateButtons() {
	saved := s.editing != "" && !s.busy
	for _, b := range []*widget.Button{s.Delete, s.Test, s.CheckNow} {
		if saved {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if s.busy {
		s.Save.Disable()
	} else {
		s.Save.Enable()
	}
}

// kindChosen suggests the language and the address format of a kind.
func (s *PrintersScreen) kindChosen() {
	i := s.Kind.SelectedIndex()
	if i < 0 {
		return
	}
	switch printerKinds[i].kind {
	case queue.KindRaw:
		s.Address.PlaceHolder = "192.168.1.50:9100"
	case queue.KindCUPS:
		s.Address.PlaceHolder = lang.L("CUPS queue name")
	case queue.KindWindows:
		s.Address.PlaceHolder = lang.L("printer name as Windows shows it")
	case queue.KindPDF:
		s.Address.PlaceHolder = lang.L("folder for the PDF files")
		s.Language.SetSelectedIndex(len(printerLanguages) - 1)
	}
	s.Address.Refresh()
}

// form reads the form into a printer; problems are shown at the fields.
func (s *PrintersScreen) form() (queue.Printer, bool) {
	var p queue.Printer
	ok := true
	p.Name = strings.TrimSpace(s.Name.Text)
	if p.Name == "" {
		s.Name.SetError(lang.L("Required"))
		ok = false
	}
	if i := s.Kind.SelectedIndex(); i >= 0 {
		p.Kind = printerKinds[i].kind
	}
	p.Address = strings.TrimSpace(s.Address.Text)
	if p.Address == "" {
		s.Address.SetError(lang.L("Required"))
		ok = false
	}
	if i := s.Language.SelectedIndex(); i >= 0 {
		p.Language = printerLanguages[i].lang
	}
	p.DPI, _ = strconv.Atoi(s.DPI.Selected)
	size, err := printing.ParseSize(strings.ReplaceAll(normalizeDigits(s.Size.Text), "×", "x"))
	if err != nil {
		s.say(widget.DangerImportance, lang.L("Label size: type it as width x height in mm, e.g. 100x180")+" ("+err.Error()+")")
		ok = false
	}
	p.Size = size
	var errX, errY error
	p.OffsetXMM, errX = parseOffset(s.OffsetX.Text)
	p.OffsetYMM, errY = parseOffset(s.OffsetY.Text)
	for _, f := range []struct {
		e   *FormEntry
		err error
	}{{s.OffsetX, errX}, {s.OffsetY, errY}} {
		if f.err != nil {
			f.e.SetError(f.err.Error())
			ok = false
		}
	}
	p.Rotate, _ = strconv.Atoi(s.Rotate.Selected)
	p.Couriers = s.chosenCouriers()
	return p, ok
}

func (s *PrintersScreen) say(imp widget.Importance, text string) {
	showMessage(s.Message, imp, text)
}

// printerError words a printer record error.
func printerError(err error) string {
	switch {
	case errors.Is(err, queue.ErrInvalidPrinter):
		return lang.L("The printer settings are wrong") + ": " + err.Error()
	case errors.Is(err, store.ErrDuplicate):
		return lang.L("A printer of that name exists: choose another name.")
	case errors.Is(err, store.ErrPrinterBusy):
		return lang.L("The printer still has labels to print: wait for them or retry them first.") + " (" + err.Error() + ")"
	}
	return err.Error()
}

// save stores the form as a new or changed record.
func (s *PrintersScreen) save() {
	q := s.m.s.Printing
	p, ok := s.form()
	if !ok || q == nil {
		if ok {
			s.say(widget.DangerImportance, lang.L("Printing is not available in this window."))
		}
		return
	}
	update := s.editing != ""
	s.busy = true
	s.updateButtons()
	background(s.m.b, localTimeout, func(ctx context.Context) (queue.Printer, error) {
		if update {
			return q.UpdatePrinter(ctx, p)
		}
		return q.AddPrinter(ctx, p)
	}, func(saved queue.Printer, err error) {
		s.busy = false
		s.updateButtons()
		if err != nil {
			s.say(widget.DangerImportance, lang.L("Not saved")+": "+printerError(err))
			return
		}
		s.editing = saved.Name
		s.load(saved.Name)
		s.m.printersChanged()
		s.say(widget.SuccessImportance, lang.L("Saved {{.Name}}: {{.Summary}}", map[string]any{"Name": saved.Name, "Summary": printerSummary(saved)}))
	})
}

func (s *PrintersScreen) confirmDelete() {
	name := s.editing
	if name == "" {
		return
	}
	dialog.ShowConfirm(lang.L("Remove printer?"), lang.L("Remove {{.Name}}? Its print history is kept.", map[string]any{"Name": name}), func(ok bool) {
		if !ok {
			return
		}
		q := s.m.s.Printing
		background(s.m.b, localTimeout, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, q.RemovePrinter(ctx, name)
		}, func(_ struct{}, err error) {
			if err != nil {
				s.say(widget.DangerImportance, lang.L("Not removed")+": "+printerError(err))
				return
			}
			s.edit(queue.Printer{})
			s.load("")
			s.m.printersChanged()
			s.say(widget.SuccessImportance, lang.L("Removed {{.Name}}.", map[string]any{"Name": name}))
		})
	}, s.m.Window)
}

// testPrint prints the test label (frame, rulers, barcode) on the record.
func (s *PrintersScreen) testPrint() {
	q, name := s.m.s.Printing, s.editing
	if q == nil || name == "" {
		return
	}
	s.busy = true
	s.updateButtons()
	s.say(widget.MediumImportance, lang.L("Printing the test label…"))
	background(s.m.b, printTimeout, func(ctx context.Context) (queue.Job, error) {
		j, err := q.TestPrint(ctx, name)
		if err != nil {
			return j, err
		}
		return q.Wait(ctx, j.ID)
	}, func(j queue.Job, err error) {
		s.busy = false
		s.updateButtons()
		switch {
		case err != nil:
			s.say(widget.DangerImportance, lang.L("Test print failed")+": "+printFailureText(err, ""))
		case j.State == queue.StateFailed:
			s.say(widget.DangerImportance, lang.L("Test print failed")+": "+j.Reason)
		default:
			s.say(widget.SuccessImportance, lang.L("Test label sent to {{.Name}}. Check the frame: a cut edge shows the offset to correct.", map[string]any{"Name": name}))
		}
	})
}

// checkStatus asks the printer how it is.
func (s *PrintersScreen) checkStatus() {
	q, name := s.m.s.Printing, s.editing
	if q == nil || name == "" {
		return
	}
	background(s.m.b, localTimeout, func(ctx context.Context) (output.State, error) {
		return q.Status(ctx, name)
	}, func(st output.State, err error) {
		if err != nil {
			s.say(widget.DangerImportance, lang.L("The printer does not answer")+": "+err.Error())
			return
		}
		imp := widget.SuccessImportance
		if !st.CanPrint() {
			imp = widget.DangerImportance
		}
		s.say(imp, lang.L("Printer status")+": "+st.String())
	})
}

// --- WeChat printer operators ---------------------------------------------

// loadOperators asks WeChat for the operators (getPrinter).
func (s *PrintersScreen) loadOperators() {
	svc := s.m.s.Orders
	if svc == nil {
		return
	}
	s.opsLoaded = true
	s.LoadOperators.Disable()
	background(s.m.b, wechatTimeout, func(ctx context.Context) (*wxapi.GetPrinterResponse, error) {
		return svc.Operators(ctx)
	}, func(resp *wxapi.GetPrinterResponse, err error) {
		s.LoadOperators.Enable()
		s.Operators.RemoveAll()
		if err != nil {
			l := widget.NewLabel(lang.L("Could not list the operators") + ": " + failureText(err))
			l.Importance = widget.DangerImportance
			l.Wrapping = fyne.TextWrapWord
			s.Operators.Add(l)
			return
		}
		s.OperatorOpenID = resp.OpenID
		if len(resp.OpenID) == 0 {
			s.Operators.Add(widget.NewLabel(lang.L("No printer operator yet.")))
		}
		for _, id := range resp.OpenID {
			openID := id
			remove := widget.NewButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), func() { s.setOperator(openID, false) })
			s.Operators.Add(container.NewBorder(nil, nil, nil, remove, widget.NewLabelWithStyle(openID, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})))
		}
		if len(resp.TagIDList) > 0 {
			s.Operators.Add(widget.NewLabel(lang.L("Tag ids") + ": " + strings.Join(resp.TagIDList, ",")))
		}
	})
}

// setOperator binds or unbinds an operator (updatePrinter).
func (s *PrintersScreen) setOperator(openID string, bind bool) {
	svc := s.m.s.Orders
	openID = strings.TrimSpace(openID)
	if bind && openID == "" {
		s.OperatorID.SetError(lang.L("Required"))
		return
	}
	tags := ""
	if bind {
		tags = s.OperatorTags.Text
	}
	background(s.m.b, wechatTimeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, svc.SetOperator(ctx, openID, bind, tags)
	}, func(_ struct{}, err error) {
		if err != nil {
			var ve *wxapi.ValidationError
			if errors.As(err, &ve) {
				target := s.OperatorID
				if ve.Field == "tagid_list" {
					target = s.OperatorTags
				}
				target.SetError(fieldMessage(ve.Reason))
				return
			}
			s.OperatorsMsg.Importance = widget.DangerImportance
			s.OperatorsMsg.SetText(failureText(err))
			return
		}
		s.OperatorsMsg.Importance = widget.SuccessImportance
		if bind {
			s.OperatorID.SetText("")
			s.OperatorTags.SetText("")
			s.OperatorsMsg.SetText(lang.L("Operator {{.ID}} added.", map[string]any{"ID": openID}))
		} else {
			s.OperatorsMsg.SetText(lang.L("Operator {{.ID}} removed.", map[string]any{"ID": openID}))
		}
		s.loadOperators()
	})
}

// printerRecords reads the printer records off the UI thread and hands
// them to done on it; without a print queue there is nothing to read.
func (m *Main) printerRecords(done func([]queue.Printer, error)) {
	q := m.s.Printing
	if q == nil {
		return
	}
	background(m.b, localTimeout, func(ctx context.Context) ([]queue.Printer, error) {
		return q.Printers(ctx)
	}, done)
}

// fillPrinterPicker offers "courier's default printer" and each record
// (shown by label), selects want, and returns the names in option order
// after the default. The picker's OnChanged does not fire for the fill.
func fillPrinterPicker(sel *widget.Select, list []queue.Printer, want string, label func(queue.Printer) string) []string {
	names := make([]string, 0, len(list))
	opts := []string{lang.L("Courier's default printer")}
	chosen := 0
	for _, p := range list {
		names = append(names, p.Name)
		opts = append(opts, label(p))
		if p.Name == want {
			chosen = len(opts) - 1
		}
	}
	on := sel.OnChanged
	sel.OnChanged = nil
	sel.SetOptions(opts)
	sel.SetSelectedIndex(chosen)
	sel.OnChanged = on
	return names
}
