package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
)

// BalanceScreen is the "余额" tab: the e-waybill stock of every franchise
// account bound to the mini program, when it was last counted, and a
// warning under the shop's threshold. Contract and cash accounts have no
// stock and are not listed.
type BalanceScreen struct {
	// Table holds one row per account: courier, account, labels left,
	// updated, and the warning.
	Table *fyne.Container
	// Refresh asks WeChat for every account's stock (getQuota).
	Refresh *widget.Button
	// Threshold is the low-stock warning level; SaveThreshold stores it.
	Threshold     *FormEntry
	SaveThreshold *widget.Button
	// Info says when the numbers are from, or why they could not be read;
	// Warning sums up the accounts running low.
	Info    *widget.Label
	Warning *widget.Label
	Content fyne.CanvasObject

	// Accounts are the rows shown.
	Accounts []orders.QuotaAccount

	m       *Main
	loading bool
	loaded  bool
}

// balanceColumns: courier, account, labels left, updated, state.
var balanceColumns = []column{{weight: 1}, {weight: 1.3}, {fixed: 110}, {fixed: 140}, {weight: 1}}

func newBalanceScreen(m *Main) *BalanceScreen {
	s := &BalanceScreen{m: m}
	s.Table = container.NewVBox()
	s.Refresh = widget.NewButtonWithIcon(lang.L("Ask WeChat now"), theme.ViewRefreshIcon(), func() { s.load(true) })
	s.Threshold = newFormEntry(fmt.Sprint(orders.DefaultQuotaThreshold))
	s.Threshold.onLeave = func(t string) string {
		if _, err := parseCount(t, 0); err != nil {
			return err.Error()
		}
		return ""
	}
	s.SaveThreshold = widget.NewButtonWithIcon(lang.L("Save"), theme.DocumentSaveIcon(), s.saveThreshold)
	s.Info = widget.NewLabel("")
	s.Info.Wrapping = fyne.TextWrapWord
	s.Warning = widget.NewLabel("")
	s.Warning.Wrapping = fyne.TextWrapWord
	s.Warning.Importance = widget.DangerImportance
	s.Warning.Hide()

	header := container.New(&columns{balanceColumns},
		heading(lang.L("Courier")), heading(lang.L("Account")), heading(lang.L("Labels left")), heading(lang.L("Updated")), heading(lang.L("State")))
	top := container.NewVBox(
		container.NewHBox(s.Refresh, layout.NewSpacer(), fieldLabel(lang.L("Warn below")),
			container.New(&fixedWidth{90}, s.Threshold.withError()), s.SaveThreshold),
		s.Warning,
		header,
	)
	s.Content = container.NewBorder(top, s.Info, nil, nil, container.NewVScroll(s.Table))
	return s
}

// selected loads the numbers the first time the tab is shown; they come
// from the cached courier list, so it costs no WeChat call.
func (s *BalanceScreen) selected() {
	if !s.loaded {
		s.load(false)
	}
}

// balanceView is what a load brings back.
type balanceView struct {
	accounts  []orders.QuotaAccount
	threshold int
}

// load shows the accounts' stock; refresh asks WeChat for each.
func (s *BalanceScreen) load(refresh bool) {
	svc := s.m.s.Orders
	if svc == nil || s.loading {
		return
	}
	s.loading = true
	s.Refresh.Disable()
	s.Info.Importance = widget.MediumImportance
	s.Info.SetText(lang.L("Reading the balances…"))
	background(s.m.b, courierTimeout, func(ctx context.Context) (balanceView, error) {
		var v balanceView
		var err error
		if v.threshold, err = svc.QuotaThreshold(ctx); err != nil {
			return v, err
		}
		v.accounts, err = svc.Quotas(ctx, refresh)
		return v, err
	}, func(v balanceView, err error) {
		s.loading = false
		s.loaded = true
		s.Refresh.Enable()
		if err != nil {
			s.Info.Importance = widget.DangerImportance
			s.Info.SetText(lang.L("Could not read the balances") + ": " + failureText(err))
			return
		}
		if s.Threshold.Text == "" || !refresh {
			s.Threshold.SetText(fmt.Sprint(v.threshold))
		}
		s.show(v.accounts, v.threshold)
		when := lang.L("from the courier list (up to 10 minutes old)")
		if refresh {
			when = lang.L("asked just now")
		}
		s.Info.SetText(lang.L("{{.N}} franchise account(s), {{.When}}. Cash and contract accounts have no label stock.", map[string]any{"N": len(v.accounts), "When": when}))
	})
}

func (s *BalanceScreen) show(list []orders.QuotaAccount, threshold int) {
	s.Accounts = list
	s.Table.RemoveAll()
	low := 0
	for _, a := range list {
		name := a.BizID
		if a.Alias != "" {
			name = a.Alias + " (" + a.BizID + ")"
		}
		updated := lang.L("unknown")
		if !a.Updated.IsZero() {
			updated = a.Updated.Local().Format("01-02 15:04")
		}
		state := widget.NewLabel(lang.L("Enough"))
		state.Importance = widget.SuccessImportance
		count := widget.NewLabelWithStyle(fmt.Sprint(a.Quota), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		if a.Low {
			low++
			state.SetText(lang.L("Low: top up with the courier"))
			state.Importance = widget.DangerImportance
			count.Importance = widget.DangerImportance
		}
		if a.Quota <= 0 {
			state.SetText(lang.L("Empty: orders on this account are refused"))
		}
		s.Table.Add(container.New(&columns{balanceColumns},
			widget.NewLabel(a.CourierName+" "+a.DeliveryID), widget.NewLabel(name), count, widget.NewLabel(updated), state))
	}
	if len(list) == 0 {
		s.Table.Add(widget.NewLabel(lang.L("No franchise account is bound: nothing to count.")))
	}
	if low > 0 {
		s.Warning.SetText(lang.L("{{.N}} account(s) have fewer than {{.T}} labels left: top them up before they run out.", map[string]any{"N": low, "T": threshold}))
		s.Warning.Show()
	} else {
		s.Warning.Hide()
	}
}

// saveThreshold stores the warning level and shows the list against it.
func (s *BalanceScreen) saveThreshold() {
	n, err := parseCount(s.Threshold.Text, -1)
	if err != nil || n < 0 {
		if err == nil {
			err = fmt.Errorf("%s", lang.L("Required"))
		}
		s.Threshold.SetError(err.Error())
		return
	}
	svc := s.m.s.Orders
	background(s.m.b, localTimeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, svc.SetQuotaThreshold(ctx, n)
	}, func(_ struct{}, err error) {
		if err != nil {
			s.Threshold.SetError(failureText(err))
			return
		}
		s.Info.SetText(lang.L("Saved") + " " + time.Now().Format("15:04:05"))
		s.load(false)
	})
}
