package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"waybilldesk/store"
	"waybilldesk/wxapi/sandbox"
)

// separateLegacySandbox moves the sandbox's orders out of a history written
// before each history belonged to one platform, when sandbox and real
// orders could share history.db. The embedded sandbox's state (sandbox.db
// beside the history) says which orders it issued: those (with their path,
// print jobs and audit entries) move to history-sandbox.db, the rest stay.
// The copy is written and claimed for the sandbox before anything is
// deleted from the history, so a crash in between leaves every order in
// at least one of the two, and the next start finishes the move.
func (d *Desk) separateLegacySandbox(ctx context.Context, cfg Config) error {
	if have, err := d.main.Platform(ctx); err != nil || have != "" {
		return err
	}
	keys, err := d.main.OrderKeys(ctx)
	if err != nil || len(keys) == 0 {
		return err
	}
	statePath := SandboxDBPath(cfg.DBPath)
	if _, err := os.Stat(statePath); err != nil {
		return nil // no sandbox ever ran here: every order is real
	}
	sb, err := sandbox.Open(ctx, sandbox.Options{DBPath: statePath, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("read the sandbox's orders: %w", err)
	}
	issued, err := sb.Issued(ctx)
	sb.Close()
	if err != nil {
		return fmt.Errorf("read the sandbox's orders: %w", err)
	}
	var sandboxIDs, realIDs []string
	for id, wb := range keys {
		if w, ok := issued[id]; ok && (wb == "" || wb == w) {
			sandboxIDs = append(sandboxIDs, id)
		} else {
			realIDs = append(realIDs, id)
		}
	}
	if len(sandboxIDs) == 0 {
		return nil
	}
	target := SandboxHistoryPath(cfg.DBPath)
	if _, err := os.Stat(target); errors.Is(err, os.ErrNotExist) {
		if err := d.writeSandboxCopy(ctx, target, realIDs); err != nil {
			return err
		}
	}
	// The sandbox history has them: remove from this one the sandbox
	// orders it holds (all of them, unless a crash stopped an earlier move
	// after the copy was written).
	h, err := store.Open(ctx, target)
	if err != nil {
		return err
	}
	moved, err := h.OrderKeys(ctx)
	h.Close()
	if err != nil {
		return err
	}
	var gone []string
	for _, id := range sandboxIDs {
		if _, ok := moved[id]; ok {
			gone = append(gone, id)
		}
	}
	n, err := d.main.DeleteOrders(ctx, gone)
	if err != nil {
		return err
	}
	cfg.Logger.Info("sandbox orders moved out of the real history", "orders", n, "to", target, "kept", len(realIDs))
	return nil
}

// writeSandboxCopy writes target as a copy of the history without the real
// orders, claimed for the sandbox, through a temporary file.
func (d *Desk) writeSandboxCopy(ctx context.Context, target string, realIDs []string) error {
	part := target + ".part"
	os.Remove(part)
	if err := d.main.Backup(ctx, part); err != nil {
		return fmt.Errorf("copy the sandbox's orders: %w", err)
	}
	h, err := store.Open(ctx, part)
	if err != nil {
		return fmt.Errorf("copy the sandbox's orders: %w", err)
	}
	_, err = h.DeleteOrders(ctx, realIDs)
	if err == nil {
		err = h.ClaimPlatform(ctx, store.PlatformSandbox)
	}
	if cerr := h.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(part)
		return fmt.Errorf("copy the sandbox's orders: %w", err)
	}
	for _, side := range []string{"-wal", "-shm"} {
		os.Remove(part + side)
	}
	return os.Rename(part, target)
}
