package cli

import (
	"flag"
	"fmt"
	"os"
	"os/signal"

	"waybilldesk/desk"
	"waybilldesk/wxapi/sandbox"
)

func runSandbox(e *env, args []string) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve on")
	state := fs.String("state", "", "sandbox state file (default sandbox.db beside the history)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	path := *state
	if path == "" {
		hist := e.cfg.DBPath
		if hist == "" {
			var err error
			if hist, err = desk.DefaultDBPath(); err != nil {
				return err
			}
		}
		path = desk.SandboxDBPath(hist)
	}
	appID, secret := e.cfg.AppID, e.cfg.Secret
	if appID == "" {
		appID = sandbox.DefaultAppID
	}
	if secret == "" {
		secret = sandbox.DefaultSecret
	}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt)
	defer stop()
	sb, err := sandbox.Open(ctx, sandbox.Options{DBPath: path, AppID: appID, Secret: secret, Logger: e.cfg.Logger})
	if err != nil {
		return err
	}
	defer sb.Close()
	url, err := sb.Start(*listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "sandbox serving WeChat's logistics API at %s (AppID %s, state %s); Ctrl-C stops it\n", url, appID, path)
	<-ctx.Done()
	return nil
}
