package cli

import (
	"fmt"
	"os"
	"os/signal"

	"waybilldesk/orders"
	"waybilldesk/wxapi"
)

// serveEvents runs the message-push receiver until interrupted. It is the
// receiver the window runs for "receive pushes on this machine"
// (orders.PushReceiver), printing each verified event as a JSON line.
func serveEvents(e *env, listen, token, aesKey, prevKey string, apply bool) error {
	if aesKey != "" && e.cfg.AppID == "" {
		return usagef("events serve: safe mode (--aes-key) needs --appid to check the messages are yours")
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
	r, err := orders.NewPushReceiver(svc, orders.PushReceiverOptions{
		Token: token, AESKey: aesKey, PreviousAESKey: prevKey, AppID: e.cfg.AppID, Logger: e.cfg.Logger,
		OnPath: func(ev *wxapi.PathEvent, _ *orders.Order, _ error) { printEventLine(e, ev) },
		OnEvent: func(hdr wxapi.EventHeader, body []byte) {
			printEventLine(e, eventJSON(hdr, body))
		},
	})
	if err != nil {
		return usagef("events serve: %v", err)
	}
	addr, err := r.Listen(listen)
	if err != nil {
		return fmt.Errorf("events serve: %w", err)
	}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt)
	defer stop()
	if svc != nil {
		// A receiver that runs all day also settles orders whose outcome
		// is unknown, as the window does.
		reconciled := make(chan struct{})
		go func() {
			defer close(reconciled)
			svc.NewReconciler(orders.ReconcilerOptions{}).Run(ctx)
		}()
		defer func() { stop(); <-reconciled }()
	}
	fmt.Fprintf(e.stderr, "receiving WeChat pushes at http://%s/ (safe mode: %v); Ctrl-C stops\n", addr, aesKey != "")
	select {
	case <-ctx.Done():
	case <-r.Done():
		if st := r.Status(); st.Error != "" {
			return fmt.Errorf("events serve: %s", st.Error)
		}
	}
	return r.Close()
}
