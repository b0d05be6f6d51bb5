package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"waybilldesk/wxapi"
)

// How one add_express_path push is built and sent, as WeChat's message
// push does it.

// event is the snapshot pushed at a version: the whole path so far.
func (p *pusher) event(o *order, events []pathEvent, version int) *wxapi.PathEvent {
	ev := &wxapi.PathEvent{
		EventHeader: wxapi.EventHeader{ToUserName: p.opts.ToUserName, FromUserName: o.Request.OpenID,
			CreateTime: p.s.Now().Unix(), MsgType: "event", Event: wxapi.EventAddExpressPath},
		DeliveryID: o.Request.DeliveryID, WaybillID: o.WaybillID, OrderID: o.Request.OrderID,
		Version: version, Count: len(events), Actions: make([]wxapi.PathAction, len(events)),
	}
	for i, e := range events {
		ev.Actions[i] = wxapi.PathAction{ActionTime: e.Time.Unix(), ActionType: e.Type, ActionMsg: e.Msg}
	}
	return ev
}

// xmlPathEvent puts wxapi.PathEvent's own tags inside WeChat's <xml> root.
type xmlPathEvent struct {
	XMLName xml.Name `xml:"xml"`
	*wxapi.PathEvent
}

// xmlEnvelope is the safe-mode body in XML.
type xmlEnvelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName cdata    `xml:"ToUserName"`
	Encrypt    cdata    `xml:"Encrypt"`
}

type cdata struct {
	Value string `xml:",cdata"`
}

// encode is the body in the configured format, encrypted in safe mode.
func (p *pusher) encode(ev *wxapi.PathEvent) (body []byte, encrypt string, err error) {
	if p.opts.Format == PushXML {
		body, err = xml.Marshal(xmlPathEvent{PathEvent: ev})
	} else {
		body, err = json.Marshal(ev)
	}
	if err != nil || p.crypto == nil {
		return body, "", err
	}
	if encrypt, err = p.crypto.Encrypt(body); err != nil {
		return nil, "", fmt.Errorf("encrypt push: %w", err)
	}
	if p.opts.Format == PushXML {
		body, err = xml.Marshal(xmlEnvelope{ToUserName: cdata{ev.ToUserName}, Encrypt: cdata{encrypt}})
	} else {
		body, err = json.Marshal(map[string]string{"ToUserName": ev.ToUserName, "Encrypt": encrypt})
	}
	return body, encrypt, err
}

// deliver POSTs one event with WeChat's query (timestamp, nonce, openid,
// signature; in safe mode encrypt_type and msg_signature). The callback
// accepts it by answering 2xx with "success" or nothing.
func (p *pusher) deliver(ctx context.Context, ev *wxapi.PathEvent) error {
	body, encrypt, err := p.encode(ev)
	if err != nil {
		return err
	}
	u, err := url.Parse(p.opts.URL)
	if err != nil {
		return fmt.Errorf("push URL: %w", err)
	}
	// The timestamp is wall time: the receiver checks it against its clock.
	ts := strconv.FormatInt(p.s.wall().Unix(), 10)
	nonce, err := pushNonce()
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("signature", wxapi.Signature(p.opts.Token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("openid", ev.FromUserName)
	if p.crypto != nil {
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wxapi.Signature(p.opts.Token, ts, nonce, encrypt))
	}
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("push request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if p.opts.Format == PushXML {
		req.Header.Set("Content-Type", "text/xml")
	}
	req.Header.Set("User-Agent", "Mozilla/4.0 (WeChat sandbox push)")
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL has signatures in it; the cause is enough
		}
		return fmt.Errorf("push to %s: %w", redactURL(p.opts.URL), err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	reply := strings.TrimSpace(string(answer))
	if resp.StatusCode/100 != 2 || (reply != "" && reply != "success") {
		return fmt.Errorf("push to %s: HTTP %d %.80q", redactURL(p.opts.URL), resp.StatusCode, reply)
	}
	return nil
}

// pushNonce is a 9-digit nonce like WeChat's.
func pushNonce() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	if err != nil {
		return "", fmt.Errorf("push nonce: %w", err)
	}
	return n.String(), nil
}

// redactURL is a callback URL without its query, which may carry a secret
// of the receiver: the form logs and errors show.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(bad URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
