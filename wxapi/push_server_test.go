package wxapi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serve runs h through NewPushServer on a loopback listener.
func serve(t *testing.T, h http.Handler, l ServerLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewPushServer(h, l, nil)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestPushServerRefusesLargeBodies: a body over the limit is answered 413
// "too large" and nothing is delivered, announced or chunked, on the push
// path and on any other.
func TestPushServerRefusesLargeBodies(t *testing.T) {
	const token = "pushtoken"
	now := time.Now()
	h := &PushHandler{Crypto: &PushCrypto{Token: token}, MaxBody: 4096}
	_, got, _ := pushServerWith(t, h, now)
	addr := serve(t, h, ServerLimits{MaxBody: 8192})
	ts := now.Unix()
	body := fixture(t, "add_express_path.event.json")
	big := append(bytes.Repeat([]byte(" "), 5000), body...) // valid JSON, over the handler's 4 KB
	huge := append(bytes.Repeat([]byte(" "), 20000), body...)
	for i, tc := range []struct {
		name string
		body io.Reader
	}{
		{"announced, over the handler's limit", bytes.NewReader(big)},
		{"announced, over the server's limit", bytes.NewReader(huge)},
		{"chunked, over the handler's limit", io.MultiReader(bytes.NewReader(big))},
		{"chunked, over the server's limit", io.MultiReader(bytes.NewReader(huge))},
	} {
		nonce := "big" + string(rune('a'+i))
		q := plainQuery(token, itoa(ts), nonce)
		resp, err := http.Post("http://"+addr+"/?"+q.Encode(), "application/json", tc.body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(answer), "too large") {
			t.Errorf("%s: %d %q", tc.name, resp.StatusCode, answer)
		}
	}
	noDelivery(t, got, "oversized pushes")
	if n := h.Remembered(); n != 0 {
		t.Errorf("oversized pushes left %d nonces", n)
	}
	resp, err := http.Post("http://"+addr+"/elsewhere", "text/plain", bytes.NewReader(huge))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("large body on another path: %d", resp.StatusCode)
	}
	// Within the limit it goes through.
	q := plainQuery(token, itoa(ts), "small")
	resp, err = http.Post("http://"+addr+"/?"+q.Encode(), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("push within the limit: %d", resp.StatusCode)
	}
	<-got
}

// TestPushServerTimeouts: a client that never finishes its headers, and
// a kept-alive connection left idle, are closed by the server.
func TestPushServerTimeouts(t *testing.T) {
	h := &PushHandler{Crypto: &PushCrypto{Token: "t"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	addr := serve(t, h, ServerLimits{ReadHeaderTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond})

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "POST / HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	if err := closedWithin(slow, 3*time.Second); err != nil {
		t.Fatalf("slow headers: %v", err)
	}

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /?timestamp=1 HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err := closedWithin(idle, 3*time.Second); err != nil {
		t.Fatalf("idle connection: %v", err)
	}
}

// closedWithin waits for the server to close c.
func closedWithin(c net.Conn, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return errors.New("still open")
		}
		if err != nil {
			return nil
		}
	}
}

func TestServerLimitsDefaults(t *testing.T) {
	l := ServerLimits{WriteTimeout: time.Second}.WithDefaults()
	if l.WriteTimeout != time.Second || l.ReadHeaderTimeout <= 0 || l.ReadTimeout <= 0 || l.IdleTimeout <= 0 ||
		l.MaxHeaderBytes <= 0 || l.MaxBody != DefaultMaxPushBody {
		t.Fatalf("limits %+v", l)
	}
	srv := NewPushServer(http.NotFoundHandler(), ServerLimits{}, nil)
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("server without a timeout: %+v", srv)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
