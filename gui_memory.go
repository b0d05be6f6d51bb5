package main

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"waybilldesk/desk"
)

// windowCacheKiB is the SQLite page cache the window keeps for the
// history: enough for the pages of the Orders screen and a search, while
// the operating system caches the file itself. The 64 MiB every connection
// opens with filled up within minutes of scrolling and searching a history
// of a million orders (each list row reads its label's overflow pages), and
// stayed in the window's memory all day.
const windowCacheKiB = 8 << 10

// windowGoMemory is the Go runtime's soft memory limit for the window. The
// screens live on about 50 MiB of heap (half of it the CJK fonts Fyne
// loads); by default the collector lets the heap grow to twice that
// before it runs, which on an idle window is memory held for nothing. A
// soft limit makes it collect sooner instead; past it the collector never
// takes more than half the CPU, so a big import is slowed, not stopped.
const windowGoMemory = 96 << 20

// windowMemory bounds what the window holds for as long as it is open. An
// explicit GOMEMLIMIT (support's knob) wins over windowGoMemory.
func windowMemory(ctx context.Context, d *desk.Desk) {
	if err := d.DB.SetCacheSize(ctx, windowCacheKiB); err != nil {
		slog.Warn("history cache not bounded", "err", err)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(windowGoMemory)
	}
	go giveBackMemory(ctx)
}

// giveBackMemory returns the heap the window no longer uses to the system:
// once a few seconds after start (parsing the fonts and drawing the first
// screens leaves tens of megabytes of garbage the runtime would otherwise
// keep for minutes), then every minute while it is open, so that an
// import or an export done an hour ago is not held all day. Each time is
// one collection, milliseconds on a 50 MB heap.
func giveBackMemory(ctx context.Context) {
	wait := memoryFirstReturn
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		debug.FreeOSMemory()
		wait = memoryReturnEvery
	}
}

const (
	memoryFirstReturn = 3 * time.Second
	memoryReturnEvery = time.Minute
)
