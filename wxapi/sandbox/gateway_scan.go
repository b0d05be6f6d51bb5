package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"waybilldesk/wxapi"
)

// Pulling a gateway courier's traces the way WeChat's scan page does
// (扫一扫查快递, seed 002): GET URL?orderid=&openid=&timestamp=&nonce=
// &signature=&callback=WxOrderCb, answered WxOrderCb(OrderInfo).

// scanCallback is the JSONP callback name of the seed.
const scanCallback = "WxOrderCb"

// maxGatewayAnswer bounds what is read of a gateway's answer.
const maxGatewayAnswer = 1 << 20

// scanInfo is the OrderInfo of a scan-to-query answer, with the JSON tags
// of courier.OrderInfo (the sandbox cannot import package courier; see
// gateway.go).
type scanInfo struct {
	ErrCode               int         `json:"err_code"`
	ErrMsg                string      `json:"err_msg"`
	Traces                []scanTrace `json:"traces"`
	EstimatedDeliveryTime string      `json:"estimated_delivery_time"`
	// OrderStatus is a pointer so that a success without one is malformed
	// rather than "0, not collected".
	OrderStatus *int `json:"order_status"`
}

type scanTrace struct {
	AcceptTime    string `json:"accept_time"`
	AcceptAddress string `json:"accept_address"`
	Remark        string `json:"remark"`
}

// pull asks the gateway for a waybill on behalf of openid. A non-zero
// err_code is an answer, not an error: the caller decides what it means.
func (g *gateway) pull(ctx context.Context, waybill, openid string, now time.Time) (*scanInfo, error) {
	u, err := url.Parse(g.queryURL)
	if err != nil {
		return nil, fmt.Errorf("scan-to-query URL: %w", err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce, err := pushNonce()
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("orderid", waybill)
	q.Set("openid", openid)
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("signature", wxapi.Signature(g.opts.ScanToken, ts, nonce))
	q.Set("callback", scanCallback)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, g.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("scan-to-query request: %w", err)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (WeChat sandbox scan-to-query)")
	req.Header.Set("Accept", "application/javascript, */*")
	raw, err := g.do(req, g.queryURL)
	if err != nil {
		return nil, err
	}
	inner, ok := unwrapJSONP(raw, scanCallback)
	if !ok {
		return nil, malformed("scan-to-query %s: the answer is not a %s(...) call: %.80q", redactURL(g.queryURL), scanCallback, raw)
	}
	var info scanInfo
	if err := json.Unmarshal(inner, &info); err != nil {
		return nil, malformed("scan-to-query %s: OrderInfo: %v", redactURL(g.queryURL), err)
	}
	if info.ErrCode == 0 {
		if info.OrderStatus == nil {
			return nil, malformed("scan-to-query %s: no order_status in a successful answer", redactURL(g.queryURL))
		}
		if s := *info.OrderStatus; s < 0 || s > wxapi.NoticeStatusProxySign {
			return nil, malformed("scan-to-query %s: order_status %d is not one of 0-6", redactURL(g.queryURL), s)
		}
	}
	return &info, nil
}

// do sends a request to the gateway and returns the body of a 200 answer.
// The URL of the request carries signatures, so errors name target (the
// configured URL) without its query.
func (g *gateway) do(req *http.Request, target string) ([]byte, error) {
	resp, err := g.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, unreachable("%s: %w", redactURL(target), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxGatewayAnswer))
	if err != nil {
		return nil, unreachable("%s: read answer: %w", redactURL(target), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, unreachable("%s: HTTP %d %.80q", redactURL(target), resp.StatusCode, bytes.TrimSpace(raw))
	}
	return raw, nil
}

// unwrapJSONP returns the argument of callback(...), tolerating blanks
// and a trailing semicolon.
func unwrapJSONP(raw []byte, callback string) ([]byte, bool) {
	b := bytes.TrimSpace(raw)
	b = bytes.TrimSpace(bytes.TrimSuffix(b, []byte(";")))
	if !bytes.HasPrefix(b, []byte(callback+"(")) || !bytes.HasSuffix(b, []byte(")")) {
		return nil, false
	}
	return b[len(callback)+1 : len(b)-1], true
}

// gatewayStatus is query_trace's status of a waybill a gateway courier
// serves: its scan-to-query order_status, which seed 002 numbers like the
// buyer notices (0 待揽件 = not collected, 1 collected, 2 in transit, 3 out
// for delivery, 4 signed, 5 签收异常 = exception, 6 signed by proxy). A
// waybill the courier does not know is 9300559; a courier that cannot be
// asked or answers nonsense is -1, which clients retry.
func (s *Sandbox) gatewayStatus(ctx context.Context, g *gateway, n *notice) (int, error) {
	log := s.log.With("delivery_id", g.opts.DeliveryID, "waybill_id", n.WaybillID)
	info, err := g.pull(ctx, n.WaybillID, n.OpenID, s.wall())
	if err != nil {
		log.Warn("sandbox scan-to-query failed", "err", err)
		return 0, wxErrf(codeSystemError, "courier %s could not be asked: %v", g.opts.DeliveryID, err)
	}
	switch info.ErrCode {
	case 0:
		log.Debug("sandbox scan-to-query answered", "order_status", *info.OrderStatus, "traces", len(info.Traces))
		return *info.OrderStatus, nil
	case g.opts.UnknownWaybillCode:
		log.Info("sandbox scan-to-query: the courier does not know the waybill")
		return 0, wxErrf(codeNoticeNoWaybill, "courier %s does not know %s", g.opts.DeliveryID, n.WaybillID)
	}
	log.Warn("sandbox scan-to-query refused", "err_code", info.ErrCode, "err_msg", info.ErrMsg)
	return 0, wxErrf(codeSystemError, "courier %s answered err_code %d: %.80s", g.opts.DeliveryID, info.ErrCode, info.ErrMsg)
}
