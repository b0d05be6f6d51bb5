package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"waybilldesk/wxapi"
	"waybilldesk/wxapi/sandbox"
)

// The history benchmarks run on one million orders (override with
// WAYBILLDESK_BENCH_ORDERS), the size of a busy station's few years.

var (
	benchOnce sync.Once
	benchDB   *DB
	benchRows []benchRow
	benchErr  error
)

type benchRow struct{ orderID, waybill, name, phone string }

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏浩宇子轩梓涵一诺欣怡博文思远晓梦雨")
)

func benchOrders() int {
	if n, err := strconv.Atoi(os.Getenv("WAYBILLDESK_BENCH_ORDERS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// openBenchDB builds the big history once per run, in large transactions
// through the same indexing the app uses.
func openBenchDB(b *testing.B) (*DB, []benchRow) {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "waybilldesk-bench-")
		if err != nil {
			benchErr = err
			return
		}
		ctx := context.Background()
		db, err := Open(ctx, filepath.Join(dir, "history.db"))
		if err != nil {
			benchErr = err
			return
		}
		n := benchOrders()
		// Building is not what is measured: skip fsyncs and give the
		// random index inserts a cache big enough for them.
		db.sql.ExecContext(ctx, "PRAGMA synchronous = OFF")
		db.sql.ExecContext(ctx, "PRAGMA cache_size = -524288")
		rng := rand.New(rand.NewSource(42))
		start := time.Now()
		base := time.Date(2024, 11, 1, 0, 0, 0, 0, time.Local)
		const batch = 20000
		for i := 0; i < n; i += batch {
			tx, err := db.sql.BeginTx(ctx, nil)
			if err != nil {
				benchErr = err
				return
			}
			stmt, _ := tx.PrepareContext(ctx, `INSERT INTO orders (`+insertColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
			for j := i; j < i+batch && j < n; j++ {
				r := benchRow{
					orderID: fmt.Sprintf("WD%012d", j),
					waybill: fmt.Sprintf("YT%013d", rng.Int63n(1e13)),
					name:    string(surnames[rng.Intn(len(surnames))]) + string(given[rng.Intn(len(given))]) + string(given[rng.Intn(len(given))]),
					phone:   fmt.Sprintf("1%d%09d", 3+rng.Intn(7), rng.Intn(1e9)),
				}
				benchRows = append(benchRows, r)
				at := base.Add(time.Duration(j) * 63 * time.Second).UnixMilli()
				req := `{"order_id":"` + r.orderID + `","delivery_id":"YTO","receiver":{"name":"` + r.name + `","mobile":"` + r.phone + `","province":"浙江省","city":"杭州市","area":"西湖区","address":"文三路398号"}}`
				res, err := stmt.ExecContext(ctx, r.orderID, "YTO", "SANDBOX_YTO", 0, "普通快递", StatusPlaced, r.waybill,
					`[{"key":"bagAddr","value":"杭州"}]`, "", req, r.name, r.phone, "杭州市", 0, "", at, at)
				if err != nil {
					benchErr = err
					return
				}
				id, _ := res.LastInsertId()
				if err := indexOrder(ctx, tx, id, r.name, r.phone); err != nil {
					benchErr = err
					return
				}
			}
			stmt.Close()
			if err := tx.Commit(); err != nil {
				benchErr = err
				return
			}
		}
		db.sql.ExecContext(ctx, "PRAGMA synchronous = NORMAL")
		db.sql.ExecContext(ctx, "PRAGMA cache_size = -65536")
		db.sql.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		db.sql.ExecContext(ctx, "ANALYZE")
		info, _ := os.Stat(db.path)
		perOrder := float64(info.Size()) / float64(n)
		label := labelBytes(benchRows[:200])
		fmt.Printf("bench: history_orders %d orders\n", n)
		fmt.Printf("bench: history_build_s %.1f s\n", time.Since(start).Seconds())
		fmt.Printf("bench: history_bytes_per_order_without_label %.0f bytes\n", perOrder)
		fmt.Printf("bench: history_label_bytes_per_order %.0f bytes\n", label)
		fmt.Printf("bench: history_bytes_per_order %.0f bytes\n", perOrder+label)
		benchDB = db
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDB, benchRows
}

// labelBytes is the average stored size of the sandbox's two-part SF
// label (what a real print_html weighs) for these receivers. The big
// history is built without labels to keep building fast; a label's bytes
// add to an order's without changing the indexes.
func labelBytes(rows []benchRow) float64 {
	total := 0
	for i, r := range rows {
		html, err := sandbox.RenderLabel(sandbox.LabelData{DeliveryID: "SF", DeliveryName: "顺丰速运", ServiceName: "顺丰标快",
			BizID: "SF_CASH", WaybillID: fmt.Sprintf("SF%013d", i), OrderID: r.orderID, SortingCode: "755W-K01 021", BagAddr: "深圳中转场",
			Sender:   wxapi.Contact{Name: "陈晓明", Mobile: "13800138000", Province: "浙江省", City: "杭州市", Area: "西湖区", Address: "文三路 398 号"},
			Receiver: wxapi.Contact{Name: r.name, Mobile: r.phone, Province: "广东省", City: "广州市", Area: "天河区", Address: fmt.Sprintf("天河北路 %d 号", i)},
			Goods:    []wxapi.CargoDetail{{Name: "西湖龙井 250g", Count: 2}},
			WeightKg: 1.2, PrintTime: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)})
		if err != nil {
			panic(err)
		}
		switch v := packLabel(base64.StdEncoding.EncodeToString([]byte(html))).(type) {
		case []byte:
			total += len(v)
		case string:
			total += len(v)
		}
	}
	return float64(total) / float64(len(rows))
}

// measure runs query for each of b.N inputs and reports the 95th percentile.
func measure(b *testing.B, name string, query func(i int) (int, error)) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		found, err := query(i)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if found == 0 {
			b.Fatalf("%s: query %d found nothing", name, i)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p95 := lat[len(lat)*95/100]
	ms := float64(p95.Microseconds()) / 1000
	b.ReportMetric(ms, "p95-ms")
	if b.N >= 20 {
		fmt.Printf("bench: %s_p95_ms %.2f ms\n", name, ms)
	}
}

func BenchmarkHistorySearch(b *testing.B) {
	db, rows := openBenchDB(b)
	ctx := context.Background()
	pick := func(i int) benchRow { return rows[(i*7919)%len(rows)] }
	search := func(q string) (int, error) {
		l, err := db.ListOrders(ctx, OrderQuery{Search: q, Limit: 50})
		return len(l), err
	}
	b.Run("phone_last4", func(b *testing.B) {
		measure(b, "history_search_phone_last4", func(i int) (int, error) { p := pick(i).phone; return search(p[len(p)-4:]) })
	})
	b.Run("name", func(b *testing.B) {
		measure(b, "history_search_name", func(i int) (int, error) { return search(pick(i).name) })
	})
	b.Run("name_part", func(b *testing.B) {
		measure(b, "history_search_name_part", func(i int) (int, error) { return search(string([]rune(pick(i).name)[1:])) })
	})
	b.Run("waybill", func(b *testing.B) {
		measure(b, "history_search_waybill", func(i int) (int, error) { return search(pick(i).waybill) })
	})
	b.Run("page_first", func(b *testing.B) {
		measure(b, "history_page_first", func(int) (int, error) {
			l, err := db.ListOrders(ctx, OrderQuery{Limit: 200})
			return len(l), err
		})
	})
	b.Run("page_deep", func(b *testing.B) {
		measure(b, "history_page_offset_10000", func(int) (int, error) {
			l, err := db.ListOrders(ctx, OrderQuery{Limit: 200, Offset: 10000})
			return len(l), err
		})
	})
}

// BenchmarkHistorySearchNaive is the reference: the substring scan a
// first version would write (LIKE '%q%' over every row).
func BenchmarkHistorySearchNaive(b *testing.B) {
	db, rows := openBenchDB(b)
	ctx := context.Background()
	var indexed, naive time.Duration
	n := b.N
	if n > 10 {
		n = 10 // each naive query scans the whole table
	}
	for i := 0; i < n; i++ {
		r := rows[(i*104729)%len(rows)]
		q := r.phone[len(r.phone)-4:]
		t0 := time.Now()
		if _, err := db.ListOrders(ctx, OrderQuery{Search: q, Limit: 50}); err != nil {
			b.Fatal(err)
		}
		indexed += time.Since(t0)
		t0 = time.Now()
		like := "%" + q + "%"
		res, err := db.sql.QueryContext(ctx, `SELECT order_id FROM orders WHERE order_id LIKE ? OR waybill_id LIKE ?
			OR receiver_name LIKE ? OR receiver_phone LIKE ? ORDER BY created_at DESC LIMIT 50`, like, like, like, like)
		if err != nil {
			b.Fatal(err)
		}
		for res.Next() {
		}
		res.Close()
		naive += time.Since(t0)
	}
	ratio := float64(naive) / float64(indexed)
	b.ReportMetric(ratio, "x-faster")
	fmt.Printf("bench: history_search_naive_ms %.1f ms\n", float64(naive.Microseconds())/1000/float64(n))
	fmt.Printf("bench: history_search_speedup_vs_naive %.0f x\n", ratio)
}

// BenchmarkPageDuringBackup: the Orders screen's first page while a daily
// backup copies the whole history beside it, against the same page with
// nothing else running: the backup reads through a connection of its own,
// so the operator's queries do not queue behind it.
func BenchmarkPageDuringBackup(b *testing.B) {
	db, _ := openBenchDB(b)
	ctx := context.Background()
	page := func() time.Duration {
		t0 := time.Now()
		if l, err := db.ListOrders(ctx, OrderQuery{Limit: 200}); err != nil || len(l) == 0 {
			b.Fatalf("first page: %d orders, %v", len(l), err)
		}
		return time.Since(t0)
	}
	p95 := func(lat []time.Duration) float64 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return float64(lat[len(lat)*95/100].Microseconds()) / 1000
	}
	var idle []time.Duration
	for i := 0; i < 50; i++ {
		idle = append(idle, page())
	}
	out := filepath.Join(b.TempDir(), "backup.db")
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- db.Backup(ctx, out) }()
	var during []time.Duration
	var took time.Duration
	for took == 0 {
		select {
		case err := <-done:
			if err != nil {
				b.Fatal(err)
			}
			took = time.Since(start)
		default:
			during = append(during, page())
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(during) < 5 {
		b.Fatalf("only %d pages during a %v backup", len(during), took)
	}
	fmt.Printf("bench: history_page_first_idle_p95_ms %.2f ms\n", p95(idle))
	fmt.Printf("bench: history_page_first_during_backup_p95_ms %.2f ms (%d pages over a %.1f s backup)\n", p95(during), len(during), took.Seconds())
}
