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
	"regexp"
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

// Defaults of a PushHandler.
const (
	// DefaultPushWindow is how far a push's timestamp may be from now.
	DefaultPushWindow = 5 * time.Minute
	// DefaultMaxPushBody caps a push body: WeChat's events are a few KB.
	DefaultMaxPushBody = 1 << 20
	// DefaultMaxNonces caps the nonce memory. Only verified pushes are
	// remembered, so reaching it takes over 200 genuine pushes a second for
	// a whole window.
	DefaultMaxNonces = 1 << 16
)

// Errors of a PushHandler that are not about signatures or ciphers.
var (
	// ErrPlaintextRefused is a plaintext push (no encrypt_type=aes) sent to
	// a safe-mode receiver without compatible mode: its URL signature does
	// not cover the body, so anyone who saw one signed URL could post any
	// event with it.
	ErrPlaintextRefused = errors.New("message push: plaintext message refused: this receiver is in safe mode " +
		"and takes only encrypted messages (encrypt_type=aes, signed by msg_signature); compatible mode is off")
	// ErrNoAESKey is an encrypted push sent to a receiver without an
	// EncodingAESKey.
	ErrNoAESKey = errors.New("message push: encrypted message (encrypt_type=aes), but no EncodingAESKey is configured")
	// ErrTooLarge is a request body over the handler's limit.
	ErrTooLarge = errors.New("message push: request body too large")
	// ErrBusy is a verified push refused because the nonce memory is full:
	// forgetting a nonce early would let its push be replayed, so new ones
	// wait (WeChat retries) until the old ones leave the window.
	ErrBusy = errors.New("message push: too many pushes within the timestamp window, try again later")
	// ErrBadNonce is a missing nonce or one too long to be WeChat's.
	ErrBadNonce = errors.New("message push: nonce missing or longer than 64 characters")
)

// ErrReplayed is a request whose timestamp and nonce were already used
// within the window. It matches ErrStale too (errors.Is), so callers that
// only care about "reject it" need one check.
var ErrReplayed error = replayError{}

type replayError struct{}

func (replayError) Error() string {
	return "message push: this timestamp and nonce were already used (replay)"
}

func (replayError) Is(target error) bool { return target == ErrStale }

// PushHandler is the message-push endpoint of a mini program: the echostr
// check, and POSTs in JSON or XML, encrypted (safe mode) or plaintext.
// Every request is checked in this order: timestamp window, body size,
// signature (and decryption), and only then the nonce memory, so a forged
// request can neither burn a genuine push's nonce nor grow the memory.
type PushHandler struct {
	// Crypto holds the Token (always) and the EncodingAESKey (safe mode).
	// With a key only encrypted pushes are taken, unless Compat is set.
	Crypto *PushCrypto
	// Compat, with an EncodingAESKey, also takes plaintext pushes signed
	// only in the URL (WeChat's 兼容模式). It is an explicit choice: such a
	// signature does not cover the body.
	Compat bool
	// Window is how far a push's timestamp may be from now; default
	// DefaultPushWindow. It also bounds how long a nonce is remembered.
	Window time.Duration
	// MaxBody caps a request body; default DefaultMaxPushBody. A larger
	// one is answered 413.
	MaxBody int64
	// MaxNonces caps the nonce memory; default DefaultMaxNonces. When it
	// is full, verified pushes are answered 503 until entries expire.
	MaxNonces int
	Now       func() time.Time
	// OnPath receives add_express_path events; an error answers HTTP 500 so
	// WeChat retries.
	OnPath func(ctx context.Context, ev *PathEvent) error
	// OnEvent receives every other event, decrypted.
	OnEvent func(ctx context.Context, h EventHeader, body []byte) error
	Logger  *slog.Logger

	mu     sync.Mutex
	nonces nonceMemory
}

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

func (h *PushHandler) window() time.Duration {
	if h.Window > 0 {
		return h.Window
	}
	return DefaultPushWindow
}

func (h *PushHandler) maxBody() int64 {
	if h.MaxBody > 0 {
		return h.MaxBody
	}
	return DefaultMaxPushBody
}

// SafeMode reports whether the handler has an EncodingAESKey.
func (h *PushHandler) SafeMode() bool { return h.Crypto.SafeMode() }

// ServeHTTP answers WeChat's push requests.
func (h *PushHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.serveEchostr(w, r)
	case http.MethodPost:
		h.servePush(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
	}
}

// echostrRe is what WeChat sends as echostr (a long decimal number; other
// platforms use letters and base64): nothing else is echoed, so the
// answer cannot carry markup or script into anyone's page.
var echostrRe = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{1,128}$`)

// serveEchostr answers the URL check WeChat makes when the push URL is
// configured: a fresh timestamp and the URL signature, then the echostr
// back as text/plain. Its nonce is not remembered: a replayed check only
// echoes what it carries, and remembering would let it fill the memory.
func (h *PushHandler) serveEchostr(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if _, err := h.inWindow(ts); err != nil {
		h.refuse(w, "URL check", err, http.StatusUnauthorized)
		return
	}
	if err := h.Crypto.VerifyURL(q.Get("signature"), ts, nonce); err != nil {
		h.refuse(w, "URL check", err, http.StatusUnauthorized)
		return
	}
	echo := q.Get("echostr")
	if !echostrRe.MatchString(echo) {
		h.refuse(w, "URL check", errors.New("message push: echostr must be 1 to 128 letters, digits or +/=_-"), http.StatusBadRequest)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	io.WriteString(w, echo)
}

// servePush verifies a POSTed push and hands it to OnPath or OnEvent.
func (h *PushHandler) servePush(w http.ResponseWriter, r *http.Request) {
	body, status, err := h.open(r)
	if err != nil {
		h.refuse(w, "push", err, status)
		return
	}
	if err := h.dispatch(r.Context(), body); err != nil {
		var bad malformedEvent
		if errors.As(err, &bad) {
			h.refuse(w, "push", err, http.StatusBadRequest)
			return
		}
		// A handler failure answers 500 so WeChat pushes again later.
		h.log().Error("push not handled", "err", err)
		http.Error(w, "not handled", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "success")
}

// refuse logs a refused request and answers it with the reason.
func (h *PushHandler) refuse(w http.ResponseWriter, what string, err error, status int) {
	h.log().Warn(what+" refused", "status", status, "err", err)
	http.Error(w, err.Error(), status)
}

// open checks a POST (timestamp window, body size, mode, signature or
// msg_signature and decryption, then the nonce) and returns the
// plaintext event, or the HTTP status to answer the error with.
func (h *PushHandler) open(r *http.Request) ([]byte, int, error) {
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	sec, err := h.inWindow(ts)
	if err != nil {
		return nil, http.StatusUnauthorized, err
	}
	if nonce == "" || len(nonce) > 64 {
		return nil, http.StatusBadRequest, ErrBadNonce
	}
	encrypted, status, err := h.mode(q.Get("encrypt_type"))
	if err != nil {
		return nil, status, err
	}
	body, status, err := h.readBody(r)
	if err != nil {
		return nil, status, err
	}
	var plain []byte
	if encrypted {
		plain, status, err = h.openSealed(q.Get("msg_signature"), ts, nonce, body)
	} else {
		plain, status, err = body, http.StatusUnauthorized, h.Crypto.VerifyURL(q.Get("signature"), ts, nonce)
	}
	if err != nil {
		return nil, status, err
	}
	if status, err := h.remember(sec, ts, nonce); err != nil {
		return nil, status, err
	}
	return plain, 0, nil
}

// mode tells an encrypted push from a plaintext one by encrypt_type, and
// refuses what this handler does not take.
func (h *PushHandler) mode(encryptType string) (encrypted bool, status int, err error) {
	switch encryptType {
	case "aes":
		if !h.SafeMode() {
			return false, http.StatusBadRequest, ErrNoAESKey
		}
		return true, 0, nil
	case "", "raw":
		if h.SafeMode() && !h.Compat {
			return false, http.StatusForbidden, ErrPlaintextRefused
		}
		return false, 0, nil
	}
	return false, http.StatusBadRequest, fmt.Errorf("message push: unknown encrypt_type %.20q", encryptType)
}

// readBody reads a request body within MaxBody.
func (h *PushHandler) readBody(r *http.Request) ([]byte, int, error) {
	limit := h.maxBody()
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%w (%d bytes, the limit is %d)", ErrTooLarge, r.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge) || int64(len(body)) > limit:
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%w (the limit is %d bytes)", ErrTooLarge, limit)
	case err != nil:
		return nil, http.StatusBadRequest, fmt.Errorf("message push: read the body: %w", err)
	}
	return body, 0, nil
}

// openSealed checks msg_signature over the envelope's Encrypt and
// decrypts it.
func (h *PushHandler) openSealed(msgSignature, ts, nonce string, body []byte) ([]byte, int, error) {
	var envelope struct {
		Encrypt string `json:"Encrypt" xml:"Encrypt"`
	}
	if err := decodeBody(body, &envelope); err != nil || envelope.Encrypt == "" {
		return nil, http.StatusBadRequest, errors.New("message push: no Encrypt in the body")
	}
	plain, err := h.Crypto.Open(msgSignature, ts, nonce, envelope.Encrypt)
	if err != nil {
		return nil, http.StatusUnauthorized, err
	}
	return plain, 0, nil
}

// inWindow parses a timestamp and checks it is within the window of now.
func (h *PushHandler) inWindow(ts string) (int64, error) {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, ErrStale
	}
	window := h.window()
	if d := h.now().Sub(time.Unix(sec, 0)); d > window || d < -window {
		return 0, ErrStale
	}
	return sec, nil
}

// remember notes a verified request's timestamp and nonce: ErrReplayed
// (401) when it was seen within the window, ErrBusy (503) when the memory
// is full.
func (h *PushHandler) remember(sec int64, ts, nonce string) (int, error) {
	limit := h.MaxNonces
	if limit <= 0 {
		limit = DefaultMaxNonces
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch err := h.nonces.add(sec, ts+"/"+nonce, h.now().Unix(), int64(h.window()/time.Second), limit); {
	case errors.Is(err, ErrReplayed):
		return http.StatusUnauthorized, err
	case err != nil:
		h.log().Error("nonce memory full: refusing pushes until old ones leave the window", "max", limit)
		return http.StatusServiceUnavailable, err
	}
	return 0, nil
}

// Remembered is how many nonces the handler holds (after dropping the
// expired ones), for status lines and tests.
func (h *PushHandler) Remembered() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nonces.sweep(h.now().Unix(), int64(h.window()/time.Second))
	return h.nonces.n
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
