package ui

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// Timeouts of the service calls made from the screens. A call that hangs
// must not leave a button disabled for ever.
const (
	placeTimeout   = 30 * time.Second // Prepare + Place: addOrder and getOrder over the network
	renderTimeout  = 20 * time.Second // one label render (HTML to PNG or PDF) in Chromium
	labelTimeout   = 20 * time.Second // Label: the stored print_html, or getOrder when missing
	listTimeout    = 10 * time.Second // a page of the local history
	courierTimeout = 20 * time.Second // getAllDelivery + getAllAccount
	printTimeout   = 90 * time.Second // find or place, queue, render and send one label, waiting for the printer
	wechatTimeout  = 20 * time.Second // one WeChat call: getPath, cancelOrder, getQuota, getPrinter...
	localTimeout   = 10 * time.Second // the history, the settings, the keyring, a printer status probe
	saveTimeout    = 30 * time.Second // saving the settings: a few keyring calls (5 s each at most) and the push receiver
	backupTimeout  = 5 * time.Minute  // a copy of a large history
	batchTimeout   = 12 * time.Hour   // a whole import; it is cancelled by the operator, not by a clock
	exportTimeout  = 30 * time.Minute // a history export to CSV or XLSX; Stop cancels it sooner
)

// bridge is the only place where work done off the UI thread meets the
// widgets: every result comes back through post, which is fyne.Do in the
// app. Since Fyne 2.6 widgets may only be touched on the UI goroutine, so
// screens never call fyne.Do themselves; they call background or after.
//
// Tests give the bridge a queue instead of fyne.Do and run it on the test
// goroutine while they poll, so results arrive in a known order and the
// race detector sees one UI thread, as in the app.
type bridge struct {
	post func(func())

	ctx    context.Context // cancelled when the window closes
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// newBridge returns a bridge that posts with post, or fyne.Do when nil.
func newBridge(post func(func())) *bridge {
	if post == nil {
		post = fyne.Do
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &bridge{post: post, ctx: ctx, cancel: cancel}
}

// start counts a goroutine in, unless the bridge is closed.
func (b *bridge) start() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.wg.Add(1)
	return true
}

// deliver runs fn on the UI thread unless the window closed meanwhile: the
// widgets fn would touch are gone then.
func (b *bridge) deliver(fn func()) {
	if b.ctx.Err() != nil {
		return
	}
	b.post(func() {
		if b.ctx.Err() == nil {
			fn()
		}
	})
}

// background runs work on its own goroutine under a context with that
// timeout, then calls done with the result on the UI thread. Call it from
// the UI thread. done is skipped when the window closed meanwhile.
func background[T any](b *bridge, timeout time.Duration, work func(context.Context) (T, error), done func(T, error)) {
	if !b.start() {
		return
	}
	go func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(b.ctx, timeout)
		defer cancel()
		v, err := work(ctx)
		b.deliver(func() { done(v, err) })
	}()
}

// after calls fn on the UI thread once d has passed, unless the returned
// stop is called first: the debounce of search-as-you-type.
func (b *bridge) after(d time.Duration, fn func()) (stop func() bool) {
	t := time.AfterFunc(d, func() { b.deliver(fn) })
	return t.Stop
}

// close cancels the work in flight and waits for its goroutines; results
// still on their way are dropped.
func (b *bridge) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}

// listen delivers every value from ch to fn on the UI thread until ch is
// closed or the window closes: the print queue's job events. Call it from
// the UI thread.
func listen[T any](b *bridge, ch <-chan T, fn func(T)) {
	if !b.start() {
		return
	}
	go func() {
		defer b.wg.Done()
		for {
			select {
			case <-b.ctx.Done():
				return
			case v, ok := <-ch:
				if !ok {
					return
				}
				b.deliver(func() { fn(v) })
			}
		}
	}()
}

// progress returns a function that work on another goroutine calls to
// report; fn runs on the UI thread with each value. Reports are not
// merged: call it no more often than the screen should change.
func progress[T any](b *bridge, fn func(T)) func(T) {
	return func(v T) { b.deliver(func() { fn(v) }) }
}
