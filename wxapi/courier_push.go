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

// CheckFresh applies the handler's timestamp window and nonce memory to a
// request whose signature the caller has checked: ErrStale when the
// timestamp is missing or outside the window, ErrReplayed when the pair
// was seen within it, ErrBadNonce or ErrBusy. A passing pair is
// remembered, which is why the signature must be checked first: otherwise
// a forger could burn the nonces of genuine requests.
func (h *PushHandler) CheckFresh(timestamp, nonce string) error {
	sec, err := h.inWindow(timestamp)
	if err != nil {
		return err
	}
	if nonce == "" || len(nonce) > 64 {
		return ErrBadNonce
	}
	_, err = h.remember(sec, timestamp, nonce)
	return err
}

// OpenRequest checks a POSTed push exactly as ServeHTTP does (timestamp
// window, body size, safe mode, signature or msg_signature and decryption,
// then the nonce memory) and returns the plaintext body, or the HTTP
// status to answer the error with. Handlers that must reply with a body
// (waybill_notify_query) use it instead of ServeHTTP, whose answer is
// always "success".
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
