package batch

import (
	"context"
	"sync"
)

// gate holds workers back while an import is paused.
type gate struct {
	mu     sync.Mutex
	paused bool
	open   chan struct{} // closed on resume; nil while not paused
}

func (g *gate) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		g.paused, g.open = true, make(chan struct{})
	}
}

func (g *gate) resume() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		g.paused = false
		close(g.open)
	}
}

func (g *gate) isPaused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

// wait returns when the gate is open, or ctx's error when it ends first.
func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	paused, open := g.paused, g.open
	g.mu.Unlock()
	if !paused {
		return ctx.Err()
	}
	select {
	case <-open:
		return ctx.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}
