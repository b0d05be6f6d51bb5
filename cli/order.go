package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

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
	}
	return usagef("order: unknown sub-command %q", args[0])
}

// readOrderFile reads an addOrder body; unknown fields are an error so a
// misspelt field name is not silently dropped.
func readOrderFile(path string) (*wxapi.AddOrderRequest, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read order file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var req wxapi.AddOrderRequest
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("order file %s: %w", path, err)
	}
	return &req, nil
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
		Phone: orders.MaskPhone(o.ReceiverPhone), City: o.ReceiverCity, WaybillData: kv, HasLabel: o.PrintHTML != "",
		ErrCode: o.ErrorCode, ErrMsg: o.ErrorMsg, CreateTime: o.CreatedAt.Unix()}
}

func runOrderPlace(e *env, args []string) error {
	fs := flag.NewFlagSet("order place", flag.ContinueOnError)
	file := fs.String("file", "", "JSON file with the addOrder body (see examples/order.json)")
	orderID := fs.String("order-id", "", "order_id to use instead of the file's (default: the file's, or a fresh one)")
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
	o, err := d.Orders.Place(e.ctx, *req)
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
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	ids := pos
	if len(ids) == 0 {
		pending, err := d.Orders.List(e.ctx, orders.Query{Status: orders.StatusSubmitting, Limit: 1000})
		if err != nil {
			return err
		}
		for _, o := range pending {
			ids = append(ids, o.OrderID)
		}
	}
	for _, id := range ids {
		o, err := d.Orders.Reconcile(e.ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %s %s\n", o.OrderID, o.Status, o.WaybillID)
	}
	return nil
}
