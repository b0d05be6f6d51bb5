package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"waybilldesk/orders"
	"waybilldesk/wxapi"
)

// readJSONL reads JSON Lines: one addOrder body per line, as in
// examples/order.json. Unknown fields are errors (a misspelt field would
// otherwise be dropped silently). What a line leaves out (sender, courier,
// weight, size) comes from the defaults; the rest is the line's own. A
// line may be MaxLineBytes long, and a file may hold MaxRows orders.
func (im *Importer) readJSONL(data []byte, couriers []orders.Courier) ([]*draft, error) {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes+2) // the line and its CR LF
	var drafts []*draft
	firstLine := map[string]int{}
	n := 0
	for ; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if len(drafts) == MaxRows {
			return nil, tooLarge(fmt.Sprintf("line %d", n+1), "an import reads at most %d orders", MaxRows)
		}
		d := &draft{row: n + 1, src: sources{}, jsonl: true}
		drafts = append(drafts, d)
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		err := dec.Decode(&d.req)
		if err == nil && dec.More() {
			err = fmt.Errorf("more than one JSON value on the line")
		}
		if err != nil {
			d.errs = append(d.errs, RowError{Row: d.row, Message: fmt.Sprintf("not an addOrder body: %v", err)})
			continue
		}
		d.shopID = strings.TrimSpace(d.req.OrderID)
		body := d.req
		body.OrderID = ""
		canon, _ := json.Marshal(body)
		d.content = string(canon)
		if d.shopID != "" {
			if first, dup := firstLine[d.shopID]; dup {
				d.errs = append(d.errs, RowError{Row: d.row, Header: "order_id", Field: "order_id",
					Message: fmt.Sprintf("order_id %s is also on line %d", d.shopID, first)})
				continue
			}
			firstLine[d.shopID] = d.row
		}
		im.jsonDefaults(d, couriers)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, tooLarge(fmt.Sprintf("line %d", n+1), "the line is longer than the %s an import reads", megabytes(MaxLineBytes))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	if len(drafts) == 0 {
		return nil, fmt.Errorf("the file has no lines")
	}
	return drafts, nil
}

// jsonDefaults fills what a JSON line leaves empty from the defaults and
// notes where each came from.
func (im *Importer) jsonDefaults(d *draft, couriers []orders.Courier) {
	dflt := im.opts.Defaults
	r := &d.req
	if r.Sender == (wxapi.Contact{}) && dflt.Sender != nil {
		r.Sender = *dflt.Sender
		d.src["sender"] = source{col: -1, dflt: fromSender}
	}
	if r.DeliveryID == "" && dflt.Courier.DeliveryID != "" {
		r.DeliveryID = dflt.Courier.DeliveryID
		d.src["delivery_id"] = source{col: -1, dflt: fromCourier}
		if r.BizID == "" {
			r.BizID = dflt.Courier.BizID
		}
		if r.Service == (wxapi.Service{}) {
			if dflt.Courier.ServiceType != nil {
				r.Service.ServiceType = *dflt.Courier.ServiceType
			} else if c, ok := findCourier(couriers, r.DeliveryID); ok && len(c.Services) == 1 {
				r.Service = wxapi.Service{ServiceType: c.Services[0].ServiceType, ServiceName: c.Services[0].ServiceName}
			}
			d.src["service"] = source{col: -1, dflt: fromService}
		}
	}
	p := dflt.Parcel
	for _, m := range []struct {
		path string
		dst  *float64
		v    float64
	}{{"cargo.weight", &r.Cargo.Weight, p.WeightKg}, {"cargo.space_x", &r.Cargo.SpaceX, p.LengthCm},
		{"cargo.space_y", &r.Cargo.SpaceY, p.WidthCm}, {"cargo.space_z", &r.Cargo.SpaceZ, p.HeightCm}} {
		if *m.dst == 0 && m.v > 0 {
			*m.dst = m.v
			d.src[m.path] = source{col: -1, dflt: fromParcel}
		}
	}
}
