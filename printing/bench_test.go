package printing

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// The benchmarks compare the design of the package, one warm browser with
// reused tabs, with the naive alternative, a new browser for each label.
// Each prints one "bench: <name> <value> <unit>" line for the project's
// benchmark log. They use b.Loop, so each benchmark function runs once and
// the line is printed once.

// benchLogger drops the renderer's log; a browser start per cold label would
// drown the benchmark output.
var benchLogger = slog.New(slog.DiscardHandler)

// msPerOp is the average time of one operation in milliseconds.
func msPerOp(d time.Duration, n int) float64 {
	return float64(d) / float64(time.Millisecond) / float64(max(n, 1))
}

// BenchmarkRenderPDFWarm renders the test label again and again on one warm
// Renderer: the steady state of a print queue.
func BenchmarkRenderPDFWarm(b *testing.B) {
	r := newTestRenderer(b, Options{Logger: benchLogger})
	ctx := context.Background()
	html := testLabel(b, labelParts{PageCSS: pageCSS100x180})
	if err := r.Start(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := r.PDF(ctx, html, Size100x180); err != nil {
			b.Fatal(err)
		}
	}
	ms := msPerOp(b.Elapsed(), b.N)
	b.ReportMetric(ms, "ms/label")
	fmt.Printf("bench: render_pdf_warm_ms %.1f ms/label\n", ms)
}

// BenchmarkRenderPNGWarm is BenchmarkRenderPDFWarm for the 203-dpi PNG.
func BenchmarkRenderPNGWarm(b *testing.B) {
	r := newTestRenderer(b, Options{Logger: benchLogger})
	ctx := context.Background()
	html := testLabel(b, labelParts{PageCSS: pageCSS100x180})
	if err := r.Start(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := r.PNG(ctx, html, Size100x180, 203); err != nil {
			b.Fatal(err)
		}
	}
	ms := msPerOp(b.Elapsed(), b.N)
	b.ReportMetric(ms, "ms/label")
	fmt.Printf("bench: render_png_warm_ms %.1f ms/label\n", ms)
}

// BenchmarkRenderPDFCold renders each label with a new browser: start,
// render, stop, as a program that shells out per label would.
func BenchmarkRenderPDFCold(b *testing.B) {
	if _, err := FindBrowser(); err != nil {
		b.Fatalf("the benchmarks need a browser: %v", err)
	}
	ctx := context.Background()
	html := testLabel(b, labelParts{PageCSS: pageCSS100x180})
	for b.Loop() {
		coldPDF(b, ctx, html)
	}
	ms := msPerOp(b.Elapsed(), b.N)
	b.ReportMetric(ms, "ms/label")
	fmt.Printf("bench: render_pdf_cold_ms %.1f ms/label\n", ms)
}

// coldPDF renders one label on a browser of its own.
func coldPDF(b *testing.B, ctx context.Context, html string) {
	r := NewRenderer(Options{Logger: benchLogger})
	defer r.Close()
	if _, err := r.PDF(ctx, html, Size100x180); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRenderPDFSpeedup times warm and cold renders side by side, under
// the same machine load, and reports how many times faster the warm renderer
// is.
func BenchmarkRenderPDFSpeedup(b *testing.B) {
	if _, err := FindBrowser(); err != nil {
		b.Fatalf("the benchmarks need a browser: %v", err)
	}
	const warmN, coldN = 40, 5
	ctx := context.Background()
	html := testLabel(b, labelParts{PageCSS: pageCSS100x180})
	var warm, cold time.Duration
	var rounds int
	for b.Loop() {
		r := NewRenderer(Options{Logger: benchLogger})
		if err := r.Start(ctx); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for range warmN {
			if _, err := r.PDF(ctx, html, Size100x180); err != nil {
				b.Fatal(err)
			}
		}
		warm += time.Since(t0)
		r.Close()

		t0 = time.Now()
		for range coldN {
			coldPDF(b, ctx, html)
		}
		cold += time.Since(t0)
		rounds++
	}
	warmMS := msPerOp(warm, warmN*rounds)
	coldMS := msPerOp(cold, coldN*rounds)
	speedup := coldMS / warmMS
	b.ReportMetric(warmMS, "warm-ms/label")
	b.ReportMetric(coldMS, "cold-ms/label")
	b.ReportMetric(speedup, "x")
	// Not the "times the naive way" (that is the print queue's
	// pdf_vs_naive_speedup, against the browser's own --print-to-pdf): one
	// warm tab against a chromedp browser started per label.
	fmt.Printf("bench: render_pdf_warm_1tab_vs_cold_browser %.1f x\n", speedup)
}

// BenchmarkLabelScan times the scan every render makes of a label (inspect:
// for script and for what it loads) on the sandbox's SF label, beside the naive
// way: one case-insensitive regexp each, which Go runs with its slowest
// engine over the whole label.
func BenchmarkLabelScan(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("..", "wxapi", "sandbox", "testdata", "sf-sf-two-part.golden.html"))
	if err != nil {
		b.Fatal(err)
	}
	html := string(raw)
	naiveScript := regexp.MustCompile(`(?i)<[a-z-]*(script|frame|object|embed|portal)|http-equiv|javascript:|\bon[a-z]+\s*=`)
	naiveLoad := regexp.MustCompile(`(?i)<[a-z-]*(img|image|link|frame|object|embed|video|audio|source|picture|input|use|script|portal)\b|url\s*\(|@import|@font-face|\bsrc(set)?\s*=|\bon[a-z]+\s*=|http-equiv`)
	timeIt := func(scan func() bool) float64 {
		const n = 50
		begin := time.Now()
		for range n {
			if scan() {
				b.Fatal("the SF label is seen as having script or loads")
			}
		}
		return float64(time.Since(begin)) / float64(time.Microsecond) / n
	}
	var ours, naive float64
	for b.Loop() {
		ours = timeIt(func() bool { lt := inspect(html); return lt.script || lt.loads })
		naive = timeIt(func() bool { return naiveScript.MatchString(html) || naiveLoad.MatchString(html) })
	}
	b.ReportMetric(ours, "us/label")
	b.ReportMetric(naive/ours, "x-faster")
	fmt.Printf("bench: label_scan_us %.1f us/label\n", ours)
	fmt.Printf("bench: label_scan_naive_us %.1f us/label\n", naive)
	fmt.Printf("bench: label_scan_speedup %.1f x\n", naive/ours)
}
