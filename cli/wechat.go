package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"waybilldesk/desk"
	"waybilldesk/internal/capped"
	"waybilldesk/wxapi"
)

// Commands that talk to WeChat's endpoints directly (accounts, quota,
// operators, buyer notices). Flags carrying a WeChat field are named after
// it with dashes; bodies come with --file.

// withDesk opens the desk for a command and closes it afterwards.
func (e *env) withDesk(run func(d *desk.Desk) error) error {
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	return run(d)
}

// readJSONFile decodes a request body file, refusing unknown fields.
func readJSONFile(path string, v any) error {
	// A request body or a sender is a few KB: a log or /dev/zero given by
	// mistake is refused after 1 MB.
	raw, err := capped.ReadFile(path, 1<<20)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func unixTime(sec int64) string {
	if sec <= 0 {
		return "-"
	}
	return time.Unix(sec, 0).Format("2006-01-02 15:04")
}

func runAccounts(e *env, args []string) error {
	fs := flag.NewFlagSet("accounts", flag.ContinueOnError)
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	return e.withDesk(func(d *desk.Desk) error {
		resp, err := d.API.GetAllAccount(e.ctx)
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(resp)
		}
		status := map[int]string{0: "bound", 1: "reviewing", 2: "failed", 3: "unbound"}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DELIVERY_ID\tBIZ_ID\tALIAS\tSTATUS\tQUOTA_NUM\tQUOTA_UPDATED")
		for _, a := range resp.List {
			st := status[a.StatusCode]
			if st == "" {
				st = fmt.Sprint(a.StatusCode)
			}
			if a.RemarkWrongMsg != "" {
				st += " (" + a.RemarkWrongMsg + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", a.DeliveryID, a.BizID, a.Alias, st, a.QuotaNum, unixTime(a.QuotaUpdateTime))
		}
		return tw.Flush()
	})
}

func runBind(e *env, args []string) error {
	fs := flag.NewFlagSet("bind", flag.ContinueOnError)
	var req wxapi.BindAccountRequest
	fs.StringVar(&req.DeliveryID, "delivery-id", "", "courier id, e.g. YTO")
	fs.StringVar(&req.BizID, "biz-id", "", "courier customer code")
	fs.StringVar(&req.Password, "password", "", "courier customer password (not needed for EMS, SF, JD)")
	fs.StringVar(&req.RemarkContent, "remark-content", "", "EMS review remark: 电话：… 联系人：… 服务类型：… 发货地址：…")
	unbind := fs.Bool("unbind", false, "unbind instead of bind")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	req.Type = wxapi.BindTypeBind
	if *unbind {
		req.Type = wxapi.BindTypeUnbind
	}
	if err := req.Validate(); err != nil {
		return usagef("bind: %v", err)
	}
	return e.withDesk(func(d *desk.Desk) error {
		err := d.API.BindAccount(e.ctx, &req)
		// EMS reviews binds: 9300532 means submitted, not refused; the
		// outcome shows later in accounts (status_code 1, then 0 or 2).
		var we *wxapi.Error
		reviewing := errors.As(err, &we) && we.Code == codeBindReviewing
		if err != nil && !reviewing {
			return err
		}
		req.Password = ""
		if e.json {
			if reviewing {
				return e.printDone(req, we.Code, we.Msg)
			}
			return e.printDone(req, 0, "ok")
		}
		if reviewing {
			fmt.Fprintf(e.stdout, "%s %s %s: submitted, under review (errcode %d); accounts shows the result\n",
				req.Type, req.DeliveryID, req.BizID, we.Code)
			return nil
		}
		fmt.Fprintf(e.stdout, "%s %s %s: ok\n", req.Type, req.DeliveryID, req.BizID)
		return nil
	})
}

// codeBindReviewing is bindAccount's answer when the courier (EMS) reviews
// the bind first.
const codeBindReviewing = 9300532

// printDone prints, for --json, a write WeChat answers without a body: the
// request's fields under WeChat's names and WeChat's errcode/errmsg.
func (e *env) printDone(req any, errcode int, errmsg string) error {
	raw, err := json.Marshal(req)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	out["errcode"], out["errmsg"] = errcode, errmsg
	return e.printJSON(out)
}

func runQuota(e *env, args []string) error {
	fs := flag.NewFlagSet("quota", flag.ContinueOnError)
	var req wxapi.GetQuotaRequest
	fs.StringVar(&req.DeliveryID, "delivery-id", "", "courier id (default: every franchise account)")
	fs.StringVar(&req.BizID, "biz-id", "", "courier customer code")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	return e.withDesk(func(d *desk.Desk) error {
		var keys []wxapi.GetQuotaRequest
		if req.DeliveryID != "" || req.BizID != "" {
			keys = append(keys, req)
		} else {
			couriers, err := d.Orders.Couriers(e.ctx, true)
			if err != nil {
				return err
			}
			for _, c := range couriers {
				for _, a := range c.Accounts {
					if a.HasQuota {
						keys = append(keys, wxapi.GetQuotaRequest{DeliveryID: c.DeliveryID, BizID: a.BizID})
					}
				}
			}
		}
		type row struct {
			DeliveryID string `json:"delivery_id"`
			BizID      string `json:"biz_id"`
			QuotaNum   int    `json:"quota_num"`
		}
		var rows []row
		for _, k := range keys {
			resp, err := d.API.GetQuota(e.ctx, &k)
			if err != nil {
				return fmt.Errorf("quota of %s %s: %w", k.DeliveryID, k.BizID, err)
			}
			rows = append(rows, row{k.DeliveryID, k.BizID, resp.QuotaNum})
		}
		if e.json {
			if rows == nil {
				rows = []row{}
			}
			return e.printJSON(rows)
		}
		for _, r := range rows {
			fmt.Fprintf(e.stdout, "%-6s %-16s %d\n", r.DeliveryID, r.BizID, r.QuotaNum)
		}
		return nil
	})
}

func runOperators(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("operators: want list, add or remove")
	}
	fs := flag.NewFlagSet("operators "+args[0], flag.ContinueOnError)
	var req wxapi.UpdatePrinterRequest
	fs.StringVar(&req.OpenID, "openid", "", "the operator's openid")
	fs.StringVar(&req.TagIDList, "tagid-list", "", "platform apps: tag ids, comma-separated without spaces (at most 10)")
	if _, err := e.parse(fs, args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "list":
		return e.withDesk(func(d *desk.Desk) error {
			resp, err := d.API.GetPrinter(e.ctx)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(resp)
			}
			for _, o := range resp.OpenID {
				fmt.Fprintln(e.stdout, o)
			}
			if len(resp.TagIDList) > 0 {
				fmt.Fprintln(e.stdout, "tagid_list:", strings.Join(resp.TagIDList, ","))
			}
			return nil
		})
	case "add", "remove":
		req.UpdateType = wxapi.PrinterBind
		if args[0] == "remove" {
			req.UpdateType = wxapi.PrinterUnbind
		}
		if err := req.Validate(); err != nil {
			return usagef("operators %s: %v", args[0], err)
		}
		return e.withDesk(func(d *desk.Desk) error {
			if err := d.API.UpdatePrinter(e.ctx, &req); err != nil {
				return err
			}
			if e.json {
				return e.printDone(req, 0, "ok")
			}
			fmt.Fprintf(e.stdout, "%s %s: ok\n", req.UpdateType, req.OpenID)
			return nil
		})
	}
	return usagef("operators: unknown sub-command %q", args[0])
}

func runNotify(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("notify: want follow, trace, query or update-goods")
	}
	fs := flag.NewFlagSet("notify "+args[0], flag.ContinueOnError)
	file := fs.String("file", "", "request body (JSON): follow/trace: the waybill and goods; update-goods: the body with goods_info (or goods_info alone)")
	token := fs.String("waybill-token", "", "waybill_token returned by follow or trace")
	openID := fs.String("openid", "", "the buyer's openid")
	transID := fs.String("trans-id", "", "follow/trace: the WeChat Pay transaction id the buyer paid with (required by WeChat; overrides trans_id in the file)")
	family := fs.String("family", "follow", "for query and update-goods: follow (follow_waybill) or trace (trace_waybill)")
	pos, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}
	fam := wxapi.NoticeFollow
	switch {
	case args[0] == "trace", *family == "trace":
		fam = wxapi.NoticeTrace
	case *family != "follow":
		return usagef("notify: --family must be follow or trace")
	}
	var run func(d *desk.Desk) error
	switch args[0] {
	case "follow", "trace":
		if *file == "" {
			return usagef("notify %s: --file is required", args[0])
		}
		var req wxapi.FollowRequest
		if err := readJSONFile(*file, &req); err != nil {
			return err
		}
		if *openID != "" {
			req.OpenID = *openID
		}
		if *transID != "" {
			req.TransID = *transID
		}
		// Refused before the desk is opened: WeChat's own samples leave
		// trans_id out, and a file copied from them must not look sent.
		if err := req.Validate(); err != nil {
			if wxapi.FieldOf(err) == "trans_id" {
				return usagef("notify %s: trans_id is required: give --trans-id (the WeChat Pay transaction id) or trans_id in the file", args[0])
			}
			return err
		}
		run = func(d *desk.Desk) error {
			resp, err := d.API.Follow(e.ctx, fam, &req)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(resp)
			}
			fmt.Fprintln(e.stdout, "waybill_token", resp.WaybillToken)
			return nil
		}
	case "query":
		if *token == "" {
			return usagef("notify query: --waybill-token is required")
		}
		run = func(d *desk.Desk) error {
			resp, err := d.API.QueryTrace(e.ctx, fam, &wxapi.QueryTraceRequest{WaybillToken: *token, OpenID: *openID})
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(resp)
			}
			fmt.Fprintf(e.stdout, "waybill_id %s\nstatus     %d %s\ncourier    %s %s\n", resp.WaybillInfo.WaybillID,
				resp.WaybillInfo.Status, noticeStatus(resp.WaybillInfo.Status), resp.DeliveryInfo.DeliveryID, resp.DeliveryInfo.DeliveryName)
			return nil
		}
	case "update-goods":
		if *file == "" {
			return usagef("notify update-goods: --file is required")
		}
		// The file is the request body (waybill_token, openid, goods_info)
		// or just its goods_info; the flags override the body's fields.
		var body struct {
			wxapi.UpdateGoodsRequest
			DetailList []wxapi.NoticeGoods `json:"detail_list"`
		}
		if err := readJSONFile(*file, &body); err != nil {
			return err
		}
		req := body.UpdateGoodsRequest
		if body.DetailList != nil {
			req.GoodsInfo.DetailList = body.DetailList
		}
		if *token != "" {
			req.WaybillToken = *token
		}
		if *openID != "" {
			req.OpenID = *openID
		}
		if len(pos) == 1 && req.WaybillToken == "" {
			// An order of the history: its stored waybill_token and family.
			return e.withDesk(func(d *desk.Desk) error {
				if err := d.Orders.UpdateNoticeGoods(e.ctx, pos[0], req.GoodsInfo); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "goods updated")
				return nil
			})
		}
		if req.WaybillToken == "" {
			return usagef("notify update-goods: give an ORDER_ID of the history, or --waybill-token (or waybill_token in the file)")
		}
		run = func(d *desk.Desk) error {
			if err := d.API.UpdateGoods(e.ctx, fam, &req); err != nil {
				return err
			}
			if e.json {
				return e.printDone(req, 0, "ok")
			}
			fmt.Fprintln(e.stdout, "goods updated")
			return nil
		}
	default:
		return usagef("notify: unknown sub-command %q", args[0])
	}
	return e.withDesk(run)
}

func noticeStatus(s int) string {
	names := []string{"运单不存在或未揽收 not found / not collected", "已揽件 collected", "运输中 in transit",
		"派件中 out for delivery", "已签收 signed", "异常 exception", "代签收 signed by proxy"}
	if s >= 0 && s < len(names) {
		return names[s]
	}
	return "unknown"
}
