package desk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"waybilldesk/orders"
	"waybilldesk/settings"
)

// pushes is the desk's own receiver of WeChat's message pushes, run from
// the stored settings (Settings: "receive pushes on this machine") and
// restarted when they change; its subscribers outlive each run.
type pushes struct {
	mu  sync.Mutex
	r   *orders.PushReceiver // nil when off
	cfg pushConfig           // what r runs with
	off orders.PushStatus    // the status while r is nil: why it is off

	subMu sync.Mutex
	subs  map[chan orders.PushStatus]struct{}
}

// pushConfig is what a receiver is started with.
type pushConfig struct{ addr, token, aesKey, appID string }

// ApplyPushSettings starts, restarts or stops the desk's push receiver as
// the stored settings say: on, it listens on the push address, checks the
// push token (and, with an EncodingAESKey in the keyring, safe mode for
// the AppID in use: encrypted pushes only, as the window offers no
// compatible mode) and applies add_express_path events to the history,
// like `waybilldesk events serve`. Unchanged settings keep it running. It
// returns the receiver's status; the error says why it could not start.
// The GUI calls it at start and when the settings are saved; the command
// line never does.
func (d *Desk) ApplyPushSettings(ctx context.Context) (orders.PushStatus, error) {
	st, err := d.Settings.Load(ctx)
	if err != nil {
		return d.PushStatus(), err
	}
	var want pushConfig
	if st.ReceivePushes {
		want = pushConfig{addr: st.PushListen, token: st.PushToken, appID: d.Config.AppID}
		switch key, err := d.Settings.AESKey(ctx); {
		case err == nil:
			want.aesKey = key
		case errors.Is(err, settings.ErrNoSecret):
		case errors.Is(err, settings.ErrNoKeyring):
			// Nothing can be stored without a keyring: plaintext mode.
			d.Config.Logger.Warn("no keyring for the EncodingAESKey: receiving plaintext pushes only", "err", err)
		default:
			return d.PushStatus(), err
		}
	}
	p := &d.push
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.r != nil && p.cfg == want {
		return p.r.Status(), nil
	}
	if p.r != nil {
		p.r.Close()
		p.r = nil
	}
	p.off = orders.PushStatus{}
	if !st.ReceivePushes {
		p.broadcast(p.off)
		return p.off, nil
	}
	r, err := orders.NewPushReceiver(d.Orders, orders.PushReceiverOptions{
		Token: want.token, AESKey: want.aesKey, AppID: want.appID,
		Logger: d.Config.Logger.With("part", "push-receiver"), OnChange: p.broadcast,
	})
	if err == nil {
		_, err = r.Listen(want.addr)
	}
	if err != nil {
		err = fmt.Errorf("receive pushes on %s: %w", want.addr, err)
		p.off = orders.PushStatus{Error: err.Error(), ErrorAt: time.Now()}
		p.broadcast(p.off)
		return p.off, err
	}
	p.r, p.cfg = r, want
	return r.Status(), nil
}

// PushStatus is the status of the desk's push receiver; Addr is "" when
// it is off (Error says why when it could not start).
func (d *Desk) PushStatus() orders.PushStatus {
	p := &d.push
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.r != nil {
		return p.r.Status()
	}
	return p.off
}

// SubscribePushes delivers the receiver's status after every change (a
// push received, a request refused, started, stopped) until stop is
// called. A slow reader misses intermediate statuses, never the latest.
func (d *Desk) SubscribePushes(buffer int) (<-chan orders.PushStatus, func()) {
	p := &d.push
	ch := make(chan orders.PushStatus, max(buffer, 1))
	p.subMu.Lock()
	if p.subs == nil {
		p.subs = map[chan orders.PushStatus]struct{}{}
	}
	p.subs[ch] = struct{}{}
	p.subMu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			p.subMu.Lock()
			if _, ok := p.subs[ch]; ok {
				delete(p.subs, ch)
				close(ch)
			}
			p.subMu.Unlock()
		})
	}
}

// broadcast gives every subscriber st, dropping its oldest status when
// its buffer is full.
func (p *pushes) broadcast(st orders.PushStatus) {
	p.subMu.Lock()
	defer p.subMu.Unlock()
	for ch := range p.subs {
		for {
			select {
			case ch <- st:
			default:
				select {
				case <-ch:
				default:
				}
				continue
			}
			break
		}
	}
}

// close stops the receiver and ends the subscriptions.
func (p *pushes) close() error {
	p.mu.Lock()
	r := p.r
	p.r = nil
	p.mu.Unlock()
	var err error
	if r != nil {
		err = r.Close()
	}
	p.subMu.Lock()
	for ch := range p.subs {
		delete(p.subs, ch)
		close(ch)
	}
	p.subMu.Unlock()
	return err
}
