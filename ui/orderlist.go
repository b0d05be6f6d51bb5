package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
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
}

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
	// List shows the loaded rows; more load as it scrolls.
	List *widget.List
	// Info says how many rows are loaded, or why none could be.
	Info *widget.Label
	// Detail shows the chosen order; DetailFields are its lines.
	DetailFields *fyne.Container
	Preview      *Preview
	Content      fyne.CanvasObject

	m        *Main
	rows     []orders.Order
	more     bool // the last page was full: there may be more
	loading  bool
	gen      int // bumped per new query; answers of older queries are dropped
	query    orders.Query
	names    map[string]string // delivery_id -> courier name
	selected string            // order id shown in the detail pane
	stopWait func() bool       // cancels the pending debounced search
	values   map[string]*widget.Label
	detail   *fyne.Container // the detail pane: fields over the preview
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

	s.Preview = newPreview(m, fyne.NewSize(140, 220))
	s.DetailFields = container.New(layout.NewFormLayout())
	for _, k := range detailKeys {
		v := widget.NewLabel("")
		v.Truncation = fyne.TextTruncateEllipsis
		v.Selectable = true // order and waybill ids get copied into chats
		s.values[k] = v
		s.DetailFields.Add(widget.NewLabelWithStyle(lang.L(k), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		s.DetailFields.Add(v)
	}
	s.values["Error"].Wrapping = fyne.TextWrapWord
	s.values["Error"].Truncation = fyne.TextTruncateOff
	s.values["Error"].Importance = widget.DangerImportance
	s.DetailFields.Objects[2*len(detailKeys)-2].Hide() // the Error row, until an order has one
	s.values["Error"].Hide()
	s.DetailFields.Hide() // until an order is chosen; the preview says what to do

	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), s.Refresh)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(container.New(&fixedWidth{150}, s.Status), refresh), s.Search)
	header := newHeaderRow()
	left := container.NewBorder(container.NewVBox(top, header), s.Info, nil, nil, s.List)
	s.detail = container.NewBorder(container.NewVBox(heading(lang.L("Order details")), s.DetailFields), nil, nil, nil, s.Preview.Content)
	split := container.NewHSplit(left, s.detail)
	split.Offset = 0.64
	s.Content = split
	return s
}

// detailKeys are the lines of the detail pane, in order.
var detailKeys = []string{"Order no.", "Waybill", "Status", "Courier", "Receiver", "Goods", "Created", "Error"}

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
	svc := s.m.s.Orders
	background(s.m.b, listTimeout, func(ctx context.Context) ([]orders.Order, error) {
		return svc.List(ctx, q)
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

// loadMore appends the next page.
func (s *OrderListScreen) loadMore() {
	if s.loading || !s.more || s.m.s.Orders == nil {
		return
	}
	s.loading = true
	gen, q := s.gen, s.query
	q.Offset, q.Limit = len(s.rows), pageSize
	svc := s.m.s.Orders
	background(s.m.b, listTimeout, func(ctx context.Context) ([]orders.Order, error) {
		return svc.List(ctx, q)
	}, func(page []orders.Order, err error) {
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
	s.selected = o.OrderID
	v := s.values
	v["Order no."].SetText(o.OrderID)
	v["Waybill"].SetText(o.WaybillID)
	v["Status"].SetText(statusText(o.Status))
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
	if o.ErrorCode != 0 || o.ErrorMsg != "" {
		errText = fmt.Sprintf("errcode %d %s %s", o.ErrorCode, o.ErrorMsg, advice(o.ErrorCode))
	}
	v["Error"].SetText(errText)
	// The error line only when there is one: the label preview gets the room.
	for i, k := range detailKeys {
		if k == "Error" {
			row := s.DetailFields.Objects[2*i : 2*i+2]
			for _, o := range row {
				if errText == "" {
					o.Hide()
				} else {
					o.Show()
				}
			}
		}
	}
	if !s.DetailFields.Visible() {
		s.DetailFields.Show()
	}
	// The pane's rows changed height: lay it out again, fields and preview.
	s.detail.Refresh()
	s.Preview.Show(o)
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

// stop is called when the window closes.
func (s *OrderListScreen) stop() {
	if s.stopWait != nil {
		s.stopWait()
	}
}
