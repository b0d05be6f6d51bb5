package main

import (
	"context"

	"fyne.io/fyne/v2/app"

	"waybilldesk/desk"
	"waybilldesk/ui"
)

// AppID is the application id of FyneApp.toml; Fyne keeps preferences under it.
const AppID = "cn.waybilldesk.desk"

// openWindow runs the GUI on an open desk until the window closes. It lives
// in main so that only the binary links Fyne's GL driver.
func openWindow(d *desk.Desk) error {
	a := app.NewWithID(AppID)
	// Start Chromium now so the first label preview does not wait for it.
	go d.Renderer.Start(context.Background())
	w := ui.NewMainWindow(a, ui.Services{
		Orders:   d.Orders,
		Renderer: d.Renderer,
		Sandbox:  d.Config.Sandbox,
		DataPath: d.DB.Path(),
	})
	w.ShowAndRun()
	return nil
}
