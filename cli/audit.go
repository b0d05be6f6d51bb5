package cli

import (
	"flag"
	"fmt"
	"text/tabwriter"

	"waybilldesk/desk"
)

func runAudit(e *env, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	orderID := fs.String("order-id", "", "only this order's entries")
	limit := fs.Int("limit", 100, "at most this many entries, newest first")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	return e.withDesk(func(d *desk.Desk) error {
		log, err := d.Orders.AuditLog(e.ctx, *orderID, *limit)
		if err != nil {
			return err
		}
		if e.json {
			type entry struct {
				Time    int64  `json:"time"`
				Actor   string `json:"actor"`
				Action  string `json:"action"`
				OrderID string `json:"order_id"`
				Detail  string `json:"detail"`
			}
			out := []entry{}
			for _, a := range log {
				out = append(out, entry{a.At.Unix(), a.Actor, a.Action, a.OrderID, a.Detail})
			}
			return e.printJSON(out)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tWHO\tACTION\tORDER_ID\tDETAIL")
		for _, a := range log {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.At.Format("2006-01-02 15:04:05"), a.Actor, a.Action, a.OrderID, a.Detail)
		}
		return tw.Flush()
	})
}
