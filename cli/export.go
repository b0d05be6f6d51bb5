package cli

import (
	"flag"
	"fmt"
	"io"
	"time"

	"waybilldesk/desk"
	"waybilldesk/internal/atomicfile"
	"waybilldesk/orders"
	"waybilldesk/orders/batch"
)

func runExport(e *env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	file := fs.String("file", "", "output file, .csv (UTF-8) or .xlsx. The export is for your own bookkeeping and holds "+
		"the receivers' FULL phone numbers: keep it private (it is written readable by you only)")
	var q orders.Query
	fs.StringVar(&q.Search, "search", "", "order id, waybill id, receiver name or the phone's last four digits")
	fs.StringVar(&q.Status, "status", "", "submitting, placed, failed or cancelled")
	fs.StringVar(&q.DeliveryID, "delivery-id", "", "only this courier")
	from := fs.String("from", "", "first day, YYYY-MM-DD (local time)")
	to := fs.String("to", "", "last day, YYYY-MM-DD, included")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("export: --file F.csv or F.xlsx is required")
	}
	format, err := batch.ExportFormatOf(*file)
	if err != nil {
		return usagef("%v", err)
	}
	if q.From, err = parseDay(*from); err != nil {
		return usagef("export: --from: %v", err)
	}
	if q.To, err = parseDay(*to); err != nil {
		return usagef("export: --to: %v", err)
	}
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1) // the whole last day
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return usagef("export: --from is after --to")
	}
	return e.withDesk(func(d *desk.Desk) error {
		var n int
		err := atomicfile.Write(*file, 0o600, func(w io.Writer) error {
			var err error
			n, err = batch.Export(e.ctx, d.DB, q, format, w)
			return err
		})
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(map[string]any{"file": *file, "format": format, "count": n})
		}
		fmt.Fprintf(e.stdout, "exported %d orders to %s (with full phone numbers: keep the file private)\n", n, *file)
		return nil
	})
}

// parseDay reads a YYYY-MM-DD date as local midnight; "" is no date.
func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date like 2026-11-01", s)
	}
	return t, nil
}
