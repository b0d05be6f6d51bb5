package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Form helpers shared by the screens that take typed input (the order form
// now; batch import and settings later): a text field with its own error
// line, and the parsing of the numbers operators type. Parsing is UI work;
// the ranges and lengths an order must respect come from wxapi via
// orders.Prepare.

// FormEntry is a one-line text field that shows its error in red under it
// and checks itself when the operator leaves it.
type FormEntry struct {
	widget.Entry
	// ErrorLine shows the field's error; hidden while there is none.
	ErrorLine *widget.Label
	// onLeave returns an error message for the text, or "" when fine; it
	// runs when the field loses focus, for checks cheap enough to run then.
	onLeave func(text string) string
	// onEdit runs after every change, besides clearing the error.
	onEdit func(text string)
}

func newFormEntry(placeholder string) *FormEntry {
	e := &FormEntry{ErrorLine: newErrorLine()}
	e.ExtendBaseWidget(e)
	e.PlaceHolder = placeholder
	// Without a Validator, Fyne shows a set validation error only with this.
	e.AlwaysShowValidationError = true
	e.OnChanged = func(s string) {
		// The operator is fixing the field: the old message no longer applies.
		e.ClearError()
		if e.onEdit != nil {
			e.onEdit(s)
		}
	}
	return e
}

// FocusLost runs the field's cheap check when the operator leaves it.
func (e *FormEntry) FocusLost() {
	e.Entry.FocusLost()
	if e.onLeave == nil || e.Disabled() {
		return
	}
	if msg := e.onLeave(e.Text); msg != "" {
		e.SetError(msg)
	}
}

// SetError marks the field and shows msg under it; "" clears.
func (e *FormEntry) SetError(msg string) {
	if msg == "" {
		e.ClearError()
		return
	}
	e.SetValidationError(errors.New(msg))
	showErrorLine(e.ErrorLine, msg)
}

// ClearError removes the mark and the message.
func (e *FormEntry) ClearError() {
	if e.ErrorLine.Hidden {
		return // SetError always shows the line, so nothing is marked
	}
	e.SetValidationError(nil)
	e.ErrorLine.SetText("")
	e.ErrorLine.Hide()
}

// ErrorText returns the message shown under the field, "" when none.
func (e *FormEntry) ErrorText() string {
	if e.ErrorLine.Hidden {
		return ""
	}
	return e.ErrorLine.Text
}

// withError stacks the field over its error line.
func (e *FormEntry) withError() fyne.CanvasObject {
	return container.NewVBox(e, e.ErrorLine)
}

// newErrorLine is the red caption under a field. It truncates rather than
// wraps: a long reason must not widen the form; the summary line has it in
// full.
func newErrorLine() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.SizeName = theme.SizeNameCaptionText
	l.Truncation = fyne.TextTruncateEllipsis
	l.Hide()
	return l
}

// showMessage sets a message label's text and colour and shows it.
func showMessage(l *widget.Label, imp widget.Importance, text string) {
	l.Importance = imp
	l.SetText(text)
	l.Show()
}

func showErrorLine(l *widget.Label, msg string) {
	l.SetText(msg)
	l.Show()
}

// normalizeDigits turns the full-width digits and punctuation a Chinese
// input method types (１２．５) into ASCII and trims spaces.
func normalizeDigits(s string) string {
	s = strings.TrimSpace(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．' || r == '。':
			return '.'
		case r == '－':
			return '-'
		}
		return r
	}, s)
}

// errNotNumber and friends are the parse failures of number fields, worded
// for the operator.
func errNotNumber() error { return errors.New(lang.L("not a number")) }
func errNegative() error  { return errors.New(lang.L("cannot be negative")) }

// parseDecimal reads a non-negative decimal such as a weight in kg ("1.25")
// or a side in cm. Empty is 0: whether 0 is allowed is the order's rule.
func parseDecimal(s string) (float64, error) {
	s = normalizeDigits(s)
	if s == "" {
		return 0, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, errNegative()
	}
	// Only plain decimals: ParseFloat would also take "1e3", "Inf", "0x1p4".
	dot := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r == '.' && !dot:
			dot = true
		default:
			return 0, errNotNumber()
		}
	}
	if s == "." {
		return 0, errNotNumber()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errNotNumber()
	}
	return v, nil
}

// parseCount reads a whole number of items; empty gives def.
func parseCount(s string, def int) (int, error) {
	s = normalizeDigits(s)
	if s == "" {
		return def, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, errNegative()
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errors.New(lang.L("not a whole number"))
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New(lang.L("number too large"))
	}
	return n, nil
}

// maxYuanDigits bounds the integer part of an amount so the fen value
// cannot overflow; the order's own limit is far lower.
const maxYuanDigits = 12

// parseYuan reads an amount in yuan ("12.34", "12.3", "12", "0.5") and
// returns it in fen exactly, without going through a float: 12.34 yuan is
// 1234 fen, never 1233. More than two decimals is refused rather than
// rounded: the declared value is what the operator typed.
func parseYuan(s string) (int64, error) {
	s = normalizeDigits(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥")
	s = strings.TrimSpace(strings.TrimSuffix(s, "元"))
	if s == "" {
		return 0, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, errNegative()
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" && whole == "" {
		return 0, errNotNumber()
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, errNotNumber()
			}
		}
	}
	if len(frac) > 2 {
		return 0, errors.New(lang.L("at most 2 decimals (fen)"))
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > maxYuanDigits {
		return 0, errors.New(lang.L("number too large"))
	}
	var fen int64
	for _, r := range whole + (frac + "00")[:2] {
		fen = fen*10 + int64(r-'0')
	}
	return fen, nil
}

// pickupLayouts are the ways a pick-up time may be typed.
var pickupLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006/01/02 15:04", "2006-1-2 15:04", "2006/1/2 15:04"}

// parsePickup reads an expected pick-up time in local time, e.g.
// "2026-11-23 15:00", as Unix seconds.
func parsePickup(s string, loc *time.Location) (int64, error) {
	s = normalizeDigits(s)
	s = strings.ReplaceAll(s, "：", ":")
	if s == "" {
		return 0, errors.New(lang.L("type a time like 2026-11-23 15:00, or choose now"))
	}
	for _, l := range pickupLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("%s: %q", lang.L("type a time like 2026-11-23 15:00, or choose now"), s)
}

// fixedWidth lays out one object at a fixed width and its own height.
type fixedWidth struct{ w float32 }

func (f *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		if o.Visible() {
			h = max(h, o.MinSize().Height)
		}
	}
	return fyne.NewSize(f.w, h)
}

func (f *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}
