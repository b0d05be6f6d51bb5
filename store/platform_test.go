package store

import (
	"context"
	"errors"
	"testing"
)

func TestAHistoryBelongsToOnePlatform(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if p, err := db.Platform(ctx); err != nil || p != "" {
		t.Fatalf("a new history belongs to %q (%v)", p, err)
	}
	if err := db.ClaimPlatform(ctx, PlatformSandbox); err != nil {
		t.Fatal(err)
	}
	if err := db.ClaimPlatform(ctx, PlatformSandbox); err != nil {
		t.Fatalf("claiming it again for the same platform: %v", err)
	}
	err := db.ClaimPlatform(ctx, WeChatPlatform("wx5e1f2a3b4c5d6e7f"))
	var pe *PlatformError
	if !errors.As(err, &pe) || !errors.Is(err, ErrOtherPlatform) || pe.Have != PlatformSandbox {
		t.Fatalf("claim by WeChat of a sandbox history: %v", err)
	}
	if p, _ := db.Platform(ctx); p != PlatformSandbox {
		t.Fatalf("after a refused claim the history belongs to %q", p)
	}
}

func TestPrintersAreCopiedOnlyIntoAHistoryWithout(t *testing.T) {
	ctx := context.Background()
	from, to := openTemp(t), openTemp(t)
	for _, name := range []string{"打包台1", "打包台2"} {
		if err := from.CreatePrinter(ctx, &Printer{Name: name, Kind: "raw", Address: "127.0.0.1:9100", Language: "tspl", DPI: 203,
			WidthMM: 100, HeightMM: 180, Couriers: []string{"SF"}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := to.CopyPrintersFrom(ctx, from); err != nil || n != 2 {
		t.Fatalf("copied %d: %v", n, err)
	}
	if got, _ := to.CourierPrinter(ctx, "SF"); got == "" {
		t.Fatal("the courier's default printer was not copied")
	}
	from.CreatePrinter(ctx, &Printer{Name: "新打印机", Kind: "raw", Address: "127.0.0.1:9101", Language: "zpl", DPI: 203, WidthMM: 100, HeightMM: 150})
	if n, err := to.CopyPrintersFrom(ctx, from); err != nil || n != 0 {
		t.Fatalf("a history with printers got %d more: %v", n, err)
	}
}
