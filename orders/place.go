package orders

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"waybilldesk/internal/proc"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// Lease timing defaults (see Options).
const (
	DefaultLeaseTTL    = 30 * time.Second
	DefaultSettleAfter = time.Minute
)

// ErrUnknownOutcome means WeChat may or may not have issued a waybill (a
// timeout, a dropped connection, an errcode that does not say "not
// created"). The order stays submitting, and placing it again checks with
// WeChat instead of sending it twice; reconciles settle it with getOrder.
var ErrUnknownOutcome = errors.New("outcome unknown: the order is kept as submitting and will be checked with WeChat")

// ErrAlreadyInHistory means the order_id was placed before: one order
// never gets two waybills.
var ErrAlreadyInHistory = errors.New("order_id is already in the history")

// ErrAlreadySubmitted means the order_id was sent to WeChat before and its
// outcome was unknown: instead of sending it again, Place checked with
// WeChat. The order returned with it says what WeChat answered.
var ErrAlreadySubmitted = errors.New("this order was already sent to WeChat; it was checked with WeChat instead of being sent again")

// ErrUnsettledDuplicate means the same order (the same data, without an
// order_id) was placed before under another order_id whose outcome is
// still unknown: placing it again could give the parcel two waybills.
var ErrUnsettledDuplicate = errors.New("the same order is still unsettled")

// UnsettledDuplicateError names the earlier order of an ErrUnsettledDuplicate.
type UnsettledDuplicateError struct {
	OrderID string    // the earlier order, still submitting
	Created time.Time // when it was written
}

func (e *UnsettledDuplicateError) Error() string {
	return fmt.Sprintf("%v: order %s (%s) has the same data and WeChat has not confirmed it yet; "+
		"check it first (order reconcile %s), or place it anyway with --force or a new --order-id",
		ErrUnsettledDuplicate, e.OrderID, e.Created.Format("2006-01-02 15:04:05"), e.OrderID)
}

// Unwrap makes errors.Is(err, ErrUnsettledDuplicate) true.
func (e *UnsettledDuplicateError) Unwrap() error { return ErrUnsettledDuplicate }

// PlaceOptions change how Place guards against placing an order twice.
type PlaceOptions struct {
	// Force places an order given without order_id even when the same
	// data is still unsettled under another order_id.
	Force bool
}

// Place validates the order, stores it as submitting (holding its lease),
// asks WeChat for a waybill, stores the answer and fetches the label. A
// validation error writes nothing. When the answer leaves the outcome
// unknown the order stays submitting and the error wraps ErrUnknownOutcome;
// the order is returned with it (and with a refusal), so the caller knows
// the order_id WeChat was asked about.
// An order_id already in the history is never sent again: a placed one
// gives ErrAlreadyInHistory, a submitting one is checked with WeChat
// (ErrAlreadySubmitted, with the order as it stands after the check).
func (s *Service) Place(ctx context.Context, req wxapi.AddOrderRequest) (*Order, error) {
	return s.PlaceWith(ctx, req, PlaceOptions{})
}

// PlaceWith is Place with options.
func (s *Service) PlaceWith(ctx context.Context, req wxapi.AddOrderRequest, opts PlaceOptions) (*Order, error) {
	generatedID := strings.TrimSpace(req.OrderID) == ""
	r, err := s.Prepare(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("place order: %w", err)
	}
	fingerprint := fingerprint(r)
	if generatedID && !opts.Force {
		same, err := s.db.SubmittingByFingerprint(ctx, fingerprint)
		if err != nil {
			return nil, fmt.Errorf("place order: %w", err)
		}
		if len(same) > 0 {
			return nil, fmt.Errorf("place order: %w", &UnsettledDuplicateError{OrderID: same[0].OrderID, Created: same[0].CreatedAt})
		}
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("place order %s: %w", r.OrderID, err)
	}
	row := &store.Order{
		OrderID: r.OrderID, DeliveryID: r.DeliveryID, BizID: r.BizID,
		ServiceType: r.Service.ServiceType, ServiceName: r.Service.ServiceName, Request: body,
		ReceiverName: r.Receiver.Name, ReceiverPhone: r.Receiver.Phone(), ReceiverCity: r.Receiver.City,
		Fingerprint: fingerprint,
	}
	now := s.now()
	lease := store.Lease{Owner: s.owner, Until: now.Add(s.leaseTTL)}
	if err := s.db.CreateOrder(ctx, row, lease, now); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return s.alreadyInHistory(ctx, r.OrderID)
		}
		return nil, fmt.Errorf("place order %s: %w", r.OrderID, err)
	}
	return s.send(ctx, r, row.Version, lease)
}

// alreadyInHistory answers a Place of an order_id the history has: a
// settled order is not sent again, a submitting one is checked with WeChat.
func (s *Service) alreadyInHistory(ctx context.Context, orderID string) (*Order, error) {
	o, err := s.db.Order(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("place order %s: %w", orderID, err)
	}
	if o.Status != StatusSubmitting {
		return o, fmt.Errorf("place order %s: %w (%s %s)", orderID, ErrAlreadyInHistory, o.Status, o.WaybillID)
	}
	checked, err := s.Reconcile(ctx, orderID)
	if checked == nil {
		checked = o
	}
	if err != nil {
		return checked, fmt.Errorf("place order %s: %w: %w", orderID, ErrAlreadySubmitted, err)
	}
	return checked, fmt.Errorf("place order %s: %w: now %s %s", orderID, ErrAlreadySubmitted, checked.Status, checked.WaybillID)
}

// send calls addOrder for an order this process holds the lease of (at
// version) and records what WeChat answered.
func (s *Service) send(ctx context.Context, r *wxapi.AddOrderRequest, version int, lease store.Lease) (*Order, error) {
	log := s.log.With("order_id", r.OrderID, "delivery_id", r.DeliveryID)
	s.inFlight.add(r.OrderID)
	defer s.inFlight.remove(r.OrderID)
	stop := s.heartbeat(r.OrderID, version, log)
	resp, err := s.api.AddOrder(ctx, r)
	stop()
	if err != nil {
		return s.addOrderFailed(ctx, log, r, version, err)
	}
	log.Info("order placed", "waybill_id", resp.WaybillID)
	s.spendCachedQuota(r.DeliveryID, r.BizID)
	// The answer is recorded even when ctx ended meanwhile: WeChat has the
	// waybill now, and the history must say so.
	wctx := context.WithoutCancel(ctx)
	if err := s.db.Placed(wctx, r.OrderID, resp.WaybillID, kvs(resp.WaybillData), "", "addOrder", s.now()); err != nil {
		return nil, fmt.Errorf("place order %s: waybill %s issued but not stored: %w", r.OrderID, resp.WaybillID, err)
	}
	s.audit(wctx, "place", r.OrderID, r.DeliveryID+" "+resp.WaybillID)
	// The label is fetched now so printing needs no network; if this fails
	// the order is still placed and the label is fetched when printed.
	if _, err := s.fetchLabel(ctx, r.OrderID, r.DeliveryID, resp.WaybillID); err != nil {
		log.Warn("label not fetched yet", "err", err)
	}
	s.afterPlaced(ctx, r.OrderID)
	return s.db.Order(wctx, r.OrderID)
}

// heartbeat renews the lease on an order while its addOrder is in flight,
// every third of the lease, until stop is called.
func (s *Service) heartbeat(orderID string, version int, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.leaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), s.leaseTTL/3)
			held, err := s.db.RenewLease(ctx, orderID, version, store.Lease{Owner: s.owner, Until: s.now().Add(s.leaseTTL)})
			cancel()
			switch {
			case err != nil:
				log.Warn("order lease not renewed", "err", err)
			case !held:
				log.Warn("order lease lost while waiting on addOrder: another process settled or took the order")
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// addOrderFailed records a refusal when WeChat's code says the order was
// not created, settles 9300522 with getOrder, and otherwise keeps the
// order submitting with its lease released, so a reconcile settles it.
func (s *Service) addOrderFailed(ctx context.Context, log *slog.Logger, r *wxapi.AddOrderRequest, version int, err error) (*Order, error) {
	wctx := context.WithoutCancel(ctx)
	var we *wxapi.Error
	isWe := errors.As(err, &we)
	if isWe && we.Code == wxapi.CodeOrderRepeated {
		return s.orderIDUsed(ctx, log, r, version, we)
	}
	if !isWe || !we.NotCreated() {
		if _, rerr := s.db.ReleaseLease(wctx, r.OrderID, version, s.owner, s.now()); rerr != nil {
			log.Warn("lease not released; it expires by itself", "err", rerr)
		}
		log.Warn("addOrder outcome unknown", "err", err, "errcode", wxapi.Code(err))
		s.audit(wctx, "unknown", r.OrderID, fmt.Sprintf("errcode %d: %v", wxapi.Code(err), err))
		o, _ := s.db.Order(wctx, r.OrderID)
		return o, fmt.Errorf("place order %s: %w: %w", r.OrderID, ErrUnknownOutcome, err)
	}
	msg := we.Msg
	if we.DeliveryResultMsg != "" {
		msg = fmt.Sprintf("%s [courier %d: %s]", msg, we.DeliveryResultCode, we.DeliveryResultMsg)
	}
	if merr := s.db.Refused(wctx, r.OrderID, store.Expect{Version: version, Owner: s.owner}, we.Code, msg, s.now()); merr != nil {
		if errors.Is(merr, store.ErrOrderState) {
			// Settled elsewhere meanwhile (a waybill found by a reconcile
			// after this process lost its lease): that is the truth.
			o, _ := s.db.Order(wctx, r.OrderID)
			return o, fmt.Errorf("place order %s: %w (the order was settled meanwhile: %v)", r.OrderID, err, merr)
		}
		return nil, fmt.Errorf("place order %s: %w (and recording it failed: %v)", r.OrderID, err, merr)
	}
	log.Info("order refused", "errcode", we.Code)
	s.audit(wctx, "refused", r.OrderID, fmt.Sprintf("errcode %d", we.Code))
	o, _ := s.db.Order(wctx, r.OrderID)
	return o, fmt.Errorf("place order %s: %w", r.OrderID, err)
}

// orderIDUsed settles an addOrder answered 9300522: WeChat has the
// order_id. getOrder finding it means it is ours (a run that lost the
// answer); WeChat not knowing it for this courier means the id was used
// for another order, and this one was not created.
func (s *Service) orderIDUsed(ctx context.Context, log *slog.Logger, r *wxapi.AddOrderRequest, version int, used *wxapi.Error) (*Order, error) {
	wctx := context.WithoutCancel(ctx)
	resp, notFound, err := s.lookUp(ctx, r.OrderID, r.DeliveryID, "")
	switch {
	case err == nil && notFound == nil:
		o, err := s.recordFound(wctx, r.OrderID, resp, "getOrder")
		if err != nil {
			return nil, fmt.Errorf("place order %s: %w", r.OrderID, err)
		}
		log.Info("order_id already used: it is ours, recovered with getOrder", "waybill_id", resp.WaybillID)
		return o, nil
	case notFound != nil:
		msg := "order_id already used at WeChat for another order: give it a new order number"
		if merr := s.db.Refused(wctx, r.OrderID, store.Expect{Version: version, Owner: s.owner}, used.Code, msg, s.now()); merr != nil {
			return nil, fmt.Errorf("place order %s: %w (and recording it failed: %v)", r.OrderID, used, merr)
		}
		s.audit(wctx, "refused", r.OrderID, fmt.Sprintf("errcode %d", used.Code))
		o, _ := s.db.Order(wctx, r.OrderID)
		return o, fmt.Errorf("place order %s: %w", r.OrderID, used)
	}
	if _, rerr := s.db.ReleaseLease(wctx, r.OrderID, version, s.owner, s.now()); rerr != nil {
		log.Warn("lease not released; it expires by itself", "err", rerr)
	}
	o, _ := s.db.Order(wctx, r.OrderID)
	return o, fmt.Errorf("place order %s: %w: %w (and getOrder: %v)", r.OrderID, ErrUnknownOutcome, used, err)
}

// fingerprint identifies a prepared order's data whatever its order_id:
// the hex SHA-256 of its addOrder body without the order_id (which Prepare
// also puts into the buyer's mini-program path).
func fingerprint(r *wxapi.AddOrderRequest) string {
	req := *r
	if req.OrderID != "" {
		req.Shop.WxaPath = strings.ReplaceAll(req.Shop.WxaPath, req.OrderID, "")
	}
	req.OrderID = ""
	b, err := json.Marshal(req)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// thisHost names this machine in lease owners.
var thisHost = func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return strings.ReplaceAll(h, "/", "_")
}()

// newLeaseOwner names this process in leases: host/pid/random, so a lease
// of a process of this machine that no longer runs is known to be dead
// without waiting for it to expire.
func newLeaseOwner() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", thisHost, os.Getpid(), hex.EncodeToString(b[:]))
}

// leaseLive reports whether someone still waits on the order's addOrder: a
// lease that has not expired, unless its owner is a process of this
// machine that is gone (killed, crashed).
func (s *Service) leaseLive(l store.Lease, now time.Time) bool {
	if l.Owner == "" || !l.Until.After(now) {
		return false
	}
	if l.Owner == s.owner {
		return true
	}
	parts := strings.Split(l.Owner, "/")
	if len(parts) == 3 && parts[0] == thisHost {
		if pid, err := strconv.Atoi(parts[1]); err == nil && proc.Gone(pid) {
			return false
		}
	}
	return true
}

// inFlight is the set of order ids whose addOrder this process is waiting on.
type inFlight struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (f *inFlight) add(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ids == nil {
		f.ids = map[string]bool{}
	}
	f.ids[id] = true
}

func (f *inFlight) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.ids, id)
}

func (f *inFlight) has(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ids[id]
}
