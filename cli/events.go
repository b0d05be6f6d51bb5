package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"waybilldesk/orders"
	"waybilldesk/wxapi"
)

// serveEvents runs the message-push receiver until interrupted.
func serveEvents(e *env, listen, token, aesKey, prevKey string, apply bool) error {
	if aesKey != "" && e.cfg.AppID == "" {
		return usagef("events serve: safe mode (--aes-key) needs --appid to check the messages are yours")
	}
	crypto := &wxapi.PushCrypto{Token: token}
	if aesKey != "" {
		var err error
		if crypto, err = wxapi.NewPushCrypto(token, aesKey, e.cfg.AppID, prevKey); err != nil {
			return usagef("events serve: %v", err)
		}
	}
	var svc *orders.Service
	if apply {
		d, err := e.open()
		if err != nil {
			return err
		}
		defer d.Close()
		svc = d.Orders
	}
	h := &wxapi.PushHandler{Crypto: crypto, Logger: e.cfg.Logger,
		OnPath: func(ctx context.Context, ev *wxapi.PathEvent) error {
			printEventLine(e, ev)
			if svc == nil {
				return nil
			}
			if _, err := svc.ApplyPush(ctx, ev); err != nil {
				// Not ours (another shop's order on the same mini program):
				// answered success so WeChat does not push it again.
				e.cfg.Logger.Info("push not applied", "waybill_id", ev.WaybillID, "err", err)
			}
			return nil
		},
		OnEvent: func(_ context.Context, hdr wxapi.EventHeader, body []byte) error {
			printEventLine(e, eventJSON(hdr, body))
			return nil
		}}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("events serve: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	fmt.Fprintf(e.stderr, "receiving WeChat pushes at http://%s/ (safe mode: %v); Ctrl-C stops\n", ln.Addr(), aesKey != "")
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
