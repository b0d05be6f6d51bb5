package batch

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// exportWorkbook is a shop export of n orders the way back-ends stream
// them out: 18 columns, inline strings, phones and amounts as numbers. For
// 100,000 orders it is a 7.8 MB file holding 99 MB of sheet XML.
func exportWorkbook(tb testing.TB, n int) []byte {
	head := []string{"订单编号", "买家会员名", "收货人姓名", "联系手机", "省", "市", "区", "街道", "详细地址", "宝贝标题",
		"宝贝总数量", "重量", "买家留言", "卖家备注", "订单创建时间", "订单状态", "实付金额", "店铺名称"}
	inline := func(w io.Writer, col, row int, s string) {
		fmt.Fprintf(w, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, columnLetter(col), row, s)
	}
	number := func(w io.Writer, col, row int, v any) {
		fmt.Fprintf(w, `<c r="%s%d"><v>%v</v></c>`, columnLetter(col), row, v)
	}
	return streamedWorkbook(tb, func(w io.Writer) {
		io.WriteString(w, `<sheetData><row r="1">`)
		for i, h := range head {
			inline(w, i, 1, h)
		}
		io.WriteString(w, `</row>`)
		for i := 1; i <= n; i++ {
			r := i + 1
			fmt.Fprintf(w, `<row r="%d">`, r)
			for c, s := range []string{fmt.Sprintf("TB%013d", i), fmt.Sprintf("buyer_%d", i), fmt.Sprintf("收件人%d", i)} {
				inline(w, c, r, s)
			}
			number(w, 3, r, 13800000000+i)
			for c, s := range []string{"浙江省", "杭州市", "西湖区", "文新街道", fmt.Sprintf("文三路%d号%d室", i%999, i%97), "西湖龙井 250g 明前特级"} {
				inline(w, 4+c, r, s)
			}
			number(w, 10, r, 1+i%3)
			number(w, 11, r, 1.2)
			for c, s := range []string{"易碎 轻放", "2026-11-22 15:04:05", "待发货"} {
				inline(w, 13+c, r, s)
			}
			number(w, 16, r, 168)
			inline(w, 17, r, "茶叶小店")
			io.WriteString(w, `</row>`)
		}
		io.WriteString(w, `</sheetData>`)
	}, nil)
}

// BenchmarkReadXLSX100kRows reads every row of a 100,000-order export
// with the streaming reader and prints the time and the most heap in use
// ("bench:" lines for the project's benchmark log). The rows are read, not
// built into orders: that is the part the reader is responsible for.
func BenchmarkReadXLSX100kRows(b *testing.B) {
	data := exportWorkbook(b, 100_000)
	var peak uint64
	rows := 0
	for b.Loop() {
		stop := sampleHeap()
		rows = countRows(b, data)
		p, _ := stop()
		peak = max(peak, p)
	}
	if rows != 100_001 {
		b.Fatalf("read %d rows, want 100001", rows)
	}
	ms := float64(b.Elapsed()) / float64(time.Millisecond) / float64(max(b.N, 1))
	b.ReportMetric(ms, "ms/file")
	fmt.Printf("bench: import_xlsx_100k_rows %.0f ms\n", ms)
	fmt.Printf("bench: import_xlsx_100k_rows_heap %d MB\n", peak>>20)
}

// countRows reads a workbook's rows and counts them.
func countRows(tb testing.TB, data []byte) int {
	src, err := openXLSX(data, "")
	if err != nil {
		tb.Fatal(err)
	}
	defer src.close()
	n := 0
	for {
		_, err := src.next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}
