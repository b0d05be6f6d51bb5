package printing

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer for a logger that several goroutines use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDialogsDismissed: a label that calls alert(), confirm() and prompt()
// prints at once (it used to hold the tab for the whole timeout), sees
// Cancel as the answers, and the log names the dialogs.
func TestDialogsDismissed(t *testing.T) {
	var logBuf syncBuffer
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(&logBuf, tlogWriter{t}), &slog.HandlerOptions{Level: slog.LevelInfo}))
	r := newTestRenderer(t, Options{Logger: logger})
	ctx := testCtx(t)
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	html := testLabel(t, labelParts{PageCSS: pageCSS100x180, Body: `<p id="answers"></p><script>
alert("运单 SF1234567890123 已生成，请贴在包裹上\n收件人 张三 广东省深圳市南山区 13800138000");
const c = confirm("打印第二份？");
const p = prompt("份数", "1");
for (let i = 0; i < 20; i++) alert("again " + i);
document.getElementById("answers").textContent = "confirm=" + c + " prompt=" + p;
</script>`})

	start := time.Now()
	pdf, err := r.PDF(ctx, html, Size100x180)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the label with 23 dialogs rendered as a PDF in %v", took.Round(time.Millisecond))
	if took > 3*time.Second {
		t.Errorf("render took %v: dialogs must not hold it", took)
	}
	path := writeTemp(t, "dialogs.pdf", pdf)
	if info := pdfinfo(t, path); info.pages != 1 {
		t.Errorf("pages = %d, want 1", info.pages)
	}
	if text := pdftotext(t, path); !strings.Contains(text, "confirm=false prompt=null") {
		t.Errorf("the label did not run on after its dialogs with Cancel as the answers; text:\n%s", text)
	}
	logged := logBuf.String()
	for _, want := range []string{"JavaScript dialogs", "count=23", `alert: \"运单 SF1234567890123 已生成，请贴在包裹上 收件人`, `…\"`, "confirm:", "prompt:"} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log lacks %q:\n%s", want, logged)
		}
	}
	if strings.Contains(logged, "again 5") {
		t.Error("the log lists every dialog of a loop, want the first few")
	}
	if strings.Contains(logged, "13800138000") {
		t.Error("the log holds the whole dialog message, want a short cut")
	}

	start = time.Now()
	if _, err := r.PNG(ctx, html, Size100x180, 203); err != nil {
		t.Fatal(err)
	}
	t.Logf("and as a 203-dpi PNG in %v", time.Since(start).Round(time.Millisecond))
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("PNG render took %v: dialogs must not hold it", d)
	}
}

func TestShortText(t *testing.T) {
	for in, want := range map[string]string{
		"short":                 "short",
		"  two\n lines\t":       "two lines",
		strings.Repeat("收", 45): strings.Repeat("收", 40) + "…",
	} {
		if got := shortText(in, 40); got != want {
			t.Errorf("shortText(%q) = %q, want %q", in, got, want)
		}
	}
}
