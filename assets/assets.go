// Package assets holds the files compiled into Waybill Desk: the icon.
package assets

import _ "embed"

// IconPNG is the application icon (512x512 PNG), also named in FyneApp.toml.
//
//go:embed icon.png
var IconPNG []byte
