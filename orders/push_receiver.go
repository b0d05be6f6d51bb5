package orders

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// PushReceiverOptions configure a PushReceiver: the message-push (消息推送)
// settings of the mini program and what to do with each event.
type PushReceiverOptions struct {
	// Token is the message-push Token the signatures are checked with;
	// required.
	Token string
	// AESKey is the 43-character EncodingAESKey of safe mode (安全模式):
	// only encrypted pushes are accepted. PreviousAESKey is the one before
	// the last rotation, still accepted. Empty: plaintext pushes only.
	AESKey, PreviousAESKey string
	// Compat (WeChat's 兼容模式), with AESKey, also accepts plaintext pushes
	// signed only in the URL, whose signature does not cover the body. It
	// is logged as such when listening; it needs AESKey.
	Compat bool
	// Limits are the server's timeouts and body cap; zero fields take
	// wxapi.DefaultServerLimits.
	Limits wxapi.ServerLimits
	// AppID is checked in every safe-mode message; required with AESKey.
	AppID string
	// OnPath, when set, is called with every verified add_express_path
	// event and what applying it gave: the order as updated, or why it was
	// not (the order is not in the history: errors.Is store.ErrNotFound or
	// ErrPushMismatch). Without a Service both are nil.
	OnPath func(ev *wxapi.PathEvent, o *Order, err error)
	// OnEvent, when set, receives every other verified event.
	OnEvent func(hdr wxapi.EventHeader, body []byte)
	// OnChange, when set, is called with the status after every change: a
	// push, a rejected request, listening, closing. It must not block.
	OnChange func(PushStatus)
	Logger   *slog.Logger
}

// PushStatus is what a PushReceiver has done, for a status line.
type PushStatus struct {
	// Addr is the address listened on, "" when not listening.
	Addr string
	// SafeMode: encrypted pushes are accepted (an EncodingAESKey is set);
	// plaintext ones only with Compat.
	SafeMode, Compat bool
	// Received counts the verified pushes, Applied the add_express_path
	// events stored in the history.
	Received, Applied int
	// LastAt is when the last verified push came; LastWaybill is its
	// waybill, LastOrderID the order of the history it updated ("" when
	// not this history's) and LastStage that order's tracking stage after.
	LastAt      time.Time
	LastWaybill string
	LastOrderID string
	LastStage   string
	// Error is the last request refused (a bad signature, a stale
	// timestamp) or push not stored, and ErrorAt when; "" when none.
	Error   string
	ErrorAt time.Time
}

// PushReceiver is a mini program's message-push endpoint for the desk:
// wxapi.PushHandler (signatures, safe mode, replays) with the verified
// add_express_path events applied to the history by Service.ApplyPush, so
// the orders' tracking follows WeChat's pushes. A push for an order that
// is not in the history (another shop on the same mini program) is
// answered success so WeChat does not push it again; a push that could
// not be stored is answered 500 so WeChat retries it. The command line's
// `events serve` and the window's "receive pushes on this machine" both
// run one. It is safe for concurrent use.
type PushReceiver struct {
	svc  *Service
	opts PushReceiverOptions
	h    *wxapi.PushHandler
	log  *slog.Logger

	mu   sync.Mutex
	st   PushStatus
	srv  *http.Server
	done chan struct{}
}

// NewPushReceiver returns a receiver that applies the add_express_path
// events to svc's history; svc nil only passes them to OnPath.
func NewPushReceiver(svc *Service, opts PushReceiverOptions) (*PushReceiver, error) {
	if opts.Token == "" {
		return nil, errors.New("message push: the Token is required to check pushes come from WeChat")
	}
	crypto := &wxapi.PushCrypto{Token: opts.Token}
	if opts.Compat && opts.AESKey == "" {
		return nil, errors.New("message push: compatible mode needs the EncodingAESKey (without one every push is plaintext)")
	}
	if opts.AESKey != "" {
		if opts.AppID == "" {
			return nil, errors.New("message push: safe mode needs the AppID to check the messages are yours")
		}
		var err error
		if crypto, err = wxapi.NewPushCrypto(opts.Token, opts.AESKey, opts.AppID, opts.PreviousAESKey); err != nil {
			return nil, err
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &PushReceiver{svc: svc, opts: opts, log: opts.Logger}
	opts.Limits = opts.Limits.WithDefaults()
	r.st.SafeMode, r.st.Compat = opts.AESKey != "", opts.Compat
	r.h = &wxapi.PushHandler{Crypto: crypto, Compat: opts.Compat, MaxBody: opts.Limits.MaxBody,
		Logger: opts.Logger, OnPath: r.onPath, OnEvent: r.onEvent}
	return r, nil
}

// update changes the status and tells OnChange.
func (r *PushReceiver) update(change func(st *PushStatus)) {
	r.mu.Lock()
	change(&r.st)
	st := r.st
	r.mu.Unlock()
	if r.opts.OnChange != nil {
		r.opts.OnChange(st)
	}
}

// Status returns what the receiver has done so far.
func (r *PushReceiver) Status() PushStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

func (r *PushReceiver) onPath(ctx context.Context, ev *wxapi.PathEvent) error {
	var o *Order
	var err error
	if r.svc != nil {
		o, err = r.svc.ApplyPush(ctx, ev)
	}
	foreign := errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrPushMismatch)
	now := time.Now()
	r.update(func(st *PushStatus) {
		st.Received++
		st.LastAt, st.LastWaybill, st.LastOrderID, st.LastStage = now, ev.WaybillID, "", ""
		switch {
		case err == nil && o != nil:
			st.Applied++
			st.LastOrderID, st.LastStage = o.OrderID, o.TrackStatus
		case err != nil && !foreign:
			st.Error, st.ErrorAt = err.Error(), now
		}
	})
	if r.opts.OnPath != nil {
		r.opts.OnPath(ev, o, err)
	}
	switch {
	case foreign:
		// Not ours (another shop's order on the same mini program):
		// answered success so WeChat does not push it again.
		r.log.Info("push not applied: not in this history", "waybill_id", ev.WaybillID, "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("apply the push for waybill %s: %w", ev.WaybillID, err)
	}
	return nil
}

func (r *PushReceiver) onEvent(_ context.Context, hdr wxapi.EventHeader, body []byte) error {
	now := time.Now()
	r.update(func(st *PushStatus) {
		st.Received++
		st.LastAt, st.LastWaybill, st.LastOrderID, st.LastStage = now, "", "", ""
	})
	if r.opts.OnEvent != nil {
		r.opts.OnEvent(hdr, body)
	}
	return nil
}

// ServeHTTP answers WeChat's requests (the echostr check and the pushes)
// and notes the refused ones in the status.
func (r *PushReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := &refusalRecorder{ResponseWriter: w}
	r.h.ServeHTTP(rec, req)
	if rec.code >= 400 {
		reason := strings.TrimSpace(rec.body.String())
		if reason == "" {
			reason = http.StatusText(rec.code)
		}
		now := time.Now()
		r.update(func(st *PushStatus) {
			st.Error, st.ErrorAt = fmt.Sprintf("HTTP %d from %s: %s", rec.code, remoteHost(req), reason), now
		})
	}
}

// refusalRecorder keeps the status code and the start of the body of an
// error answer.
type refusalRecorder struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func (w *refusalRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *refusalRecorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if w.code >= 400 && w.body.Len() < 200 {
		w.body.Write(b[:min(len(b), 200-w.body.Len())])
	}
	return w.ResponseWriter.Write(b)
}

func remoteHost(req *http.Request) string {
	if h, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
		return h
	}
	return req.RemoteAddr
}

// Listen starts serving on addr ("127.0.0.1:8090", ":0"...) in the
// background and returns the address it listens on.
func (r *PushReceiver) Listen(addr string) (string, error) {
	r.mu.Lock()
	if r.srv != nil {
		r.mu.Unlock()
		return "", errors.New("message push: already listening")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.mu.Unlock()
		return "", fmt.Errorf("message push: %w", err)
	}
	srv := wxapi.NewPushServer(r, r.opts.Limits, r.log)
	done := make(chan struct{})
	r.srv, r.done = srv, done
	r.mu.Unlock()
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("push receiver stopped", "err", err)
			now := time.Now()
			r.update(func(st *PushStatus) { st.Addr, st.Error, st.ErrorAt = "", err.Error(), now })
		}
	}()
	bound := ln.Addr().String()
	r.update(func(st *PushStatus) { st.Addr = bound })
	r.log.Info("receiving WeChat pushes", "addr", bound, "safe_mode", r.opts.AESKey != "", "compat", r.opts.Compat)
	if r.opts.Compat {
		r.log.Warn("compatible mode: plaintext pushes signed only in the URL are accepted besides encrypted ones; their signature does not cover the body",
			"addr", bound)
	}
	return bound, nil
}

// Done is closed when the receiver stops serving (Close, or the listener
// failed: Status says why); nil before Listen.
func (r *PushReceiver) Done() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done
}

// Close stops listening, letting pushes being handled finish for a few
// seconds. Calling it again, or without Listen, does nothing.
func (r *PushReceiver) Close() error {
	r.mu.Lock()
	srv, done := r.srv, r.done
	r.srv = nil
	r.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	<-done
	r.update(func(st *PushStatus) { st.Addr = "" })
	if err != nil {
		return fmt.Errorf("message push: stop: %w", err)
	}
	return nil
}
