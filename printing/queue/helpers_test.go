package queue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/desk"
	"waybilldesk/printing/queue"
	"waybilldesk/printing/thermal"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// testEnv is a desk in sandbox mode (real SQLite, the real sandbox over
// loopback HTTP, the real renderer) with a queue of its own, whose
// heartbeat is fast enough for tests.
type testEnv struct {
	d *desk.Desk
	q *queue.Queue
}

// testOptions are queue options for tests: a quick heartbeat and recovery.
func testOptions(t testing.TB) queue.Options {
	return queue.Options{Logger: testLogger(t), Heartbeat: 100 * time.Millisecond, StaleAfter: time.Second,
		SendTimeout: 10 * time.Second, CUPSWait: 30 * time.Second}
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	return newEnvAt(t, filepath.Join(t.TempDir(), "history.db"))
}

// newEnvAt opens a desk on the history at path; a second one on the same
// path is "the program started again".
func newEnvAt(t testing.TB, path string) *testEnv {
	t.Helper()
	ctx := context.Background()
	d, err := desk.Open(ctx, desk.Config{DBPath: path, Sandbox: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{d: d}
	e.q = queue.New(d.DB, d.Renderer, labelsOf(d), testOptions(t))
	t.Cleanup(func() {
		if err := e.q.Close(); err != nil {
			t.Errorf("close queue: %v", err)
		}
		d.Close()
	})
	return e
}

// labelsOf is the label source desk gives its own queue.
func labelsOf(d *desk.Desk) queue.LabelSource {
	return queue.LabelFunc(func(ctx context.Context, id string) (queue.Label, error) {
		html, o, err := d.Orders.Label(ctx, id)
		if err != nil {
			return queue.Label{}, err
		}
		return queue.Label{OrderID: o.OrderID, WaybillID: o.WaybillID, DeliveryID: o.DeliveryID, HTML: html}, nil
	})
}

// place places the example order in the sandbox and returns it.
func (e *testEnv) place(t testing.TB) *store.Order {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r wxapi.AddOrderRequest
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	o, err := e.d.Orders.Place(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// wait waits for a job to finish, at most a minute.
func (e *testEnv) wait(t testing.TB, q *queue.Queue, id int64) queue.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	j, err := q.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait for job %d: %v", id, err)
	}
	return j
}

// testLogger sends log lines to the test log; a benchmark's are dropped,
// so that its output is its "bench:" lines.
func testLogger(t testing.TB) *slog.Logger {
	if _, ok := t.(*testing.B); ok {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// fakePrinter is a network label printer on loopback: each connection
// with data is one job. It can refuse to take a whole job (cut), as a
// printer that is switched off mid-job does.
type fakePrinter struct {
	addr string
	ln   net.Listener
	wg   sync.WaitGroup

	mu   sync.Mutex
	cut  int      // >0: read this many bytes of each job, then hang up
	jobs [][]byte // complete jobs, in the order they arrived
	cuts int      // jobs cut off
	got  chan struct{}
}

// newFakePrinter listens on addr ("127.0.0.1:0" for any port).
func newFakePrinter(t testing.TB, addr string) *fakePrinter {
	t.Helper()
	ln, err := listenSmallBuffers(addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakePrinter{addr: ln.Addr().String(), ln: ln, got: make(chan struct{}, 1000)}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *fakePrinter) close() {
	p.ln.Close()
	p.wg.Wait()
}

func (p *fakePrinter) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(time.Minute))
			p.mu.Lock()
			cut := p.cut
			p.mu.Unlock()
			if cut > 0 {
				n, _ := io.ReadFull(c, make([]byte, cut))
				if n > 0 {
					p.mu.Lock()
					p.cuts++
					p.mu.Unlock()
				}
				return // hang up with the rest unread: the sender gets a reset
			}
			data, err := io.ReadAll(c)
			if err != nil || len(data) == 0 {
				return // a status probe, or a broken job: not a job
			}
			p.mu.Lock()
			p.jobs = append(p.jobs, data)
			p.mu.Unlock()
			p.got <- struct{}{}
		}()
	}
}

func (p *fakePrinter) setCut(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = n
}

// received returns the complete jobs so far.
func (p *fakePrinter) received() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.jobs...)
}

// waitJobs waits until n complete jobs arrived.
func (p *fakePrinter) waitJobs(t testing.TB, n int) [][]byte {
	t.Helper()
	deadline := time.After(time.Minute)
	for len(p.received()) < n {
		select {
		case <-p.got:
		case <-deadline:
			t.Fatalf("printer %s got %d jobs, want %d", p.addr, len(p.received()), n)
		}
	}
	return p.received()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// decode turns printer data back into the image the printer would print.
func decode(t testing.TB, lang queue.Language, data []byte) *thermal.Bitmap {
	t.Helper()
	var bm *thermal.Bitmap
	var err error
	switch lang {
	case queue.LangTSPL:
		bm, _, err = thermal.DecodeTSPL(data)
	case queue.LangZPL:
		bm, _, err = thermal.DecodeZPL(data)
	case queue.LangESCPOS:
		bm, _, err = thermal.DecodeESCPOS(data)
	default:
		err = fmt.Errorf("no decoder for %s", lang)
	}
	if err != nil {
		t.Fatalf("decode %s: %v", lang, err)
	}
	return bm
}

// writePNG writes an image into dir and returns its path.
func writePNG(t testing.TB, dir, name string, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// requireTool fails (not skips) the test when a program it needs is
// missing: make test installs them.
func requireTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: install the Debian package %s (make setup)", name, pkg)
	}
	return p
}

// zbarimg returns the codes zbarimg reads in an image.
func zbarimg(t testing.TB, path string) []string {
	t.Helper()
	bin := requireTool(t, "zbarimg", "zbar-tools")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--raw", "-q", path).Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 4) { // 4: nothing found
		t.Fatalf("zbarimg %s: %v", path, err)
	}
	var vals []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			vals = append(vals, l)
		}
	}
	return vals
}

// scansAs checks that every code zbarimg reads in the bitmap is want, and
// that it reads at least one.
func scansAs(t testing.TB, dir, name string, bm *thermal.Bitmap, want string) {
	t.Helper()
	p := writePNG(t, dir, name, bm.Image())
	vals := zbarimg(t, p)
	if len(vals) == 0 {
		t.Fatalf("zbarimg read nothing in %s", p)
	}
	for _, v := range vals {
		if v != want {
			t.Fatalf("zbarimg read %q in %s, want only %q", vals, p, want)
		}
	}
}

// popplerBitmap rasterises a PDF with pdftoppm at dpi, as a printer driver
// would, and thresholds it.
func popplerBitmap(t testing.TB, pdfPath string, dpi int) *thermal.Bitmap {
	t.Helper()
	bin := requireTool(t, "pdftoppm", "poppler-utils")
	base := strings.TrimSuffix(pdfPath, ".pdf") + "-poppler"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin, "-r", fmt.Sprint(dpi), "-gray", "-png", "-singlefile", pdfPath, base).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(base + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return thermal.FromImage(img, thermal.RasterOptions{})
}

// match is how well two bitmaps agree at the best shift.
type match struct {
	dx, dy         int
	equal          float64 // share of equal dots
	near           float64 // share of dots whose colour b has within one dot
	blackShared    float64 // black in both / black in either
	blackA, blackB int
}

// compareAligned compares a with b shifted by up to slack dots each way,
// over the area both cover. Chrome's screenshot and poppler antialias
// glyph edges differently, so equality is measured, not demanded.
func compareAligned(a, b *thermal.Bitmap, slack int) match {
	w, h := min(a.Width, b.Width)-2*slack, min(a.Height, b.Height)-2*slack
	best := match{equal: -1}
	for dy := -slack; dy <= slack; dy++ {
		for dx := -slack; dx <= slack; dx++ {
			var same, both, either, na, nb int
			for y := slack; y < slack+h; y++ {
				for x := slack; x < slack+w; x++ {
					pa, pb := a.Black(x, y), b.Black(x+dx, y+dy)
					if pa == pb {
						same++
					}
					if pa && pb {
						both++
					}
					if pa || pb {
						either++
					}
					if pa {
						na++
					}
					if pb {
						nb++
					}
				}
			}
			if m := float64(same) / float64(w*h); m > best.equal {
				best = match{dx: dx, dy: dy, equal: m, blackShared: float64(both) / float64(max(either, 1)), blackA: na, blackB: nb}
			}
		}
	}
	near := 0
	for y := slack; y < slack+h; y++ {
		for x := slack; x < slack+w; x++ {
			pa := a.Black(x, y)
		search:
			for j := -1; j <= 1; j++ {
				for i := -1; i <= 1; i++ {
					if b.Black(x+best.dx+i, y+best.dy+j) == pa {
						near++
						break search
					}
				}
			}
		}
	}
	best.near = float64(near) / float64(w*h)
	return best
}
