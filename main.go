// Command waybilldesk is Waybill Desk: a console that places courier orders
// through WeChat's logistics APIs and prints their e-waybills. With no
// arguments it opens the window; see `waybilldesk help` for the commands.
package main

import (
	"context"
	"os"

	"waybilldesk/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr, openWindow))
}
