package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"waybilldesk/store"
	"waybilldesk/upkeep"
)

func TestSandboxBannerOnlyInSandboxMode(t *testing.T) {
	if err := SetLanguage("zh"); err != nil {
		t.Fatal(err)
	}
	for _, sandbox := range []bool{true, false} {
		a := test.NewTempApp(t)
		w := test.NewTempWindow(t, nil)
		// No order service: the banner depends on the flag alone.
		m := newMain(a, w, Services{Sandbox: sandbox, DataPath: "/tmp/history.db"}, (&uiLoop{}).post)
		w.Resize(WindowSize)
		shown := showsText(w.Content(), "沙箱模式 / Sandbox — 未配置 AppID，订单不会发给真实快递")
		if shown != sandbox || (m.Banner != nil) != sandbox {
			t.Errorf("sandbox=%v: banner shown=%v (Banner %v)", sandbox, shown, m.Banner)
		}
		// It sits above the tabs, so every tab shows it.
		m.Tabs.SelectIndex(1)
		if got := showsText(w.Content(), "沙箱模式"); got != sandbox {
			t.Errorf("sandbox=%v on the Orders tab: banner shown=%v", sandbox, got)
		}
		if !showsText(w.Content(), "/tmp/history.db") {
			t.Error("the status bar does not name the history file")
		}
		m.Close()
	}
}

func TestNewMainWindowTitleSizeAndTabs(t *testing.T) {
	a := test.NewTempApp(t)
	w := NewMainWindow(a, Services{Sandbox: true})
	defer w.Close()
	if w.Title() != "Waybill Desk 电子面单工作台" {
		t.Errorf("title %q", w.Title())
	}
	if s := w.Canvas().Size(); s.Width < WindowSize.Width || s.Height < WindowSize.Height {
		t.Errorf("window %v, want at least %v", s, WindowSize)
	}
	if !showsText(w.Content(), "新建订单") || !showsText(w.Content(), "订单") {
		t.Errorf("tabs %q", texts(w.Content()))
	}
}

// TestLanguageSwitch: Chinese by default, English on request, whatever the
// system locale; a window built after the switch speaks the new language.
func TestLanguageSwitch(t *testing.T) {
	t.Cleanup(func() { _ = SetLanguage("zh") })
	for _, tc := range []struct{ code, newOrder, orders, place string }{
		{"zh", "新建订单", "订单", "下单并预览"},
		{"en", "New order", "Orders", "Place & preview"},
		{"zh", "新建订单", "订单", "下单并预览"}, // and back, in the same process
	} {
		if err := SetLanguage(tc.code); err != nil {
			t.Fatal(err)
		}
		a := test.NewTempApp(t)
		w := test.NewTempWindow(t, nil)
		m := newMain(a, w, Services{}, (&uiLoop{}).post)
		if got := m.Tabs.Items[0].Text; got != tc.newOrder {
			t.Errorf("%s: first tab %q, want %q", tc.code, got, tc.newOrder)
		}
		if got := m.Tabs.Items[1].Text; got != tc.orders {
			t.Errorf("%s: second tab %q, want %q", tc.code, got, tc.orders)
		}
		if got := m.NewOrder.Place.Text; got != tc.place {
			t.Errorf("%s: place button %q, want %q", tc.code, got, tc.place)
		}
		m.Close()
	}
	if err := SetLanguage("fr"); err == nil {
		t.Error("SetLanguage(fr) accepted a language without translations")
	}
}

// TestLanguageFromPreferences: the stored choice is used, an unknown one
// falls back to Chinese.
func TestLanguageFromPreferences(t *testing.T) {
	a := test.NewTempApp(t)
	if got := languageFrom(a.Preferences()); got != "zh" {
		t.Errorf("default %q", got)
	}
	a.Preferences().SetString(PrefLanguage, "en")
	if got := languageFrom(a.Preferences()); got != "en" {
		t.Errorf("stored en: %q", got)
	}
	a.Preferences().SetString(PrefLanguage, "xx")
	if got := languageFrom(a.Preferences()); got != "zh" {
		t.Errorf("stored xx: %q", got)
	}
}

// TestTranslationsCoverEveryString: every lang.L literal and every key kept
// in a table has a Chinese and an English entry, and the files agree.
func TestTranslationsCoverEveryString(t *testing.T) {
	load := func(name string) map[string]string {
		b, err := os.ReadFile(filepath.Join("translations", name))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	zh, en := load("zh.json"), load("en.json")
	keys := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	lit := regexp.MustCompile(`lang\.L\("((?:[^"\\]|\\.)*)"`)
	for _, f := range files {
		if regexp.MustCompile(`_test\.go$`).MatchString(f) {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	for _, h := range reasonHints {
		keys[h.hint] = true
	}
	for _, f := range statusFilters {
		keys[f.label] = true
	}
	for _, k := range detailKeys {
		keys[k] = true
	}
	for _, f := range dateFilters {
		keys[f.label] = true
	}
	for _, k := range printedFilters {
		keys[k] = true
	}
	for _, k := range printerKinds {
		keys[k.label] = true
	}
	for _, k := range printerLanguages {
		keys[k.label] = true
	}
	for _, k := range tokenModes {
		keys[k.label] = true
	}
	for _, k := range noticeFamilies {
		keys[k.label] = true
	}
	var missing []string
	for k := range keys {
		if zh[k] == "" || en[k] == "" {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("untranslated strings: %q", missing)
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("%q in zh.json but not en.json", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("%q in en.json but not zh.json", k)
		}
	}
}

// TestWindowFitsAt1100x760: the content's minimum size never exceeds the
// window size, before and after an order is placed and when errors are
// shown; otherwise the real window would open taller than the screen
// (the GL driver grows a window to its content's minimum size).
func TestWindowFitsAt1100x760(t *testing.T) {
	h := newHarness(t)
	fits := func(when string) {
		t.Helper()
		if m := h.m.Content.MinSize(); m.Width > WindowSize.Width || m.Height > WindowSize.Height {
			t.Errorf("%s: content needs %v, more than the window's %v", when, m, WindowSize)
		}
	}
	fits("empty form")
	h.place() // nothing filled in: errors everywhere
	fits("with the first error shown")
	h.m.NewOrder.ClearForm()
	h.fillOrder(order{courier: "YTO", receiver: "张三", receiverMobile: "13812345678", weight: "1", goods: "书"})
	h.place()
	h.waitFor("the label preview", func() bool { return h.m.NewOrder.Preview.Image.Image != nil })
	fits("after placing an order")
	h.m.Tabs.SelectIndex(1)
	h.waitFor("the order listed", func() bool { return len(h.m.Orders.Rows()) == 1 })
	h.m.Orders.List.Select(0)
	h.waitFor("the detail preview", func() bool { return h.m.Orders.Preview.Image.Image != nil })
	fits("with an order's details shown")
	for _, tab := range h.m.Tabs.Items {
		h.m.Tabs.Select(tab)
		h.settle()
		fits("on the " + tab.Text + " tab")
	}
	// The upkeep's longest lines are shown whole, and the window still fits.
	for _, st := range []upkeep.Status{
		{BackupSkipped: "no room", BackupNeed: 6543 << 20, BackupBudget: 3210 << 20},
		{Checked: true, Check: store.CheckRecord{Kind: "quick_check", Problem: "Tree 15 page 15: btreeInitPage() returns error code 11"}},
		{Err: "daily backup: open /very/long/path/that/nobody/reads/backups/history-20261208.db: permission denied"},
	} {
		h.m.upkeepChanged(st)
		text := h.m.UpkeepLine.Text
		if text == "" || strings.ContainsAny(text, "/…") || strings.Contains(text, "Tree 15") {
			t.Errorf("upkeep line %q: want a short Chinese sentence, whole", text)
		}
		fits("with the upkeep line " + text)
	}
	if got := h.m.UpkeepLine.Text; got != "今日备份或检查未完成：详见 数据 → 复制诊断信息" {
		t.Errorf("failed upkeep says %q", got)
	}
}

// TestBannerSaysWhyAnAppIDStillRunsOnTheSandbox: an AppID whose secret
// cannot be read keeps the desk on the sandbox, and the banner says why.
func TestBannerSaysWhyAnAppIDStillRunsOnTheSandbox(t *testing.T) {
	if err := SetLanguage("zh"); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	m := newMain(a, w, Services{Sandbox: true, SandboxReason: "系统钥匙串不可用 / no system keyring: set WAYBILLDESK_SECRET"}, (&uiLoop{}).post)
	defer m.Close()
	if !showsText(w.Content(), "订单不会发给真实快递: 系统钥匙串不可用") {
		t.Errorf("banner %q", texts(m.Banner))
	}
}
