package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"waybilldesk/desk"
	"waybilldesk/internal/capped"
	"waybilldesk/orders"
	"waybilldesk/wxapi"
)

func runOrder(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("order: want place, get, list or reconcile")
	}
	switch args[0] {
	case "place":
		return runOrderPlace(e, args[1:])
	case "get":
		return runOrderGet(e, args[1:])
	case "list":
		return runOrderList(e, args[1:])
	case "reconcile":
		return runOrderReconcile(e, args[1:])
	case "cancel":
		return runOrderCancel(e, args[1:])
	case "path":
		return runOrderPath(e, args[1:])
	case "batch":
		return runOrderBatch(e, args[1:])
	}
	return usagef("order: unknown sub-command %q", args[0])
}

// readOrderFile reads an addOrder body; unknown fields are an error so a
// misspelt field name is not silently dropped. The file may hold at most
// 1 MB (an order is a few KB): /dev/zero, or a log given by mistake, is
// refused after 1 MB and a byte, not read until memory runs out.
func readOrderFile(path string) (*wxapi.AddOrderRequest, error) {
	const maxOrderFile = 1 << 20
	raw, err := capped.ReadFile(path, maxOrderFile)
	if errors.Is(err, capped.ErrTooLarge) {
		return nil, fmt.Errorf("order file %s: %w; an order file holds one addOrder body (a few KB)", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read order file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var req wxapi.AddOrderRequest
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("order file %s: %w", path, err)
	}
	// Decode stops after the first value: a second order (a JSON Lines
	// file given to place) would otherwise be dropped without a word.
	rest := bytes.TrimLeft(raw[dec.InputOffset():], " \t\r\n")
	switch {
	case len(rest) == 0:
		return &req, nil
	case rest[0] == '{':
		return nil, fmt.Errorf("order file %s holds more than one order; give one order per file, or use `waybilldesk import` for many (JSON Lines)", path)
	default:
		line := bytes.Count(raw[:len(raw)-len(rest)], []byte("\n")) + 1
		return nil, fmt.Errorf("order file %s: unexpected text after the order on line %d", path, line)
	}
}

// orderJSON is an order as --json prints it, with WeChat's field names.
type orderJSON struct {
	OrderID     string     `json:"order_id"`
	WaybillID   string     `json:"waybill_id"`
	DeliveryID  string     `json:"delivery_id"`
	BizID       string     `json:"biz_id"`
	ServiceType int        `json:"service_type"`
	ServiceName string     `json:"service_name"`
	Status      string     `json:"status"`
	Receiver    string     `json:"receiver_name"`
	Phone       string     `json:"receiver_phone"`
	City        string     `json:"receiver_city"`
	WaybillData []wxapi.KV `json:"waybill_data"`
	HasLabel    bool       `json:"has_label"`
	ErrCode     int        `json:"errcode,omitempty"`
	ErrMsg      string     `json:"errmsg,omitempty"`
	CreateTime  int64      `json:"create_time"`
}

func toJSON(o *orders.Order) orderJSON {
	kv := []wxapi.KV{}
	for _, x := range o.WaybillData {
		kv = append(kv, wxapi.KV{Key: x.Key, Value: x.Value})
	}
	return orderJSON{OrderID: o.OrderID, WaybillID: o.WaybillID, DeliveryID: o.DeliveryID, BizID: o.BizID,
		ServiceType: o.ServiceType, ServiceName: o.ServiceName, Status: o.Status, Receiver: o.ReceiverName,
		Phone: orders.MaskPhone(o.ReceiverPhone), City: o.ReceiverCity, WaybillData: kv, HasLabel: o.HasLabel,
		ErrCode: o.ErrorCode, ErrMsg: o.ErrorMsg, CreateTime: o.CreatedAt.Unix()}
}

func runOrderPlace(e *env, args []string) error {
	fs := flag.NewFlagSet("order place", flag.ContinueOnError)
	file := fs.String("file", "", "JSON file with the addOrder body (see examples/order.json)")
	orderID := fs.String("order-id", "", "order_id to use instead of the file's (default: the file's, or a fresh one)")
	force := fs.Bool("force", false, "place a file without order_id even when the same order from an earlier run is still unsettled")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("order place: --file is required")
	}
	req, err := readOrderFile(*file)
	if err != nil {
		return err
	}
	if *orderID != "" {
		req.OrderID = *orderID
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	o, err := d.Orders.PlaceWith(e.ctx, *req, orders.PlaceOptions{Force: *force})
	if errors.Is(err, orders.ErrAlreadySubmitted) && o != nil && o.Status == orders.StatusPlaced {
		// An earlier run sent it and lost the answer: WeChat was asked
		// instead of sending it twice, and it has the waybill.
		fmt.Fprintf(e.stderr, "%s was sent to WeChat by an earlier run whose answer was lost; checked with WeChat instead of sending it again\n", o.OrderID)
		err = nil
	}
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(toJSON(o))
	}
	fmt.Fprintf(e.stdout, "order_id   %s\nwaybill_id %s\n", o.OrderID, o.WaybillID)
	return nil
}

func runOrderGet(e *env, args []string) error {
	fs := flag.NewFlagSet("order get", flag.ContinueOnError)
	remote := fs.Bool("remote", false, "ask WeChat (getOrder) instead of the history")
	var key wxapi.GetOrderRequest
	fs.StringVar(&key.DeliveryID, "delivery-id", "", "with --remote, for an order not in the history")
	fs.StringVar(&key.WaybillID, "waybill-id", "", "with --remote, the waybill id if known")
	printType := fs.Int("print-type", -1, "with --remote: 1 one-part label, 0 two-part (default)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("order get: want one ORDER_ID or waybill id")
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	if *remote {
		return remoteGet(e, d.Orders, d.API, pos[0], key, *printType)
	}
	o, err := d.Orders.Find(e.ctx, pos[0])
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(toJSON(o))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	j := toJSON(o)
	fmt.Fprintf(tw, "order_id\t%s\nwaybill_id\t%s\nstatus\t%s\ncourier\t%s %s (%s)\nreceiver\t%s %s %s\ncreated\t%s\n",
		j.OrderID, j.WaybillID, j.Status, j.DeliveryID, j.ServiceName, j.BizID, j.Receiver, j.Phone, j.City,
		o.CreatedAt.Format("2006-01-02 15:04:05"))
	if o.ErrorCode != 0 {
		fmt.Fprintf(tw, "error\t%d %s\n", o.ErrorCode, o.ErrorMsg)
	}
	return tw.Flush()
}

func runOrderList(e *env, args []string) error {
	fs := flag.NewFlagSet("order list", flag.ContinueOnError)
	var q orders.Query
	fs.StringVar(&q.Search, "search", "", "order id, waybill id, receiver name or phone (last four digits work)")
	fs.StringVar(&q.Status, "status", "", "submitting, placed or failed")
	fs.StringVar(&q.DeliveryID, "delivery-id", "", "only this courier")
	fs.IntVar(&q.Limit, "limit", 50, "at most this many orders")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	list, err := d.Orders.List(e.ctx, q)
	if err != nil {
		return err
	}
	if e.json {
		out := []orderJSON{}
		for i := range list {
			out = append(out, toJSON(&list[i]))
		}
		return e.printJSON(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tORDER_ID\tSTATUS\tCOURIER\tWAYBILL_ID\tRECEIVER")
	for i := range list {
		o := &list[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s %s\n", o.CreatedAt.Format("2006-01-02 15:04"), o.OrderID, o.Status,
			o.DeliveryID, o.WaybillID, o.ReceiverName, orders.MaskPhone(o.ReceiverPhone))
	}
	return tw.Flush()
}

func runOrderReconcile(e *env, args []string) error {
	fs := flag.NewFlagSet("order reconcile", flag.ContinueOnError)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	return e.withDesk(func(d *desk.Desk) error {
		if len(pos) == 0 {
			all, err := d.Orders.ReconcileAll(e.ctx)
			printReconciled(e, all)
			return err
		}
		var list []orders.Reconciled
		var firstErr error
		for _, id := range pos {
			o, err := d.Orders.Check(e.ctx, id)
			if o != nil {
				list = append(list, orders.Reconciled{Order: *o, Err: err})
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}
		printReconciled(e, list)
		return firstErr
	})
}

// printReconciled prints one line per order looked at: its status and
// waybill, and why it is still submitting.
func printReconciled(e *env, list []orders.Reconciled) {
	if e.json {
		type line struct {
			orderJSON
			Pending string `json:"pending,omitempty"`
		}
		out := []line{}
		for i := range list {
			l := line{orderJSON: toJSON(&list[i].Order)}
			if list[i].Err != nil {
				l.Pending = list[i].Err.Error()
			}
			out = append(out, l)
		}
		e.printJSON(out)
		return
	}
	for _, r := range list {
		fmt.Fprintf(e.stdout, "%s %s %s", r.Order.OrderID, r.Order.Status, r.Order.WaybillID)
		if r.Err != nil {
			fmt.Fprintf(e.stdout, " (%v)", r.Err)
		}
		fmt.Fprintln(e.stdout)
	}
}

// remoteGet prints WeChat's getOrder answer for an order of the history or
// for the key given by flags.
func remoteGet(e *env, svc *orders.Service, api *wxapi.Client, id string, key wxapi.GetOrderRequest, printType int) error {
	key.OrderID = id
	if o, err := svc.Find(e.ctx, id); err == nil {
		key = wxapi.GetOrderRequest{OrderID: o.OrderID, DeliveryID: o.DeliveryID, WaybillID: o.WaybillID}
	} else if key.DeliveryID == "" {
		return fmt.Errorf("order get --remote: %s is not in the history: give --delivery-id", id)
	}
	if printType >= 0 {
		key.PrintType = &printType
	}
	resp, err := api.GetOrder(e.ctx, &key)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(resp)
	}
	status := "normal"
	if resp.OrderStatus == wxapi.OrderStatusCancelled {
		status = "cancelled"
	}
	fmt.Fprintf(e.stdout, "order_id     %s\nwaybill_id   %s\ndelivery_id  %s\norder_status %d (%s)\nprint_html   %d bytes (base64)\n",
		resp.OrderID, resp.WaybillID, resp.DeliveryID, resp.OrderStatus, status, len(resp.PrintHTML))
	for _, kv := range resp.WaybillData {
		fmt.Fprintf(e.stdout, "  %s = %s\n", kv.Key, kv.Value)
	}
	return nil
}

func runOrderCancel(e *env, args []string) error {
	fs := flag.NewFlagSet("order cancel", flag.ContinueOnError)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("order cancel: want one ORDER_ID or waybill id")
	}
	return e.withDesk(func(d *desk.Desk) error {
		o, err := d.Orders.Cancel(e.ctx, pos[0])
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(toJSON(o))
		}
		fmt.Fprintf(e.stdout, "%s (%s) cancelled\n", o.OrderID, o.WaybillID)
		return nil
	})
}

func runOrderPath(e *env, args []string) error {
	fs := flag.NewFlagSet("order path", flag.ContinueOnError)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("order path: want one ORDER_ID or waybill id")
	}
	return e.withDesk(func(d *desk.Desk) error {
		o, events, err := d.Orders.Path(e.ctx, pos[0])
		if err != nil {
			return err
		}
		if e.json {
			items := []wxapi.PathItem{}
			for _, ev := range events {
				items = append(items, wxapi.PathItem{ActionTime: ev.ActionTime.Unix(), ActionType: ev.ActionType, ActionMsg: ev.ActionMsg})
			}
			return e.printJSON(map[string]any{"order_id": o.OrderID, "waybill_id": o.WaybillID, "delivery_id": o.DeliveryID,
				"track_status": o.TrackStatus, "path_item_num": len(items), "path_item_list": items})
		}
		fmt.Fprintf(e.stdout, "%s %s %s: %s\n", o.OrderID, o.DeliveryID, o.WaybillID, orStr(o.TrackStatus, "no tracking yet"))
		for _, ev := range events {
			fmt.Fprintf(e.stdout, "  %s  %d  %s\n", ev.ActionTime.Format("2006-01-02 15:04"), ev.ActionType, ev.ActionMsg)
		}
		return nil
	})
}

func runOrderBatch(e *env, args []string) error {
	fs := flag.NewFlagSet("order batch", flag.ContinueOnError)
	file := fs.String("file", "", "JSON body of batchGetOrder ({\"order_list\":[{order_id, delivery_id, waybill_id}]}); or give order ids")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if (*file == "") == (len(pos) == 0) {
		return usagef("order batch: give --file or order ids from the history")
	}
	return e.withDesk(func(d *desk.Desk) error {
		var req wxapi.BatchGetOrderRequest
		if *file != "" {
			if err := readJSONFile(*file, &req); err != nil {
				return err
			}
		}
		for _, id := range pos {
			o, err := d.Orders.Find(e.ctx, id)
			if err != nil {
				return err
			}
			req.OrderList = append(req.OrderList, wxapi.OrderKey{OrderID: o.OrderID, DeliveryID: o.DeliveryID, WaybillID: o.WaybillID})
		}
		resp, err := d.API.BatchGetOrder(e.ctx, &req)
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(resp)
		}
		for _, o := range resp.OrderList {
			state := "ok"
			if err := o.Err(); err != nil {
				state = err.Error()
			}
			fmt.Fprintf(e.stdout, "%s %s %s status=%d label=%dB %s\n", o.OrderID, o.DeliveryID, o.WaybillID, o.OrderStatus, len(o.PrintHTML), state)
		}
		return nil
	})
}

func orStr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
