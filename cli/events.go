package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"waybilldesk/desk"
	"waybilldesk/orders"
	"waybilldesk/wxapi"
)

// pushSecrets are the message-push secrets of a server command, from
// flags, files or the environment.
type pushSecrets struct {
	token, aesKey, prevKey *secretOption
	compat                 *bool
}

// bindPushSecrets binds --token, --aes-key, --previous-aes-key (each with
// its -file twin and environment variable) and --compat to fs.
func bindPushSecrets(fs *flag.FlagSet, tokenWhat string) *pushSecrets {
	return &pushSecrets{
		token:   bindSecret(fs, "token", envPushToken, tokenWhat),
		aesKey:  bindSecret(fs, "aes-key", envAESKey, "the EncodingAESKey (43 characters): safe mode, encrypted messages only; needs --appid"),
		prevKey: bindSecret(fs, "previous-aes-key", envPreviousKey, "the EncodingAESKey before the last rotation, still accepted"),
		compat: fs.Bool("compat", false, "compatible mode (兼容模式): with an EncodingAESKey, also take plaintext messages "+
			"signed only in the URL, whose signature does not cover the body"),
	}
}

// pushConfig is what a server command's secrets resolved to.
type pushConfig struct {
	token, aesKey, prevKey string
	compat                 bool
}

// resolve reads the secrets and checks they fit together; cmd prefixes
// the errors.
func (p *pushSecrets) resolve(e *env, cmd string) (pushConfig, error) {
	var c pushConfig
	var err error
	if c.token, err = p.token.get(); err != nil {
		return c, fmt.Errorf("%s: %w", cmd, err)
	}
	if c.aesKey, err = p.aesKey.get(); err != nil {
		return c, fmt.Errorf("%s: %w", cmd, err)
	}
	if c.prevKey, err = p.prevKey.get(); err != nil {
		return c, fmt.Errorf("%s: %w", cmd, err)
	}
	c.compat = *p.compat
	switch {
	case c.token == "":
		return c, usagef("%s: %v", cmd, errNoToken)
	case c.compat && c.aesKey == "":
		return c, usagef("%s: --compat needs an EncodingAESKey (--aes-key-file, env %s or --aes-key): without one every message is plaintext", cmd, envAESKey)
	case c.aesKey != "" && e.cfg.AppID == "":
		return c, usagef("%s: safe mode (an EncodingAESKey) needs --appid to check the messages are yours", cmd)
	}
	return c, nil
}

// mode describes a server's mode for its start line.
func (c pushConfig) mode() string {
	switch {
	case c.aesKey == "":
		return "plaintext mode"
	case c.compat:
		return "COMPATIBLE mode: encrypted and plaintext messages"
	}
	return "safe mode: encrypted messages only"
}

func runEvents(e *env, args []string) error {
	if len(args) == 0 || args[0] != "serve" {
		return usagef("events: want serve")
	}
	fs := flag.NewFlagSet("events serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8090", "address to receive WeChat's pushes on")
	secrets := bindPushSecrets(fs, "the message-push Token configured in the mini program")
	apply := fs.Bool("apply", true, "store add_express_path events in the history when the order is there")
	if pos, err := e.parse(fs, args[1:]); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("events serve: unexpected argument %q", pos[0])
	}
	cfg, err := secrets.resolve(e, "events serve")
	if err != nil {
		return err
	}
	return serveEvents(e, *listen, cfg, *apply)
}

// serveEvents runs the message-push receiver until interrupted. It is the
// receiver the window runs for "receive pushes on this machine"
// (orders.PushReceiver), printing each verified event as a JSON line.
func serveEvents(e *env, listen string, cfg pushConfig, apply bool) error {
	var svc *orders.Service
	var d *desk.Desk
	if apply {
		var err error
		if d, err = e.open(); err != nil {
			return err
		}
		defer d.Close()
		svc = d.Orders
	}
	r, err := orders.NewPushReceiver(svc, orders.PushReceiverOptions{
		Token: cfg.token, AESKey: cfg.aesKey, PreviousAESKey: cfg.prevKey, Compat: cfg.compat,
		AppID: e.cfg.AppID, Logger: e.cfg.Logger,
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
	if d != nil {
		// It also checks and backs up the history daily, as the window does.
		kept := make(chan struct{})
		go func() {
			defer close(kept)
			d.RunUpkeep(ctx)
		}()
		defer func() { stop(); <-kept }()
	}
	fmt.Fprintf(e.stderr, "receiving WeChat pushes at http://%s/ (%s); Ctrl-C stops\n", addr, cfg.mode())
	select {
	case <-ctx.Done():
	case <-r.Done():
		if st := r.Status(); st.Error != "" {
			return fmt.Errorf("events serve: %s", st.Error)
		}
	}
	return r.Close()
}

// printEventLine prints verified events, one JSON line each, safe for concurrent pushes.
func printEventLine(e *env, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	e.outMu.Lock()
	defer e.outMu.Unlock()
	fmt.Fprintln(e.stdout, string(b))
}

// eventJSON turns a decrypted push body into one JSON object: JSON bodies
// as they are, XML bodies as their header with the XML kept beside.
func eventJSON(h wxapi.EventHeader, body []byte) any {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		return m
	}
	return struct {
		wxapi.EventHeader
		XML string `json:"xml"`
	}{h, string(body)}
}
