package sandbox

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"waybilldesk/wxapi"
)

// PushOptions configure add_express_path pushes to a mini program's
// message-push URL (消息推送), as WeChat sends them when a waybill's path
// changes: signed with Token, and in safe mode encrypted with the
// EncodingAESKey.
type PushOptions struct {
	// URL receives the pushes; empty turns pushing off.
	URL string
	// Token is the message-push Token the signatures are made with.
	Token string
	// AESKey is the 43-character EncodingAESKey; set, the pushes are in
	// safe mode (encrypt_type=aes, msg_signature, an Encrypt envelope).
	AESKey string
	// Format is "json" (default) or "xml", the mini program's data format.
	Format string
	// ToUserName is the mini program's original id (gh_...); default one
	// derived from the AppID.
	ToUserName string
	// Interval is how often the sandbox looks for paths that changed, on
	// the wall clock; default 1s. Failed deliveries are retried after
	// Interval, then twice as long each time, up to 5 minutes. Both run on
	// the real clock, whatever Options.Now is.
	Interval time.Duration
}

// Push formats.
const (
	PushJSON = "json"
	PushXML  = "xml"
)

const (
	defaultPushInterval = time.Second
	maxPushBackoff      = 5 * time.Minute
	pushTimeout         = 5 * time.Second
)

func (p PushOptions) validate() error {
	if p.URL == "" {
		return nil
	}
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("push callback %q is not an http(s) URL", p.URL)
	}
	if p.Token == "" {
		return errors.New("push callback needs the message-push token to sign with")
	}
	if p.Format != "" && p.Format != PushJSON && p.Format != PushXML {
		return fmt.Errorf("push format %q: want json or xml", p.Format)
	}
	if p.Interval < 0 {
		return errors.New("push interval must not be negative")
	}
	return nil
}

// pusher delivers add_express_path snapshots from one background loop: a
// ticker looks for orders whose path grew since the last accepted push.
type pusher struct {
	s      *Sandbox
	opts   PushOptions
	crypto *wxapi.PushCrypto // nil in plaintext mode
	client *http.Client
	// ticks is the real clock of the ticker and the retry schedule: a
	// manual Options.Now in tests must not stop retries.
	ticks  func() time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

func newPusher(s *Sandbox, opts PushOptions) (*pusher, error) {
	if opts.Format == "" {
		opts.Format = PushJSON
	}
	if opts.Interval == 0 {
		opts.Interval = defaultPushInterval
	}
	if opts.ToUserName == "" {
		sum := sha1.Sum([]byte(s.appID))
		opts.ToUserName = "gh_" + hex.EncodeToString(sum[:6])
	}
	p := &pusher{s: s, opts: opts, client: &http.Client{Timeout: pushTimeout}, ticks: time.Now}
	if opts.AESKey != "" {
		c, err := wxapi.NewPushCrypto(opts.Token, opts.AESKey, s.appID, "")
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		p.crypto = c
	}
	return p, nil
}

func (p *pusher) start() {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go p.loop(ctx)
	p.s.log.Info("sandbox pushing add_express_path", "to", redactURL(p.opts.URL), "format", p.opts.Format,
		"safe_mode", p.crypto != nil)
}

// stop ends the loop and waits for a delivery in flight.
func (p *pusher) stop() {
	p.cancel()
	<-p.done
}

func (p *pusher) loop(ctx context.Context) {
	defer close(p.done)
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.cycle(ctx); err != nil && ctx.Err() == nil {
				p.s.log.Warn("sandbox push cycle failed", "err", err)
			}
		}
	}
}

// cycle pushes every order whose path grew. A failed delivery stops the
// cycle: the callback is probably down, and the other orders would only
// wait for the same timeout.
func (p *pusher) cycle(ctx context.Context) error {
	due, err := p.s.db.pushesDue(ctx, p.ticks())
	if err != nil {
		return err
	}
	for _, st := range due {
		if ctx.Err() != nil {
			return nil
		}
		o, ok, err := p.s.db.order(ctx, st.OrderID)
		if err != nil || !ok {
			return err
		}
		cr, _, err := p.s.db.courier(ctx, o.Request.DeliveryID)
		if err != nil {
			return err
		}
		events, err := p.s.db.orderPath(ctx, o, cr)
		if err != nil {
			return err
		}
		finished := pathFinished(o, cr, events)
		if len(events) <= st.PushedCount {
			if finished {
				if err := p.s.db.pushDelivered(ctx, st.OrderID, st.Version, st.PushedCount, true); err != nil {
					return err
				}
			}
			continue
		}
		ev := p.event(o, events, st.Version+1)
		if err := p.deliver(ctx, ev); err != nil {
			wait := backoff(p.opts.Interval, st.Attempts)
			p.s.log.Warn("sandbox push failed, will retry", "waybill_id", o.WaybillID, "version", ev.Version,
				"attempt", st.Attempts+1, "retry_in", wait, "err", err)
			return p.s.db.pushFailed(ctx, st.OrderID, p.ticks().Add(wait), err.Error())
		}
		p.s.log.Debug("sandbox pushed add_express_path", "waybill_id", o.WaybillID, "version", ev.Version, "count", ev.Count)
		if err := p.s.db.pushDelivered(ctx, st.OrderID, ev.Version, len(events), finished); err != nil {
			return err
		}
	}
	return nil
}

// backoff is base, doubled per failed attempt, at most maxPushBackoff.
func backoff(base time.Duration, attempts int) time.Duration {
	d := base
	for range min(attempts, 20) {
		d *= 2
		if d >= maxPushBackoff {
			return maxPushBackoff
		}
	}
	return d
}
