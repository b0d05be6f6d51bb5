package wxapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Helpers for servers that answer WeChat's courier-side calls with a body of
// their own (the waybill_notify_query back-check, the scan-to-query JSONP):
// they reuse PushHandler's timestamp window, nonce memory, signatures and
// safe-mode decryption instead of repeating them, so every endpoint of the
// app rejects forged and replayed requests the same way.

// ErrReplayed is a request whose timestamp and nonce were already used
// within the window. It wraps ErrStale, so callers that only care about
// "reject it" need one check.
var ErrReplayed = fmt.Errorf("%w: nonce already used", ErrStale)

// CheckFresh applies the handler's timestamp window and nonce memory to a
// request: ErrStale when the timestamp is missing or outside the window,
// ErrReplayed when the pair was seen within it. A passing pair is
// remembered, so call it only after the signature checked out; otherwise a
// forger could burn the nonces of genuine requests.
func (h *PushHandler) CheckFresh(timestamp, nonce string) error {
	err := h.fresh(timestamp, nonce)
	// fresh answers the bare ErrStale for the window and a wrapped one for a
	// nonce it has seen: the identity tells the two apart.
	if err != nil && err != ErrStale { //nolint:errorlint // identity is the point
		return ErrReplayed
	}
	return err
}

// OpenRequest checks a POSTed push exactly as ServeHTTP does (timestamp
// window, nonce memory, signature or msg_signature, safe-mode decryption)
// and returns the plaintext body, or the HTTP status to answer the error
// with. Handlers that must reply with a body (waybill_notify_query) use it
// instead of ServeHTTP, whose answer is always "success".
func (h *PushHandler) OpenRequest(r *http.Request) (body []byte, status int, err error) {
	return h.open(r)
}

// OpenReply verifies and decrypts a sealed reply, the
// Encrypt/MsgSignature/TimeStamp/Nonce body (JSON or XML) a safe-mode
// receiver answers with: what WeChat does with the answer to
// waybill_notify_query. The sandbox and tests play WeChat with it.
func (p *PushCrypto) OpenReply(body []byte) ([]byte, error) {
	var s SealedReply
	if err := decodeBody(body, &s); err != nil {
		return nil, fmt.Errorf("sealed reply: %w", err)
	}
	if s.Encrypt == "" {
		return nil, errors.New("sealed reply: no Encrypt")
	}
	msg, err := p.Open(s.MsgSignature, strconv.FormatInt(s.TimeStamp, 10), s.Nonce, s.Encrypt)
	if err != nil {
		return nil, fmt.Errorf("sealed reply: %w", err)
	}
	return msg, nil
}
