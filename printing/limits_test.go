package printing

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHTMLTooLarge: a label over MaxHTMLBytes fails with an error that says
// its size and the cap, before any browser starts; a label at the cap is
// taken.
func TestHTMLTooLarge(t *testing.T) {
	r := NewRenderer(Options{BrowserPath: "/nonexistent/browser", Logger: testLogger(t)})
	defer r.Close()
	ctx := testCtx(t)
	huge := "<p>" + strings.Repeat("收", MaxHTMLBytes/3)
	if len(huge) <= MaxHTMLBytes {
		t.Fatalf("test label of %d bytes is not over the cap", len(huge))
	}
	for name, call := range map[string]func() error{
		"pdf": func() error { _, err := r.PDF(ctx, huge, Size100x180); return err },
		"png": func() error { _, err := r.PNG(ctx, huge, Size100x180, 203); return err },
	} {
		err := call()
		if !errors.Is(err, ErrHTMLTooLarge) {
			t.Fatalf("%s: err = %v, want ErrHTMLTooLarge", name, err)
		}
		for _, want := range []string{fmt.Sprintf("2.0 MiB (%d bytes)", len(huge)), "cap of 2.0 MiB (2097152 bytes)"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", name, err, want)
			}
		}
		t.Log(err)
	}
	r.mu.Lock()
	tried := r.starting != nil || r.gen != 0
	r.mu.Unlock()
	if tried {
		t.Error("a too large label started a browser")
	}
	// At the cap the label gets as far as starting the browser.
	atCap := "<p>" + strings.Repeat("a", MaxHTMLBytes-3)
	if _, err := r.PDF(ctx, atCap, Size100x180); errors.Is(err, ErrHTMLTooLarge) || !strings.Contains(err.Error(), "start browser") {
		t.Errorf("a label of exactly MaxHTMLBytes: err = %v, want a failed browser start", err)
	}
}

func TestReadHTMLFile(t *testing.T) {
	t.Run("at the cap", func(t *testing.T) {
		html, err := ReadHTMLFile(writeTemp(t, "cap.html", []byte(strings.Repeat("a", MaxHTMLBytes))))
		if err != nil || len(html) != MaxHTMLBytes {
			t.Fatalf("got %d bytes, %v; want %d bytes", len(html), err, MaxHTMLBytes)
		}
	})
	t.Run("over the cap", func(t *testing.T) {
		path := writeTemp(t, "big.html", []byte(strings.Repeat("a", 3<<20)))
		_, err := ReadHTMLFile(path)
		if !errors.Is(err, ErrHTMLTooLarge) {
			t.Fatalf("err = %v, want ErrHTMLTooLarge", err)
		}
		for _, want := range []string{path, "3.0 MiB (3145728 bytes)", "cap of 2.0 MiB (2097152 bytes)"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		t.Log(err)
	})
	t.Run("/dev/zero", func(t *testing.T) {
		if _, err := os.Stat("/dev/zero"); err != nil {
			t.Skip("no /dev/zero on this system")
		}
		start := time.Now()
		_, err := ReadHTMLFile("/dev/zero")
		if !errors.Is(err, ErrHTMLTooLarge) || !strings.Contains(err.Error(), "more than 2097152 bytes") {
			t.Fatalf("err = %v, want ErrHTMLTooLarge, more than 2097152 bytes", err)
		}
		t.Logf("failed in %v: %v", time.Since(start).Round(time.Millisecond), err)
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := ReadHTMLFile("/nonexistent/label.html"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want os.ErrNotExist", err)
		}
	})
}
