package ui

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/zalando/go-keyring"

	"waybilldesk/desk"
	"waybilldesk/orders"
	"waybilldesk/settings/keyringtest"
)

// TestMain gives the tests a parsable locale: with LANG unset or "C",
// Fyne logs "Error parsing user locale C" on every translation it loads.
// The UI language itself is chosen by SetLanguage, not by the locale.
func TestMain(m *testing.M) {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v == "C" || v == "POSIX" || strings.HasPrefix(v, "C.") {
			os.Unsetenv(k)
		}
	}
	if os.Getenv("LANG") == "" && os.Getenv("LC_ALL") == "" {
		os.Setenv("LANG", "en_US.UTF-8")
	}
	// The Settings screen keeps the AppSecret in a real Secret Service when
	// one can be started here; go-keyring's in-memory mock otherwise.
	k, err := keyringtest.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ui tests: no real Secret Service (%v); using go-keyring's in-memory mock\n", err)
		keyring.MockInit()
	} else {
		realKeyring = true
	}
	// The scan station beeps through the system's player; tests count the
	// beeps instead.
	playBeep = func(ok bool) { beeps.add(ok) }
	code := m.Run()
	if k != nil {
		k.Stop()
	}
	os.Exit(code)
}

// realKeyring is true when the tests run against a real Secret Service.
var realKeyring bool

// beeps records the scan station's sounds.
var beeps beepLog

type beepLog struct {
	mu       sync.Mutex
	ok, fail int
}

func (b *beepLog) add(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		b.ok++
	} else {
		b.fail++
	}
}

func (b *beepLog) counts() (ok, fail int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ok, b.fail
}

// uiLoop stands in for Fyne's event loop in tests: the bridge posts here
// and waitFor runs what was posted on the test goroutine, which plays the
// UI thread. So the widgets are only ever touched by one goroutine, as in
// the app, and the race detector can check the rest.
type uiLoop struct {
	mu sync.Mutex
	q  []func()
}

func (l *uiLoop) post(f func()) {
	l.mu.Lock()
	l.q = append(l.q, f)
	l.mu.Unlock()
}

func (l *uiLoop) drain() {
	for {
		l.mu.Lock()
		q := l.q
		l.q = nil
		l.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, f := range q {
			f()
		}
	}
}

// Polling limits: generous for a cold Chromium on a 2-core CI box, short
// steps so a passing test does not wait for nothing.
const (
	waitDeadline = 30 * time.Second
	waitStep     = 50 * time.Millisecond
)

// harness is one window over a real desk: sandbox over HTTP on loopback,
// SQLite in a temp dir and a Chromium renderer.
type harness struct {
	t    *testing.T
	app  fyne.App
	w    fyne.Window
	m    *Main
	d    *desk.Desk
	loop *uiLoop
	ctx  context.Context
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessAt(t, filepath.Join(t.TempDir(), "history.db"))
}

// newHarnessAt is newHarness on the history at dbPath, which a test may
// have filled with settings first.
func newHarnessAt(t *testing.T, dbPath string) *harness {
	t.Helper()
	if err := SetLanguage("zh"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := desk.Open(ctx, desk.Config{
		DBPath:  dbPath,
		Sandbox: true,
		Logger:  slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatalf("open desk: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close desk: %v", err)
		}
	})
	h := &harness{t: t, d: d, loop: &uiLoop{}, ctx: ctx}
	h.app = test.NewTempApp(t)
	h.w = h.app.NewWindow("Waybill Desk")
	h.m = newMain(h.app, h.w, Services{Orders: d.Orders, Renderer: d.Renderer, Sandbox: d.Config.Sandbox, DataPath: d.DB.Path(), Upkeep: d.Upkeep,
		Printing: d.Printing, Settings: d.Settings, NewImporter: d.NewImporter, ExportHistory: d.ExportHistory, Pushes: d}, h.loop.post)
	h.w.Resize(WindowSize)
	t.Cleanup(h.m.Close) // runs before d.Close: cleanups are LIFO
	h.waitFor("the courier list", func() bool { return len(h.m.NewOrder.Courier.Options) > 0 })
	return h
}

// waitFor runs the UI loop until cond holds, failing after waitDeadline.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for {
		h.loop.drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %s waiting for %s", waitDeadline, what)
		}
		time.Sleep(waitStep)
	}
}

// settle runs the UI loop until no work is in flight for a moment: used
// before asserting that something did NOT happen.
func (h *harness) settle() {
	for i := 0; i < 6; i++ {
		time.Sleep(waitStep)
		h.loop.drain()
	}
}

// courier returns the service's view of a courier.
func (h *harness) courier(id string) orders.Courier {
	h.t.Helper()
	list, err := h.d.Orders.Couriers(h.ctx, true)
	if err != nil {
		h.t.Fatalf("couriers: %v", err)
	}
	for _, c := range list {
		if c.DeliveryID == id {
			return c
		}
	}
	h.t.Fatalf("courier %s not in the sandbox", id)
	return orders.Courier{}
}

// chooseCourier picks a courier in the Select as the operator would.
func (h *harness) chooseCourier(id string) {
	h.t.Helper()
	for _, o := range h.m.NewOrder.Courier.Options {
		if strings.HasSuffix(o, " "+id) {
			h.m.NewOrder.Courier.SetSelected(o)
			return
		}
	}
	h.t.Fatalf("courier %s not offered; options %q", id, h.m.NewOrder.Courier.Options)
}

// typeInto replaces a field's text by typing, entering and leaving the
// field as an operator does (so the checks on leaving run too).
func typeInto(e *FormEntry, text string) {
	c := fyne.CurrentApp().Driver().CanvasForObject(e)
	e.SetText("")
	if c != nil {
		c.Focus(e)
	}
	test.Type(e, text)
	if c != nil {
		c.Unfocus()
	}
}

// order is what fillOrder types.
type order struct {
	courier        string
	receiver       string
	receiverMobile string
	weight         string
	goods          string
}

func (h *harness) fillOrder(o order) {
	h.t.Helper()
	n := h.m.NewOrder
	if o.courier != "" {
		h.chooseCourier(o.courier)
	}
	typeInto(n.Sender.Name, "王店长")
	typeInto(n.Sender.Mobile, "13912345678")
	typeInto(n.Sender.Province, "浙江省")
	typeInto(n.Sender.City, "杭州市")
	typeInto(n.Sender.Area, "余杭区")
	typeInto(n.Sender.Address, "文一西路 969 号 3 号仓")
	typeInto(n.Receiver.Name, o.receiver)
	typeInto(n.Receiver.Mobile, o.receiverMobile)
	typeInto(n.Receiver.Province, "广东省")
	typeInto(n.Receiver.City, "深圳市")
	typeInto(n.Receiver.Area, "南山区")
	typeInto(n.Receiver.Address, "科技园南区 8 栋 1201")
	typeInto(n.Goods[0].Name, o.goods)
	typeInto(n.Goods[0].Count, "2")
	typeInto(n.Weight, o.weight)
	typeInto(n.Length, "30")
	typeInto(n.Width, "20")
	typeInto(n.Height, "10")
}

// place taps Place and waits for the outcome line.
func (h *harness) place() {
	h.t.Helper()
	n := h.m.NewOrder
	test.Tap(n.Place)
	h.waitFor("the order outcome", func() bool {
		return !n.busy && n.Message.Visible() && n.Message.Importance != widget.MediumImportance
	})
}

// texts returns the text of every visible canvas.Text under o, walking
// containers and widget renderers: what the operator can read.
func texts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *canvas.Text:
			out = append(out, x.Text)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// showsText reports whether some visible text under o contains s.
func showsText(o fyne.CanvasObject, s string) bool {
	for _, t := range texts(o) {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

func (h *harness) history() []orders.Order {
	h.t.Helper()
	list, err := h.d.Orders.List(h.ctx, orders.Query{Limit: 1000})
	if err != nil {
		h.t.Fatalf("list orders: %v", err)
	}
	return list
}

// tapButton taps the visible button whose text is text, anywhere under o
// (a dialog's buttons included when o is an overlay), as a click does.
func tapButton(t *testing.T, o fyne.CanvasObject, text string) {
	t.Helper()
	if b := findButton(o, text); b != nil {
		test.Tap(b)
		return
	}
	t.Fatalf("no button %q among %q", text, texts(o))
}

func findButton(o fyne.CanvasObject, text string) *widget.Button {
	if o == nil || !o.Visible() {
		return nil
	}
	switch x := o.(type) {
	case *widget.Button:
		if x.Text == text {
			return x
		}
	case *fyne.Container:
		for _, c := range x.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

// topDialog is the dialog shown over the window.
func (h *harness) topDialog() fyne.CanvasObject {
	h.t.Helper()
	top := h.w.Canvas().Overlays().Top()
	if top == nil {
		h.t.Fatal("no dialog is shown")
	}
	return top
}

// pressEnter sends Enter to a focused entry, as a scanner ends a code.
func pressEnter(e fyne.Focusable) {
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}
