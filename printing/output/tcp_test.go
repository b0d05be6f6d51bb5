package output

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/printing/thermal"
)

// testJobs are real jobs in each printer language, for a 100 x 30 mm label.
func testJobs(t *testing.T) map[string][]byte {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 1))
	bm := thermal.NewBitmap(799, 240)
	for y := 0; y < bm.Height; y++ {
		for x := 0; x < bm.Width; x++ {
			bm.Set(x, y, r.IntN(3) == 0)
		}
	}
	job := thermal.Job{DPI: 203, Copies: 1, GapMM: 2}
	jobs := map[string][]byte{}
	var err error
	if jobs["tspl"], err = thermal.EncodeTSPL(bm, job); err != nil {
		t.Fatal(err)
	}
	if jobs["zpl"], err = thermal.EncodeZPL(bm, job, thermal.ZPLOptions{Form: thermal.ZPLZ64}); err != nil {
		t.Fatal(err)
	}
	if jobs["escpos"], err = thermal.EncodeESCPOS(bm, job, thermal.ESCPOSOptions{Cut: true}); err != nil {
		t.Fatal(err)
	}
	return jobs
}

// testPrinter is a loopback TCP listener standing in for a printer; handle
// decides what the "printer" does with each connection.
type testPrinter struct {
	addr string
	ln   net.Listener
	wg   sync.WaitGroup
}

func newTestPrinter(t *testing.T, handle func(net.Conn)) *testPrinter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testPrinter{addr: ln.Addr().String(), ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
	})
	return p
}

// receiver is a printer that reads each job to the end, closes, and
// passes it on.
func receiver(t *testing.T) (*testPrinter, <-chan []byte) {
	jobs := make(chan []byte, 10)
	p := newTestPrinter(t, func(c net.Conn) {
		defer c.Close()
		data, _ := io.ReadAll(c)
		jobs <- data
	})
	return p, jobs
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestRawTCPDeliversEachLanguage(t *testing.T) {
	p, got := receiver(t)
	for name, job := range testJobs(t) {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			if err := (RawTCP{Addr: p.addr}).Send(testCtx(t, 10*time.Second), job, "waybill SF1"); err != nil {
				t.Fatal(err)
			}
			data := <-got
			if !bytes.Equal(data, job) {
				t.Fatalf("printer got %d bytes, not the %d sent", len(data), len(job))
			}
			t.Logf("%s: %d bytes in %v", name, len(job), time.Since(start).Round(time.Microsecond))
		})
	}
}

func TestRawTCPLargeJob(t *testing.T) {
	p, got := receiver(t)
	job := bytes.Repeat([]byte("^XA^FO0,0^GFA,4,4,1,FFFFFFFF^FS^XZ\n"), 100_000) // 3.5 MB
	if err := (RawTCP{Addr: p.addr}).Send(testCtx(t, 20*time.Second), job, ""); err != nil {
		t.Fatal(err)
	}
	if data := <-got; !bytes.Equal(data, job) {
		t.Fatalf("printer got %d bytes, not the %d sent", len(data), len(job))
	}
}

func TestRawTCPDefaultPort(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.5":       "10.0.0.5:9100",
		"10.0.0.5:6101":  "10.0.0.5:6101",
		"printer.lan":    "printer.lan:9100",
		"::1":            "[::1]:9100",
		"[fe80::1]:9100": "[fe80::1]:9100",
	} {
		if got := (RawTCP{Addr: in}).addr(); got != want {
			t.Errorf("addr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRawTCPRefused(t *testing.T) {
	addr := closedPort(t)
	err := RawTCP{Addr: addr}.Send(testCtx(t, 5*time.Second), []byte("^XA^XZ"), "")
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
	if want := "printer " + addr + " refused the connection"; !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %q, want it to say %q", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Printer != addr {
		t.Fatalf("err is not an *Error naming the printer: %#v", err)
	}
}

// TestRawTCPClosedMidJob: the printer reads 4096 bytes and hangs up. A big
// job fails while it is written; a small one, already in the socket buffers
// when the printer hangs up, fails on the reset that follows. Both must be
// errors: a label that was cut off must not count as printed.
func TestRawTCPClosedMidJob(t *testing.T) {
	const n = 4096
	p := newTestPrinter(t, func(c net.Conn) {
		io.ReadFull(c, make([]byte, n))
		c.Close()
	})
	for _, size := range []int{8 << 20, 10_000} {
		job := bytes.Repeat([]byte{0xAA}, size)
		err := RawTCP{Addr: p.addr, CloseWait: 5 * time.Second}.Send(testCtx(t, 20*time.Second), job, "")
		if !errors.Is(err, ErrIncomplete) {
			t.Fatalf("%d bytes: err = %v, want ErrIncomplete", size, err)
		}
		t.Logf("%d bytes: %v", size, err)
		if size > 1<<20 && !regexpMatch(`connection to printer .* closed after \d+ of 8388608 bytes`, err.Error()) {
			t.Fatalf("err = %q, want 'closed after N of 8388608 bytes'", err)
		}
	}
}

// TestRawTCPStalledPrinter: the printer accepts but never reads (paper out
// with a full buffer). Send must give up at its timeout and say how far it got.
func TestRawTCPStalledPrinter(t *testing.T) {
	release := make(chan struct{})
	p := newTestPrinter(t, func(c net.Conn) {
		<-release
		c.Close()
	})
	defer close(release)
	job := bytes.Repeat([]byte{0x55}, 64<<20)
	start := time.Now()
	err := RawTCP{Addr: p.addr, Timeout: 500 * time.Millisecond}.Send(context.Background(), job, "")
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("gave up after %v, want about 0.5 s", d)
	}
	if !regexpMatch(`stopped taking data after \d+ of 67108864 bytes`, err.Error()) {
		t.Fatalf("err = %q", err)
	}
}

func TestRawTCPCancelled(t *testing.T) {
	release := make(chan struct{})
	p := newTestPrinter(t, func(c net.Conn) {
		<-release
		c.Close()
	})
	defer close(release)
	job := bytes.Repeat([]byte{1}, 64<<20) // more than socket buffers hold
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	err := RawTCP{Addr: p.addr}.Send(ctx, job, "")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled after") {
		t.Fatalf("err = %v, want a cancellation saying how far it got", err)
	}
}

// TestRawTCPPrinterKeepsConnection: many printers read the job and never
// close; Send must succeed after CloseWait.
func TestRawTCPPrinterKeepsConnection(t *testing.T) {
	got := make(chan []byte, 1)
	release := make(chan struct{})
	p := newTestPrinter(t, func(c net.Conn) {
		data, _ := io.ReadAll(c) // ends at our half-close
		got <- data
		<-release
		c.Close()
	})
	defer close(release)
	job := []byte("SIZE 100 mm,180 mm\r\nCLS\r\nPRINT 1,1\r\n")
	start := time.Now()
	if err := (RawTCP{Addr: p.addr, CloseWait: 300 * time.Millisecond}).Send(testCtx(t, 5*time.Second), job, ""); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
		t.Fatalf("took %v, want about the 300 ms close wait", d)
	}
	if !bytes.Equal(<-got, job) {
		t.Fatal("printer got other bytes")
	}
}

// TestRawTCPPrinterAnswers: a printer that sends status bytes back and
// closes; the answer is read and dropped.
func TestRawTCPPrinterAnswers(t *testing.T) {
	p := newTestPrinter(t, func(c net.Conn) {
		io.ReadAll(c)
		c.Write([]byte("\x02030,0,0,0832,000,0,0,0,000,0,0,0\x03\r\n"))
		c.Close()
	})
	if err := (RawTCP{Addr: p.addr}).Send(testCtx(t, 5*time.Second), []byte("~HS"), ""); err != nil {
		t.Fatal(err)
	}
}

func TestRawTCPStatus(t *testing.T) {
	p, _ := receiver(t)
	st, err := RawTCP{Addr: p.addr}.Status(testCtx(t, 5*time.Second))
	if err != nil || st.Condition != Ready || !st.CanPrint() {
		t.Fatalf("status = %v, %v; want ready", st, err)
	}
	addr := closedPort(t)
	st, err = RawTCP{Addr: addr}.Status(testCtx(t, 5*time.Second))
	if !errors.Is(err, ErrRefused) || st.Condition != Offline || st.CanPrint() {
		t.Fatalf("status of a closed port = %v, %v; want offline, ErrRefused", st, err)
	}
	if !strings.Contains(st.String(), "offline (printer "+addr+" refused the connection") {
		t.Fatalf("state reads %q", st)
	}
}

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}
