//go:build unix

package printing

import (
	"syscall"
	"testing"
	"time"
)

// TestHungBrowserIsReplaced: a browser that stopped answering while idle
// (frozen with SIGSTOP here) fails the health check of the next render,
// which then prints on a new browser in a few seconds instead of waiting
// out its deadline.
func TestHungBrowserIsReplaced(t *testing.T) {
	r := newTestRenderer(t, Options{Timeout: 30 * time.Second})
	ctx := testCtx(t)
	label := testLabel(t, labelParts{PageCSS: pageCSS100x180})
	if _, err := r.PDF(ctx, label, Size100x180); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	b := r.cur
	r.healthAfter = 0 // idle long enough: every render checks first
	r.mu.Unlock()
	if err := syscall.Kill(b.pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// A frozen process cannot be stopped gracefully; make sure it goes.
	t.Cleanup(func() { syscall.Kill(b.pid, syscall.SIGKILL) })

	begin := time.Now()
	if _, err := r.PDF(ctx, label, Size100x180); err != nil {
		t.Fatalf("after the browser hung: %v", err)
	}
	took := time.Since(begin)
	r.mu.Lock()
	cur, retired, reason := r.cur, b.retired, b.reason
	r.mu.Unlock()
	if cur == b || !retired || reason != "health check failed" {
		t.Errorf("the hung browser was not replaced: same %v, retired %v (%q)", cur == b, retired, reason)
	}
	if took > healthTimeout+10*time.Second {
		t.Errorf("the label took %v after the browser hung", took)
	}
	t.Logf("printed on a new browser %v after the old one hung", took.Round(time.Millisecond))
}
