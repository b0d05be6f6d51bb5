package sandbox

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
)

// The simulated courier: every order of a real courier goes through pick-up,
// the hubs between the sender's and the receiver's city, the delivery outlet
// and a signature, with the occasional failed pick-up, held parcel, failed
// delivery or return. The whole life is drawn at once from a generator
// seeded by the order_id, so the same order always travels the same way
// and a path is computed when asked instead of by a goroutine per order.

// Shares of orders that meet each mishap.
const (
	pickupFailShare   = 0.06
	heldShare         = 0.05
	returnShare       = 0.03
	deliveryFailShare = 0.08
	proxySignShare    = 0.35
	middleHubShare    = 0.5
)

// pathSalt separates the path generator from other users of the order_id.
const pathSalt = 0x5eed_0001

// transitFactor scales transit times: SF flies, EMS takes its time.
var transitFactor = map[string]float64{"SF": 0.6, "EMS": 1.3}

// middleHubs are national transit hubs a long-distance parcel may pass.
var middleHubs = []string{"郑州", "武汉", "长沙", "南京", "西安", "成都", "济南"}

// outletSuffixes are what each courier calls the outlet that collects and
// delivers.
var outletSuffixes = map[string]string{
	"SF": "营业点", "EMS": "揽投部", "YTO": "公司", "STO": "公司", "YUNDA": "公司",
	"ZTO": "网点", "BEST": "网点",
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐")

// courierStaff is a pick-up or delivery person as the path names them.
type courierStaff struct{ name, phone string }

// pathBuilder accumulates events at a moving time.
type pathBuilder struct {
	rng    *rand.Rand
	t      time.Time
	factor float64
	events []pathEvent
}

// wait moves time on by a random span in [lo, hi), scaled for transit legs.
func (b *pathBuilder) wait(lo, hi time.Duration, scaled bool) {
	d := lo + time.Duration(b.rng.Int64N(int64(hi-lo)))
	if scaled {
		d = time.Duration(float64(d) * b.factor)
	}
	b.t = b.t.Add(max(d, time.Minute))
}

// daytime moves an event that would fall at night to the next morning:
// couriers collect and deliver between 08:00 and 20:00 China time.
func (b *pathBuilder) daytime() {
	local := b.t.In(chinaTime)
	morning := time.Date(local.Year(), local.Month(), local.Day(), 8, 0, 0, 0, chinaTime)
	switch {
	case local.Hour() < 8:
	case local.Hour() >= 20:
		morning = morning.AddDate(0, 0, 1)
	default:
		return
	}
	b.t = morning.Add(time.Duration(b.rng.IntN(90)) * time.Minute)
}

// nextMorning moves to the following morning (a retry the next day).
func (b *pathBuilder) nextMorning() {
	local := b.t.In(chinaTime)
	b.t = time.Date(local.Year(), local.Month(), local.Day()+1, 8, 0, 0, 0, chinaTime).
		Add(time.Duration(b.rng.IntN(120)) * time.Minute)
}

func (b *pathBuilder) add(typ int, msg string) {
	b.events = append(b.events, pathEvent{Time: b.t.Truncate(time.Second), Type: typ, Msg: msg})
}

func (b *pathBuilder) staff() courierStaff {
	name := string(surnames[b.rng.IntN(len(surnames))]) + "师傅"
	prefixes := []string{"13", "15", "17", "18", "19"}
	phone := fmt.Sprintf("%s%d****%04d", prefixes[b.rng.IntN(len(prefixes))], b.rng.IntN(10), b.rng.IntN(10000))
	return courierStaff{name: name, phone: phone}
}

func pathSeed(orderID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(orderID))
	return h.Sum64()
}

// simulate draws the whole life of an order, future events included. The
// draws happen in a fixed order, so adding a kind of mishap later must
// append its draw, or every existing path changes.
func simulate(o *order, c courier) []pathEvent {
	r := &o.Request
	b := &pathBuilder{rng: rand.New(rand.NewPCG(pathSeed(r.OrderID), pathSalt)), t: o.CreatedAt, factor: 1}
	if f, ok := transitFactor[c.DeliveryID]; ok {
		b.factor = f
	}
	pickupFails := b.rng.Float64() < pickupFailShare
	held := b.rng.Float64() < heldShare
	outcome := b.rng.Float64()
	proxy := b.rng.Float64() < proxySignShare
	viaMiddle := b.rng.Float64() < middleHubShare
	middle := middleHubs[b.rng.IntN(len(middleHubs))]
	picker, deliverer := b.staff(), b.staff()

	suffix := outletSuffixes[c.DeliveryID]
	if suffix == "" {
		suffix = "营业部"
	}
	fromOutlet := shortCity(r.Sender.City) + strings.TrimSpace(r.Sender.Area) + suffix
	toOutlet := shortCity(r.Receiver.City) + strings.TrimSpace(r.Receiver.Area) + suffix
	fromHub, toHub := o.Routing.OriginCenter, o.Routing.BagAddr
	if toHub == "" {
		toHub = bagAddress(c.DeliveryID, r.Receiver)
	}

	// Pick-up: at the expected time when one was given, else within hours.
	if expect := time.Unix(r.ExpectTime, 0); r.ExpectTime > 0 && expect.After(b.t) {
		b.t = expect
		b.wait(10*time.Minute, 50*time.Minute, false)
	} else {
		b.wait(40*time.Minute, 3*time.Hour, false)
	}
	b.daytime()
	if pickupFails {
		b.add(actPickupFailed, fmt.Sprintf("【%s】揽收失败：寄件人电话无人接听，快递员将于明日再次上门揽收。揽收员：%s，联系电话 %s",
			fromOutlet, picker.name, picker.phone))
		b.nextMorning()
	}
	if c.DeliveryID == "SF" {
		b.add(actCollected, fmt.Sprintf("顺丰速运 已收取快件，【%s】收派员：%s，联系电话 %s", fromOutlet, picker.name, picker.phone))
	} else {
		b.add(actCollected, fmt.Sprintf("【%s】已揽收，揽收员：%s，联系电话 %s", fromOutlet, picker.name, picker.phone))
	}

	// Transit: outlet -> origin hub [-> national hub] -> destination hub -> outlet.
	hops := []string{fromOutlet, fromHub}
	if fromHub != toHub {
		if mh := hubName(c.DeliveryID, middle); viaMiddle && r.Sender.Province != r.Receiver.Province &&
			mh != fromHub && mh != toHub {
			hops = append(hops, mh)
		}
		hops = append(hops, toHub)
	}
	hops = append(hops, toOutlet)
	for i := 0; i+1 < len(hops); i++ {
		b.wait(30*time.Minute, 2*time.Hour, true)
		b.add(actTransit, fmt.Sprintf("【%s】已发出，下一站【%s】", hops[i], hops[i+1]))
		if i+1 < len(hops)-1 && i > 0 {
			b.wait(4*time.Hour, 14*time.Hour, true) // a trunk line between hubs
		} else {
			b.wait(1*time.Hour, 3*time.Hour, true)
		}
		b.add(actTransit, fmt.Sprintf("快件已到达【%s】", hops[i+1]))
		if held && i+1 == len(hops)-2 {
			b.wait(30*time.Minute, 2*time.Hour, false)
			b.add(actHeld, fmt.Sprintf("快件在【%s】滞留：受天气影响，干线车辆延误，预计延迟一天送达，给您带来不便敬请谅解", hops[i+1]))
			b.wait(20*time.Hour, 28*time.Hour, false)
		}
	}

	// Delivery.
	b.wait(30*time.Minute, 2*time.Hour, false)
	b.daytime()
	outForDelivery := fmt.Sprintf("【%s】派件员：%s，联系电话 %s，正在为您派件，请保持电话畅通", toOutlet, deliverer.name, deliverer.phone)
	b.add(actOutForDelivery, outForDelivery)
	switch {
	case outcome < returnShare:
		b.wait(1*time.Hour, 3*time.Hour, false)
		b.add(actDeliveryFailed, fmt.Sprintf("派送失败：收件人拒收，快件将退回寄件人。派件员：%s，联系电话 %s", deliverer.name, deliverer.phone))
		b.wait(3*time.Hour, 8*time.Hour, false)
		b.add(actReturned, fmt.Sprintf("快件已退回寄件人【%s】，退回原因：收件人拒收", fromOutlet))
		return b.events
	case outcome < returnShare+deliveryFailShare:
		b.wait(1*time.Hour, 3*time.Hour, false)
		b.add(actDeliveryFailed, fmt.Sprintf("派送失败：收件人电话无人接听，快件将于明日再次派送。派件员：%s，联系电话 %s", deliverer.name, deliverer.phone))
		b.nextMorning()
		b.add(actOutForDelivery, outForDelivery)
	}
	b.wait(30*time.Minute, 4*time.Hour, false)
	if proxy {
		b.add(actSigned, fmt.Sprintf("快件已由【%s】代收，取件码 %d-%d-%04d，请及时取件。如有疑问请联系派件员%s，电话 %s",
			pickupPoint(c.DeliveryID, r.Receiver.Address, r.Receiver.Area), 1+b.rng.IntN(9), 1+b.rng.IntN(6), b.rng.IntN(10000),
			deliverer.name, deliverer.phone))
		b.events[len(b.events)-1].proxy = true
	} else {
		b.add(actSigned, fmt.Sprintf("快件已签收，签收人：本人签收。如有疑问请联系派件员%s，电话 %s。感谢使用%s，期待再次为您服务",
			deliverer.name, deliverer.phone, c.DeliveryName))
	}
	return b.events
}

// pickupPoint names the station that signs for a parcel: a locker for SF,
// a Cainiao station for the others, named after the street.
func pickupPoint(deliveryID, address, area string) string {
	street := strings.TrimSpace(area)
	if i := strings.Index(address, "号"); i > 0 && len([]rune(address[:i])) <= 12 {
		street = address[:i] + "号"
	}
	if deliveryID == "SF" {
		return "丰巢智能柜（" + street + "）"
	}
	return "菜鸟驿站（" + street + "店）"
}
