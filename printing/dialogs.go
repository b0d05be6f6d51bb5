package printing

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// A label's alert(), confirm() or prompt() stops its script until somebody
// answers the dialog, and in a headless browser nobody will: before, such a
// label held its tab for the whole render timeout (20 s) and failed with a
// timeout that did not say why. So every tab answers each dialog the moment
// it opens (dismissDialogs), and the render logs what the label asked
// (dialogLog), so that whoever looks at a template that misbehaves sees it.

// maxDialogText is how much of a dialog's message the log keeps: enough to
// recognise the template's message, too little to carry much of the order
// data (names, phone numbers) that a message may hold.
const maxDialogText = 40

// maxDialogsLogged bounds the dialogs listed in one log line: a label that
// calls alert() in a loop is counted, not listed.
const maxDialogsLogged = 3

// dialogLog collects the dialogs a tab answered during one render.
type dialogLog struct {
	mu    sync.Mutex
	count int
	first []string // "type: message", the first maxDialogsLogged
}

// add records one dialog by type and a short cut of its message.
func (d *dialogLog) add(kind page.DialogType, message string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.count++
	if len(d.first) < maxDialogsLogged {
		d.first = append(d.first, fmt.Sprintf("%s: %q", kind, shortText(message, maxDialogText)))
	}
}

// take returns the dialogs recorded since the last call and forgets them.
func (d *dialogLog) take() (count int, first []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	count, first = d.count, d.first
	d.count, d.first = 0, nil
	return count, first
}

// shortText puts s on one line and cuts it to at most n characters.
func shortText(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

// dismissDialogs answers every JavaScript dialog of the tab of ctx as it
// opens, until the tab closes: alert, confirm and prompt are dismissed, so
// confirm() returns false and prompt() null, as if the user pressed Cancel;
// a beforeunload dialog is accepted, so that the reload of resetTab goes
// ahead. It subscribes at once, so it must run before the tab's first label.
func dismissDialogs(ctx context.Context, log *dialogLog) {
	opening := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		// The iterator ends when the tab's context ends, so this goroutine
		// lives exactly as long as the tab.
		for ev, err := range opening {
			if err != nil {
				return
			}
			log.add(ev.Type, ev.Message)
			// An error means the tab or the dialog is gone already, and
			// then nothing waits for the answer.
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{
				Accept: ev.Type == page.DialogTypeBeforeunload,
			})
		}
	}()
}
