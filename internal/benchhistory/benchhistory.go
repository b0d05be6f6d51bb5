// Package benchhistory builds big order histories for the benchmarks: a
// real order placed once through the embedded sandbox (its request, its
// waybill data and its label) copied into N rows with their own ids,
// receivers, dates and states, through the store API. A station that ships
// 1,000 parcels a day has a million orders in three years; that is the
// size the benchmarks measure the desk at.
package benchhistory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"waybilldesk/orders"
	"waybilldesk/store"
	"waybilldesk/wxapi"
	"waybilldesk/wxapi/sandbox"
)

// Version is bumped whenever what Build writes changes, so a cached
// history built by an older builder is built again.
const Version = 1

// PerDay is how many orders a day the history holds: a busy station's.
const PerDay = 1000

// batchSize is how many orders one transaction copies: big enough that
// commits cost nothing, small enough that the WAL stays a few hundred MB.
const batchSize = 10000

// Orders is the benchmark's history size: WAYBILLDESK_BENCH_ORDERS, or
// one million.
func Orders() int {
	if n, err := strconv.Atoi(os.Getenv("WAYBILLDESK_BENCH_ORDERS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// CachePath is where the history of n orders is kept in dir between runs:
// its name carries the schema version, so a new migration builds anew.
func CachePath(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("history-%d-v%d.db", n, store.SchemaVersion()))
}

// stampPath is the file beside a built history that names the builder
// version that built it: written last, so a build cut short leaves none.
func stampPath(path string) string { return path + ".built" }

func stamp(n int) string { return fmt.Sprintf("benchhistory v%d, %d orders\n", Version, n) }

// Ensure returns the cached history of n orders in dir, building it when it
// is missing or was built by another builder version. built reports that
// it was built now.
func Ensure(ctx context.Context, dir string, n int) (path string, built bool, err error) {
	path = CachePath(dir, n)
	if have, err := os.ReadFile(stampPath(path)); err == nil && string(have) == stamp(n) {
		if _, err := os.Stat(path); err == nil {
			return path, false, nil
		}
	}
	if err := Build(ctx, path, n); err != nil {
		return "", false, err
	}
	return path, true, nil
}

// Build writes a history of n orders with labels at path, replacing any
// file there. It builds beside path and renames, so path is either the
// old file or a complete new one. The history belongs to the sandbox
// platform, as the embedded sandbox's orders do.
func Build(ctx context.Context, path string, n int) error {
	if n < 1 {
		return fmt.Errorf("build history of %d orders: want at least one", n)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("build history %s: %w", path, err)
	}
	tmpl, err := placeTemplate(ctx)
	if err != nil {
		return fmt.Errorf("build history %s: %w", path, err)
	}
	tmp := path + ".building"
	removeDB(tmp)
	removeDB(path)
	os.Remove(stampPath(path))
	if err := fill(ctx, tmp, n, tmpl); err != nil {
		removeDB(tmp)
		return fmt.Errorf("build history %s: %w", path, err)
	}
	// Close checkpointed and removed the WAL: the main file is the whole
	// history and may be moved.
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("build history %s: %w", path, err)
	}
	if err := os.WriteFile(stampPath(path), []byte(stamp(n)), 0o644); err != nil {
		return fmt.Errorf("build history %s: %w", path, err)
	}
	return nil
}

// removeDB removes a SQLite file and its WAL and shared-memory files.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// placeTemplate places one order through an embedded sandbox on loopback,
// in a scratch folder, and returns it as stored, label included.
func placeTemplate(ctx context.Context) (*store.Order, error) {
	dir, err := os.MkdirTemp("", "waybilldesk-benchhistory-")
	if err != nil {
		return nil, fmt.Errorf("place the template order: %w", err)
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sb, err := sandbox.Open(ctx, sandbox.Options{DBPath: filepath.Join(dir, "sandbox.db"), Logger: quiet, Seed: 1})
	if err != nil {
		return nil, fmt.Errorf("place the template order: %w", err)
	}
	defer sb.Close()
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("place the template order: %w", err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "history.db"))
	if err != nil {
		return nil, fmt.Errorf("place the template order: %w", err)
	}
	defer db.Close()
	api := wxapi.New(wxapi.Options{BaseURL: url, AppID: sandbox.DefaultAppID, Secret: sandbox.DefaultSecret, Logger: quiet})
	svc := orders.New(db, api, orders.Options{Logger: quiet})
	var req wxapi.AddOrderRequest
	if err := json.Unmarshal([]byte(templateRequest), &req); err != nil {
		return nil, fmt.Errorf("place the template order: %w", err)
	}
	placed, err := svc.Place(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("place the template order: %w", err)
	}
	o, err := db.Order(ctx, placed.OrderID)
	if err != nil {
		return nil, fmt.Errorf("place the template order: %w", err)
	}
	if o.PrintHTML == "" || o.WaybillID == "" {
		return nil, errors.New("place the template order: the sandbox gave no waybill or label")
	}
	return o, nil
}

// templateRequest is examples/order.json: the order the README places.
const templateRequest = `{
  "add_source": 0, "delivery_id": "SF", "biz_id": "SF_CASH", "custom_remark": "易碎物品，轻拿轻放",
  "sender": {"name": "陈晓明", "mobile": "13800138000", "company": "晓明茶叶店", "country": "中国",
    "province": "浙江省", "city": "杭州市", "area": "西湖区", "address": "文三路 398 号东方通信大厦 3 楼"},
  "receiver": {"name": "王小蒙", "mobile": "18610000000", "tel": "020-77777777", "country": "中国",
    "province": "广东省", "city": "广州市", "area": "天河区", "address": "天河北路 233 号中信广场 48 楼"},
  "cargo": {"count": 1, "weight": 1.2, "space_x": 30.5, "space_y": 20, "space_z": 12,
    "detail_list": [{"name": "西湖龙井 250g", "count": 2}, {"name": "青瓷茶杯", "count": 1}]},
  "shop": {"wxa_path": "/pages/order/detail?from=waybill",
    "detail_list": [{"goods_name": "西湖龙井 250g", "goods_desc": "明前特级"}, {"goods_name": "青瓷茶杯"}]},
  "insured": {"use_insured": 1, "insured_value": 50000},
  "service": {"service_type": 3, "service_name": "顺丰标快"},
  "expect_time": 0
}`

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏浩宇子轩梓涵一诺欣怡博文思远晓梦雨")
)

// fill creates the history at path and copies n orders made from tmpl
// into it, oldest first, as a station writes them.
func fill(ctx context.Context, path string, n int, tmpl *store.Order) error {
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.ClaimPlatform(ctx, store.PlatformSandbox); err != nil {
		return err
	}
	var req wxapi.AddOrderRequest
	if err := json.Unmarshal(tmpl.Request, &req); err != nil {
		return fmt.Errorf("template request: %w", err)
	}
	rng := rand.New(rand.NewSource(16))
	// The newest order is from now; the oldest n/PerDay days before.
	now := time.Now()
	step := 24 * time.Hour / PerDay
	first := now.Add(-time.Duration(n) * step)
	prefix := tmpl.WaybillID[:2]
	batch := make([]store.Order, 0, batchSize)
	for i := 0; i < n; i++ {
		o := *tmpl
		o.WaybillData = append([]store.KV(nil), tmpl.WaybillData...)
		o.CreatedAt = first.Add(time.Duration(i) * step)
		o.OrderID = fmt.Sprintf("WD%s%06d", o.CreatedAt.Format("20060102"), i)
		// i*k mod 10^13 is one-to-one for k prime to 10: distinct
		// waybill ids that do not sort like the order ids.
		o.WaybillID = fmt.Sprintf("%s%013d", prefix, uint64(i)*2654435761%10_000_000_000_000)
		o.ReceiverName = string(surnames[rng.Intn(len(surnames))]) + string(given[rng.Intn(len(given))]) + string(given[rng.Intn(len(given))])
		o.ReceiverPhone = fmt.Sprintf("1%d%09d", 3+rng.Intn(7), rng.Intn(1e9))
		req.OrderID, req.Receiver.Name, req.Receiver.Mobile = o.OrderID, o.ReceiverName, o.ReceiverPhone
		raw, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("request of %s: %w", o.OrderID, err)
		}
		o.Request = raw
		sum := sha256.Sum256(raw)
		o.Fingerprint = hex.EncodeToString(sum[:])
		o.SentAt = o.CreatedAt
		o.Lease = store.Lease{}
		o.Version = 2
		o.SettledBy = "addOrder"
		o.UpdatedAt = o.CreatedAt.Add(2 * time.Second)
		setState(&o, now, rng)
		batch = append(batch, o)
		if len(batch) == batchSize || i == n-1 {
			if err := db.CopyOrders(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return db.Close()
}

// setState gives an order the state a real history has at its age: a
// few failed or cancelled, the rest placed; parcels of the last days on
// their way, older ones signed for (a few stuck or returned).
func setState(o *store.Order, now time.Time, rng *rand.Rand) {
	age := now.Sub(o.CreatedAt)
	roll := rng.Intn(1000)
	o.Status, o.TrackStatus, o.TrackMsg, o.TrackTime = store.StatusPlaced, "", "", time.Time{}
	o.ErrorCode, o.ErrorMsg = 0, ""
	track := func(stage, msg string, after time.Duration) {
		o.TrackStatus, o.TrackMsg, o.TrackTime = stage, msg, o.CreatedAt.Add(after)
		if o.TrackTime.After(now) {
			o.TrackTime = now
		}
		o.UpdatedAt = o.TrackTime
	}
	switch {
	case roll < 3: // WeChat refused it: no waybill, no label
		o.Status, o.WaybillID, o.PrintHTML, o.WaybillData = store.StatusFailed, "", "", nil
		o.ErrorCode, o.ErrorMsg = 9300501, "快递侧逻辑错误"
		o.SettledBy = "addOrder"
	case roll < 13: // cancelled before pick-up
		o.Status = store.StatusCancelled
		o.SettledBy = "cancelOrder"
		o.UpdatedAt = o.CreatedAt.Add(time.Hour)
	case age < 3*24*time.Hour && roll < 700:
		stages := []string{orders.TrackAccepted, orders.TrackCollected, orders.TrackInTransit, orders.TrackOutForDelivery}
		stage := stages[rng.Intn(len(stages))]
		track(stage, "快件"+stage, age/2)
	case age < 30*24*time.Hour && roll < 60:
		track(orders.TrackInTransit, "快件已到达【广州转运中心】", 30*time.Hour)
	case roll < 16:
		track(orders.TrackReturned, "快件已退回", 5*24*time.Hour)
	case roll < 19:
		track(orders.TrackException, "收件人拒收", 3*24*time.Hour)
	default:
		track(orders.TrackSigned, "已签收，签收人：本人", 2*24*time.Hour+time.Duration(rng.Intn(48))*time.Hour)
	}
}
