// Package cli is Waybill Desk's command line: global flags, sub-commands and
// their output. With no sub-command it opens the GUI through the function
// main hands in, so this package never links the GL driver.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"waybilldesk/desk"
	"waybilldesk/wxapi"
)

// Version is stamped at build time with -ldflags "-X waybilldesk/cli.Version=...".
var Version = "dev"

// GUI opens the window on an open desk and returns when it closes.
type GUI func(d *desk.Desk) error

// env carries one invocation's flags and streams.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	cfg    desk.Config
	json   bool
	debug  bool
	gui    GUI
	outMu  sync.Mutex // serialises lines written by concurrent handlers
	// secretFile is --secret-file; secretGiven records that --secret was
	// given (not only the environment), which with a file is an error.
	secretFile  string
	secretGiven bool
}

// globals binds the global flags to fs; they are accepted before and after
// the sub-command.
func (e *env) globals(fs *flag.FlagSet) {
	fs.StringVar(&e.cfg.APIBase, "api-base", e.cfg.APIBase, "WeChat API host, or a standalone sandbox URL (env WAYBILLDESK_API_BASE)")
	fs.StringVar(&e.cfg.AppID, "appid", e.cfg.AppID, "mini-program AppID (env WAYBILLDESK_APPID)")
	fs.StringVar(&e.cfg.Secret, "secret", e.cfg.Secret, "mini-program AppSecret (visible in ps: prefer --secret-file or env WAYBILLDESK_SECRET)")
	fs.StringVar(&e.secretFile, "secret-file", e.secretFile, "file holding the mini-program AppSecret (read once, surrounding spaces trimmed)")
	fs.StringVar(&e.cfg.TokenMode, "token-mode", e.cfg.TokenMode, "access_token endpoint: stable or classic")
	fs.StringVar(&e.cfg.DBPath, "db", e.cfg.DBPath, "history database file (default in the user config folder)")
	fs.BoolVar(&e.cfg.Sandbox, "sandbox", e.cfg.Sandbox, "use the embedded sandbox even when credentials are set")
	fs.BoolVar(&e.json, "json", e.json, "machine-readable JSON output with WeChat's field names")
	fs.BoolVar(&e.debug, "verbose", e.debug, "log debug details to stderr")
}

type command struct {
	name, usage, summary string
	run                  func(e *env, args []string) error
}

func commands() []command {
	return []command{
		{"couriers", "couriers", "list couriers, their service types and bound accounts", runCouriers},
		{"accounts", "accounts", "courier accounts bound to the mini program, with status and quota", runAccounts},
		{"bind", "bind --delivery-id D --biz-id B [--password P] [--remark-content R] [--unbind]", "bind or unbind a courier account", runBind},
		{"quota", "quota [--delivery-id D --biz-id B]", "e-waybill balance of franchise accounts", runQuota},
		{"order", "order place --file F | get ID [--remote] | list [--search Q] [--status S] [--limit N] | cancel ID | path ID | batch ID... | reconcile [ID]", "place, look up, track and cancel orders", runOrder},
		{"import", "import FILE.csv|.xlsx|.jsonl [--dry-run] [--map F] [--delivery-id D --biz-id B --service-type N] [--sender F] [--weight KG] [--concurrency N] [--rate R] [--results OUT.csv] | --template OUT.csv | --history [RUN_ID]", "import orders from a shop export or JSON Lines: preview with per-row errors, place, per-row results", runImport},
		{"export", "export --file F.csv|F.xlsx [--search Q] [--status S] [--delivery-id D] [--from 2026-11-01] [--to 2026-11-30]", "export the order history (with full phone numbers) for bookkeeping", runExport},
		{"print", "print ORDER_ID --to pdf:FILE|raw:HOST:PORT|printer:NAME|default [--lang tspl|zpl|escpos|pdf] [--size 100x180] [--dpi 203] [--offset-x MM] [--offset-y MM] [--rotate 0|90|180|270] [--copies N] | jobs [--state failed] | retry JOB_ID", "print an order's label through the print queue; list and retry print jobs", runPrint},
		{"printers", "printers list | add --name N --kind raw|cups|windows|pdf --address A [--lang tspl] [--dpi 203] [--size 100x180] [--offset-x MM --offset-y MM --rotate DEG] [--default-for SF,YTO] | test NAME | remove NAME", "printer records: list with status (and the system's printers), add, test print, remove", runPrinters},
		{"render", "render --html FILE (--pdf OUT | --png OUT) [--size 100x180] [--dpi 203]", "render a label HTML file", runRender},
		{"audit", "audit [--order-id ID] [--limit N]", "who did what when: placing, cancelling, printing, reconciling", runAudit},
		{"operators", "operators list | add --openid O [--tagid-list 1,2] | remove --openid O", "printer operators (打印员) of WeChat's PC label software", runOperators},
		{"notify", "notify follow|trace --file F [--trans-id T] | query --waybill-token T | update-goods [ORDER_ID] --file F [--waybill-token T] [--family follow|trace]", "buyer notices through WeChat", runNotify},
		{"events", "events serve --listen ADDR --token-file F|--token T [--aes-key-file F|--aes-key K --appid A] [--compat]", "receive WeChat's pushes, print each verified event as a JSON line", runEvents},
		{"courier", "courier serve --listen ADDR --token-file F|--token T [--aes-key-file F|--aes-key K --appid A] [--compat] [--format xml|json] [--cells FILE] [--company-id C] | notify [ORDER_ID] [--all-new] | userquery --phone P", "courier side: scan-to-query and back-check gateway, phone-number path notices", runCourier},
		{"sandbox", "sandbox --listen ADDR [--state FILE] (see sandbox --help)", "serve the fake WeChat platform over HTTP", runSandbox},
		{"version", "version", "print the version", func(e *env, _ []string) error { fmt.Fprintln(e.stdout, "waybilldesk", Version); return nil }},
		{"backup", "backup --file F", "write a consistent copy of the history to F (safe while the window is open)", runBackup},
		{"restore", "restore --file F", "replace the history with the backup F; the replaced file is kept beside it", runRestore},
		{"check", "check [--full]", "read every page of the history with SQLite's integrity check and record the result (the window does this daily)", runCheck},
		{"diag", "diag [--log-lines N]", "print diagnostics for support: versions, settings without secrets, paths, the end of the log", runDiag},
	}
}

// Main runs one invocation and returns the process exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, gui GUI) int {
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr, gui: gui, cfg: desk.Config{
		APIBase: os.Getenv("WAYBILLDESK_API_BASE"),
		AppID:   os.Getenv("WAYBILLDESK_APPID"),
		Secret:  os.Getenv("WAYBILLDESK_SECRET"),
	}}
	fs := flag.NewFlagSet("waybilldesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e.globals(fs)
	showVersion := fs.Bool("version", false, "print the version")
	fs.Usage = func() { e.usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "waybilldesk", Version)
		return 0
	}
	if err := e.resolveSecret(fs); err != nil {
		return e.exit(err)
	}
	level := slog.LevelWarn
	if e.debug {
		level = slog.LevelDebug
	}
	e.cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	rest := fs.Args()
	if len(rest) == 0 {
		return e.exit(e.openGUI())
	}
	if rest[0] == "help" {
		e.usage(fs)
		return 0
	}
	for _, c := range commands() {
		if c.name == rest[0] {
			return e.exit(c.run(e, rest[1:]))
		}
	}
	fmt.Fprintf(stderr, "waybilldesk: unknown command %q (see waybilldesk help)\n", rest[0])
	return 2
}

func (e *env) usage(fs *flag.FlagSet) {
	w := e.stderr
	fmt.Fprintln(w, "Waybill Desk: place WeChat courier orders and print their e-waybills.")
	fmt.Fprintln(w, "\nUsage: waybilldesk [global flags] [command] [flags]   (no command opens the window)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n             %s\n", c.name, c.summary, c.usage)
	}
	fmt.Fprintln(w, "\nGlobal flags:")
	fs.PrintDefaults()
}

// exit prints err (with its WeChat errcode) and maps it to an exit status.
func (e *env) exit(err error) int {
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(e.stderr, "waybilldesk:", err)
		return 2
	}
	if e.json {
		out := map[string]any{"error": err.Error()}
		if code := wxapi.Code(err); code != 0 {
			out["errcode"] = code
		}
		if f := wxapi.FieldOf(err); f != "" {
			out["field"] = f
		}
		enc := json.NewEncoder(e.stderr)
		enc.SetEscapeHTML(false)
		enc.Encode(out)
		return 1
	}
	fmt.Fprintln(e.stderr, "waybilldesk:", err)
	return 1
}

// usageError is a mistake in the command line itself (exit status 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// parse parses a sub-command's flags, allowing positional arguments between
// them ("print ORDER --to pdf:F"), and returns the positionals.
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(e.stderr)
	e.globals(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, e.resolveSecret(fs)
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// open builds the desk from the flags.
func (e *env) open() (*desk.Desk, error) {
	d, err := desk.Open(e.ctx, e.cfg)
	if err != nil {
		return nil, err
	}
	if d.Config.Sandbox {
		e.cfg.Logger.Debug("sandbox mode", "api", d.Config.APIBase)
	}
	return d, nil
}

func (e *env) openGUI() error {
	if e.gui == nil {
		return errors.New("this build has no GUI")
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	return e.gui(d)
}

// printJSON writes v as indented JSON without HTML escaping.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runCouriers(e *env, args []string) error {
	fs := flag.NewFlagSet("couriers", flag.ContinueOnError)
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	list, err := d.Orders.Couriers(e.ctx, true)
	if err != nil {
		return err
	}
	if e.json {
		type account struct {
			BizID    string `json:"biz_id"`
			Alias    string `json:"alias,omitempty"`
			Cash     bool   `json:"cash"`
			QuotaNum *int   `json:"quota_num,omitempty"`
		}
		type courier struct {
			DeliveryID   string              `json:"delivery_id"`
			DeliveryName string              `json:"delivery_name"`
			ServiceType  []wxapi.ServiceType `json:"service_type"`
			Accounts     []account           `json:"accounts"`
		}
		out := []courier{}
		for _, c := range list {
			cc := courier{DeliveryID: c.DeliveryID, DeliveryName: c.Name, ServiceType: c.Services, Accounts: []account{}}
			for _, a := range c.Accounts {
				acc := account{BizID: a.BizID, Alias: a.Alias, Cash: a.Cash}
				if a.HasQuota {
					q := a.Quota
					acc.QuotaNum = &q
				}
				cc.Accounts = append(cc.Accounts, acc)
			}
			out = append(out, cc)
		}
		return e.printJSON(out)
	}
	for _, c := range list {
		var svcs []string
		for _, s := range c.Services {
			svcs = append(svcs, fmt.Sprintf("%d %s", s.ServiceType, s.ServiceName))
		}
		fmt.Fprintf(e.stdout, "%-6s %s  [%s]\n", c.DeliveryID, c.Name, strings.Join(svcs, ", "))
		if len(c.Accounts) == 0 {
			fmt.Fprintln(e.stdout, "       (no bound account)")
		}
		for _, a := range c.Accounts {
			fmt.Fprintf(e.stdout, "       %s\n", a.Label())
		}
	}
	return nil
}
