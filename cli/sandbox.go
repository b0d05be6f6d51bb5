package cli

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"waybilldesk/desk"
	"waybilldesk/wxapi/sandbox"
)

// sandboxFlags are the switches of `waybilldesk sandbox`.
type sandboxFlags struct {
	listen, state, appID, secret string
	db                           string
	verbose                      bool
	opts                         sandbox.Options
	labelSize                    string
	gateway                      sandbox.GatewayOptions
	boundPhones                  phoneList
}

// phoneList collects a repeatable --bound-phone.
type phoneList []string

func (p *phoneList) String() string { return strings.Join(*p, ",") }

func (p *phoneList) Set(v string) error {
	digits := 0
	for _, r := range v {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 7 || digits > 15 {
		return errors.New("a phone number needs 7 to 15 digits")
	}
	*p = append(*p, v)
	return nil
}

// bind declares every switch with its usage sentence. The defaults of
// --appid/--secret are the client's (environment or global flags), so a
// desk pointed at this sandbox with --api-base logs in without more flags.
func (f *sandboxFlags) bind(fs *flag.FlagSet, e *env) {
	appID, secret := e.cfg.AppID, e.cfg.Secret
	if appID == "" || secret == "" {
		appID, secret = sandbox.DefaultAppID, sandbox.DefaultSecret
	}
	o := &f.opts
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to serve on; port 0 picks a free port (the URL is printed)")
	fs.StringVar(&f.state, "state", "", "SQLite file holding the sandbox's tokens, accounts and orders (default sandbox.db beside the history)")
	fs.StringVar(&f.db, "db", e.cfg.DBPath, "history file whose folder holds the default --state")
	fs.StringVar(&f.appID, "appid", appID, "AppID the sandbox accepts; any other gets errcode 40013 as on WeChat")
	fs.StringVar(&f.secret, "secret", secret, "AppSecret the sandbox accepts; a wrong one gets errcode 40125")
	fs.Float64Var(&o.Speed, "speed", 1, "how many times faster than real time parcels move (1440: a day passes in a minute)")
	fs.Int64Var(&o.Seed, "seed", 0, "seed of every random choice (fault dice, waybill numbers), so a run can be repeated")
	fs.DurationVar(&o.Faults.Latency, "latency", 0, "delay added before every answer, e.g. 80ms")
	fs.Float64Var(&o.Faults.ErrorRate, "error-rate", 0, "share of calls (0 to 1) answered errcode -1 \"system error\" without doing anything")
	fs.Float64Var(&o.Faults.HTTP500Rate, "http500-rate", 0, "share of calls (0 to 1) answered HTTP 500 without doing anything")
	fs.Float64Var(&o.Faults.DropAfterCommitRate, "drop-after-commit-rate", 0,
		"share of calls (0 to 1) carried out and stored, then the connection closed without an answer")
	fs.Float64Var(&o.Faults.UnknownAfterCommitRate, "unknown-after-commit-rate", 0,
		"share of addOrder calls (0 to 1) carried out and stored, then answered errcode 9909001 as WeChat once did")
	fs.DurationVar(&o.Faults.AddOrderLatency, "addorder-latency", 0, "extra delay before each addOrder is carried out (a slow courier), e.g. 5s")
	fs.DurationVar(&o.Faults.TokenTTL, "token-ttl", 0, "make access tokens stop working after this long although expires_in says 7200s, e.g. 10m")
	fs.StringVar(&o.Push.URL, "callback", "", "message-push URL that receives add_express_path events as paths change (none by default)")
	fs.StringVar(&o.Push.Token, "push-token", "", "message-push Token the pushes are signed with (needed with --callback)")
	fs.StringVar(&o.Push.AESKey, "push-aes-key", "", "43-character EncodingAESKey: pushes are sent encrypted (safe mode) when set")
	fs.StringVar(&o.Push.Format, "push-format", sandbox.PushJSON, "data format of the pushes: json or xml")
	fs.StringVar(&f.labelSize, "label-size", string(sandbox.LabelSize100x180),
		"label size of accounts without their own setting: 100x180 or 76x130 (POST /sandbox/label_size sets one per account)")
	g := &f.gateway
	fs.StringVar(&g.URL, "gateway", "", "scan-to-query URL of a courier's own platform, e.g. http://127.0.0.1:8091 for waybilldesk courier serve: "+
		"the sandbox pulls buyer-notice statuses there and checks that courier's pathnotify pushes back at /wx/notify on the same host")
	fs.StringVar(&g.Token, "gateway-token", "", "message-push Token of the --gateway courier (what its courier serve got as --token); needed with --gateway")
	fs.StringVar(&g.ScanToken, "gateway-scan-token", "", "token of the gateway's scan-to-query signature when it is not --gateway-token")
	fs.StringVar(&g.AESKey, "gateway-aes-key", "", "43-character EncodingAESKey of the gateway: back-checks are sent encrypted (safe mode) when set")
	fs.StringVar(&g.AppID, "gateway-appid", "", "AppID safe-mode back-checks are encrypted for (default: the sandbox's --appid)")
	fs.StringVar(&g.Format, "gateway-format", sandbox.GatewayJSON, "data format of the back-check requests sent to the gateway: json or xml")
	fs.StringVar(&g.Pattern, "gateway-pattern", "", "regular expression of the gateway courier's waybill numbers (default: every waybill)")
	fs.StringVar(&g.DeliveryID, "gateway-delivery-id", "SELF", "delivery_id of the gateway courier: trace_waybill/follow_waybill registrations naming it are answered from the gateway")
	fs.StringVar(&g.Name, "gateway-name", "", "delivery_name of the gateway courier in buyer notices (default: the catalogue's name, else the delivery_id)")
	fs.StringVar(&g.NotifyURL, "gateway-notify-url", "", "message-push URL the waybill_notify_query back-check goes to (default /wx/notify on the --gateway host)")
	fs.Var(&f.boundPhones, "bound-phone", "a `phone` number bound to WeChat's express service, for userquery and pathnotify (repeatable; "+
		"phones not set are bound when their last digit is even)")
	fs.BoolVar(&f.verbose, "verbose", e.debug, "log every call (without tokens or secrets) to stderr")
}

// sandboxIntro heads `waybilldesk sandbox --help`.
const sandboxIntro = `Usage: waybilldesk sandbox [flags]

Serve a fake of WeChat's logistics platform (物流助手) over HTTP: access tokens,
couriers and bound accounts with label quota, orders with e-waybill labels,
parcels that move on the sandbox clock (and add_express_path pushes), buyer
notices and printer operators, with WeChat's error codes. Its state lives in its
own SQLite file. Point Waybill Desk at it with --api-base URL.

With --gateway it also plays WeChat for a courier's own platform (such as
waybilldesk courier serve): userquery, pathnotify checked back with the courier's
waybill_notify_query endpoint, and buyer-notice statuses pulled from its
scan-to-query endpoint.

Flags:
`

const sandboxAdminHelp = `
Admin endpoints (plain JSON; faults never apply to them):
  GET  /sandbox/faults        current faults;  POST /sandbox/faults {"error-rate":0.05,...} changes some
  POST /sandbox/quota         {"delivery_id":"YTO","biz_id":"SANDBOX_YTO","quota_num":0}
  GET  /sandbox/orders        every order with its state, to compare with a client's history
  GET  /sandbox/clock         sandbox time;  POST /sandbox/clock {"advance":"24h","speed":1440}
  GET  /sandbox/label_size    POST /sandbox/label_size {"delivery_id":"ZTO","biz_id":"SANDBOX_ZTO","size":"76x130"}
  GET  /sandbox/gateways      POST /sandbox/gateways {"delivery_id":"SELF","url":"http://127.0.0.1:8091","token":"T","format":"xml","pattern":"^CW"}
  GET  /sandbox/bound_phones  POST /sandbox/bound_phones {"phone":"13800138001"} binds, {"phone":"...","bound":false} unbinds
  GET  /sandbox/courier_notices[?waybill_id=W]   pathnotify pushes accepted after the back-check
`

func runSandbox(e *env, args []string) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f sandboxFlags
	f.bind(fs, e)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), sandboxIntro)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), sandboxAdminHelp)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("sandbox: unexpected argument %q", fs.Arg(0))
	}
	opts, err := f.options(e)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	sb, err := sandbox.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer sb.Close()
	url, err := sb.Start(f.listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "sandbox serving WeChat's logistics API at %s (AppID %s, state %s); Ctrl-C stops it\n",
		url, opts.AppID, opts.DBPath)
	<-ctx.Done()
	return nil
}

// options turns the switches into sandbox.Options.
func (f *sandboxFlags) options(e *env) (sandbox.Options, error) {
	o := f.opts
	o.AppID, o.Secret = f.appID, f.secret
	o.DBPath = f.state
	if o.DBPath == "" {
		hist := f.db
		if hist == "" {
			var err error
			if hist, err = desk.DefaultDBPath(); err != nil {
				return o, err
			}
		}
		o.DBPath = desk.SandboxDBPath(hist)
	}
	size, err := sandbox.ParseLabelSize(f.labelSize)
	if err != nil {
		return o, usagef("sandbox: --label-size: %v", err)
	}
	o.LabelSize = size
	o.Push.Format = strings.ToLower(o.Push.Format)
	if o.Push.URL == "" && (o.Push.Token != "" || o.Push.AESKey != "") {
		return o, usagef("sandbox: --push-token and --push-aes-key need --callback")
	}
	g := f.gateway
	switch {
	case g.URL != "":
		if err := g.Validate(); err != nil {
			return o, usagef("sandbox: --gateway: %v", err)
		}
		o.Gateways = append(o.Gateways, g)
	case g.Token != "" || g.ScanToken != "" || g.AESKey != "" || g.AppID != "" || g.Pattern != "" || g.Name != "" || g.NotifyURL != "":
		return o, usagef("sandbox: the --gateway-* switches need --gateway")
	}
	o.BoundPhones = append(o.BoundPhones, f.boundPhones...)
	// A server's log: what happens at info level, every call with --verbose.
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	return o, nil
}
