package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"waybilldesk/courier"
	"waybilldesk/desk"
	"waybilldesk/orders"
	"waybilldesk/store"
)

// The courier side of WeChat logistics (package courier): the gateway
// WeChat calls (scan-to-query JSONP, waybill_notify_query) and the
// phone-number notices the courier sends.

func runCourier(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("courier: want serve, notify or userquery")
	}
	switch args[0] {
	case "serve":
		return runCourierServe(e, args[1:])
	case "notify":
		return runCourierNotify(e, args[1:])
	case "userquery":
		return runCourierUserQuery(e, args[1:])
	}
	return usagef("courier: unknown sub-command %q (want serve, notify or userquery)", args[0])
}

func runCourierServe(e *env, args []string) error {
	fs := flag.NewFlagSet("courier serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8091", "address to serve WeChat's calls on")
	secrets := bindPushSecrets(fs, "the message-push Token configured in the mini program (signs both endpoints)")
	scanToken := bindSecret(fs, "scan-token", envScanToken, "the token of the scan-to-query signature, when it is not the Token")
	format := fs.String("format", courier.FormatAuto, "back-check answer format: xml, json or auto (as the request)")
	cellsFile := fs.String("cells", "", "JSON file of the cells shown on the scan-to-query page")
	companyID := fs.String("company-id", "", "refuse scan queries whose company_id names another company")
	queryPath := fs.String("query-path", courier.DefaultQueryPath, "path of the scan-to-query endpoint")
	notifyPath := fs.String("notify-path", courier.DefaultNotifyPath, "path of the waybill_notify_query endpoint")
	window := fs.Duration("window", 5*time.Minute, "how far a request's timestamp may be from now")
	transitDays := fs.Int("transit-days", 3, "days from order to delivery for estimated_delivery_time")
	if pos, err := e.parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("courier serve: unexpected argument %q", pos[0])
	}
	push, err := secrets.resolve(e, "courier serve")
	if err != nil {
		return err
	}
	scan, err := scanToken.get()
	if err != nil {
		return fmt.Errorf("courier serve: %w", err)
	}
	var cells []courier.Cell
	if *cellsFile != "" {
		if cells, err = courier.LoadCells(*cellsFile); err != nil {
			return usagef("courier serve: %v", err)
		}
	}
	dbPath := e.cfg.DBPath
	if dbPath == "" {
		if dbPath, err = desk.DefaultDBPath(); err != nil {
			return err
		}
	}
	// Only the history is needed: the gateway answers WeChat, it never
	// calls it, so no token or sandbox is started.
	db, err := store.Open(e.ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := courier.NewServer(courier.Options{DB: db, Token: push.token, ScanToken: scan,
		AESKey: push.aesKey, PreviousAESKey: push.prevKey, Compat: push.compat, AppID: e.cfg.AppID, Format: *format, Cells: cells,
		CompanyID: *companyID, QueryPath: *queryPath, NotifyPath: *notifyPath, Window: *window,
		TransitDays: *transitDays, Logger: e.cfg.Logger.With("part", "courier")})
	if err != nil {
		return usagef("courier serve: %v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("courier serve: %w", err)
	}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	q, n := srv.Paths()
	fmt.Fprintf(e.stderr, "courier gateway on http://%s: scan-to-query %s, waybill_notify_query %s (%s, %d cells); Ctrl-C stops\n",
		ln.Addr(), q, n, push.mode(), len(cells))
	return srv.Serve(ctx, ln)
}

func runCourierNotify(e *env, args []string) error {
	fs := flag.NewFlagSet("courier notify", flag.ContinueOnError)
	allNew := fs.Bool("all-new", false, "push every event not pushed yet (without ORDER_ID: of every order)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 || len(pos) == 0 && !*allNew {
		return usagef("courier notify: want ORDER_ID (or a waybill id), or --all-new")
	}
	return e.withDesk(func(d *desk.Desk) error {
		n := &courier.Notifier{DB: d.DB, API: d.API, Logger: e.cfg.Logger.With("part", "courier")}
		var results []*courier.NotifyResult
		var err error
		if len(pos) == 1 {
			var res *courier.NotifyResult
			if res, err = n.Notify(e.ctx, pos[0], *allNew); res != nil {
				results = append(results, res)
			}
		} else {
			results, err = n.NotifyAllNew(e.ctx)
		}
		if e.json {
			if results == nil {
				results = []*courier.NotifyResult{}
			}
			if perr := e.printJSON(results); perr != nil {
				return perr
			}
			return err
		}
		for _, r := range results {
			fmt.Fprintf(e.stdout, "%s %s to %s: pushed %d", r.OrderID, r.WaybillID, r.Phone, r.PushedCount)
			if r.Note != "" {
				fmt.Fprintf(e.stdout, " (%s)", r.Note)
			}
			fmt.Fprintln(e.stdout)
		}
		if len(results) == 0 && err == nil {
			fmt.Fprintln(e.stdout, "nothing to push")
		}
		return err
	})
}

func runCourierUserQuery(e *env, args []string) error {
	fs := flag.NewFlagSet("courier userquery", flag.ContinueOnError)
	phone := fs.String("phone", "", "the phone number to look up")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *phone == "" {
		return usagef("courier userquery: --phone is required")
	}
	return e.withDesk(func(d *desk.Desk) error {
		ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
		defer cancel()
		bound, err := d.API.UserQuery(ctx, *phone)
		if err != nil {
			return fmt.Errorf("userquery %s: %w", orders.MaskPhone(*phone), err)
		}
		// The number is masked even here: output ends up in logs and tickets.
		if e.json {
			exist := 0
			if bound {
				exist = 1
			}
			return e.printJSON(map[string]any{"phone": orders.MaskPhone(*phone), "exist": exist})
		}
		state := "not bound"
		if bound {
			state = "bound"
		}
		fmt.Fprintf(e.stdout, "%s %s to WeChat's express service\n", orders.MaskPhone(*phone), state)
		return nil
	})
}
