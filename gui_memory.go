package main

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"

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
}
