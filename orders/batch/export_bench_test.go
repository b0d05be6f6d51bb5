package batch

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"waybilldesk/store"
)

// benchHistory writes a history of n placed orders, one label each the
// size of a real one (4 kB gzipped), a thousand a day back from now, in
// batches of 5,000 (store.CopyOrders: one transaction per order would time
// the commits, not the export).
func benchHistory(b *testing.B, n int) *store.DB {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "history.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	// Random bytes in base64 compress to about 3/4, as a real label's
	// embedded images and fonts do.
	raw := make([]byte, 4096)
	if _, err := rand.Read(raw); err != nil {
		b.Fatal(err)
	}
	label := base64.StdEncoding.EncodeToString([]byte("<html><body>" + base64.StdEncoding.EncodeToString(raw) + "</body></html>"))
	now := time.Now()
	const batchSize = 5000
	list := make([]store.Order, 0, batchSize)
	for i := range n {
		list = append(list, store.Order{OrderID: fmt.Sprintf("EXP%08d", i), DeliveryID: "ZTO", BizID: "SANDBOX_ZTO",
			ServiceName: "标准快件", Status: store.StatusPlaced, WaybillID: fmt.Sprintf("7312%011d", i), PrintHTML: label,
			Request: json.RawMessage(`{"order_id":"` + fmt.Sprintf("EXP%08d", i) + `"}`), ReceiverName: fmt.Sprintf("收件人%d", i%997),
			ReceiverPhone: fmt.Sprintf("138%08d", i), ReceiverCity: "杭州市", TrackStatus: "signed", TrackTime: now.Add(-time.Duration(i) * 86 * time.Second),
			TrackMsg: "已签收，签收人：本人", CreatedAt: now.Add(-time.Duration(i) * 86400 * time.Millisecond)})
		if len(list) == batchSize || i == n-1 {
			if err := db.CopyOrders(ctx, list); err != nil {
				b.Fatal(err)
			}
			list = list[:0]
		}
	}
	return db
}

// BenchmarkExportCSV exports histories of 10,000 and 100,000 orders with
// labels to CSV and prints the rows per second and the most heap in use
// ("bench:" lines): the rate stays and the heap does not grow with the
// rows, since the export streams (a keyset walk, a row written as read).
func BenchmarkExportCSV(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"10k", 10_000}, {"100k", 100_000}} {
		b.Run(size.name, func(b *testing.B) {
			benchExport(b, benchHistory(b, size.n), size.n, FormatCSV, "export_csv", size.name)
		})
	}
}

// BenchmarkExportXLSX100k is BenchmarkExportCSV's 100,000 orders to XLSX,
// whose stream writer keeps at most 16 MB of sheet in memory.
func BenchmarkExportXLSX100k(b *testing.B) {
	benchExport(b, benchHistory(b, 100_000), 100_000, FormatXLSX, "export_xlsx", "100k")
}

// benchExport times the export of the whole history and prints its bench
// lines.
func benchExport(b *testing.B, db *store.DB, n int, format Format, metric, size string) {
	ctx := context.Background()
	var peak uint64
	for b.Loop() {
		runtime.GC()
		stop := sampleHeap()
		got, err := Export(ctx, db, store.OrderQuery{}, format, io.Discard)
		p, _ := stop()
		if err != nil || got != n {
			b.Fatalf("exported %d of %d: %v", got, n, err)
		}
		peak = max(peak, p)
	}
	perS := float64(n) * float64(max(b.N, 1)) / b.Elapsed().Seconds()
	b.ReportMetric(perS, "rows/s")
	fmt.Printf("bench: %s_rows_per_s_%s %.0f rows/s\n", metric, size, perS)
	fmt.Printf("bench: %s_heap_%s %d MB\n", metric, size, peak>>20)
}
