package courier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"waybilldesk/orders"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// Phone-number path notices (手机号物流消息推送, seed 003): for an order of
// the history, ask userquery whether the receiver's phone is bound to
// WeChat's express service and, when it is, push each path event with
// pathnotify. WeChat then checks the push back through waybill_notify_query
// (query_callback.go) before it tells the user. What was pushed is kept in
// the history, so every event is pushed once.

// PhoneAPI is the part of *wxapi.Client the notifier calls.
type PhoneAPI interface {
	UserQuery(ctx context.Context, phone string) (bool, error)
	PathNotify(ctx context.Context, req *wxapi.PathNotifyRequest) (bool, error)
}

// Notifier pushes an order's path events to its receiver's WeChat.
type Notifier struct {
	DB  *store.DB
	API PhoneAPI
	// Timeout bounds each WeChat call; default 15 seconds.
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// NotifyResult says what one Notify did.
type NotifyResult struct {
	OrderID   string `json:"order_id"`
	WaybillID string `json:"waybill_id"`
	// Phone is the receiver's phone, masked.
	Phone string `json:"phone"`
	// Bound is false when the phone is not bound to WeChat's express
	// service: nothing is pushed and the events stay to push later.
	Bound bool `json:"bound"`
	// Pushed are the events pushed now, oldest first.
	Pushed []store.PathEvent `json:"-"`
	// PushedCount is len(Pushed), for JSON output.
	PushedCount int `json:"pushed"`
	// Note explains why nothing was pushed, when nothing was.
	Note string `json:"note,omitempty"`
}

func (n *Notifier) log() *slog.Logger {
	if n.Logger != nil {
		return n.Logger
	}
	return slog.Default()
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

// call bounds one WeChat call.
func (n *Notifier) call(ctx context.Context) (context.Context, context.CancelFunc) {
	d := n.Timeout
	if d <= 0 {
		d = 15 * time.Second
	}
	return context.WithTimeout(ctx, d)
}

// Notify pushes an order's news (id is the order_id or the waybill id):
// with allNew every event not pushed yet, oldest first; otherwise only the
// latest event, unless it was pushed already. The receiver's phone is
// checked with userquery first; an unbound phone pushes nothing and is not
// an error.
func (n *Notifier) Notify(ctx context.Context, id string, allNew bool) (*NotifyResult, error) {
	o, err := n.DB.Order(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		o, err = n.DB.OrderByWaybill(ctx, id)
	}
	if err != nil {
		return nil, fmt.Errorf("notify %s: %w", id, err)
	}
	if o.WaybillID == "" {
		return nil, fmt.Errorf("notify %s: the order has no waybill (%s)", o.OrderID, o.Status)
	}
	req, err := orders.Request(o)
	if err != nil {
		return nil, fmt.Errorf("notify %s: %w", o.OrderID, err)
	}
	phone := req.Receiver.Phone()
	if phone == "" {
		return nil, fmt.Errorf("notify %s: the receiver has no phone", o.OrderID)
	}
	res := &NotifyResult{OrderID: o.OrderID, WaybillID: o.WaybillID, Phone: orders.MaskPhone(phone)}
	todo, err := n.DB.UnpushedPathEvents(ctx, o.OrderID)
	if err != nil {
		return nil, fmt.Errorf("notify %s: %w", o.OrderID, err)
	}
	if !allNew {
		all, err := n.DB.PathEvents(ctx, o.OrderID)
		if err != nil {
			return nil, fmt.Errorf("notify %s: %w", o.OrderID, err)
		}
		var latest []store.PathEvent
		if len(all) > 0 && len(todo) > 0 && sameEvent(all[len(all)-1], todo[len(todo)-1]) {
			latest = todo[len(todo)-1:]
		}
		if len(all) > 0 && len(latest) == 0 {
			res.Note = "the latest event was pushed already"
		}
		todo = latest
	}
	if len(todo) == 0 {
		if res.Note == "" {
			res.Note = "no path events to push"
		}
		return res, nil
	}
	log := n.log().With("order_id", o.OrderID, "waybill_id", o.WaybillID, "phone", res.Phone)
	cctx, cancel := n.call(ctx)
	res.Bound, err = n.API.UserQuery(cctx, phone)
	cancel()
	if err != nil {
		return res, fmt.Errorf("notify %s: userquery: %w", o.OrderID, err)
	}
	if !res.Bound {
		res.Note = "the receiver's phone is not bound to WeChat's express service"
		log.Info("phone not bound, nothing pushed")
		return res, nil
	}
	for _, e := range todo {
		body := NotifyRequest(o, req, e)
		cctx, cancel := n.call(ctx)
		bound, err := n.API.PathNotify(cctx, body)
		cancel()
		if err != nil {
			return res, fmt.Errorf("notify %s: pathnotify of %d at %s: %w", o.OrderID, e.ActionType,
				e.ActionTime.In(chinaTime).Format(time.DateTime), err)
		}
		// errcode 0 means WeChat took the event, bound or not: it is
		// recorded so it is not pushed twice.
		if err := n.DB.MarkPathEventPushed(ctx, o.OrderID, e, n.now()); err != nil {
			return res, fmt.Errorf("notify %s: pushed but not recorded: %w", o.OrderID, err)
		}
		res.Pushed = append(res.Pushed, e)
		res.PushedCount = len(res.Pushed)
		log.Info("path event pushed", "action_type", e.ActionType, "action_time", e.ActionTime.Unix())
		if !bound {
			// Unbound since userquery: the rest waits for a later run.
			res.Bound = false
			res.Note = "the receiver's phone was unbound during the push"
			break
		}
	}
	return res, nil
}

// NotifyAllNew runs Notify with allNew for every placed order that has
// events not pushed yet. It goes on past an order that fails, and returns
// the results with the failures joined.
func (n *Notifier) NotifyAllNew(ctx context.Context) ([]*NotifyResult, error) {
	ids, err := n.DB.OrdersWithUnpushedEvents(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	var out []*NotifyResult
	var errs []error
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return out, errors.Join(append(errs, err)...)
		}
		res, err := n.Notify(ctx, id, true)
		if res != nil {
			out = append(out, res)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

func sameEvent(a, b store.PathEvent) bool {
	return a.ActionTime.Equal(b.ActionTime) && a.ActionType == b.ActionType && a.ActionMsg == b.ActionMsg
}

// NotifyRequest is the pathnotify body of one event of an order: sender and
// receiver from the stored addOrder request, the event with the couriers it
// names, and the order's creation time.
func NotifyRequest(o *store.Order, req *wxapi.AddOrderRequest, e store.PathEvent) *wxapi.PathNotifyRequest {
	party := func(c wxapi.Contact) wxapi.NotifyParty {
		return wxapi.NotifyParty{Name: c.Name, Phone: c.Phone(), Province: c.Province, City: c.City, Area: c.Area, Address: c.Address}
	}
	p := PathOf(e)
	return &wxapi.PathNotifyRequest{
		Sender: party(req.Sender), Receiver: party(req.Receiver), WaybillID: o.WaybillID,
		Path: wxapi.NotifyPath{ActionTime: p.ActionTime, ActionType: p.ActionType, ActionMsg: p.ActionMsg,
			PickupCourierName: p.PickupCourierName, PickupCourierPhone: p.PickupCourierPhone,
			DeliveryCourierName: p.DeliveryCourierName, DeliveryCourierPhone: p.DeliveryCourierPhone},
		CreateTime: o.CreatedAt.Unix(),
	}
}

// PathOf is a stored event as pushed and as answered to the back-check
// (the two must agree): the text as it is, and the courier it names when
// the event assigns one: the pick-up courier for 90002/90003/100001, the
// delivery courier for 300002. Seed 003 wants phone numbers in the text
// written out in full, and a pickup code stays too: the notice goes to the
// receiver's own WeChat, and a back-check answer that differed from the
// push would make WeChat drop the notice. Only the public scan page masks.
func PathOf(e store.PathEvent) wxapi.NotifyQueryPath {
	p := wxapi.NotifyQueryPath{ActionTime: e.ActionTime.Unix(), ActionType: e.ActionType, ActionMsg: e.ActionMsg}
	name, phone := courierIn(e.ActionMsg)
	switch e.ActionType {
	case 90002, 90003, 100001:
		p.PickupCourierName, p.PickupCourierPhone = name, phone
	case 300002:
		p.DeliveryCourierName, p.DeliveryCourierPhone = name, phone
	}
	return p
}

// courierMention is a name followed by a mobile number, the way couriers
// write "派件员：张三，电话：13800138000" or "操作一组(15731691877)".
var courierMention = regexp.MustCompile(`([\p{Han}A-Za-z·]{1,20}?)[\s:：,，]*(?:联系电话|电话|手机号|手机|联系方式)?[\s:：]*[(（]?\s*(1[3-9][0-9]{9})(?:[^0-9]|$)`)

// courierRoles prefix the courier's name in event texts.
var courierRoles = []string{"快递员", "业务员", "取件员", "收件员", "派件员", "派送员", "收派员", "配送员", "快递小哥", "小哥", "骑手"}

// courierIn finds the courier an event text names: the mobile number and
// the name just before it, after its role word. A name longer than six
// characters is most likely a sentence, so only the phone is kept then.
func courierIn(msg string) (name, phone string) {
	m := courierMention.FindStringSubmatch(msg)
	if m == nil {
		return "", ""
	}
	name = m[1]
	for _, role := range courierRoles {
		if i := strings.LastIndex(name, role); i >= 0 {
			name = name[i+len(role):]
		}
	}
	if utf8.RuneCountInString(name) > 6 {
		name = ""
	}
	return name, m[2]
}
