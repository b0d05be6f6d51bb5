package queue_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/boombuler/barcode/code128"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"waybilldesk/printing"
	"waybilldesk/printing/queue"
	"waybilldesk/store"
)

// BenchmarkPrintQueue measures labels per second through the whole print
// pipeline (submit: label lookup and a stored job; claim; render; encode;
// deliver; the state changes and the audit line) on a warm renderer, for
// PDF files and for TSPL to a loopback printer, with 1 tab and with the
// default number of tabs (printing.DefaultTabs: 3 on 2 cores). In the same run it measures two references on the same label:
// the naive way, one chromium-headless-shell --print-to-pdf process per
// label, and a bare chromedp loop (SetDocumentContent + PrintToPDF in one
// warm tab, nothing else). It prints "bench:" lines and the ratios.
//
// It does so for two labels: the e-waybill of a real sandbox SF order
// (names without a prefix), and the lighter test label of package printing
// (printing/testdata, names with "plain_"), on which the renderer's own
// timings were taken.
//
// Targets (2 cores): 40 PDF and 20 TSPL labels/s; 15 times the naive way;
// the 1-tab pipeline within 1.3 times the bare loop's time per label.
func BenchmarkPrintQueue(b *testing.B) {
	browser, err := printing.FindBrowser()
	if err != nil {
		b.Fatalf("the benchmark needs a browser: %v", err)
	}
	e := newEnv(b)
	ctx := context.Background()
	tmpl := e.place(b)
	sf, _, err := e.d.Orders.Label(ctx, tmpl.OrderID)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		benchLabel(b, e, browser, "", tmpl, sf)
		benchLabel(b, e, browser, "plain_", tmpl, plainLabel(b))
	}
}

// benchLabel runs the measurements for one label and prints them with the
// prefix.
func benchLabel(b *testing.B, e *testEnv, browser, prefix string, tmpl *store.Order, html string) {
	const (
		pdfLabels   = 150
		tsplLabels  = 100
		bareLabels  = 100
		naiveLabels = 8 // a process start varies by some 10%: more than 5 steadies the reference
		warmup      = 5
	)
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	o := *tmpl
	o.PrintHTML = base64.StdEncoding.EncodeToString([]byte(html))
	orderIDs := cloneOrders(b, e.d.DB, &o, prefix, 2*(pdfLabels+warmup)+2*(tsplLabels+warmup))
	next := func(n int) []string {
		ids := orderIDs[:n]
		orderIDs = orderIDs[n:]
		return ids
	}
	sink := discardPrinter(b)
	tabs := max(printing.DefaultTabs(), 2)
	report := func(name string, value float64, unit string) {
		fmt.Printf("bench: %s%s %.2f %s\n", prefix, name, value, unit)
	}

	// pipeline pushes n labels through a fresh queue over its own warm
	// renderer and returns labels per second.
	pipeline := func(name string, tabs int, p queue.Printer, n int) float64 {
		r := printing.NewRenderer(printing.Options{Tabs: tabs, Logger: quiet})
		defer r.Close()
		q := queue.New(e.d.DB, r, labelsOf(e.d), queue.Options{Logger: quiet, RenderAhead: tabs})
		defer q.Close()
		p.Name = prefix + p.Name
		if _, err := q.AddPrinter(ctx, p); err != nil {
			b.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			b.Fatal(err)
		}
		run := func(ids []string) time.Duration {
			begin := time.Now()
			jobs := make([]int64, 0, len(ids))
			for _, id := range ids {
				j, err := q.Enqueue(ctx, id, p.Name)
				if err != nil {
					b.Fatal(err)
				}
				jobs = append(jobs, j)
			}
			for _, id := range jobs {
				wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
				j, err := q.Wait(wctx, id)
				cancel()
				if err != nil || j.State != queue.StateDone {
					b.Fatalf("%s: job %+v: %v", name, j, err)
				}
			}
			return time.Since(begin)
		}
		run(next(warmup))
		d := run(next(n))
		rate := float64(n) / d.Seconds()
		report(name, rate, "labels/s")
		report(name+"_ms", msPer(d, n), "ms/label")
		return rate
	}

	bare := bareLoop(b, browser, html, warmup, bareLabels)
	report("bare_chromedp_pdf", 1000/bare, "labels/s")
	report("bare_chromedp_pdf_ms", bare, "ms/label")
	naive := naiveCLI(b, browser, html, naiveLabels)
	report("naive_cli_pdf", 1000/naive, "labels/s")
	report("naive_cli_pdf_ms", naive, "ms/label")

	dir := b.TempDir()
	pdf := func(name string) queue.Printer {
		return queue.Printer{Name: name, Kind: queue.KindPDF, Address: filepath.Join(dir, name)}
	}
	tspl := func(name string) queue.Printer {
		return queue.Printer{Name: name, Kind: queue.KindRaw, Address: sink, Language: queue.LangTSPL, DPI: 203}
	}
	pdf1 := pipeline("queue_pdf_1tab", 1, pdf("pdf1"), pdfLabels)
	pdfN := pipeline(fmt.Sprintf("queue_pdf_%dtabs", tabs), tabs, pdf("pdfN"), pdfLabels)
	pipeline("queue_tspl_1tab", 1, tspl("tspl1"), tsplLabels)
	pipeline(fmt.Sprintf("queue_tspl_%dtabs", tabs), tabs, tspl("tsplN"), tsplLabels)

	report("pdf_vs_naive_speedup", max(pdf1, pdfN)/(1000/naive), "x")
	report("pipeline_vs_bare_ratio", (1000/pdf1)/bare, "x")
}

// plainLabel is the test label of package printing (printing/testdata),
// with its Code 128 barcode.
func plainLabel(b *testing.B) string {
	tmpl, err := template.ParseFiles(filepath.Join("..", "testdata", "label.html.tmpl"))
	if err != nil {
		b.Fatal(err)
	}
	const waybill = "SF1234567890123"
	bc, err := code128.Encode(waybill)
	if err != nil {
		b.Fatal(err)
	}
	var rects strings.Builder
	n := bc.Bounds().Dx()
	for x := 0; x < n; x++ {
		if r, _, _, _ := bc.At(x, 0).RGBA(); r == 0 {
			fmt.Fprintf(&rects, `<rect x="%d" y="0" width="1" height="30"/>`, x+10)
		}
	}
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%gmm" height="15mm" viewBox="0 0 %d 30" `+
		`preserveAspectRatio="none" shape-rendering="crispEdges"><g fill="#000">%s</g></svg>`, float64(n+20)*0.5, n+20, rects.String())
	var buf strings.Builder
	err = tmpl.Execute(&buf, struct{ PageCSS, Head, Body, Waybill, Barcode string }{
		PageCSS: "@page { size: 100mm 180mm; margin: 0; }", Waybill: waybill, Barcode: svg})
	if err != nil {
		b.Fatal(err)
	}
	return buf.String()
}

// cloneOrders stores n placed orders with tmpl's label, so each job of the
// benchmark prints its own order.
func cloneOrders(b *testing.B, db *store.DB, tmpl *store.Order, prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		o := *tmpl
		o.OrderID = fmt.Sprintf("BENCH%s%06d", prefix, i)
		o.WaybillID = fmt.Sprintf("SF9%011d", i)
		o.CreatedAt = time.Time{}
		if err := db.CopyOrder(context.Background(), &o); err != nil {
			b.Fatal(err)
		}
		ids[i] = o.OrderID
	}
	return ids
}

// discardPrinter is a loopback printer that reads every job and closes.
func discardPrinter(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// bareLoop is the reference for rendering alone: one warm tab, the label
// set with SetDocumentContent and printed with PrintToPDF, nothing else.
// It returns milliseconds per label.
func bareLoop(b *testing.B, browser, html string, warmup, n int) float64 {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.DisableGPU)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.Fatal(err)
	}
	one := func() {
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			tree, err := cdp.Call(ctx, t, page.GetFrameTree, cdp.Empty{})
			if err != nil {
				return err
			}
			_, err = cdp.Call(ctx, t, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: html})
			return err
		}))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperSize{Width: 100 / 25.4, Height: 180 / 25.4}),
			chromedp.PDFMargin(0), chromedp.PDFPrintBackground())); err != nil {
			b.Fatal(err)
		}
	}
	for range warmup {
		one()
	}
	begin := time.Now()
	for range n {
		one()
	}
	return msPer(time.Since(begin), n)
}

// naiveCLI is the naive way: a browser process per label with
// --print-to-pdf. It returns milliseconds per label.
func naiveCLI(b *testing.B, browser, html string, n int) float64 {
	dir := b.TempDir()
	in := filepath.Join(dir, "label.html")
	if err := os.WriteFile(in, []byte(html), 0o644); err != nil {
		b.Fatal(err)
	}
	begin := time.Now()
	for i := range n {
		out := filepath.Join(dir, fmt.Sprintf("label-%d.pdf", i))
		profile := filepath.Join(dir, fmt.Sprintf("profile-%d", i))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
			"--user-data-dir="+profile, "--no-pdf-header-footer", "--print-to-pdf="+out, "file://"+in)
		outErr, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			b.Fatalf("%s: %v\n%s", browser, err, outErr)
		}
		if st, err := os.Stat(out); err != nil || st.Size() == 0 {
			b.Fatalf("no PDF from %s: %v", browser, err)
		}
	}
	return msPer(time.Since(begin), n)
}

func msPer(d time.Duration, n int) float64 {
	return float64(d) / float64(time.Millisecond) / float64(max(n, 1))
}
