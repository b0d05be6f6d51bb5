package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/wxapi"
)

// How failures are worded for the operator: in the UI language, with the
// errcode and the English reason kept for support.

// reasonHints give the operator's wording for wxapi's validation reasons
// (English, from wxapi/validate.go); the reason itself follows it so
// support sees the exact rule. Checked in order; the first match wins.
var reasonHints = []struct{ match, hint string }{
	{"is required: choose a courier", "Choose a courier"},
	{"a mobile or a tel number is required", "Type a mobile or a landline number"},
	{"is not a mainland mobile number", "Not a mainland mobile number (11 digits, starting with 1)"},
	{"is not a phone number", "Not a phone number"},
	{"unknown courier", "Unknown courier: refresh the courier list"},
	{"has no service type", "The courier has no such service"},
	{"needs at least one goods line", "Add at least one goods line"},
	{"must be 0 or 1", "Invalid value"},
	{"fen, must be 1 to", "Declared value out of range"},
	{"bytes, at most", "Too long"},
	{"characters, at most", "Too long"},
	{"must be more than", "Too small"},
	{"must be at least", "Too small"},
	{"must be at most", "Too large"},
	{"is not a number", "not a number"},
	{"is negative", "cannot be negative"},
	{"must be Unix seconds", "The pick-up time is in milliseconds: it must be in seconds"},
	{"in the past: the courier cannot come then", "The pick-up time has passed: choose a later time"},
	{"is required", "Required"},
}

// fieldMessage words a validation reason for the field: the hint in the UI
// language with the English reason after it (English UI: the reason alone).
func fieldMessage(reason string) string {
	if Language() == "en" {
		return reason
	}
	for _, h := range reasonHints {
		if strings.Contains(reason, h.match) {
			return lang.L(h.hint) + "（" + reason + "）"
		}
	}
	return reason
}

// failureText explains why an order was not placed: WeChat's errcode and its
// text, the courier's own answer, and what to do.
func failureText(err error) string {
	var we *wxapi.Error
	var b strings.Builder
	switch {
	case errors.Is(err, orders.ErrPending):
		return pendingText(err)
	case errors.Is(err, orders.ErrUnknownOutcome):
		b.WriteString(lang.L("WeChat's answer was lost. The order is kept as submitting and is checked with WeChat automatically; tapping Place again checks it too and never sends it twice."))
		if errors.As(err, &we) {
			fmt.Fprintf(&b, " (errcode %d %s)", we.Code, wxapi.Message(we.Code))
		}
		return b.String()
	case errors.As(err, &we):
		fmt.Fprintf(&b, "errcode %d", we.Code)
		if m := wxapi.Message(we.Code); m != "" {
			b.WriteString(" " + m)
		} else if we.Msg != "" {
			b.WriteString(" " + we.Msg)
		}
		if we.DeliveryResultMsg != "" || we.DeliveryResultCode != 0 {
			fmt.Fprintf(&b, "。%s [%d] %s", lang.L("The courier says:"), we.DeliveryResultCode, we.DeliveryResultMsg)
		}
		b.WriteString("。" + advice(we.Code))
		return b.String()
	case errors.Is(err, context.DeadlineExceeded):
		return lang.L("No answer in time. Check the network, then look the order up in Orders before placing it again.")
	case errors.Is(err, context.Canceled):
		return lang.L("Cancelled.")
	}
	return err.Error()
}

// pendingText says why an order's outcome is still unknown after a check
// with WeChat, and when it is checked again.
func pendingText(err error) string {
	var pe *orders.PendingError
	if !errors.As(err, &pe) {
		return lang.L("WeChat has not confirmed the order yet; it is checked again automatically.")
	}
	at := pe.Until.Local().Format("15:04:05")
	switch {
	case pe.NotAtWeChat && pe.Owner != "":
		return lang.L("WeChat does not have the order yet, and the program that sent it is still waiting for the answer (until {{.Time}}).", map[string]any{"Time": at})
	case pe.NotAtWeChat:
		return lang.L("WeChat does not have the order yet. The request may still arrive, so it is checked again after {{.Time}}; do not place it under another order number.", map[string]any{"Time": at})
	case pe.Owner != "":
		return lang.L("Another window or import is placing this order (until {{.Time}}) and will record the answer.", map[string]any{"Time": at})
	}
	return lang.L("WeChat has not confirmed the order yet; it is checked again automatically.")
}

// checkedText says what a check with WeChat found for an order.
func checkedText(o *orders.Order) (widget.Importance, string) {
	switch o.Status {
	case orders.StatusPlaced:
		return widget.SuccessImportance, lang.L("WeChat has the order: waybill {{.Waybill}}.", map[string]any{"Waybill": o.WaybillID})
	case orders.StatusCancelled:
		return widget.WarningImportance, lang.L("WeChat says waybill {{.Waybill}} is cancelled.", map[string]any{"Waybill": o.WaybillID})
	case orders.StatusFailed:
		return widget.WarningImportance, lang.L("WeChat has no such order: it was never placed. It can be placed again under the same order number.")
	}
	return widget.WarningImportance, lang.L("WeChat has not confirmed the order yet; it is checked again automatically.")
}

// advice says what the operator can do about an errcode.
func advice(code int) string {
	switch code {
	case wxapi.CodeCourierFailure:
		return lang.L("Check the courier account and the addresses, then place the order again.")
	case wxapi.CodeOrderRepeated:
		return lang.L("This order number was used before: clear Order no. or type a new one.")
	case wxapi.CodeInvalidDelivery, 9300503:
		return lang.L("Refresh the courier list and choose the courier again.")
	case wxapi.CodeInvalidCredential, wxapi.CodeInvalidAppID, wxapi.CodeInvalidSecret, wxapi.CodeInvalidToken, wxapi.CodeTokenExpired, wxapi.CodeTokenMissing, 40164, 48001:
		return lang.L("Check the AppID, AppSecret and IP whitelist of the mini program.")
	case wxapi.CodeBusy, wxapi.CodeMinuteQuota, wxapi.CodeDailyQuota:
		return lang.L("WeChat is busy or the API quota is used up: wait a minute and try again.")
	}
	return lang.L("Keep the errcode and contact support.")
}
