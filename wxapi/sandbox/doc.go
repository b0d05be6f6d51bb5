// Package sandbox is an in-process fake of WeChat's logistics platform
// (物流助手) and its couriers, faithful enough to train operators on and to
// run tests and benchmarks against. It serves WeChat's HTTP paths, checks
// requests the way WeChat and the couriers do, answers with WeChat's error
// codes, keeps its state (tokens, bound accounts and quotas, orders and
// their paths, buyer notices, printer operators) in its own SQLite file and
// renders e-waybill labels.
//
// # WeChat's endpoints
//
// Tokens (cgi-bin/token, cgi-bin/stable_token); the merchant endpoints
// getAllDelivery, getAllAccount, bindAccount, getQuota, addOrder, getOrder,
// batchGetOrder, cancelOrder, getPath, getPrinter, updatePrinter and
// testUpdateOrder; the buyer-notice endpoints of both families
// (trace_waybill/query_trace/update_waybill_goods and their follow_*
// twins) and get_delivery_list; the courier side's userquery and pathnotify
// (see Gateway couriers). The courier catalogue is the table of
// ../shared/seeds/000 plus WeChat's test courier TEST/test_biz_id; every
// franchise courier and EMS has a bound sandbox account (SANDBOX_YTO, ...).
//
// # Time
//
// Parcels move on the sandbox clock: Options.Now (the wall clock) run
// Options.Speed times faster, plus whatever Advance or POST /sandbox/clock
// added. Each order's whole life (pick-up, hubs, delivery, signature, and
// now and then a failed pick-up, a held parcel, a failed delivery or a
// return) is drawn from a generator seeded by its order_id, and getPath
// shows the part that has happened by now; no goroutine runs per order.
// TEST orders move only through testUpdateOrder, as on WeChat. A
// cancellation stops an order where it is.
//
// # Labels
//
// getOrder renders one template per courier family (SF; the 通达系
// franchise couriers YTO, ZTO, STO, Yunda, Best; EMS; a generic one for
// the others) on 100x180 mm stock (two-part, or one-part with print_type 1)
// or on 76x130 mm one-part stock. WeChat's getOrder has no size parameter,
// so the size is a setting: per account or per courier through
// POST /sandbox/label_size {"delivery_id", "biz_id" (optional), "size"},
// else Options.LabelSize, else 100x180.
//
// # Faults and administration
//
// Options.Faults (the --latency, --addorder-latency, --error-rate,
// --http500-rate, --drop-after-commit-rate, --unknown-after-commit-rate and
// --token-ttl switches) are injected into
// WeChat's paths only, with dice seeded by Options.Seed. The admin paths
// under /sandbox/ answer plain JSON and are never faulted:
//
//	GET  /sandbox/faults       the fault settings
//	POST /sandbox/faults       change some of them: {"error-rate": 0.05}
//	POST /sandbox/quota        {"delivery_id", "biz_id", "quota_num"}
//	GET  /sandbox/orders       every order with its state
//	GET  /sandbox/clock        the sandbox time and speed
//	POST /sandbox/clock        {"advance": "24h"} and/or {"speed": 1440}
//	GET  /sandbox/label_size   the label size settings
//	POST /sandbox/label_size   set or (size "") remove one
//	GET  /sandbox/gateways     the gateway couriers (no tokens shown)
//	POST /sandbox/gateways     register or replace one (GatewayOptions as JSON)
//	GET  /sandbox/bound_phones phones bound or unbound by hand
//	POST /sandbox/bound_phones {"phone": "...", "bound": true|false}
//	GET  /sandbox/courier_notices  accepted pathnotify pushes (?waybill_id=)
//
// # Pushes
//
// With Options.Push.URL set, every change of a path is pushed as an
// add_express_path event carrying the whole path and a Version that grows
// by one per accepted push, signed with the push Token, encrypted in safe
// mode when an EncodingAESKey is given, as JSON or XML, and retried with a
// doubling wait while the callback fails.
//
// # Gateway couriers
//
// A courier company (or a merchant with its own fleet) that registered its
// own platform with WeChat, such as `waybilldesk courier serve`, is a
// gateway courier: Options.Gateways, the --gateway switches or
// POST /sandbox/gateways give its scan-to-query URL, its message-push URL,
// the Token (and EncodingAESKey for safe mode), the data format and its
// waybill pattern. For those couriers the sandbox plays WeChat end to end,
// over HTTP with a timeout per call:
//
//   - userquery answers from the bound phones: those bound or unbound by
//     hand (Options.BoundPhones, --bound-phone, POST /sandbox/bound_phones),
//     else those whose last digit is even.
//   - pathnotify checks its arguments (40097), picks the first gateway whose
//     pattern matches the waybill (150004 when none does), answers exist 0
//     for an unbound receiver, and otherwise POSTs waybill_notify_query to
//     the gateway. The push is accepted (exist 1) and recorded, to be seen
//     at GET /sandbox/courier_notices, only when the answer has ResultCode
//     0, the pushed event in its Path and the push's create_time as
//     WaybillCreateTime (932002 otherwise; 932001 when the gateway cannot
//     be reached or answers non-200, 932003 when its answer is malformed).
//   - query_trace and query_follow_trace of a waybill whose registration
//     names the gateway's delivery_id (or names no courier, when the
//     sandbox did not issue the waybill and it matches the pattern) GET the
//     gateway's scan-to-query URL, signed, and report its order_status as
//     the status (the two number 0-6 alike); 9300559 when the gateway does
//     not know the waybill, -1 when it cannot be asked; get_delivery_list
//     lists the gateway couriers the catalogue lacks.
package sandbox
