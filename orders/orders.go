// Package orders owns an order's life: it validates, stores the order before
// WeChat is asked for a waybill, records the answer, fetches the label and
// reconciles orders whose outcome is unknown.
package orders

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os/user"
	"strings"
	"time"
	"unicode/utf8"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// Order is one order of the history.
type Order = store.Order

// Query filters the history.
type Query = store.OrderQuery

// Order statuses: the states of store's order state machine
// (store/orderstate.go).
const (
	StatusSubmitting = store.StatusSubmitting
	StatusPlaced     = store.StatusPlaced
	StatusFailed     = store.StatusFailed
	StatusCancelled  = store.StatusCancelled
)

// Options configure a Service.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// WxaPath is the mini-program page the buyer's notification opens;
	// "{order_id}" is replaced. Default "/pages/order/detail?order_id={order_id}".
	WxaPath string
	// Actor names who works the desk in the audit log; default the OS user.
	Actor string
	// LeaseTTL is how long an addOrder in flight holds its order without a
	// heartbeat (renewed every third of it); default 30 s.
	LeaseTTL time.Duration
	// SettleAfter is how long after addOrder was sent "WeChat has no such
	// order" is believed: a request still on its way may land later.
	// Default 1 minute.
	SettleAfter time.Duration
}

// Service is the order lifecycle over the history and WeChat.
type Service struct {
	db       *store.DB
	api      *wxapi.Client
	log      *slog.Logger
	now      func() time.Time
	wxaPath  string
	actor    string
	couriers courierCache
	changes  changes
	// owner names this process in the leases it takes: host/pid/random.
	owner       string
	leaseTTL    time.Duration
	settleAfter time.Duration
	inFlight    inFlight
}

// New returns the order service.
func New(db *store.DB, api *wxapi.Client, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WxaPath == "" {
		opts.WxaPath = "/pages/order/detail?order_id={order_id}"
	}
	if opts.Actor == "" {
		opts.Actor = osUser()
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.SettleAfter <= 0 {
		opts.SettleAfter = DefaultSettleAfter
	}
	return &Service{db: db, api: api, log: opts.Logger, now: opts.Now, wxaPath: opts.WxaPath, actor: opts.Actor,
		owner: newLeaseOwner(), leaseTTL: opts.LeaseTTL, settleAfter: opts.SettleAfter}
}

func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// audit records an action; a failure to write it is logged, never fatal,
// because the action itself already happened.
func (s *Service) audit(ctx context.Context, action, orderID, detail string) {
	s.publish(orderID, action)
	err := s.db.Audit(ctx, store.AuditEntry{At: s.now(), Actor: s.actor, Action: action, OrderID: orderID, Detail: detail})
	if err != nil {
		s.log.Warn("audit not written", "action", action, "order_id", orderID, "err", err)
	}
}

// AuditLog returns the audit entries of an order ("" for all), newest first.
func (s *Service) AuditLog(ctx context.Context, orderID string, limit int) ([]store.AuditEntry, error) {
	return s.db.AuditLog(ctx, orderID, limit)
}

// NewOrderID returns a fresh order_id: "WD", the local time to the second
// and four random characters, e.g. WD261122153042K7QX. WeChat requires
// order ids to be unique across the mini program and time.
func (s *Service) NewOrderID() string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ" // no 0/O or 1/I to misread
	var b strings.Builder
	b.WriteString("WD")
	b.WriteString(s.now().Format("060102150405"))
	for i := 0; i < 4; i++ {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String()
}

// Prepare fills what the operator need not type (a fresh order_id, the
// service name, the buyer-notification shop card from the goods lines, the
// package count) and validates the order against WeChat's limits and the
// courier list. It returns the request that Place would send.
func (s *Service) Prepare(ctx context.Context, req wxapi.AddOrderRequest) (*wxapi.AddOrderRequest, error) {
	r := req
	r.OrderID = strings.TrimSpace(r.OrderID)
	if r.OrderID == "" {
		r.OrderID = s.NewOrderID()
	}
	if r.Cargo.Count == 0 {
		r.Cargo.Count = 1
	}
	if r.Shop.WxaPath == "" {
		r.Shop.WxaPath = replaceOrderID(s.wxaPath, r.OrderID)
	}
	if len(r.Shop.DetailList) == 0 && r.Shop.GoodsName == "" {
		for _, d := range r.Cargo.DetailList {
			r.Shop.DetailList = append(r.Shop.DetailList, wxapi.ShopGoods{GoodsName: truncateRunes(d.Name, 40)})
		}
	}
	// The courier list is checked first: an unknown courier is the clearest
	// message even when other fields are missing too.
	if strings.TrimSpace(r.DeliveryID) == "" {
		return nil, &wxapi.ValidationError{Field: "delivery_id", Reason: "is required: choose a courier"}
	}
	courier, ok, err := s.courier(ctx, r.DeliveryID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &wxapi.ValidationError{Field: "delivery_id", Reason: fmt.Sprintf("unknown courier %q", r.DeliveryID)}
	}
	svc, ok := courier.Service(r.Service.ServiceType)
	if !ok {
		return nil, &wxapi.ValidationError{Field: "service.service_type",
			Reason: fmt.Sprintf("%s has no service type %d", courier.Label(), r.Service.ServiceType)}
	}
	if r.Service.ServiceName == "" {
		r.Service.ServiceName = svc.ServiceName
	}
	if r.BizID == "" && len(courier.Accounts) > 0 {
		r.BizID = courier.Accounts[0].BizID
	}
	if err := r.ValidateAt(s.now()); err != nil {
		return nil, err
	}
	if err := s.checkQuota(ctx, courier, r.BizID); err != nil {
		return nil, err
	}
	return &r, nil
}

// Get returns one order of the history.
func (s *Service) Get(ctx context.Context, orderID string) (*Order, error) {
	return s.db.Order(ctx, orderID)
}

// Find returns the order with that order_id or, failing that, waybill id:
// what an operator types or scans may be either.
func (s *Service) Find(ctx context.Context, id string) (*Order, error) {
	id = strings.TrimSpace(id)
	o, err := s.db.Order(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		if byWaybill, werr := s.db.OrderByWaybill(ctx, id); werr == nil {
			return byWaybill, nil
		}
	}
	return o, err
}

// List returns the orders matching q, newest first.
func (s *Service) List(ctx context.Context, q Query) ([]Order, error) {
	return s.db.ListOrders(ctx, q)
}

// Label returns the HTML of an order's label: the stored print_html, or
// fetched from WeChat (and stored) when it is missing.
func (s *Service) Label(ctx context.Context, id string) (string, *Order, error) {
	o, err := s.Find(ctx, id)
	if err != nil {
		return "", nil, fmt.Errorf("label: %w", err)
	}
	if o.Status != store.StatusPlaced {
		return "", o, fmt.Errorf("label of %s: the order is %s, it has no waybill", o.OrderID, o.Status)
	}
	b64 := o.PrintHTML
	if b64 == "" {
		if b64, err = s.fetchLabel(ctx, o.OrderID, o.DeliveryID, o.WaybillID); err != nil {
			return "", o, fmt.Errorf("label of %s: %w", o.OrderID, err)
		}
	}
	html, err := wxapi.DecodePrintHTML(b64)
	if err != nil {
		return "", o, fmt.Errorf("label of %s: %w", o.OrderID, err)
	}
	return html, o, nil
}

func (s *Service) fetchLabel(ctx context.Context, orderID, deliveryID, waybillID string) (string, error) {
	resp, err := s.api.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: orderID, DeliveryID: deliveryID, WaybillID: waybillID})
	if err != nil {
		return "", err
	}
	if _, err := resp.Label(); err != nil {
		return "", err
	}
	if err := s.db.SetLabel(ctx, orderID, waybillID, resp.PrintHTML); err != nil {
		return "", err
	}
	return resp.PrintHTML, nil
}

// Request decodes the addOrder body stored with an order.
func Request(o *Order) (*wxapi.AddOrderRequest, error) {
	var r wxapi.AddOrderRequest
	if err := json.Unmarshal(o.Request, &r); err != nil {
		return nil, fmt.Errorf("request of %s: %w", o.OrderID, err)
	}
	return &r, nil
}

// MaskPhone hides the middle of a phone number for logs and lists:
// 13812345678 becomes 138****5678.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

func kvs(in []wxapi.KV) []store.KV {
	out := make([]store.KV, len(in))
	for i, kv := range in {
		out[i] = store.KV{Key: kv.Key, Value: kv.Value}
	}
	return out
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// replaceOrderID fills the {order_id} placeholder of a mini-program path.
func replaceOrderID(path, orderID string) string {
	return strings.ReplaceAll(path, "{order_id}", orderID)
}
