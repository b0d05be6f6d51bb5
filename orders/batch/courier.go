package batch

import (
	"fmt"
	"strconv"
	"strings"

	"waybilldesk/orders"
	"waybilldesk/wxapi"
)

// courier picks the row's courier, account and service: the row's own
// columns, else the defaults. The default account and service apply only
// to the default courier: they mean nothing for another one.
func (r *rowBuild) courier() {
	req := &r.d.req
	dc := r.b.dflt.Courier
	var c orders.Courier
	if v := r.text(FieldDeliveryID); v != "" {
		found, ok := r.b.findCourier(v)
		if !ok {
			r.fail(FieldDeliveryID, "%q is not a courier of this mini program (see waybilldesk couriers)", v)
			return
		}
		c = found
		r.from("delivery_id", FieldDeliveryID)
	} else {
		r.fromDefault("delivery_id", fromCourier)
		found, ok := r.b.findCourier(dc.DeliveryID)
		if !ok {
			if dc.DeliveryID == "" {
				r.fail(FieldDeliveryID, "no courier: the row names none and there is no default (give --delivery-id or set default_courier)")
			} else {
				r.fail(FieldDeliveryID, "the default courier %q is not a courier of this mini program (see waybilldesk couriers)", dc.DeliveryID)
			}
			return
		}
		c = found
	}
	req.DeliveryID = c.DeliveryID
	sameAsDefault := c.DeliveryID == dc.DeliveryID

	if v := r.text(FieldBizID); v != "" {
		req.BizID = v
		r.from("biz_id", FieldBizID)
	} else if sameAsDefault && dc.BizID != "" {
		req.BizID = dc.BizID
		r.fromDefault("biz_id", fromBizID)
	}

	if v := r.text(FieldServiceType); v != "" {
		r.from("service", FieldServiceType)
		svc, ok := findService(c, v)
		if !ok {
			r.fail(FieldServiceType, "%s has no service %q (it has: %s)", c.Label(), v, serviceList(c))
			return
		}
		req.Service = wxapi.Service{ServiceType: svc.ServiceType, ServiceName: svc.ServiceName}
		return
	}
	r.fromDefault("service", fromService)
	switch {
	case sameAsDefault && dc.ServiceType != nil:
		req.Service.ServiceType = *dc.ServiceType
	case len(c.Services) == 1:
		req.Service = wxapi.Service{ServiceType: c.Services[0].ServiceType, ServiceName: c.Services[0].ServiceName}
	default:
		// Picking one of several services would pick a price: ask.
		r.fail(FieldServiceType, "%s has several services, choose one with --service-type (%s)", c.Label(), serviceList(c))
	}
}

func (b *builder) findCourier(v string) (orders.Courier, bool) {
	return findCourier(b.couriers, v)
}

// findCourier matches a courier by id (any case) or by its Chinese name,
// whole or its start (顺丰 for 顺丰速运) when that is unambiguous.
func findCourier(list []orders.Courier, v string) (orders.Courier, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return orders.Courier{}, false
	}
	for _, c := range list {
		if strings.EqualFold(c.DeliveryID, v) || c.Name == v {
			return c, true
		}
	}
	var match []orders.Courier
	for _, c := range list {
		if strings.HasPrefix(c.Name, v) {
			match = append(match, c)
		}
	}
	if len(match) == 1 {
		return match[0], true
	}
	return orders.Courier{}, false
}

func findService(c orders.Courier, v string) (wxapi.ServiceType, bool) {
	if n, err := strconv.Atoi(strings.TrimSuffix(v, ".0")); err == nil {
		return c.Service(n)
	}
	for _, s := range c.Services {
		if s.ServiceName == v {
			return s, true
		}
	}
	return wxapi.ServiceType{}, false
}

func serviceList(c orders.Courier) string {
	var parts []string
	for _, s := range c.Services {
		parts = append(parts, fmt.Sprintf("%d %s", s.ServiceType, s.ServiceName))
	}
	return strings.Join(parts, ", ")
}
