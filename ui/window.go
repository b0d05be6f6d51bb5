// Package ui is Waybill Desk's window: one file per screen (neworder.go,
// orderlist.go, ...), the label preview they share (preview.go) and the
// bridge (bridge.go) through which every result of background work reaches
// the widgets. Screens call the orders and printing services only; the
// rules of an order live there, not here.
package ui

import (
	"context"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/internal/sizes"
	"waybilldesk/orders"
	"waybilldesk/orders/batch"
	"waybilldesk/printing"
	"waybilldesk/printing/queue"
	"waybilldesk/settings"
	"waybilldesk/upkeep"
	"waybilldesk/wxapi"
)

// Services are what the window works with; the composition root (package
// desk) builds them.
type Services struct {
	// Orders places, finds and lists orders.
	Orders *orders.Service
	// Renderer turns label HTML into PNG previews and PDFs.
	Renderer *printing.Renderer
	// Sandbox is true when orders go to the embedded fake of WeChat: the
	// window then says so on every screen.
	Sandbox bool
	// DataPath is the history file, shown in the status bar for support.
	DataPath string
	// Printing is the print queue and the printer records.
	Printing *queue.Queue
	// Settings keeps the AppID, the AppSecret (in the keyring) and the
	// other settings applied at the next start, and writes backups.
	Settings *settings.Service
	// NewImporter returns a batch importer with the stored import defaults
	// under opts (the Batch screen's progress and printing hooks).
	NewImporter func(ctx context.Context, opts batch.Options) (*batch.Importer, error)
	// Restore opens the restore dialog (the app closes the history and
	// restarts); nil hides the button.
	Restore func()
	// SandboxReason says why the desk runs on the sandbox when an AppID is
	// set (no secret in the keyring, no keyring): shown in the banner.
	SandboxReason string
	// ExportHistory writes the orders matching q (all pages) to path as
	// CSV or XLSX, reporting progress; nil disables the Orders screen's
	// Export button.
	ExportHistory func(ctx context.Context, path string, q orders.Query, progress func(done, total int)) (int, error)
	// Pushes is the desk's own receiver of WeChat's message pushes;
	// nil hides the Settings switch that runs it.
	Pushes Pushes
	// Upkeep checks and backs up the history in the background; the status
	// bar says what it does and when the history is damaged.
	Upkeep *upkeep.Runner
}

// Pushes starts and stops the desk's receiver of WeChat's message pushes
// from the stored settings and tells what it does; *desk.Desk is one.
type Pushes interface {
	// ApplyPushSettings starts, restarts or stops the receiver as the
	// stored settings say and returns its status.
	ApplyPushSettings(ctx context.Context) (orders.PushStatus, error)
	// PushStatus is the receiver's status now.
	PushStatus() orders.PushStatus
	// SubscribePushes delivers the status after every change until stop.
	SubscribePushes(buffer int) (ch <-chan orders.PushStatus, stop func())
}

// WindowSize is the size the window opens at: it fits a 1280x800 laptop
// screen and a packing station's 1366x768 monitor.
var WindowSize = fyne.NewSize(1100, 760)

// sandboxAmber is the banner colour: the warning colour of a hazard sign,
// readable with black text in both light and dark themes.
var sandboxAmber = color.NRGBA{R: 0xFF, G: 0xC1, B: 0x07, A: 0xFF}

// Main is the content of the main window. Its fields expose the screens
// and their widgets, so tests can drive them as an operator would.
type Main struct {
	App    fyne.App
	Window fyne.Window
	// Banner is the sandbox warning above the tabs; nil when orders go to
	// WeChat for real.
	Banner fyne.CanvasObject
	// Tabs holds one tab per screen.
	Tabs *container.AppTabs
	// NewOrder is the order form, Orders the history, Scan the packing
	// station; Batch imports files, Printers and Balance show what their
	// names say, Settings the desk's own.
	NewOrder *NewOrderScreen
	Orders   *OrderListScreen
	Scan     *ScanScreen
	Batch    *BatchScreen
	Printers *PrintersScreen
	Balance  *BalanceScreen
	Settings *SettingsScreen
	// Content is the whole window content.
	Content fyne.CanvasObject

	s Services
	b *bridge

	courierGen int // bumped per courier load, so an older answer is dropped
	stopJobs   func()
	stopPushes func()
	stopUpkeep func()
	// UpkeepLine says what the background check or backup does, and
	// warns when the history is damaged or a backup did not fit.
	UpkeepLine *widget.Label
	pushesSeen int // pushes received when the last status came

	stopChanges func()
	changed     map[string]bool // orders changed since the list was refreshed
	changeWait  func() bool     // the pending coalesced refresh, if any
}

// prefTab keeps the tab shown last: a packing station opens on its scan
// station, an office on its order list.
const prefTab = "ui.tab"

// NewMainWindow builds the main window in the language stored in the
// preferences. The window is not shown yet.
func NewMainWindow(a fyne.App, s Services) fyne.Window {
	if err := SetLanguage(languageFrom(a.Preferences())); err != nil {
		fyne.LogError("set the UI language", err)
	}
	w := a.NewWindow(lang.L("Waybill Desk"))
	m := NewMain(a, w, s)
	w.SetContent(m.Content)
	w.Resize(WindowSize)
	w.SetOnClosed(m.Close)
	return w
}

// NewMain builds the screens into w (setting its content) and starts
// loading the courier list and the history. Call SetLanguage first.
func NewMain(a fyne.App, w fyne.Window, s Services) *Main {
	return newMain(a, w, s, nil)
}

// newMain is NewMain with the bridge's post function: nil means fyne.Do;
// tests pass a queue they run themselves.
func newMain(a fyne.App, w fyne.Window, s Services, post func(func())) *Main {
	m := &Main{App: a, Window: w, s: s, b: newBridge(post)}
	m.NewOrder = newNewOrderScreen(m)
	m.Orders = newOrderListScreen(m)
	m.Scan = newScanScreen(m)
	m.Batch = newBatchScreen(m)
	m.Printers = newPrintersScreen(m)
	m.Balance = newBalanceScreen(m)
	m.Settings = newSettingsScreen(m)
	m.NewOrder.onPlaced = func(*orders.Order) { m.Orders.Refresh() }

	m.Tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(lang.L("New order"), theme.DocumentCreateIcon(), m.NewOrder.Content),
		container.NewTabItemWithIcon(lang.L("Orders"), theme.ListIcon(), m.Orders.Content),
		container.NewTabItemWithIcon(lang.L("Scan station"), theme.SearchIcon(), m.Scan.Content),
		container.NewTabItemWithIcon(lang.L("Batch"), theme.UploadIcon(), m.Batch.Content),
		container.NewTabItemWithIcon(lang.L("Printers"), theme.DocumentPrintIcon(), m.Printers.Content),
		container.NewTabItemWithIcon(lang.L("Balance"), theme.InfoIcon(), m.Balance.Content),
		container.NewTabItemWithIcon(lang.L("Settings"), theme.SettingsIcon(), m.Settings.Content),
	)
	m.Tabs.OnSelected = func(t *container.TabItem) { m.tabSelected(t) }
	var top fyne.CanvasObject
	if s.Sandbox {
		m.Banner = sandboxBanner(s.SandboxReason)
		top = m.Banner
	}
	m.UpkeepLine = widget.NewLabel("")
	m.UpkeepLine.SizeName = theme.SizeNameCaptionText
	m.Content = container.NewBorder(top, statusBar(s, m.UpkeepLine), nil, nil, m.Tabs)
	w.SetContent(m.Content)

	if s.Printing != nil {
		events, stop := s.Printing.Subscribe(64)
		m.stopJobs = stop
		listen(m.b, events, func(e queue.Event) { m.jobChanged(e.Job) })
	}
	if s.Pushes != nil {
		events, stop := s.Pushes.SubscribePushes(16)
		m.stopPushes = stop
		listen(m.b, events, m.pushChanged)
		pushes := s.Pushes
		background(m.b, localTimeout, func(context.Context) (orders.PushStatus, error) {
			return pushes.PushStatus(), nil
		}, func(st orders.PushStatus, _ error) {
			m.pushesSeen = st.Received
			m.Settings.showPushStatus(st)
		})
	}
	if s.Upkeep != nil {
		events, stop := s.Upkeep.Subscribe(4)
		m.stopUpkeep = stop
		listen(m.b, events, m.upkeepChanged)
		m.upkeepChanged(s.Upkeep.Status())
	}
	if s.Orders != nil {
		// Tracking polled in the background, a batch, another screen: the
		// Orders list follows every change without polling the history.
		changes, stop := s.Orders.Subscribe(256)
		m.stopChanges = stop
		listen(m.b, changes, m.orderChanged)
	}
	m.LoadCouriers(false)
	m.Orders.Refresh()
	if i := a.Preferences().IntWithFallback(prefTab, 0); i > 0 && i < len(m.Tabs.Items) {
		m.Tabs.SelectIndex(i)
	}
	return m
}

// tabSelected remembers the tab and lets its screen load what it shows.
func (m *Main) tabSelected(t *container.TabItem) {
	m.App.Preferences().SetInt(prefTab, m.Tabs.SelectedIndex())
	switch t.Content {
	case m.Scan.Content:
		m.Scan.selected()
	case m.Printers.Content:
		m.Printers.selected()
	case m.Balance.Content:
		m.Balance.selected()
	case m.Settings.Content:
		m.Settings.selected()
	case m.Batch.Content:
		m.Batch.selected()
	}
}

// ShowScan, ShowOrders... select a tab as a click on it does.
func (m *Main) ShowScan()     { m.Tabs.Select(m.Tabs.Items[2]) }
func (m *Main) ShowOrders()   { m.Tabs.Select(m.Tabs.Items[1]) }
func (m *Main) ShowBatch()    { m.Tabs.Select(m.Tabs.Items[3]) }
func (m *Main) ShowPrinters() { m.Tabs.Select(m.Tabs.Items[4]) }
func (m *Main) ShowBalance()  { m.Tabs.Select(m.Tabs.Items[5]) }
func (m *Main) ShowSettings() { m.Tabs.Select(m.Tabs.Items[6]) }

// jobChanged passes a print job event to the screens that show jobs.
func (m *Main) jobChanged(j queue.Job) {
	m.Orders.jobChanged(j)
}

// pushChanged is called with the push receiver's status after every
// change: Settings shows it, and a push that moved an order of the
// history updates the Orders screen.
func (m *Main) pushChanged(st orders.PushStatus) {
	m.Settings.showPushStatus(st)
	if st.Received != m.pushesSeen {
		m.pushesSeen = st.Received
		if st.LastOrderID != "" {
			m.Orders.pushed(st.LastOrderID)
		}
	}
}

// orderChanged gathers order changes and refreshes the Orders screen once
// for a burst of them (a batch places hundreds a minute).
func (m *Main) orderChanged(c orders.Change) {
	if m.changed == nil {
		m.changed = map[string]bool{}
	}
	m.changed[c.OrderID] = true
	if m.changeWait != nil {
		return
	}
	m.changeWait = m.b.after(changeCoalesce, func() {
		ids := m.changed
		m.changed, m.changeWait = nil, nil
		m.Orders.changed(ids)
	})
}

// changeCoalesce is how long order changes gather before one refresh.
const changeCoalesce = 300 * time.Millisecond

// printersChanged is called when the Printers screen added, changed or
// removed a printer: the scan station's picker follows.
func (m *Main) printersChanged() {
	m.Scan.loadPrinters()
	m.Batch.loadPrinters()
}

// courierName is a courier's name from the list, or its id.
func (m *Main) courierName(id string) string { return m.Orders.courierName(id) }

// sandboxBanner is the amber strip that says orders are not real, and why
// when an AppID is set.
func sandboxBanner(reason string) fyne.CanvasObject {
	bg := canvas.NewRectangle(sandboxAmber)
	msg := lang.L("Sandbox mode — no AppID configured: orders are not sent to real couriers")
	if reason != "" {
		msg = lang.L("Sandbox mode — orders are not sent to real couriers") + ": " + reason
	}
	text := canvas.NewText(msg, color.Black)
	text.TextStyle = fyne.TextStyle{Bold: true}
	text.Alignment = fyne.TextAlignCenter
	return container.NewStack(bg, container.NewPadded(text))
}

// statusBar names the history file, the first thing support asks for,
// with the background upkeep's line at its right.
func statusBar(s Services, upkeepLine *widget.Label) fyne.CanvasObject {
	if s.DataPath == "" {
		return nil
	}
	l := widget.NewLabel(lang.L("History") + ": " + s.DataPath)
	l.SizeName = theme.SizeNameCaptionText
	l.Truncation = fyne.TextTruncateEllipsis
	// The upkeep's line is short and whole; the path gives way to it.
	return container.NewBorder(nil, nil, nil, upkeepLine, l)
}

// upkeepChanged shows what the background upkeep does: progress while it
// checks or copies, and what the operator must know afterwards (damage,
// a backup that did not fit, the last backup).
func (m *Main) upkeepChanged(st upkeep.Status) {
	m.UpkeepLine.Importance = widget.MediumImportance
	var text string
	switch {
	case st.Damaged():
		m.UpkeepLine.Importance = widget.DangerImportance
		text = lang.L("The history is damaged: nothing more is saved. Restore a backup (Data menu).")
	case st.Task == upkeep.Check && st.Total > 0:
		text = lang.L("Checking the history… {{.Percent}}%", map[string]any{"Percent": min(99, st.Done*100/st.Total)})
	case st.Task == upkeep.Check:
		text = lang.L("Checking the history…")
	case st.Task == upkeep.Backup && st.Total > 0:
		text = lang.L("Backing up the history… {{.Percent}}%", map[string]any{"Percent": st.Done * 100 / st.Total})
	case st.Task == upkeep.Backup:
		text = lang.L("Backing up the history…")
	case st.BackupSkipped != "":
		m.UpkeepLine.Importance = widget.WarningImportance
		text = lang.L("Today's backup was not written: a copy takes {{.Need}}, backups may take {{.Budget}} (20% of the free disk space)",
			map[string]any{"Need": sizes.Text(st.BackupNeed), "Budget": sizes.Text(st.BackupBudget)})
	case st.Err != "":
		m.UpkeepLine.Importance = widget.WarningImportance
		// The error itself (a path, a system message) is in the log, which
		// Data → Copy diagnostics carries; the line stays short.
		text = lang.L("Today's backup or check failed: see Data → Copy diagnostics")
	case !st.BackupAt.IsZero():
		text = lang.L("Backed up at {{.Time}}", map[string]any{"Time": st.BackupAt.Format("15:04")})
	}
	m.UpkeepLine.SetText(text)
}

// LoadCouriers fetches the courier list (refresh forces WeChat to be asked
// again, e.g. to update the label quota) and gives it to the screens.
func (m *Main) LoadCouriers(refresh bool) {
	if m.s.Orders == nil {
		return
	}
	m.courierGen++
	gen := m.courierGen
	m.NewOrder.couriersLoading()
	svc := m.s.Orders
	background(m.b, courierTimeout, func(ctx context.Context) ([]orders.Courier, error) {
		list, err := svc.Couriers(ctx, refresh)
		return cloneCouriers(list), err
	}, func(list []orders.Courier, err error) {
		if gen != m.courierGen {
			return
		}
		m.NewOrder.setCouriers(list, err)
		if err == nil {
			m.Orders.setCouriers(list)
			m.Printers.setCouriers(list)
			m.Batch.setCouriers(list)
		}
	})
}

// cloneCouriers copies the list deeply. orders.Service returns its cached
// list and updates the accounts' quota in place after each order; the
// screens keep their own copy so the UI thread never reads memory another
// goroutine writes.
func cloneCouriers(list []orders.Courier) []orders.Courier {
	out := make([]orders.Courier, len(list))
	for i, c := range list {
		c.Services = append([]wxapi.ServiceType(nil), c.Services...)
		c.Accounts = append([]orders.Account(nil), c.Accounts...)
		out[i] = c
	}
	return out
}

// Close stops the work in flight (renders, service calls) and waits for it.
// The window calls it when it closes.
func (m *Main) Close() {
	m.NewOrder.stop()
	m.Orders.stop()
	m.Batch.stop()
	if m.stopJobs != nil {
		m.stopJobs()
	}
	if m.stopUpkeep != nil {
		m.stopUpkeep()
	}
	if m.stopPushes != nil {
		m.stopPushes()
	}
	if m.stopChanges != nil {
		m.stopChanges()
	}
	m.b.close()
}
