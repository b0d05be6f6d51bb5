package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"waybilldesk/wxapi"
)

// maxBody bounds a request body; WeChat's largest documented request (an
// addOrder with long addresses and goods lists) is far below it.
const maxBody = 1 << 20

// call is one request as a handler sees it, after the protocol checks.
type call struct {
	r    *http.Request
	body []byte // raw JSON for POST routes, already checked to be valid JSON
}

// handlerFunc answers one call with a reply (encoded as JSON next to
// errcode 0) or an error (an *apiError, or anything else for -1).
type handlerFunc func(ctx context.Context, c *call) (any, error)

// route describes one WeChat path.
type route struct {
	// post: the endpoint takes a JSON body and refuses GET (43002). GET
	// endpoints take no body and, like WeChat, also accept POST (some SDKs
	// send POST {} to them).
	post bool
	// token: the call needs ?access_token= (every business endpoint).
	token  bool
	handle handlerFunc
}

// routes builds the sandbox's handler: WeChat's paths behind the fault
// injector, and the admin paths under /sandbox/, which faults never touch.
// Every endpoint group registers itself from its own file.
func (s *Sandbox) routes() http.Handler {
	table := map[string]route{}
	s.tokenRoutes(table)
	s.deliveryRoutes(table)
	s.accountRoutes(table)
	s.orderRoutes(table)
	s.pathRoutes(table)
	s.noticeRoutes(table)
	s.printerRoutes(table)
	s.courierRoutes(table)
	mux := http.NewServeMux()
	mux.Handle(adminPrefix, s.adminRoutes())
	mux.Handle("/", s.injectFaults(&router{s: s, table: table}))
	return mux
}

type router struct {
	s     *Sandbox
	table map[string]route
}

// ServeHTTP runs WeChat's protocol checks in WeChat's order (token, method,
// body, JSON), then the endpoint, and writes the JSON answer.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := newRID(rt.s.wall())
	reply, err := rt.dispatch(w, r)
	code := 0
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			// Internal failures are logged in full here and answered like
			// WeChat's "system error", which clients retry.
			rt.s.log.Error("sandbox call failed", "path", r.URL.Path, "rid", rid, "err", err)
			ae = wxErr(codeSystemError)
		}
		code = ae.Code
		reply = errorReply(ae, rid)
	}
	// The path only: the query carries the access_token.
	rt.s.log.Debug("sandbox call", "method", r.Method, "path", r.URL.Path, "errcode", code,
		"rid", rid, "ms", time.Since(start).Milliseconds())
	writeJSON(w, reply)
}

func (rt *router) dispatch(w http.ResponseWriter, r *http.Request) (any, error) {
	rte, ok := rt.table[r.URL.Path]
	if !ok {
		return nil, wxErrf(codeInvalidURL, "%s", r.URL.Path)
	}
	ctx := r.Context()
	if rte.token {
		if err := rt.s.checkAccessToken(ctx, r); err != nil {
			return nil, err
		}
	}
	c := &call{r: r}
	if rte.post {
		if r.Method != http.MethodPost {
			return nil, wxErr(codeNeedPOST)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			return nil, wxErrf(codeBadJSON, "request body unreadable or over %d bytes", maxBody)
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, wxErr(codeEmptyBody)
		}
		if !json.Valid(body) {
			return nil, wxErr(codeBadJSON)
		}
		c.body = body
	}
	return rte.handle(ctx, c)
}

// decodeBody decodes a call's JSON into v. A body that is JSON but has a
// field of the wrong type (e.g. a numeric order_id) is answered with
// typeErrCode, which WeChat's express endpoints report as 9300526.
func decodeBody(c *call, v any, typeErrCode int) error {
	if err := json.Unmarshal(c.body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return wxErrf(typeErrCode, "%s must be a JSON %s", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return wxErr(codeBadJSON)
	}
	return nil
}

func jsonKind(goKind string) string {
	switch {
	case goKind == "string":
		return "string"
	case goKind == "struct" || goKind == "map":
		return "object"
	case goKind == "slice" || goKind == "array":
		return "array"
	case goKind == "bool":
		return "boolean"
	default:
		return "number"
	}
}

// status is the errcode/errmsg pair every business answer starts with.
type status struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

var statusOK = status{ErrCode: 0, ErrMsg: "ok"}

// courierReply is an error answer that carries the courier system's own
// result (a cancelOrder refusal, for one).
type courierReply struct {
	status
	DeliveryResultCode int    `json:"delivery_resultcode"`
	DeliveryResultMsg  string `json:"delivery_resultmsg"`
}

// courierErrorReply is addOrder's 9300501: WeChat adds an empty waybill_data.
type courierErrorReply struct {
	courierReply
	WaybillData []wxapi.KV `json:"waybill_data"`
}

func errorReply(e *apiError, rid string) any {
	st := status{ErrCode: e.Code, ErrMsg: e.message() + " rid: " + rid}
	if e.Courier == nil {
		return st
	}
	cr := courierReply{status: st, DeliveryResultCode: e.Courier.Code, DeliveryResultMsg: e.Courier.Msg}
	if e.Code == codeCourierFail {
		return courierErrorReply{courierReply: cr, WaybillData: []wxapi.KV{}}
	}
	return cr
}

// writeJSON answers HTTP 200 like WeChat, whose failures live in errcode.
// HTML escaping is off: WeChat sends "&" and "<" as is.
func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a bug can get here: every reply is a plain struct.
		http.Error(w, `{"errcode":-1,"errmsg":"system error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// newRID makes a request id shaped like WeChat's ("65bd225a-1b6e7927-3258c344":
// the time in hex, then two random words).
func newRID(now time.Time) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%08x-%08x-%08x", uint32(now.Unix()),
		binary.BigEndian.Uint32(b[:4]), binary.BigEndian.Uint32(b[4:]))
}

// queryToken returns the call's access_token; third-party platforms send
// authorizer_access_token instead, which the sandbox treats alike.
func queryToken(r *http.Request) string {
	q := r.URL.Query()
	if t := strings.TrimSpace(q.Get("access_token")); t != "" {
		return t
	}
	return strings.TrimSpace(q.Get("authorizer_access_token"))
}
