package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
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
	"waybilldesk/store"
)

// pageSize is how many orders one List call loads; the next page loads
// when the operator scrolls near the end, so a history of thousands of
// orders opens as fast as one of ten.
const pageSize = 200

// searchDebounce is how long typing must pause before the search runs: a
// phone's last four digits typed quickly make one query, not four.
const searchDebounce = 300 * time.Millisecond

// statusFilters are the choices of the status filter, "" meaning all.
var statusFilters = []struct{ label, value string }{
	{"All statuses", ""},
	{"Placed", orders.StatusPlaced},
	{"Failed", orders.StatusFailed},
	{"Submitting", orders.StatusSubmitting},
	{"Cancelled", orders.StatusCancelled},
}

// dateFilters are the choices of the date filter: orders created in the
// last N days (today counts as one), 0 meaning all.
var dateFilters = []struct {
	label string
	days  int
}{
	{"All dates", 0},
	{"Today", 1},
	{"Last 7 days", 7},
	{"Last 30 days", 30},
}

// printedFilters are the choices of the printed filter.
var printedFilters = []string{"Printed or not", "Printed", "Not printed"}

// statusText is an order status in the UI language.
func statusText(status string) string {
	for _, f := range statusFilters[1:] {
		if f.value == status {
			return lang.L(f.label)
		}
	}
	return status
}

// listColumns are the widths of the list's columns: created, order id,
// status, courier, waybill id, receiver. Short columns have a fixed width
// (px); the others share what is left by weight.
var listColumns = []column{{fixed: 104}, {weight: 1}, {fixed: 64}, {fixed: 84}, {weight: 1.25}, {weight: 1.15}}

type column struct{ fixed, weight float32 }

// OrderListScreen is the "订单" tab: the order history with search, a status
// filter and the chosen order's details and label.
type OrderListScreen struct {
	// Search matches order id, waybill id, receiver name or phone digits.
	Search *widget.Entry
	// Status filters by status; its options are in the UI language.
	Status *widget.Select
	// Courier, Dates and Printed are the other filters: a courier, the
	// creation date, whether a label was printed.
	Courier *widget.Select
	Dates   *widget.Select
	Printed *widget.Select
	// List shows the loaded rows; more load as it scrolls.
	List *widget.List
	// Info says how many rows are loaded, or why none could be.
	Info *widget.Label
	// Detail shows the chosen order; DetailFields are its lines.
	DetailFields *fyne.Container
	Preview      *Preview
	// DetailTabs hold the label, the tracking timeline, the print jobs and
	// the buyer notice of the chosen order.
	DetailTabs *container.AppTabs
	// Timeline lists the tracking events, oldest first; Track asks WeChat
	// for the latest.
	Timeline *fyne.Container
	Track    *widget.Button
	// Jobs lists the order's print jobs, newest first, each failed one
	// with its retry button.
	Jobs *fyne.Container
	// Notice says what WeChat told the buyer; Notify registers the
	// waybill for buyer notices, QueryNotice asks WeChat again.
	Notice      *widget.Label
	Notify      *widget.Button
	QueryNotice *widget.Button
	// Reprint prints the label again; CancelOrder cancels the waybill
	// (after a confirmation); CopyWaybill copies the waybill id.
	Reprint     *widget.Button
	CancelOrder *widget.Button
	CopyWaybill *widget.Button
	// CheckWeChat (向微信核实) asks WeChat what it holds for the order: it
	// settles an order whose outcome is unknown, and finds a waybill or a
	// cancellation the history missed.
	CheckWeChat *widget.Button
	// ActionMsg tells the outcome of the last action of the pane.
	ActionMsg *widget.Label
	// Export saves what the search and filters show (every page, not only
	// the rows loaded) as CSV or XLSX; ExportBar shows how far it is and
	// ExportStop cancels it; ExportMsg says how it went.
	Export     *widget.Button
	ExportBar  *widget.ProgressBar
	ExportStop *widget.Button
	ExportMsg  *widget.Label
	Content    fyne.CanvasObject

	m        *Main
	rows     []orders.Order
	more     bool // the last page was full: there may be more
	loading  bool
	gen      int // bumped per new query; answers of older queries are dropped
	query    orders.Query
	names    map[string]string // delivery_id -> courier name
	couriers []string          // delivery_ids behind Courier's options[1:]
	printed  int               // index into printedFilters
	selected string            // order id shown in the detail pane
	order    *orders.Order     // the order shown in the detail pane
	extraGen int               // bumped per order shown: older detail answers are dropped
	busy     bool              // an action of the pane is running
	stopWait func() bool       // cancels the pending debounced search
	values   map[string]*widget.Label
	detail   *fyne.Container // the detail pane: fields over the preview
	actions  *fyne.Container // the pane's buttons and their outcome line

	shown bool // the first page was shown (and logged)

	exporting    bool
	exportCancel context.CancelFunc
	exportRow    *fyne.Container // the progress bar and its stop button
}

func newOrderListScreen(m *Main) *OrderListScreen {
	s := &OrderListScreen{m: m, names: map[string]string{}, values: map[string]*widget.Label{}}
	s.Search = widget.NewEntry()
	s.Search.PlaceHolder = lang.L("Search order no., waybill, receiver or phone's last 4 digits")
	s.Search.OnChanged = s.searchChanged
	var labels []string
	for _, f := range statusFilters {
		labels = append(labels, lang.L(f.label))
	}
	s.Status = widget.NewSelect(labels, nil)
	s.Status.SetSelectedIndex(0) // before OnChanged: newMain loads the first page
	s.Status.OnChanged = func(string) {
		if i := s.Status.SelectedIndex(); i >= 0 {
			s.query.Status = statusFilters[i].value
			s.reload(false)
		}
	}
	s.Courier = widget.NewSelect([]string{lang.L("All couriers")}, nil)
	s.Courier.SetSelectedIndex(0)
	s.Courier.OnChanged = func(string) {
		s.query.DeliveryID = ""
		if i := s.Courier.SelectedIndex(); i > 0 && i <= len(s.couriers) {
			s.query.DeliveryID = s.couriers[i-1]
		}
		s.reload(false)
	}
	var dates []string
	for _, d := range dateFilters {
		dates = append(dates, lang.L(d.label))
	}
	s.Dates = widget.NewSelect(dates, nil)
	s.Dates.SetSelectedIndex(0)
	s.Dates.OnChanged = func(string) { s.reload(false) }
	var printed []string
	for _, p := range printedFilters {
		printed = append(printed, lang.L(p))
	}
	s.Printed = widget.NewSelect(printed, nil)
	s.Printed.SetSelectedIndex(0)
	s.Printed.OnChanged = func(string) {
		s.printed = max(s.Printed.SelectedIndex(), 0)
		s.reload(false)
	}
	s.Info = widget.NewLabel("")
	s.Info.SizeName = theme.SizeNameCaptionText

	s.List = widget.NewList(
		func() int { return len(s.rows) },
		newOrderRow,
		s.updateRow,
	)
	s.List.OnSelected = func(id widget.ListItemID) {
		if id >= 0 && id < len(s.rows) {
			o := s.rows[id]
			s.showDetail(&o)
		}
	}

	s.Preview = newPreview(m, fyne.NewSize(140, 170))
	s.Preview.reprint = true // its label prints again on the printer of its last job
	s.DetailFields = container.New(layout.NewFormLayout())
	// 向微信核实 sits on the status line it answers for, so the pane keeps
	// one row of actions and its label preview at 1366x768.
	s.CheckWeChat = widget.NewButtonWithIcon(lang.L("Check with WeChat"), theme.SearchIcon(), s.checkWeChat)
	for _, k := range detailKeys {
		v := widget.NewLabel("")
		v.Truncation = fyne.TextTruncateEllipsis
		v.Selectable = true // order and waybill ids get copied into chats
		s.values[k] = v
		s.DetailFields.Add(widget.NewLabelWithStyle(lang.L(k), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		if k == "Status" {
			s.DetailFields.Add(container.NewBorder(nil, nil, nil, s.CheckWeChat, v))
			continue
		}
		s.DetailFields.Add(v)
	}
	s.values["Error"].Wrapping = fyne.TextWrapWord
	s.values["Error"].Truncation = fyne.TextTruncateOff
	s.values["Error"].Importance = widget.DangerImportance
	s.showDetailRow("Error", false) // until an order has one
	s.showDetailRow("Track status", false)
	s.DetailFields.Hide() // until an order is chosen; the preview says what to do

	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), s.Refresh)
	s.buildExport()
	top := container.NewBorder(nil, nil, nil, container.NewHBox(container.New(&fixedWidth{150}, s.Status), refresh, s.Export), s.Search)
	filters := container.NewGridWithColumns(3, s.Courier, s.Dates, s.Printed)
	header := newHeaderRow()
	left := container.NewBorder(container.NewVBox(top, filters, header), container.NewVBox(s.Info, s.exportRow, s.ExportMsg), nil, nil, s.List)
	s.buildDetail()
	// The pane's title is the tab bar of its parts: the label, tracking,
	// print jobs and buyer notice; the order's lines and actions sit above.
	s.detail = container.NewBorder(container.NewVBox(s.DetailFields, s.actions), nil, nil, nil, s.DetailTabs)
	split := container.NewHSplit(left, s.detail)
	split.Offset = 0.64
	s.Content = split
	return s
}

// detailKeys are the lines of the detail pane, in order.
var detailKeys = []string{"Order no.", "Waybill", "Status", "Track status", "Courier", "Receiver", "Goods", "Created", "Error"}

// columns lays out a row's cells, so the header and every row line up
// whatever the pane's width.
type columns struct{ cols []column }

func (c *columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w, h := float32(0), float32(0)
	for i, o := range objs {
		h = max(h, o.MinSize().Height)
		w += max(c.cols[i].fixed, 40)
	}
	return fyne.NewSize(w, h)
}

func (c *columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	fixed, weights := float32(0), float32(0)
	for _, col := range c.cols {
		fixed += col.fixed
		weights += col.weight
	}
	rest := max(size.Width-fixed, 0)
	x := float32(0)
	for i, o := range objs {
		w := c.cols[i].fixed
		if c.cols[i].weight > 0 {
			w = rest * c.cols[i].weight / weights
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w
	}
}

func newOrderRow() fyne.CanvasObject {
	cells := make([]fyne.CanvasObject, len(listColumns))
	for i := range cells {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		cells[i] = l
	}
	return container.New(&columns{listColumns}, cells...)
}

func newHeaderRow() fyne.CanvasObject {
	names := []string{"Created", "Order no.", "Status", "Courier", "Waybill", "Receiver"}
	cells := make([]fyne.CanvasObject, len(names))
	for i, n := range names {
		l := widget.NewLabelWithStyle(lang.L(n), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Truncation = fyne.TextTruncateEllipsis
		cells[i] = l
	}
	return container.New(&columns{listColumns}, cells...)
}

// updateRow fills one row; reaching the last quarter of the loaded rows
// loads the next page.
func (s *OrderListScreen) updateRow(id widget.ListItemID, obj fyne.CanvasObject) {
	if id < 0 || id >= len(s.rows) {
		return
	}
	o := &s.rows[id]
	cells := obj.(*fyne.Container).Objects
	set := func(i int, text string, imp widget.Importance) {
		l := cells[i].(*widget.Label)
		if l.Text == text && l.Importance == imp {
			return
		}
		l.Importance = imp
		l.SetText(text)
	}
	set(0, o.CreatedAt.Local().Format("01-02 15:04"), widget.MediumImportance)
	set(1, o.OrderID, widget.MediumImportance)
	set(2, statusText(o.Status), statusImportance(o.Status))
	set(3, s.courierName(o.DeliveryID), widget.MediumImportance)
	set(4, o.WaybillID, widget.MediumImportance)
	set(5, strings.TrimSpace(o.ReceiverName+" "+orders.MaskPhone(o.ReceiverPhone)), widget.MediumImportance)
	if s.more && !s.loading && id >= len(s.rows)-pageSize/4 {
		s.loadMore()
	}
}

func statusImportance(status string) widget.Importance {
	switch status {
	case orders.StatusFailed:
		return widget.DangerImportance
	case orders.StatusSubmitting:
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

func (s *OrderListScreen) courierName(id string) string {
	if n, ok := s.names[id]; ok && n != id {
		return n
	}
	return id
}

// setCouriers gives the list the couriers' names.
func (s *OrderListScreen) setCouriers(list []orders.Courier) {
	changed := false
	for _, c := range list {
		if s.names[c.DeliveryID] != c.Name {
			s.names[c.DeliveryID] = c.Name
			changed = true
		}
	}
	if changed && len(s.rows) > 0 {
		s.List.Refresh() // visible rows only: the names changed, not the rows
	}
	want := s.query.DeliveryID
	s.couriers = s.couriers[:0]
	opts := []string{lang.L("All couriers")}
	sel := 0
	for _, c := range list {
		s.couriers = append(s.couriers, c.DeliveryID)
		opts = append(opts, c.Label())
		if c.DeliveryID == want {
			sel = len(opts) - 1
		}
	}
	on := s.Courier.OnChanged
	s.Courier.OnChanged = nil
	s.Courier.SetOptions(opts)
	s.Courier.SetSelectedIndex(sel)
	s.Courier.OnChanged = on
}

func (s *OrderListScreen) searchChanged(text string) {
	if s.stopWait != nil {
		s.stopWait()
	}
	s.stopWait = s.m.b.after(searchDebounce, func() {
		s.stopWait = nil
		s.query.Search = strings.TrimSpace(text)
		s.reload(false)
	})
}

// Refresh reloads the rows of the current search, as many as are loaded,
// e.g. after an order was placed. Rows that did not move are refreshed one
// by one.
func (s *OrderListScreen) Refresh() { s.reload(true) }

// reload runs the current query from the first row. keep loads as many
// rows as are shown now (the operator keeps the scroll position).
func (s *OrderListScreen) reload(keep bool) {
	if s.m.s.Orders == nil {
		return
	}
	s.gen++
	gen, q := s.gen, s.query
	q.Offset, q.Limit = 0, pageSize
	if keep && len(s.rows) > pageSize {
		q.Limit = (len(s.rows) + pageSize - 1) / pageSize * pageSize
	}
	s.loading = true
	list := s.lister(&q)
	start := time.Now()
	var queried time.Duration // how long the history took, of the wait
	background(s.m.b, listTimeout, func(ctx context.Context) ([]orders.Order, error) {
		page, err := list(ctx)
		queried = time.Since(start)
		return page, err
	}, func(page []orders.Order, err error) {
		if gen != s.gen {
			return // a newer search is on its way
		}
		s.loading = false
		if err != nil {
			s.showLoadError(err)
			return
		}
		s.more = len(page) == q.Limit
		s.apply(page)
		if !s.shown {
			// Support (and the window benchmark) read how long the
			// operator waited for the history at start.
			s.shown = true
			slog.Info("orders first page shown", "rows", len(page), "ms", time.Since(start).Milliseconds(),
				"query_ms", queried.Milliseconds())
		}
	})
}

// apply shows a fresh first part of the result. When the same orders are
// in the same places (a status changed, nothing was added) only the changed
// rows are refreshed.
func (s *OrderListScreen) apply(rows []orders.Order) {
	same := len(rows) == len(s.rows)
	for i := 0; same && i < len(rows); i++ {
		same = rows[i].OrderID == s.rows[i].OrderID
	}
	old := s.rows
	s.rows = rows
	if same {
		for i := range rows {
			if !rows[i].UpdatedAt.Equal(old[i].UpdatedAt) || rows[i].Status != old[i].Status {
				s.List.RefreshItem(i)
			}
		}
	} else {
		s.List.UnselectAll()
		s.List.Refresh()
	}
	s.updateInfo()
	// Keep the detail pane on its order, updated if it changed.
	for i := range s.rows {
		if s.rows[i].OrderID == s.selected {
			if !same || !s.rows[i].UpdatedAt.Equal(old[i].UpdatedAt) {
				o := s.rows[i]
				s.showDetail(&o)
			}
			break
		}
	}
}

// currentQuery is what the list shows: the search, the status and
// courier filters, the date filter counted from today and the printed
// filter. It runs on the UI thread.
func (s *OrderListScreen) currentQuery() orders.Query {
	q := s.query
	q.From, q.Printed = time.Time{}, nil
	if i := s.Dates.SelectedIndex(); i > 0 {
		y, mo, d := time.Now().Date()
		q.From = time.Date(y, mo, d-(dateFilters[i].days-1), 0, 0, 0, 0, time.Local)
	}
	if s.printed > 0 {
		printed := s.printed == 1
		q.Printed = &printed
	}
	return q
}

// lister completes q (its Offset and Limit set) with the current filters
// and returns the call that lists that page. It runs on the UI thread;
// the call it returns runs off it.
func (s *OrderListScreen) lister(q *orders.Query) func(context.Context) ([]orders.Order, error) {
	cur := s.currentQuery()
	cur.Offset, cur.Limit = q.Offset, q.Limit
	*q = cur
	svc, query := s.m.s.Orders, cur
	return func(ctx context.Context) ([]orders.Order, error) {
		return svc.List(ctx, query)
	}
}

// loadMore appends the next page.
func (s *OrderListScreen) loadMore() {
	if s.loading || !s.more || s.m.s.Orders == nil {
		return
	}
	s.loading = true
	gen, q := s.gen, s.query
	q.Offset, q.Limit = len(s.rows), pageSize
	list := s.lister(&q)
	background(s.m.b, listTimeout, list, func(page []orders.Order, err error) {
		if gen != s.gen {
			return
		}
		s.loading = false
		if err != nil {
			s.showLoadError(err)
			return
		}
		s.more = len(page) == q.Limit
		// Orders placed meanwhile shift the offsets: skip what is shown.
		seen := make(map[string]bool, len(s.rows))
		for _, o := range s.rows {
			seen[o.OrderID] = true
		}
		for _, o := range page {
			if !seen[o.OrderID] {
				s.rows = append(s.rows, o)
			}
		}
		// Refresh updates the length and the visible rows; the row widgets
		// are reused, not rebuilt.
		s.List.Refresh()
		s.updateInfo()
	})
}

func (s *OrderListScreen) showLoadError(err error) {
	s.Info.Importance = widget.DangerImportance
	s.Info.SetText(lang.L("Could not read the order history") + ": " + err.Error())
}

func (s *OrderListScreen) updateInfo() {
	s.Info.Importance = widget.MediumImportance
	text := lang.L("{{.N}} orders shown", map[string]any{"N": len(s.rows)})
	if s.more {
		text += lang.L(", scroll down for more")
	}
	s.Info.SetText(text)
}

// Rows returns the orders loaded in the list, in display order.
func (s *OrderListScreen) Rows() []orders.Order { return s.rows }

// showDetail fills the detail pane and renders the order's label.
func (s *OrderListScreen) showDetail(o *orders.Order) {
	if s.selected != o.OrderID {
		s.ActionMsg.Hide()
	}
	s.selected = o.OrderID
	prev := s.order
	cp := *o
	s.order = &cp
	v := s.values
	v["Order no."].SetText(o.OrderID)
	v["Waybill"].SetText(o.WaybillID)
	v["Status"].SetText(statusText(o.Status))
	v["Track status"].SetText(trackText(o))
	s.showDetailRow("Track status", o.TrackStatus != "")
	courier := []string{s.courierName(o.DeliveryID)}
	for _, x := range []string{o.ServiceName, o.BizID} {
		if x != "" {
			courier = append(courier, x)
		}
	}
	v["Courier"].SetText(strings.Join(courier, " · "))
	v["Receiver"].SetText(strings.TrimSpace(fmt.Sprintf("%s %s %s", o.ReceiverName, orders.MaskPhone(o.ReceiverPhone), o.ReceiverCity)))
	v["Goods"].SetText(goodsSummary(o))
	v["Created"].SetText(o.CreatedAt.Local().Format("2006-01-02 15:04:05"))
	errText := ""
	switch {
	case o.Status == orders.StatusFailed && o.SettledBy == "getOrder":
		// Not a refusal: a check found WeChat never got the order.
		_, errText = checkedText(o)
		errText += fmt.Sprintf(" (errcode %d)", o.ErrorCode)
	case o.ErrorCode != 0 || o.ErrorMsg != "":
		errText = fmt.Sprintf("errcode %d %s %s", o.ErrorCode, o.ErrorMsg, advice(o.ErrorCode))
	}
	v["Error"].SetText(errText)
	// The error line only when there is one: the label preview gets the room.
	s.showDetailRow("Error", errText != "")
	if !s.DetailFields.Visible() {
		s.DetailFields.Show()
	}
	// The pane's rows changed height: lay it out again, fields and preview.
	s.detail.Refresh()
	// The label changes with the waybill, not with tracking: a push or a
	// refresh of the same order keeps the preview rather than render again.
	if prev == nil || prev.OrderID != o.OrderID || prev.WaybillID != o.WaybillID || prev.Status != o.Status {
		s.Preview.Show(o)
	}
	s.updateActions()
	s.loadExtras()
}

// showDetailRow shows or hides one line of the detail pane.
func (s *OrderListScreen) showDetailRow(key string, visible bool) {
	for i, k := range detailKeys {
		if k != key {
			continue
		}
		for _, o := range s.DetailFields.Objects[2*i : 2*i+2] {
			if visible {
				o.Show()
			} else {
				o.Hide()
			}
		}
	}
}

// trackText is an order's tracking stage with the time and text of its
// latest event, "" before any.
func trackText(o *orders.Order) string {
	if o.TrackStatus == "" {
		return ""
	}
	text := stageText(o.TrackStatus)
	if !o.TrackTime.IsZero() {
		text += " · " + o.TrackTime.Local().Format("01-02 15:04")
	}
	if o.TrackMsg != "" {
		text += " " + o.TrackMsg
	}
	return text
}

// goodsSummary is "T恤 ×2, 袜子 ×1 · 1.5 kg" from the request stored with
// the order.
func goodsSummary(o *orders.Order) string {
	r, err := orders.Request(o)
	if err != nil {
		return ""
	}
	var parts []string
	for _, d := range r.Cargo.DetailList {
		parts = append(parts, fmt.Sprintf("%s ×%d", d.Name, d.Count))
	}
	return fmt.Sprintf("%s · %g kg", strings.Join(parts, ", "), r.Cargo.Weight)
}

// SelectOrder shows an order in the detail pane when it is loaded in the
// list, as choosing its row does; it reports whether it was there.
func (s *OrderListScreen) SelectOrder(orderID string) bool {
	for i, o := range s.rows {
		if o.OrderID == orderID {
			s.List.Select(i)
			return true
		}
	}
	return false
}

// stop is called when the window closes.
func (s *OrderListScreen) stop() {
	if s.stopWait != nil {
		s.stopWait()
	}
	if s.exportCancel != nil {
		s.exportCancel()
	}
}

// pushed is called when a push changed an order's tracking: the list and,
// when it shows that order, the detail pane follow.
func (s *OrderListScreen) pushed(orderID string) {
	s.changed(map[string]bool{orderID: true})
}

// changed refreshes the list, and the detail when its order is among ids.
func (s *OrderListScreen) changed(ids map[string]bool) {
	s.Refresh()
	if s.order != nil && ids[s.order.OrderID] && !s.busy {
		s.loadExtras()
	}
}

// --- the detail pane: tracking, print jobs, buyer notice, actions -----------

// detailExtras is what the detail pane loads besides the order itself.
type detailExtras struct {
	events []store.PathEvent
	jobs   []queue.Job
	notice *store.Notice // nil when the waybill was never registered
}

// buildDetail makes the pane's tabs and buttons.
func (s *OrderListScreen) buildDetail() {
	m := s.m
	s.Timeline = container.NewVBox()
	s.Track = widget.NewButtonWithIcon(lang.L("Refresh tracking"), theme.ViewRefreshIcon(), s.track)
	s.Jobs = container.NewVBox()
	s.Notice = widget.NewLabel("")
	s.Notice.Wrapping = fyne.TextWrapWord
	s.Notify = widget.NewButtonWithIcon(lang.L("Notify the buyer"), theme.MailSendIcon(), s.follow)
	s.QueryNotice = widget.NewButtonWithIcon(lang.L("Ask WeChat"), theme.ViewRefreshIcon(), s.queryNotice)
	s.Reprint = widget.NewButtonWithIcon(lang.L("Reprint"), theme.DocumentPrintIcon(), s.reprint)
	s.CancelOrder = widget.NewButtonWithIcon(lang.L("Cancel order"), theme.CancelIcon(), s.confirmCancel)
	s.CancelOrder.Importance = widget.DangerImportance
	s.CopyWaybill = widget.NewButtonWithIcon(lang.L("Copy waybill ID"), theme.ContentCopyIcon(), func() {
		if s.order != nil && s.order.WaybillID != "" {
			m.App.Clipboard().SetContent(s.order.WaybillID)
			s.say(widget.MediumImportance, lang.L("Copied")+" "+s.order.WaybillID)
		}
	})
	s.ActionMsg = widget.NewLabel("")
	s.ActionMsg.Wrapping = fyne.TextWrapWord
	s.ActionMsg.Hide()
	s.actions = container.NewVBox(container.NewGridWithColumns(3, s.Reprint, s.CancelOrder, s.CopyWaybill), s.ActionMsg)
	// The preview's own copy button is the one above, beside Reprint.
	s.Preview.CopyWaybill.Hide()
	s.DetailTabs = container.NewAppTabs(
		container.NewTabItem(lang.L("Label"), s.Preview.Content),
		container.NewTabItem(lang.L("Tracking"), container.NewBorder(nil, container.NewHBox(s.Track), nil, nil, container.NewVScroll(s.Timeline))),
		container.NewTabItem(lang.L("Print jobs"), container.NewVScroll(s.Jobs)),
		container.NewTabItem(lang.L("Buyer notice"), container.NewBorder(nil, container.NewHBox(s.Notify, s.QueryNotice), nil, nil, container.NewVScroll(s.Notice))),
	)
	s.updateActions()
}

// updateActions enables what can be done with the order shown.
func (s *OrderListScreen) updateActions() {
	o := s.order
	placed := o != nil && o.Status == orders.StatusPlaced && o.WaybillID != "" && !s.busy
	for _, b := range []*widget.Button{s.Reprint, s.CancelOrder, s.Track, s.Notify, s.QueryNotice} {
		if placed {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if s.m.s.Printing == nil {
		s.Reprint.Disable()
	}
	if o != nil && o.WaybillID != "" {
		s.CopyWaybill.Enable()
	} else {
		s.CopyWaybill.Disable()
	}
	if o != nil && o.Status != orders.StatusCancelled && !s.busy {
		s.CheckWeChat.Enable()
	} else {
		s.CheckWeChat.Disable()
	}
}

// say shows the outcome of an action under the buttons.
func (s *OrderListScreen) say(imp widget.Importance, text string) {
	showMessage(s.ActionMsg, imp, text)
}

// loadExtras reads the timeline, the jobs and the notice of the order shown.
func (s *OrderListScreen) loadExtras() {
	if s.order == nil || s.m.s.Orders == nil {
		return
	}
	s.extraGen++
	gen, id := s.extraGen, s.order.OrderID
	svc, q := s.m.s.Orders, s.m.s.Printing
	background(s.m.b, listTimeout, func(ctx context.Context) (detailExtras, error) {
		var x detailExtras
		var err error
		if x.events, err = svc.Events(ctx, id); err != nil {
			return x, err
		}
		if q != nil {
			if x.jobs, err = q.Jobs(ctx, store.PrintJobQuery{OrderID: id, Limit: 50}); err != nil {
				return x, err
			}
		}
		n, err := svc.Notice(ctx, id)
		switch {
		case err == nil:
			x.notice = n
		case !errors.Is(err, store.ErrNotFound):
			return x, err
		}
		return x, nil
	}, func(x detailExtras, err error) {
		if gen != s.extraGen {
			return
		}
		if err != nil {
			s.say(widget.DangerImportance, lang.L("Could not read the order history")+": "+err.Error())
			return
		}
		s.showTimeline(x.events)
		s.showJobs(x.jobs)
		s.showNotice(x.notice)
	})
}

// stageText is a tracking stage in the UI language.
func stageText(stage string) string {
	switch stage {
	case orders.TrackAccepted:
		return lang.L("Accepted")
	case orders.TrackCollected:
		return lang.L("Collected")
	case orders.TrackInTransit:
		return lang.L("In transit")
	case orders.TrackOutForDelivery:
		return lang.L("Out for delivery")
	case orders.TrackSigned:
		return lang.L("Signed")
	case orders.TrackReturned:
		return lang.L("Returned")
	case orders.TrackException:
		return lang.L("Exception")
	}
	return stage
}

// showTimeline lists the events, newest on top, as a parcel tracker does.
func (s *OrderListScreen) showTimeline(events []store.PathEvent) {
	s.Timeline.RemoveAll()
	if len(events) == 0 {
		l := widget.NewLabel(lang.L("No tracking events yet. WeChat is asked every few minutes; Refresh tracking asks now."))
		l.Wrapping = fyne.TextWrapWord
		s.Timeline.Add(l)
		return
	}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		stage := stageText(orders.TrackStage(e.ActionType))
		head := widget.NewLabelWithStyle(e.ActionTime.Local().Format("01-02 15:04")+"  "+stage, fyne.TextAlignLeading, fyne.TextStyle{Bold: i == len(events)-1})
		if orders.TrackStage(e.ActionType) == orders.TrackException {
			head.Importance = widget.DangerImportance
		}
		msg := widget.NewLabel(e.ActionMsg)
		msg.Wrapping = fyne.TextWrapWord
		s.Timeline.Add(container.NewVBox(head, msg))
	}
}

// jobStateText is a print job's state in the UI language.
func jobStateText(state string) string {
	switch state {
	case queue.StateQueued:
		return lang.L("queued")
	case queue.StateRendering:
		return lang.L("rendering")
	case queue.StateSent:
		return lang.L("sending")
	case queue.StateDone:
		return lang.L("printed")
	case queue.StateFailed:
		return lang.L("failed")
	}
	return state
}

// showJobs lists the print jobs, each failed one with a retry button.
func (s *OrderListScreen) showJobs(jobs []queue.Job) {
	s.Jobs.RemoveAll()
	if len(jobs) == 0 {
		s.Jobs.Add(widget.NewLabel(lang.L("Not printed yet.")))
		return
	}
	for _, j := range jobs {
		line := fmt.Sprintf("#%d  %s  %s  %s", j.ID, j.CreatedAt.Local().Format("01-02 15:04:05"), j.Printer, jobStateText(j.State))
		if j.ReprintOf != 0 {
			line += "  · " + lang.L("reprint")
		}
		l := widget.NewLabel(line)
		row := []fyne.CanvasObject{l}
		if j.State == queue.StateFailed {
			l.Importance = widget.DangerImportance
			reason := widget.NewLabel(j.Reason)
			reason.Wrapping = fyne.TextWrapWord
			reason.Importance = widget.DangerImportance
			id := j.ID
			retry := widget.NewButtonWithIcon(lang.L("Retry"), theme.MediaReplayIcon(), func() { s.retry(id) })
			row = append(row, reason, container.NewHBox(retry))
		}
		s.Jobs.Add(container.NewVBox(row...))
	}
}

// noticeText words WeChat's waybill status of a buyer notice.
func noticeText(n *store.Notice) string {
	if n == nil {
		return lang.L("The buyer has not been notified: the waybill is not registered with WeChat. Notify the buyer registers it (the order needs the buyer's openid).")
	}
	if n.WaybillToken == "" {
		return lang.L("Registration failed") + ": " + n.Error
	}
	text := lang.L("Registered ({{.Family}}).", map[string]any{"Family": n.Family}) + " "
	switch n.Status {
	case -1:
		text += lang.L("WeChat has not been asked about it yet.")
	case 0:
		text += lang.L("WeChat has no news for the buyer yet (not collected).")
	case 1:
		text += lang.L("The buyer was told the parcel was collected.")
	case 2:
		text += lang.L("The buyer sees the parcel in transit.")
	case 3:
		text += lang.L("The buyer was told the parcel is out for delivery.")
	case 4, 6:
		text += lang.L("The buyer was told the parcel was signed for.")
	case 5:
		text += lang.L("The buyer was told of a problem with the parcel.")
	default:
		text += fmt.Sprintf("status %d", n.Status)
	}
	if !n.UpdatedAt.IsZero() {
		text += " (" + n.UpdatedAt.Local().Format("01-02 15:04") + ")"
	}
	return text
}

func (s *OrderListScreen) showNotice(n *store.Notice) {
	s.Notice.Importance = widget.MediumImportance
	if n != nil && n.WaybillToken == "" {
		s.Notice.Importance = widget.DangerImportance
	}
	s.Notice.SetText(noticeText(n))
}

// orderAction runs one of the pane's service calls for the order shown
// and, when it returns the order, shows it updated.
func (s *OrderListScreen) orderAction(working string, timeout time.Duration, work func(ctx context.Context, id string) (*orders.Order, error), done func(o *orders.Order, err error)) {
	if s.order == nil || s.busy {
		return
	}
	s.busy = true
	s.updateActions()
	s.say(widget.MediumImportance, working)
	id := s.order.OrderID
	background(s.m.b, timeout, func(ctx context.Context) (*orders.Order, error) {
		return work(ctx, id)
	}, func(o *orders.Order, err error) {
		s.busy = false
		if s.selected == id && o != nil {
			s.showDetail(o)
		}
		s.updateActions()
		if s.selected == id {
			done(o, err)
		}
	})
}

// track asks WeChat for the order's path now.
func (s *OrderListScreen) track() {
	svc := s.m.s.Orders
	s.orderAction(lang.L("Asking WeChat for the tracking…"), wechatTimeout, func(ctx context.Context, id string) (*orders.Order, error) {
		o, _, err := svc.Path(ctx, id)
		return o, err
	}, func(o *orders.Order, err error) {
		if err != nil {
			s.say(widget.DangerImportance, lang.L("Tracking not updated")+": "+failureText(err))
			return
		}
		s.DetailTabs.SelectIndex(1)
		s.say(widget.SuccessImportance, lang.L("Tracking updated: {{.Stage}}", map[string]any{"Stage": stageText(o.TrackStatus)}))
		s.Refresh()
	})
}

// checkWeChat asks WeChat what it holds for the order shown.
func (s *OrderListScreen) checkWeChat() {
	svc := s.m.s.Orders
	s.orderAction(lang.L("Checking with WeChat…"), wechatTimeout, func(ctx context.Context, id string) (*orders.Order, error) {
		return svc.Check(ctx, id)
	}, func(o *orders.Order, err error) {
		switch {
		case errors.Is(err, orders.ErrPending):
			s.say(widget.WarningImportance, pendingText(err))
		case err != nil:
			s.say(widget.DangerImportance, lang.L("Not checked")+": "+failureText(err))
		default:
			s.say(checkedText(o))
		}
		s.Refresh()
	})
}

// reprint prints the label again on the printer of its last job.
func (s *OrderListScreen) reprint() {
	q := s.m.s.Printing
	if q == nil {
		return
	}
	var job queue.Job
	var courier string
	if s.order != nil {
		courier = s.courierName(s.order.DeliveryID)
	}
	s.orderAction(lang.L("Sending the label to the printer…"), printTimeout, func(ctx context.Context, id string) (*orders.Order, error) {
		j, err := q.Reprint(ctx, id, "")
		if err != nil {
			return nil, err
		}
		job, err = q.Wait(ctx, j.ID)
		return nil, err
	}, func(_ *orders.Order, err error) {
		s.DetailTabs.SelectIndex(2)
		s.loadExtras()
		switch {
		case err != nil:
			s.say(widget.DangerImportance, lang.L("Not printed")+": "+printFailureText(err, courier))
		case job.State == queue.StateFailed:
			s.say(widget.DangerImportance, lang.L("Not printed")+": "+job.Reason)
		default:
			s.say(widget.SuccessImportance, lang.L("Printed on {{.Printer}} (job {{.Job}}).", map[string]any{"Printer": job.Printer, "Job": job.ID}))
		}
	})
}

// retry puts a failed job back in its printer's queue.
func (s *OrderListScreen) retry(jobID int64) {
	q := s.m.s.Printing
	if q == nil {
		return
	}
	var job queue.Job
	s.orderAction(lang.L("Sending the label to the printer…"), printTimeout, func(ctx context.Context, _ string) (*orders.Order, error) {
		j, err := q.Retry(ctx, jobID)
		if err != nil {
			return nil, err
		}
		job, err = q.Wait(ctx, j.ID)
		return nil, err
	}, func(_ *orders.Order, err error) {
		s.loadExtras()
		switch {
		case err != nil:
			s.say(widget.DangerImportance, lang.L("Not printed")+": "+printFailureText(err, ""))
		case job.State == queue.StateFailed:
			s.say(widget.DangerImportance, lang.L("Not printed")+": "+job.Reason)
		default:
			s.say(widget.SuccessImportance, lang.L("Printed on {{.Printer}} (job {{.Job}}).", map[string]any{"Printer": job.Printer, "Job": job.ID}))
		}
	})
}

// confirmCancel asks before cancelling: a cancelled waybill cannot be
// used again.
func (s *OrderListScreen) confirmCancel() {
	if s.order == nil {
		return
	}
	dialog.ShowConfirm(lang.L("Cancel order?"),
		lang.L("Cancel waybill {{.Waybill}} of order {{.Order}}? The courier will not collect it and the label cannot be used again.",
			map[string]any{"Waybill": s.order.WaybillID, "Order": s.order.OrderID}),
		func(ok bool) {
			if ok {
				s.cancel()
			}
		}, s.m.Window)
}

func (s *OrderListScreen) cancel() {
	svc := s.m.s.Orders
	s.orderAction(lang.L("Cancelling the order…"), wechatTimeout, func(ctx context.Context, id string) (*orders.Order, error) {
		return svc.Cancel(ctx, id)
	}, func(o *orders.Order, err error) {
		if err != nil {
			s.say(widget.DangerImportance, lang.L("Not cancelled")+": "+failureText(err))
			return
		}
		s.say(widget.SuccessImportance, lang.L("Cancelled: waybill {{.Waybill}} will not be collected.", map[string]any{"Waybill": o.WaybillID}))
		s.Refresh()
	})
}

// follow registers the waybill for buyer notices.
func (s *OrderListScreen) follow() {
	svc := s.m.s.Orders
	s.orderAction(lang.L("Registering the waybill with WeChat…"), wechatTimeout, func(ctx context.Context, id string) (*orders.Order, error) {
		_, err := svc.Follow(ctx, id)
		return nil, err
	}, func(_ *orders.Order, err error) {
		s.DetailTabs.SelectIndex(3)
		s.loadExtras()
		switch {
		case errors.Is(err, orders.ErrNoBuyer):
			s.say(widget.DangerImportance, lang.L("Not notified: the order has no buyer openid (it was not placed from the mini program)."))
		case errors.Is(err, orders.ErrNoTransID):
			s.say(widget.DangerImportance, lang.L("Not notified: the order has no WeChat Pay transaction id (trans_id), which WeChat needs to tell the buyer."))
		case err != nil:
			s.say(widget.DangerImportance, lang.L("Not notified")+": "+failureText(err))
		default:
			s.say(widget.SuccessImportance, lang.L("Registered: WeChat will tell the buyer as the parcel moves."))
		}
	})
}

// queryNotice asks WeChat what it told the buyer.
func (s *OrderListScreen) queryNotice() {
	svc := s.m.s.Orders
	s.orderAction(lang.L("Asking WeChat…"), wechatTimeout, func(ctx context.Context, id string) (*orders.Order, error) {
		_, err := svc.NoticeStatus(ctx, id)
		return nil, err
	}, func(_ *orders.Order, err error) {
		s.DetailTabs.SelectIndex(3)
		s.loadExtras()
		if err != nil {
			s.say(widget.DangerImportance, lang.L("Buyer notice not updated")+": "+failureText(err))
			return
		}
		s.ActionMsg.Hide()
	})
}

// jobChanged is called for every print job event: the pane follows the
// jobs of the order it shows.
func (s *OrderListScreen) jobChanged(j queue.Job) {
	if s.order != nil && j.OrderID == s.order.OrderID && !s.busy {
		s.loadExtras()
	}
}

// --- export -----------------------------------------------------------------

// exportProgress is how far an export is.
type exportProgress struct{ done, total int }

// buildExport makes the export button, its progress row and its message.
func (s *OrderListScreen) buildExport() {
	s.Export = widget.NewButtonWithIcon(lang.L("Export"), theme.DownloadIcon(), s.exportDialog)
	s.ExportBar = widget.NewProgressBar()
	s.ExportStop = widget.NewButtonWithIcon(lang.L("Stop"), theme.MediaStopIcon(), func() {
		if s.exportCancel != nil {
			s.exportCancel()
			s.sayExport(widget.MediumImportance, lang.L("Stopping the export…"))
		}
	})
	s.exportRow = container.NewBorder(nil, nil, nil, s.ExportStop, s.ExportBar)
	s.exportRow.Hide()
	s.ExportMsg = widget.NewLabel("")
	s.ExportMsg.Wrapping = fyne.TextWrapWord
	s.ExportMsg.Hide()
	if s.m.s.ExportHistory == nil {
		s.Export.Disable()
	}
}

func (s *OrderListScreen) sayExport(imp widget.Importance, text string) {
	showMessage(s.ExportMsg, imp, text)
}

// exportDialog asks where to save the export; the file name's extension
// (.xlsx or .csv) chooses the format.
func (s *OrderListScreen) exportDialog() {
	if s.exporting || s.m.s.ExportHistory == nil {
		return
	}
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, s.m.Window)
			return
		}
		if wc == nil {
			return // cancelled
		}
		// The dialog created the file; the export replaces it whole.
		path := wc.URI().Path()
		wc.Close()
		s.ExportTo(path)
	}, s.m.Window)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx", ".csv"}))
	d.SetFileName("orders-" + time.Now().Format("20060102-1504") + ".xlsx")
	d.Show()
}

// ExportTo exports what the search and filters show now, every page of
// it, to path (.xlsx or .csv) on a goroutine, with progress under the list
// and ExportStop to cancel; the outcome is shown there too. The save
// dialog calls it with the file chosen.
func (s *OrderListScreen) ExportTo(path string) {
	export := s.m.s.ExportHistory
	if s.exporting || export == nil {
		return
	}
	if _, err := batch.ExportFormatOf(path); err != nil {
		s.sayExport(widget.DangerImportance, lang.L("Not exported: name the file .xlsx or .csv."))
		background(s.m.b, localTimeout, func(context.Context) (struct{}, error) {
			removeIfEmpty(path)
			return struct{}{}, nil
		}, func(struct{}, error) {})
		return
	}
	q := s.currentQuery()
	s.exporting = true
	s.Export.Disable()
	s.ExportBar.Max, s.ExportBar.Value = 1, 0
	s.ExportBar.Refresh()
	s.exportRow.Show()
	s.sayExport(widget.MediumImportance, lang.L("Exporting the orders…"))
	ctx, cancel := context.WithCancel(context.Background())
	s.exportCancel = cancel
	report := progress(s.m.b, func(p exportProgress) {
		if !s.exporting {
			return
		}
		s.ExportBar.Max = float64(max(p.total, 1))
		s.ExportBar.SetValue(float64(p.done))
		s.sayExport(widget.MediumImportance, lang.L("Exporting: {{.Done}} of {{.Total}} orders…", map[string]any{"Done": p.done, "Total": p.total}))
	})
	background(s.m.b, exportTimeout, func(bctx context.Context) (int, error) {
		// Stop cancels ctx; closing the window or the timeout cancels bctx.
		stop := context.AfterFunc(bctx, cancel)
		defer stop()
		n, err := export(ctx, path, q, func(done, total int) { report(exportProgress{done, total}) })
		if err != nil {
			removeIfEmpty(path) // the dialog's empty file: no export there
			// Stopped or timed out: say so, whatever the query answered.
			switch {
			case bctx.Err() != nil:
				err = bctx.Err()
			case ctx.Err() != nil:
				err = ctx.Err()
			}
		}
		return n, err
	}, func(n int, err error) {
		cancel()
		s.exporting, s.exportCancel = false, nil
		s.Export.Enable()
		s.exportRow.Hide()
		switch {
		case errors.Is(err, context.Canceled):
			s.sayExport(widget.WarningImportance, lang.L("Export stopped: no file was written."))
		case errors.Is(err, context.DeadlineExceeded):
			s.sayExport(widget.DangerImportance, lang.L("Not exported: it took too long. Narrow the search or the dates and export again."))
		case err != nil:
			s.sayExport(widget.DangerImportance, lang.L("Not exported")+": "+err.Error())
		default:
			s.sayExport(widget.SuccessImportance, lang.L("Exported {{.N}} orders to {{.Path}}. The file has the receivers' full phone numbers: keep it private.",
				map[string]any{"N": n, "Path": path}))
		}
	})
}

// Exporting reports whether an export is running.
func (s *OrderListScreen) Exporting() bool { return s.exporting }

// removeIfEmpty removes a file the save dialog created and nothing wrote.
func removeIfEmpty(path string) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		os.Remove(path)
	}
}
