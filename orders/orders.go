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

// Order statuses.
const (
	StatusSubmitting = store.StatusSubmitting
	StatusPlaced     = store.StatusPlaced
	StatusFailed     = store.StatusFailed
	StatusCancelled  = store.StatusCancelled
)

// ErrUnknownOutcome means WeChat may or may not have issued a waybill (a
// timeout, a dropped connection, a busy answer). The order stays
// "submitting" until Reconcile finds out; placing it again is refused.
var ErrUnknownOutcome = errors.New("outcome unknown: the order is kept as submitting and will be reconciled")

// ErrAlreadyInHistory means the order_id was placed (or is being placed)
// before: one order never gets two waybills.
var ErrAlreadyInHistory = errors.New("order_id is already in the history")

// Options configure a Service.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// WxaPath is the mini-program page the buyer's notification opens;
	// "{order_id}" is replaced. Default "/pages/order/detail?order_id={order_id}".
	WxaPath string
	// Actor names who works the desk in the audit log; default the OS user.
	Actor string
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
	return &Service{db: db, api: api, log: opts.Logger, now: opts.Now, wxaPath: opts.WxaPath, actor: opts.Actor}
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
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkQuota(ctx, courier, r.BizID); err != nil {
		return nil, err
	}
	return &r, nil
}

// Place validates the order, stores it as submitting, asks WeChat for a
// waybill, stores the answer and fetches the label. A validation error
// writes nothing. When WeChat's answer is lost the order stays submitting
// and the error wraps ErrUnknownOutcome.
func (s *Service) Place(ctx context.Context, req wxapi.AddOrderRequest) (*Order, error) {
	r, err := s.Prepare(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("place order: %w", err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("place order %s: %w", r.OrderID, err)
	}
	row := &store.Order{
		OrderID: r.OrderID, DeliveryID: r.DeliveryID, BizID: r.BizID,
		ServiceType: r.Service.ServiceType, ServiceName: r.Service.ServiceName,
		Status: store.StatusSubmitting, Request: body,
		ReceiverName: r.Receiver.Name, ReceiverPhone: r.Receiver.Phone(), ReceiverCity: r.Receiver.City,
		CreatedAt: s.now(),
	}
	if err := s.db.CreateOrder(ctx, row); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return nil, fmt.Errorf("place order %s: %w", r.OrderID, ErrAlreadyInHistory)
		}
		return nil, fmt.Errorf("place order %s: %w", r.OrderID, err)
	}
	log := s.log.With("order_id", r.OrderID, "delivery_id", r.DeliveryID)
	resp, err := s.api.AddOrder(ctx, r)
	if err != nil {
		return s.addOrderFailed(ctx, log, r, err)
	}
	log.Info("order placed", "waybill_id", resp.WaybillID)
	s.spendCachedQuota(r.DeliveryID, r.BizID)
	s.audit(ctx, "place", r.OrderID, r.DeliveryID+" "+resp.WaybillID)
	if err := s.db.MarkPlaced(ctx, r.OrderID, resp.WaybillID, kvs(resp.WaybillData)); err != nil {
		return nil, fmt.Errorf("place order %s: waybill %s issued but not stored: %w", r.OrderID, resp.WaybillID, err)
	}
	// The label is fetched now so printing needs no network; if this fails
	// the order is still placed and the label is fetched when printed.
	if _, err := s.fetchLabel(ctx, r.OrderID, r.DeliveryID, resp.WaybillID); err != nil {
		log.Warn("label not fetched yet", "err", err)
	}
	s.afterPlaced(ctx, r.OrderID)
	return s.db.Order(ctx, r.OrderID)
}

// addOrderFailed records a refusal, or keeps the order submitting when the
// outcome is unknown.
func (s *Service) addOrderFailed(ctx context.Context, log *slog.Logger, r *wxapi.AddOrderRequest, err error) (*Order, error) {
	var we *wxapi.Error
	if !errors.As(err, &we) || we.Retryable() {
		log.Warn("addOrder outcome unknown", "err", err)
		return nil, fmt.Errorf("place order %s: %w: %w", r.OrderID, ErrUnknownOutcome, err)
	}
	if we.Code == wxapi.CodeOrderRepeated {
		// WeChat already has this order_id: it may be ours from a run that
		// lost the answer, so look it up instead of calling it a failure.
		if o, rerr := s.Reconcile(ctx, r.OrderID); rerr == nil && o.Status == store.StatusPlaced {
			return o, nil
		}
	}
	msg := we.Msg
	if we.DeliveryResultMsg != "" {
		msg = fmt.Sprintf("%s [courier %d: %s]", msg, we.DeliveryResultCode, we.DeliveryResultMsg)
	}
	if merr := s.db.MarkFailed(ctx, r.OrderID, we.Code, msg); merr != nil {
		return nil, fmt.Errorf("place order %s: %w (and recording it failed: %v)", r.OrderID, err, merr)
	}
	log.Info("order refused", "errcode", we.Code)
	s.audit(ctx, "refused", r.OrderID, fmt.Sprintf("errcode %d", we.Code))
	return nil, fmt.Errorf("place order %s: %w", r.OrderID, err)
}

// Reconcile asks WeChat about a submitting order and records what it
// knows: placed with its waybill, or failed when WeChat has no such order.
// Orders in other states are returned unchanged.
func (s *Service) Reconcile(ctx context.Context, orderID string) (*Order, error) {
	o, err := s.db.Order(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	if o.Status != store.StatusSubmitting {
		return o, nil
	}
	resp, err := s.api.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: o.OrderID, DeliveryID: o.DeliveryID})
	var we *wxapi.Error
	switch {
	case err == nil && resp.WaybillID != "":
		if err := s.db.MarkPlaced(ctx, orderID, resp.WaybillID, kvs(resp.WaybillData)); err != nil {
			return nil, fmt.Errorf("reconcile %s: %w", orderID, err)
		}
		if resp.PrintHTML != "" {
			if err := s.db.SetLabel(ctx, orderID, resp.PrintHTML); err != nil {
				return nil, fmt.Errorf("reconcile %s: %w", orderID, err)
			}
		}
		s.log.Info("reconciled: placed", "order_id", orderID, "waybill_id", resp.WaybillID)
		s.audit(ctx, "reconcile", orderID, "placed "+resp.WaybillID)
	case errors.As(err, &we) && (we.Code == wxapi.CodeInvalidWaybill || we.Code == 930563):
		if err := s.db.MarkFailed(ctx, orderID, we.Code, "WeChat has no such order: it was never placed"); err != nil {
			return nil, fmt.Errorf("reconcile %s: %w", orderID, err)
		}
		s.log.Info("reconciled: never placed", "order_id", orderID)
		s.audit(ctx, "reconcile", orderID, "never placed")
	case err != nil:
		return nil, fmt.Errorf("reconcile %s: %w", orderID, err)
	}
	return s.db.Order(ctx, orderID)
}

// ReconcileAll reconciles every submitting order (start-up does this, so
// an order whose answer a crash lost is settled before anything else) and
// returns them in their new state. It stops at the first error WeChat
// gives, leaving the rest submitting for the next try.
func (s *Service) ReconcileAll(ctx context.Context) ([]Order, error) {
	pending, err := s.db.ListOrders(ctx, store.OrderQuery{Status: store.StatusSubmitting, Limit: 10000})
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	var out []Order
	for _, p := range pending {
		o, err := s.Reconcile(ctx, p.OrderID)
		if err != nil {
			return out, err
		}
		out = append(out, *o)
	}
	return out, nil
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
	if err := s.db.SetLabel(ctx, orderID, resp.PrintHTML); err != nil {
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
