package batch

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket shared by an import's workers: rate calls per
// second on average, bursts of at most burst. hold stops everyone until a
// time, for WeChat's per-minute quota: when one call has met 45011 the
// others would only meet it too.
type limiter struct {
	mu        sync.Mutex
	rate      float64
	burst     float64
	tokens    float64
	last      time.Time
	holdUntil time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	if burst < 1 {
		burst = 1
	}
	return &limiter{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// wait takes one token, sleeping until there is one, or returns ctx's error.
func (l *limiter) wait(ctx context.Context) error {
	for {
		d := l.reserve()
		if d == 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// reserve takes a token and returns 0, or returns how long to wait.
func (l *limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Before(l.holdUntil) {
		return l.holdUntil.Sub(now)
	}
	l.tokens += now.Sub(l.last).Seconds() * l.rate
	if l.tokens > l.burst {
		l.tokens = l.burst
	}
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return 0
	}
	return time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
}

// hold keeps every caller of wait waiting until t.
func (l *limiter) hold(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.holdUntil) {
		l.holdUntil = t
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
