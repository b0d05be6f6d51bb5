package batch

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"waybilldesk/internal/atomicfile"
	"waybilldesk/store"
)

// ExportFormatOf tells the export format from a file name: .csv or .xlsx.
func ExportFormatOf(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV, nil
	case ".xlsx":
		return FormatXLSX, nil
	}
	return "", fmt.Errorf("export %s: want a .csv or .xlsx file name", filepath.Base(name))
}

// exportColumn is one column of the history export.
type exportColumn struct {
	zh, en string
	width  float64
	text   bool // an id: always a text cell, never a number
	value  func(o *store.Order) any
}

// exportColumns: the export is the merchant's own bookkeeping, so it has
// the receiver's full phone number (lists and logs mask it).
var exportColumns = []exportColumn{
	{"订单号", "order_id", 24, true, func(o *store.Order) any { return o.OrderID }},
	{"创建时间", "created", 20, false, func(o *store.Order) any { return o.CreatedAt }},
	{"状态", "status", 12, false, func(o *store.Order) any { return o.Status }},
	{"快递公司", "courier", 10, false, func(o *store.Order) any { return o.DeliveryID }},
	{"服务", "service", 14, false, func(o *store.Order) any { return o.ServiceName }},
	{"账号", "biz_id", 16, true, func(o *store.Order) any { return o.BizID }},
	{"运单号", "waybill_id", 22, true, func(o *store.Order) any { return o.WaybillID }},
	{"收件人", "receiver_name", 12, false, func(o *store.Order) any { return o.ReceiverName }},
	{"收件人电话", "receiver_phone", 16, true, func(o *store.Order) any { return o.ReceiverPhone }},
	{"收件城市", "receiver_city", 12, false, func(o *store.Order) any { return o.ReceiverCity }},
	{"物流状态", "track_status", 12, false, func(o *store.Order) any { return o.TrackStatus }},
	{"物流更新", "track_time", 20, false, func(o *store.Order) any { return o.TrackTime }},
	{"物流信息", "track_msg", 40, false, func(o *store.Order) any { return o.TrackMsg }},
	{"错误码", "errcode", 10, false, func(o *store.Order) any { return o.ErrorCode }},
	{"错误信息", "errmsg", 40, false, func(o *store.Order) any { return o.ErrorMsg }},
}

// ExportHeader is the export's header row: each column in Chinese and
// English, e.g. "运单号 waybill_id".
func ExportHeader() []string {
	out := make([]string, len(exportColumns))
	for i, c := range exportColumns {
		out[i] = c.zh + " " + c.en
	}
	return out
}

// exportPage is how often progress is reported, in orders.
const exportPage = 500

// ExportOptions tune an export.
type ExportOptions struct {
	// Progress, when set, is called with the orders written so far and the
	// total the export will write: once before the first row (0 of N),
	// then after every 500 orders and at the end. It runs on the exporting
	// goroutine.
	Progress func(done, total int)
}

// Export writes the orders of the history matching q (all of them, newest
// first; q.Limit and q.Offset are ignored) as CSV or XLSX and returns how
// many it wrote. Orders created after the export starts are left out. It
// streams: the history is walked a page at a time (store.WalkOrders) and
// each row written as it comes, so memory does not grow with the history.
func Export(ctx context.Context, db *store.DB, q store.OrderQuery, format Format, w io.Writer) (int, error) {
	return export(ctx, db, q, format, w, ExportOptions{})
}

// ExportFile exports the orders matching q into the file at path, as CSV
// or XLSX after its extension (ExportFormatOf). The file is written beside
// path and renamed over it when complete, readable by its owner only (it
// holds full phone numbers): a failed or cancelled export (ctx) leaves no
// half file under the name.
func ExportFile(ctx context.Context, db *store.DB, path string, q store.OrderQuery, opts ExportOptions) (int, error) {
	format, err := ExportFormatOf(path)
	if err != nil {
		return 0, err
	}
	var n int
	err = atomicfile.Write(path, 0o600, func(w io.Writer) error {
		var err error
		n, err = export(ctx, db, q, format, w, opts)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

func export(ctx context.Context, db *store.DB, q store.OrderQuery, format Format, w io.Writer, opts ExportOptions) (int, error) {
	if q.To.IsZero() {
		q.To = time.Now().Add(time.Millisecond)
	}
	var write func(o *store.Order) error
	var finish func() error
	switch format {
	case FormatCSV:
		cw, err := newCSVExport(w)
		if err != nil {
			return 0, err
		}
		write, finish = cw.write, cw.finish
	case FormatXLSX:
		xw, err := newXLSXExport(w)
		if err != nil {
			return 0, err
		}
		defer xw.f.Close()
		write, finish = xw.write, xw.finish
	default:
		return 0, fmt.Errorf("export: unknown format %q", format)
	}
	total := -1
	if opts.Progress != nil {
		// One count for the progress bar: an index walk for the common
		// filters (dates, state), and it reads no label, where the export
		// reads every matching row whole.
		var err error
		if total, err = db.CountOrders(ctx, q); err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
		opts.Progress(0, total)
	}
	n := 0
	err := db.WalkOrders(ctx, q, func(o *store.Order) error {
		if err := write(o); err != nil {
			return fmt.Errorf("export order %s: %w", o.OrderID, err)
		}
		n++
		if n%exportPage == 0 {
			if opts.Progress != nil {
				opts.Progress(n, max(total, n))
			}
			return ctx.Err()
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if opts.Progress != nil && (n == 0 || n%exportPage != 0) {
		opts.Progress(n, max(total, n))
	}
	if err := finish(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// csvExport writes UTF-8 with a BOM, so that Excel reads the Chinese. Its
// values are plain (no ="…" tricks), so that other tools read them as
// they are, except that a text Excel would run as a formula is made
// inert (see InertCSV); for Excel, export .xlsx, where ids are text cells.
type csvExport struct{ cw *csv.Writer }

func newCSVExport(w io.Writer) (*csvExport, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	e := &csvExport{cw: csv.NewWriter(w)}
	return e, e.cw.Write(ExportHeader())
}

func (e *csvExport) write(o *store.Order) error {
	row := make([]string, len(exportColumns))
	for i, c := range exportColumns {
		row[i] = InertCSV(exportText(c.value(o)))
	}
	return e.cw.Write(row)
}

func (e *csvExport) finish() error {
	e.cw.Flush()
	return e.cw.Error()
}

// InertCSV makes a CSV value that a spreadsheet would run as a formula
// inert: text starting with =, +, -, @, a tab or a carriage return (a buyer
// named =HYPERLINK(…) or =cmd|' /C calc'!A0, from a shop back-end) gets a
// leading apostrophe, which Excel and WPS show as text and do not print.
// Numbers such as -1 or +8.5 stay as they are.
func InertCSV(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if plainNumber.MatchString(s) {
		return s
	}
	return "'" + s
}

// plainNumber is a signed decimal number, which a spreadsheet reads as a
// number and never as a formula.
var plainNumber = regexp.MustCompile(`^[+-][0-9]+(\.[0-9]+)?$`)

// exportText formats a value for CSV: times as local "2006-01-02 15:04:05"
// (empty when unset), error codes empty when 0.
func exportText(v any) string {
	switch v := v.(type) {
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.Local().Format("2006-01-02 15:04:05")
	case int:
		if v == 0 {
			return ""
		}
		return strconv.Itoa(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// xlsxExport streams rows into one sheet with a frozen header row, column
// widths to fit, ids as text cells (a 15-digit waybill id as a number
// loses digits) and times as Excel dates.
type xlsxExport struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	w    io.Writer
	row  int
	text int
	date int
}

const exportSheet = "订单 orders"

func newXLSXExport(w io.Writer) (*xlsxExport, error) {
	f := excelize.NewFile()
	// excelize's WriteTo builds the whole zip in a bytes.Buffer before
	// writing it out (hundreds of MB for a big history): its zip writer is
	// pointed at w instead, so the parts are compressed straight into the
	// file and the buffer stays empty. The sheet itself waits in the
	// stream writer's temporary file, at most 16 MB of it in memory.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if err := f.SetSheetName("Sheet1", exportSheet); err != nil {
		f.Close()
		return nil, err
	}
	e := &xlsxExport{f: f, w: w, row: 1}
	var err error
	fail := func(err error) (*xlsxExport, error) { f.Close(); return nil, fmt.Errorf("export: %w", err) }
	if e.sw, err = f.NewStreamWriter(exportSheet); err != nil {
		return fail(err)
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return fail(err)
	}
	textFmt := "@"
	if e.text, err = f.NewStyle(&excelize.Style{CustomNumFmt: &textFmt}); err != nil {
		return fail(err)
	}
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	if e.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return fail(err)
	}
	for i, c := range exportColumns {
		if err := e.sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return fail(err)
		}
	}
	if err := e.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	header := make([]any, len(exportColumns))
	for i, h := range ExportHeader() {
		header[i] = excelize.Cell{StyleID: head, Value: h}
	}
	if err := e.sw.SetRow("A1", header); err != nil {
		return fail(err)
	}
	return e, nil
}

func (e *xlsxExport) write(o *store.Order) error {
	e.row++
	cells := make([]any, len(exportColumns))
	for i, c := range exportColumns {
		v := c.value(o)
		switch x := v.(type) {
		case time.Time:
			if x.IsZero() {
				cells[i] = nil
				continue
			}
			cells[i] = excelize.Cell{StyleID: e.date, Value: x.Local()}
		case int:
			if x == 0 {
				cells[i] = nil
				continue
			}
			cells[i] = x
		case string:
			// Every text is a text cell (shown as typed, never a number or
			// a formula, also when a person edits it later).
			cells[i] = excelize.Cell{StyleID: e.text, Value: x}
		default:
			cells[i] = v
		}
	}
	ref, err := excelize.CoordinatesToCellName(1, e.row)
	if err != nil {
		return err
	}
	return e.sw.SetRow(ref, cells)
}

func (e *xlsxExport) finish() error {
	if err := e.sw.Flush(); err != nil {
		return err
	}
	_, err := e.f.WriteTo(e.w)
	return err
}
