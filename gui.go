package main

import (
	"context"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"waybilldesk/desk"
	"waybilldesk/orders"
	"waybilldesk/ui"
)

// AppID is the application id of FyneApp.toml; Fyne keeps preferences under it.
const AppID = "cn.waybilldesk.desk"

// openWindow runs the GUI on an open desk until the window closes. It lives
// in main so that only the binary links Fyne's GL driver.
func openWindow(d *desk.Desk) error {
	a := app.NewWithID(AppID)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	windowMemory(ctx, d)
	// The print queue recovers and resumes its jobs and starts Chromium, so
	// the first label preview or print does not wait for it.
	if err := d.Printing.Start(ctx); err != nil {
		slog.Warn("print queue not started; labels print when asked", "err", err)
		go d.Renderer.Start(ctx)
	}
	// Orders whose answer was lost (a crash, a timeout, an errcode that
	// does not say "not created") are settled with getOrder: at once, then
	// on a schedule while the window is open. It stops with ctx, before
	// the desk closes the history.
	reconciled := make(chan struct{})
	go func() {
		defer close(reconciled)
		d.Orders.NewReconciler(orders.ReconcilerOptions{}).Run(ctx)
	}()
	// Pushes: when Settings says so, the desk receives WeChat's message
	// pushes itself (the window shows why when it cannot).
	if _, err := d.ApplyPushSettings(ctx); err != nil {
		slog.Warn("push receiver not started", "err", err)
	}
	// Tracking: open orders are polled with getPath in the background,
	// until the window closes (before the desk closes the history).
	tracked := make(chan struct{})
	go func() {
		defer close(tracked)
		d.Orders.NewTracker(orders.TrackerOptions{}).Run(ctx)
	}()
	// The daily integrity check and backup run in the background, on
	// connections of their own, a little after the window is up.
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		d.RunUpkeep(ctx)
	}()
	defer func() {
		stop()
		<-tracked
		<-reconciled
		<-kept
	}()
	var w fyne.Window
	reason := ""
	if d.SecretErr != nil && d.Config.Sandbox {
		reason = d.SecretErr.Error()
	}
	w = ui.NewMainWindow(a, ui.Services{
		Orders:        d.Orders,
		Renderer:      d.Renderer,
		Sandbox:       d.Config.Sandbox,
		DataPath:      d.DB.Path(),
		Printing:      d.Printing,
		Settings:      d.Settings,
		NewImporter:   d.NewImporter,
		Restore:       func() { restoreDialog(a, w, d) },
		SandboxReason: reason,
		ExportHistory: d.ExportHistory,
		Pushes:        d,
		Upkeep:        d.Upkeep,
	})
	w.SetMainMenu(fyne.NewMainMenu(dataMenu(a, w, d)))
	w.ShowAndRun()
	return nil
}
