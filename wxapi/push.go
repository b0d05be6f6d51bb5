package wxapi

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// EventAddExpressPath is the Event of a waybill tracking update (运单轨迹更新).
const EventAddExpressPath = "add_express_path"

// EventHeader is what every pushed event carries.
type EventHeader struct {
	ToUserName   string `json:"ToUserName" xml:"ToUserName"`
	FromUserName string `json:"FromUserName" xml:"FromUserName"`
	CreateTime   int64  `json:"CreateTime" xml:"CreateTime"`
	MsgType      string `json:"MsgType" xml:"MsgType"`
	Event        string `json:"Event" xml:"Event"`
}

// PathAction is one tracking event of an add_express_path push.
type PathAction struct {
	ActionTime int64  `json:"ActionTime" xml:"ActionTime"`
	ActionType int    `json:"ActionType" xml:"ActionType"`
	ActionMsg  string `json:"ActionMsg" xml:"ActionMsg"`
}

// PathEvent is the add_express_path event: a full snapshot of a waybill's
// path at a Version. Note WeChat's spelling WayBillId (capital B): an XML
// decoder is case-sensitive and silently misses "WaybillId".
type PathEvent struct {
	EventHeader
	DeliveryID string       `json:"DeliveryID" xml:"DeliveryID"`
	WaybillID  string       `json:"WayBillId" xml:"WayBillId"`
	OrderID    string       `json:"OrderId" xml:"OrderId"`
	Version    int          `json:"Version" xml:"Version"`
	Count      int          `json:"Count" xml:"Count"`
	Actions    []PathAction `json:"Actions" xml:"Actions"`
}

// Stage buckets an action_type by its leading digits, so codes added later
// still land somewhere sensible.
func Stage(actionType int) string {
	switch {
	case actionType >= 90000 && actionType < 100000:
		return "pre-pickup"
	case actionType >= 100000 && actionType < 200000:
		return "pickup"
	case actionType >= 200000 && actionType < 300000:
		return "transit"
	case actionType >= 300000 && actionType < 400000:
		return "delivery"
	case actionType >= 400000 && actionType < 500000:
		return "exception"
	}
	return "other"
}

// IsXML reports whether a push body is XML (WeChat sends JSON or XML as the
// mini program is configured).
func IsXML(body []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(body), []byte("<"))
}

func decodeBody(body []byte, v any) error {
	if IsXML(body) {
		return xml.Unmarshal(body, v)
	}
	return json.Unmarshal(body, v)
}

// ParsePathEvent decodes an add_express_path event from JSON or XML.
func ParsePathEvent(body []byte) (*PathEvent, error) {
	var ev PathEvent
	if err := decodeBody(body, &ev); err != nil {
		return nil, fmt.Errorf("add_express_path: %w", err)
	}
	if ev.Event != EventAddExpressPath {
		return nil, fmt.Errorf("add_express_path: event is %q", ev.Event)
	}
	if ev.WaybillID == "" || ev.DeliveryID == "" {
		return nil, errors.New("add_express_path: no WayBillId or DeliveryID")
	}
	return &ev, nil
}

// PushHandler is the message-push endpoint of a mini program: the echostr
// check, plaintext and safe-mode POSTs in JSON or XML, a timestamp window
// and a nonce memory against replays.
type PushHandler struct {
	// Crypto holds the Token (always) and the EncodingAESKey (safe mode).
	Crypto *PushCrypto
	// Window is how far a push's timestamp may be from now; default 5 minutes.
	Window time.Duration
	Now    func() time.Time
	// OnPath receives add_express_path events; an error answers HTTP 500 so
	// WeChat retries.
	OnPath func(ctx context.Context, ev *PathEvent) error
	// OnEvent receives every other event, decrypted.
	OnEvent func(ctx context.Context, h EventHeader, body []byte) error
	Logger  *slog.Logger

	mu     sync.Mutex
	nonces map[string]time.Time
}

const maxPushBody = 1 << 20

func (h *PushHandler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *PushHandler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// ServeHTTP answers WeChat's push requests.
func (h *PushHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	switch r.Method {
	case http.MethodGet:
		if err := h.Crypto.VerifyURL(q.Get("signature"), ts, nonce); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		io.WriteString(w, q.Get("echostr"))
	case http.MethodPost:
		body, status, err := h.open(r)
		if err != nil {
			h.log().Warn("push rejected", "err", err)
			http.Error(w, err.Error(), status)
			return
		}
		if err := h.dispatch(r.Context(), body); err != nil {
			var bad malformedEvent
			if errors.As(err, &bad) {
				h.log().Warn("push rejected", "err", err)
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			// A handler failure answers 500 so WeChat pushes again later.
			h.log().Error("push not handled", "err", err)
			http.Error(w, "not handled", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "success")
	default:
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
	}
}

// open checks the freshness and signature of a POST and returns the
// plaintext event.
func (h *PushHandler) open(r *http.Request) ([]byte, int, error) {
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if err := h.fresh(ts, nonce); err != nil {
		return nil, http.StatusUnauthorized, err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPushBody))
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	if q.Get("encrypt_type") != "aes" {
		if err := h.Crypto.VerifyURL(q.Get("signature"), ts, nonce); err != nil {
			return nil, http.StatusUnauthorized, err
		}
		return body, 0, nil
	}
	var envelope struct {
		ToUserName string `json:"ToUserName" xml:"ToUserName"`
		Encrypt    string `json:"Encrypt" xml:"Encrypt"`
	}
	if err := decodeBody(body, &envelope); err != nil || envelope.Encrypt == "" {
		return nil, http.StatusBadRequest, fmt.Errorf("message push: no Encrypt in the body")
	}
	plain, err := h.Crypto.Open(q.Get("msg_signature"), ts, nonce, envelope.Encrypt)
	if err != nil {
		return nil, http.StatusUnauthorized, err
	}
	return plain, 0, nil
}

// fresh rejects a timestamp outside the window and a nonce seen within it.
func (h *PushHandler) fresh(ts, nonce string) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrStale
	}
	window := h.Window
	if window <= 0 {
		window = 5 * time.Minute
	}
	now := h.now()
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		return ErrStale
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.nonces == nil {
		h.nonces = map[string]time.Time{}
	}
	for k, seen := range h.nonces {
		if now.Sub(seen) > 2*window {
			delete(h.nonces, k)
		}
	}
	key := ts + "/" + nonce
	if _, seen := h.nonces[key]; seen {
		return fmt.Errorf("%w: nonce %s already used", ErrStale, nonce)
	}
	h.nonces[key] = now
	return nil
}

// malformedEvent is a push body that cannot be parsed: retrying cannot help.
type malformedEvent struct{ error }

func (h *PushHandler) dispatch(ctx context.Context, body []byte) error {
	var hdr EventHeader
	if err := decodeBody(body, &hdr); err != nil {
		return malformedEvent{fmt.Errorf("message push: %w", err)}
	}
	if hdr.Event == EventAddExpressPath && h.OnPath != nil {
		ev, err := ParsePathEvent(body)
		if err != nil {
			return malformedEvent{err}
		}
		return h.OnPath(ctx, ev)
	}
	if h.OnEvent != nil {
		return h.OnEvent(ctx, hdr, body)
	}
	return nil
}
