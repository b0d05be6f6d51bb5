package wxapi

import (
	"testing"
)

// The decoders face bytes from the network: whatever arrives, they return
// a value or an error, never a panic.

func FuzzDecodeAnswer(f *testing.F) {
	for _, name := range []string{"addOrder.response.json", "getOrder.response.json", "getPath.response.json",
		"batchGetOrder.response.json", "addOrder.response.error-9300501.weapp.json", "getAllAccount.response.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"errcode":`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var a AddOrderResponse
		decodeAnswer("addOrder", raw, &a)
		var g GetOrderResponse
		if decodeAnswer("getOrder", raw, &g) == nil {
			g.Label()
		}
		var p GetPathResponse
		decodeAnswer("getPath", raw, &p)
		var b BatchGetOrderResponse
		if decodeAnswer("batchGetOrder", raw, &b) == nil {
			for _, o := range b.OrderList {
				o.Err()
			}
		}
	})
}

func FuzzParsePush(f *testing.F) {
	for _, name := range []string{"add_express_path.event.json", "add_express_path.event.xml", "add_express_path.event.weapp.xml"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`<xml><Event>waybill_notify_query</Event><WaybillId>1</WaybillId></xml>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ParsePathEvent(body)
		ParseNotifyQuery(body)
		var h EventHeader
		decodeBody(body, &h)
	})
}

func FuzzDecrypt(f *testing.F) {
	f.Add(encB1)
	f.Add(encC)
	f.Add("AAAA")
	p, err := NewPushCrypto("pamtest", keyB, appB, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, enc string) {
		msg, err := p.Decrypt(enc)
		if err == nil && msg == nil {
			t.Fatal("no error and no message")
		}
	})
}

func FuzzDecodePrintHTML(f *testing.F) {
	f.Add(b64("<html><body>x</body></html>"))
	f.Add("jh7DjipP4ul4CQYUh69cniskrQZuOPwa1inAbXIqKbU0t71c0s65Au54cdWBZW0QJY4LYeofdM")
	f.Fuzz(func(t *testing.T, s string) {
		DecodePrintHTML(s)
	})
}
