package wxapi

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// The pathnotify example of seed 003.
const pathNotifySample = `{"path":{"action_time":1597396101,"action_type":200001,"action_msg":"快件到达 【泉州磁灶集散中心】"},
"receiver":{"area":"晋江市","address":"庄宅北区158-6","province":"福建省","city":"泉州市","phone":"13800138000","name":"李四"},
"sender":{"area":"柯桥区","address":"纺都路137号","province":"浙江省","city":"绍兴市","phone":"13800138001","name":"张三"},
"waybill_id":"1234567890"}`

func TestUserQueryAndPathNotify(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var got, want any
		json.Unmarshal(body, &got)
		switch r.URL.Path {
		case PathUserQuery:
			json.Unmarshal([]byte(`{"phone":"13800138000"}`), &want)
			w.Write([]byte(`{"errcode":0,"errmsg":"ok","exist":1}`))
		case PathPathNotify:
			json.Unmarshal([]byte(pathNotifySample), &want)
			w.Write([]byte(`{"errcode":0,"errmsg":"ok","exist":0}`))
		default:
			t.Errorf("path %s", r.URL.Path)
		}
		if r.Method != http.MethodPost || !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s body %s", r.Method, r.URL.Path, body)
		}
	})
	c := f.client(Options{})
	bound, err := c.UserQuery(context.Background(), "13800138000")
	if err != nil || !bound {
		t.Fatalf("userquery %v %v", bound, err)
	}
	var req PathNotifyRequest
	if err := json.Unmarshal([]byte(pathNotifySample), &req); err != nil {
		t.Fatal(err)
	}
	bound, err = c.PathNotify(context.Background(), &req)
	if err != nil || bound {
		t.Fatalf("pathnotify %v %v", bound, err)
	}
	req.Receiver.Phone = ""
	if _, err := c.PathNotify(context.Background(), &req); FieldOf(err) != "receiver.phone" {
		t.Fatalf("receiver without phone: %v", err)
	}
}

func TestNotifyQueryEventAndReply(t *testing.T) {
	in := `<xml><ToUserName>gh_ea48699fb159</ToUserName><FromUserName>oHt_80DRclK4qjKfdYnPg6RxxsNI</FromUserName>
<MsgType>event</MsgType><Event>WAYBILL_NOTIFY_QUERY</Event><CreateTime>1600152165</CreateTime>
<WaybillId>557007127498128</WaybillId><SenderPhone>13763357711</SenderPhone><ReceiverPhone>13763357712</ReceiverPhone></xml>`
	ev, err := ParseNotifyQuery([]byte(in))
	if err != nil || ev.WaybillID != "557007127498128" || ev.ReceiverPhone != "13763357712" || ev.CreateTime != 1600152165 {
		t.Fatalf("%+v %v", ev, err)
	}
	if _, err := ParseNotifyQuery([]byte(`{"Event":"add_express_path","WaybillId":"1"}`)); err == nil {
		t.Fatal("another event accepted")
	}
	reply := NotifyQueryReply{ToUserName: ev.FromUserName, FromUserName: ev.ToUserName, CreateTime: 1600152165,
		MsgType: "event", Event: EventWaybillNotifyQuery, ResultMsg: "OK", WaybillCreateTime: 1600000000,
		Path: []NotifyQueryPath{{ActionType: 300002, ActionTime: 1600000000, ActionMsg: "派送中", DeliveryCourierName: "张三", DeliveryCourierPhone: "10086"}}}
	out, err := xml.Marshal(reply)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<xml>", "<ResultCode>0</ResultCode>", "<Path><ActionTime>1600000000</ActionTime><ActionType>300002</ActionType>", "<DeliveryCourierPhone>10086</DeliveryCourierPhone>"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("reply XML lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "PickupCourierName") {
		t.Errorf("empty courier fields written: %s", out)
	}
}
