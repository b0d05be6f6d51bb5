package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The admin paths are the sandbox's own, not WeChat's: a trainer or a test
// uses them to inject faults, empty a quota, move the clock or compare the
// platform's truth with a client's history. They answer plain JSON (errors
// as {"error": "..."} with a 4xx status) and faults never apply to them.
const adminPrefix = "/sandbox/"

// adminBody bounds an admin request.
const adminBody = 64 << 10

// adminRoutes serves /sandbox/*.
func (s *Sandbox) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/{$}", s.adminIndex)
	mux.HandleFunc("GET /sandbox/faults", s.adminGetFaults)
	mux.HandleFunc("POST /sandbox/faults", s.adminSetFaults)
	mux.HandleFunc("POST /sandbox/quota", s.adminSetQuota)
	mux.HandleFunc("GET /sandbox/orders", s.adminOrders)
	mux.HandleFunc("GET /sandbox/clock", s.adminGetClock)
	mux.HandleFunc("POST /sandbox/clock", s.adminSetClock)
	mux.HandleFunc("GET /sandbox/label_size", s.adminGetLabelSizes)
	mux.HandleFunc("POST /sandbox/label_size", s.adminSetLabelSize)
	mux.HandleFunc("GET /sandbox/gateways", s.adminGetGateways)
	mux.HandleFunc("POST /sandbox/gateways", s.adminAddGateway)
	mux.HandleFunc("GET /sandbox/bound_phones", s.adminGetBoundPhones)
	mux.HandleFunc("POST /sandbox/bound_phones", s.adminSetBoundPhone)
	mux.HandleFunc("GET /sandbox/courier_notices", s.adminCourierNotices)
	mux.HandleFunc("/sandbox/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, http.StatusNotFound, fmt.Errorf("no admin endpoint %s %s (GET /sandbox/ lists them)", r.Method, r.URL.Path))
	})
	return mux
}

// adminEndpoints documents the admin paths (GET /sandbox/).
var adminEndpoints = []string{
	"GET  /sandbox/faults       current fault settings",
	`POST /sandbox/faults       change some: {"latency":"80ms","error-rate":0.05,"http500-rate":0.02,"drop-after-commit-rate":0.05,"unknown-after-commit-rate":0.05,"addorder-latency":"5s","token-ttl":"10m"}`,
	`POST /sandbox/quota        set a label stock: {"delivery_id":"YTO","biz_id":"SANDBOX_YTO","quota_num":0}`,
	"GET  /sandbox/orders       every order the sandbox holds, with its state",
	"GET  /sandbox/clock        the sandbox time and speed",
	`POST /sandbox/clock        {"advance":"24h"} and/or {"speed":1440}`,
	"GET  /sandbox/label_size   label sizes set per account or courier",
	`POST /sandbox/label_size   {"delivery_id":"ZTO","biz_id":"SANDBOX_ZTO","size":"76x130"} (no biz_id: whole courier; size "": remove)`,
	"GET  /sandbox/gateways     gateway couriers WeChat pulls traces from and checks pathnotify with (no tokens shown)",
	`POST /sandbox/gateways     register or replace one: {"delivery_id":"SELF","url":"http://127.0.0.1:8091","token":"T","aes_key":"...","format":"xml","pattern":"^CW\\d+$"}`,
	"GET  /sandbox/bound_phones phones bound or unbound by hand (others: bound when the last digit is even)",
	`POST /sandbox/bound_phones {"phone":"13800138001"} binds one; {"phone":"...","bound":false} unbinds it`,
	"GET  /sandbox/courier_notices path notices accepted after the back-check (?waybill_id=W for one waybill)",
}

func (s *Sandbox) adminIndex(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"endpoints": adminEndpoints})
}

func (s *Sandbox) adminGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, s.faults.get())
}

func (s *Sandbox) adminSetFaults(w http.ResponseWriter, r *http.Request) {
	f := s.faults.get()
	if err := readAdmin(r, &f); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if err := s.SetFaults(f); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, f)
}

type quotaRequest struct {
	DeliveryID string `json:"delivery_id"`
	BizID      string `json:"biz_id"`
	QuotaNum   *int   `json:"quota_num"`
}

func (s *Sandbox) adminSetQuota(w http.ResponseWriter, r *http.Request) {
	var q quotaRequest
	if err := readAdmin(r, &q); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if q.DeliveryID == "" || q.BizID == "" || q.QuotaNum == nil || *q.QuotaNum < 0 {
		adminError(w, http.StatusBadRequest, errors.New("want delivery_id, biz_id and quota_num >= 0"))
		return
	}
	err := s.db.setQuota(r.Context(), q.DeliveryID, q.BizID, *q.QuotaNum)
	switch {
	case errors.Is(err, errNoAccount):
		adminError(w, http.StatusNotFound, err)
		return
	case err != nil:
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	s.log.Info("sandbox quota set", "delivery_id", q.DeliveryID, "biz_id", q.BizID, "quota_num", *q.QuotaNum)
	writeJSON(w, map[string]any{"delivery_id": q.DeliveryID, "biz_id": q.BizID, "quota_num": *q.QuotaNum})
}

// adminOrder is one order as GET /sandbox/orders lists it.
type adminOrder struct {
	OrderID        string `json:"order_id"`
	WaybillID      string `json:"waybill_id"`
	DeliveryID     string `json:"delivery_id"`
	BizID          string `json:"biz_id"`
	ServiceType    int    `json:"service_type"`
	Status         string `json:"status"`       // placed, collected, in_transit, ..., signed, returned, cancelled
	OrderStatus    int    `json:"order_status"` // getOrder's 0 or 1
	CustomRemark   string `json:"custom_remark"`
	CreateTime     int64  `json:"create_time"` // sandbox clock, Unix seconds
	Created        string `json:"created"`     // the same in RFC 3339, China time
	PathItemNum    int    `json:"path_item_num"`
	LastActionType int    `json:"last_action_type,omitempty"`
}

func (s *Sandbox) adminOrders(w http.ResponseWriter, r *http.Request) {
	list, err := s.listOrders(r.Context())
	if err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"count": len(list), "orders": list})
}

func (s *Sandbox) listOrders(ctx context.Context) ([]adminOrder, error) {
	orders, err := s.db.allOrders(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := s.db.couriers(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]courier{}
	for _, c := range cs {
		byID[c.DeliveryID] = c
	}
	out := make([]adminOrder, 0, len(orders))
	for _, o := range orders {
		events, err := s.db.orderPath(ctx, o, byID[o.Request.DeliveryID])
		if err != nil {
			return nil, err
		}
		a := adminOrder{OrderID: o.Request.OrderID, WaybillID: o.WaybillID, DeliveryID: o.Request.DeliveryID,
			BizID: o.Request.BizID, ServiceType: o.Request.Service.ServiceType, Status: orderState(o, events),
			OrderStatus: o.Status, CustomRemark: o.Request.CustomRemark, CreateTime: o.CreatedAt.Unix(),
			Created: o.CreatedAt.In(chinaTime).Format(time.RFC3339), PathItemNum: len(events)}
		if len(events) > 0 {
			a.LastActionType = events[len(events)-1].Type
		}
		out = append(out, a)
	}
	return out, nil
}

// clockView is the sandbox time as the clock endpoints show it.
type clockView struct {
	Now   int64   `json:"now"`  // Unix seconds
	Time  string  `json:"time"` // RFC 3339, China time
	Speed float64 `json:"speed"`
}

func (s *Sandbox) clockView() clockView {
	now := s.Now()
	return clockView{Now: now.Unix(), Time: now.In(chinaTime).Format(time.RFC3339), Speed: s.clock.Speed()}
}

func (s *Sandbox) adminGetClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, s.clockView())
}

func (s *Sandbox) adminSetClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Advance string   `json:"advance"`
		Speed   *float64 `json:"speed"`
	}
	if err := readAdmin(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if req.Speed != nil {
		if err := s.clock.SetSpeed(*req.Speed); err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
	}
	if req.Advance != "" {
		d, err := time.ParseDuration(strings.TrimSpace(req.Advance))
		if err == nil {
			err = s.Advance(r.Context(), d)
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, fmt.Errorf("advance: %w", err))
			return
		}
	}
	v := s.clockView()
	s.log.Info("sandbox clock set", "time", v.Time, "speed", v.Speed)
	writeJSON(w, v)
}

func (s *Sandbox) adminGetLabelSizes(w http.ResponseWriter, r *http.Request) {
	list, err := s.db.labelSizes(r.Context())
	if err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"default": s.labelSize, "settings": list})
}

func (s *Sandbox) adminSetLabelSize(w http.ResponseWriter, r *http.Request) {
	var l labelSizeSetting
	if err := readAdmin(r, &l); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if l.DeliveryID == "" {
		adminError(w, http.StatusBadRequest, errors.New("delivery_id is required"))
		return
	}
	if l.Size != "" {
		size, err := ParseLabelSize(string(l.Size))
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		l.Size = size
	}
	if _, ok, err := s.db.courier(r.Context(), l.DeliveryID); err != nil || !ok {
		adminError(w, http.StatusNotFound, fmt.Errorf("no courier %q", l.DeliveryID))
		return
	}
	if err := s.db.setLabelSize(r.Context(), l); err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, l)
}

// readAdmin decodes an admin request body into v; unknown fields are an
// error so a misspelt setting is not silently ignored.
func readAdmin(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, adminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	return nil
}

func adminError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// Issued returns the order_id and waybill_id of every order the sandbox
// holds, so a desk can tell the sandbox's orders from real ones.
func (s *Sandbox) Issued(ctx context.Context) (map[string]string, error) {
	list, err := s.db.allOrders(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, o := range list {
		out[o.Request.OrderID] = o.WaybillID
	}
	return out, nil
}
