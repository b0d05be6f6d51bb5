package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"waybilldesk/orders"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// Plan is the preview of an import: what each row becomes, before anything
// is sent.
type Plan struct {
	File      string    `json:"file"`
	Hash      string    `json:"sha256"`
	Format    Format    `json:"format"`
	Encoding  string    `json:"encoding,omitempty"`
	Sheet     string    `json:"sheet,omitempty"`
	HeaderRow int       `json:"header_row,omitempty"`
	Columns   []Column  `json:"columns,omitempty"`
	Rows      []PlanRow `json:"rows"`
}

// PlanRow is one data row of the file: the order it becomes, or its errors.
type PlanRow struct {
	Row     int    `json:"row"`
	OrderID string `json:"order_id,omitempty"`
	// Request is the addOrder body as Prepare completed it; nil for rows
	// with errors and rows merged into another.
	Request *wxapi.AddOrderRequest `json:"request,omitempty"`
	// MergedInto is the row whose order this row's goods joined (same shop
	// order number); 0 when none.
	MergedInto int `json:"merged_into,omitempty"`
	// Merged are the rows whose goods joined this row's order.
	Merged []int      `json:"merged,omitempty"`
	Errors []RowError `json:"errors,omitempty"`
	// Existing tells what the history already has under the order_id
	// ("placed SF123…", "submitting"): such an order is not sent again.
	Existing string `json:"existing,omitempty"`
}

// OK reports whether the row is sent (itself, or as part of the row it
// merged into).
func (r PlanRow) OK() bool { return len(r.Errors) == 0 }

// Orders counts the orders the plan would send.
func (p *Plan) Orders() int {
	n := 0
	for _, r := range p.Rows {
		if r.Request != nil {
			n++
		}
	}
	return n
}

// Invalid counts the rows with errors.
func (p *Plan) Invalid() int {
	n := 0
	for _, r := range p.Rows {
		if !r.OK() {
			n++
		}
	}
	return n
}

// PreviewFile reads a file of at most MaxFileBytes and previews it.
func (im *Importer) PreviewFile(ctx context.Context, path string) (*Plan, error) {
	if _, err := FormatOf(path); err != nil {
		return nil, err
	}
	data, err := readFileLimited(path)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", filepath.Base(path), err)
	}
	return im.Preview(ctx, filepath.Base(path), data)
}

// Preview parses a file (name tells its format) into a Plan: each row's
// addOrder body checked by orders.Service.Prepare, or the row's errors
// with row and column. It sends nothing; it only lists the couriers.
func (im *Importer) Preview(ctx context.Context, name string, data []byte) (*Plan, error) {
	format, err := FormatOf(name)
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("import %s: %w", name, tooLarge("", "the file is %s, more than the %s an import reads: split it",
			megabytes(int64(len(data))), megabytes(MaxFileBytes)))
	}
	sum := sha256.Sum256(data)
	plan := &Plan{File: name, Hash: hex.EncodeToString(sum[:]), Format: format}
	couriers, err := im.svc.Couriers(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	var drafts []*draft
	if format == FormatJSONL {
		drafts, err = im.readJSONL(data, couriers)
	} else {
		drafts, err = im.readTabular(plan, data, couriers)
	}
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	assignIDs(drafts)
	if format != FormatJSONL {
		mergeOrders(drafts)
	}
	for _, d := range drafts {
		if d.mergedInto == 0 && !d.groupErrors() {
			if err := im.prepare(ctx, d); err != nil {
				return nil, fmt.Errorf("import %s: %w", name, err)
			}
		}
	}
	plan.Rows = planRows(drafts)
	if err := im.markExisting(ctx, plan); err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	im.log.Info("import previewed", "file", name, "format", format, "rows", len(plan.Rows),
		"orders", plan.Orders(), "invalid", plan.Invalid())
	return plan, nil
}

// rowSource streams the rows of a tabular file, so that a file is never
// held whole as cells: only the rows above the header and each row while
// it becomes a draft.
type rowSource interface {
	// next returns the next row; io.EOF after the last.
	next() (record, error)
	close() error
}

// openTabular starts reading a CSV or XLSX file.
func (im *Importer) openTabular(format Format, data []byte) (rowSource, *table, error) {
	if format == FormatXLSX {
		src, err := openXLSX(data, im.opts.Sheet)
		if err != nil {
			return nil, nil, err
		}
		return src, &table{sheet: src.sheet}, nil
	}
	src := openCSV(data)
	return src, &table{encoding: src.encoding}, nil
}

// headedRows reads the rows where a header may be (rows 1 to
// headerScanRows, and the first row below them) ahead, so the header can
// be found, then hands out every row in order: those first, then the rest
// of the source as it is read.
type headedRows struct {
	src  rowSource
	head []record
	eof  bool // the source ended within the head
}

// readHead reads the head of a source.
func readHead(src rowSource) (*headedRows, error) {
	h := &headedRows{src: src}
	for {
		rec, err := src.next()
		if errors.Is(err, io.EOF) {
			h.eof = true
			return h, nil
		}
		if err != nil {
			return nil, err
		}
		h.head = append(h.head, rec)
		if rec.row > headerScanRows {
			return h, nil
		}
	}
}

// next returns the next row; io.EOF after the last.
func (h *headedRows) next() (record, error) {
	if len(h.head) > 0 {
		rec := h.head[0]
		h.head = h.head[1:]
		return rec, nil
	}
	if h.eof {
		return record{}, io.EOF
	}
	return h.src.next()
}

// readTabular reads a CSV or XLSX file into drafts, one row at a time.
func (im *Importer) readTabular(plan *Plan, data []byte, couriers []orders.Courier) ([]*draft, error) {
	src, t, err := im.openTabular(plan.Format, data)
	if err != nil {
		return nil, err
	}
	defer src.close()
	plan.Encoding, plan.Sheet = t.encoding, t.sheet
	rows, err := readHead(src)
	if err != nil {
		return nil, err
	}
	t.records = rows.head
	l, err := findHeader(t, im.opts.Map)
	if err != nil {
		return nil, err
	}
	plan.HeaderRow, plan.Columns = l.headerRow, l.columns()
	if err := im.checkDefaults(l); err != nil {
		return nil, err
	}
	b := &builder{l: l, csv: plan.Format == FormatCSV, dflt: im.opts.Defaults, couriers: couriers,
		loc: im.opts.Location, now: im.opts.Now()}
	return buildDrafts(b, rows)
}

// buildDrafts makes a draft of each data row below the header, at most
// MaxRows of them.
func buildDrafts(b *builder, rows *headedRows) ([]*draft, error) {
	var drafts []*draft
	for {
		rec, err := rows.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if rec.row <= b.l.headerRow || rec.blank() {
			continue
		}
		if len(drafts) == MaxRows {
			return nil, tooLarge(fmt.Sprintf("row %d", rec.row), "%s", rowLimit())
		}
		drafts = append(drafts, b.build(rec))
	}
	if len(drafts) == 0 {
		return nil, fmt.Errorf("no data rows below the header (row %d)", b.l.headerRow)
	}
	return drafts, nil
}

// checkDefaults refuses a file that no row can be sent from: what every
// row needs and neither the file nor the defaults give is one error, not
// one per row.
func (im *Importer) checkDefaults(l *layout) error {
	d := im.opts.Defaults
	var errs []error
	if d.Sender == nil {
		errs = append(errs, errors.New("no sender: give --sender FILE (a JSON contact like the sender of examples/order.json) or set default_sender"))
	}
	if _, ok := l.cols[FieldDeliveryID]; !ok && d.Courier.DeliveryID == "" {
		errs = append(errs, errors.New("no courier: the file has no delivery_id column; give --delivery-id (see waybilldesk couriers) or set default_courier"))
	}
	if _, ok := l.cols[FieldWeight]; !ok && d.Parcel.WeightKg <= 0 {
		errs = append(errs, errors.New("no weight: the file has no weight column; give --weight KG or set default_parcel"))
	}
	return errors.Join(errs...)
}

// assignIDs gives every draft its order_id: the shop's number, or the
// content id counting identical rows above it.
func assignIDs(drafts []*draft) {
	seen := map[string]int{}
	for _, d := range drafts {
		if d.shopID != "" {
			d.req.OrderID = d.shopID
			continue
		}
		seen[d.content]++
		d.req.OrderID = ContentOrderID(d.content, seen[d.content])
	}
}

// prepare runs orders.Service.Prepare on a draft and turns a validation
// error into a row error at the column the value came from. Other errors
// (the courier list could not be fetched) stop the preview.
func (im *Importer) prepare(ctx context.Context, d *draft) error {
	req, err := im.svc.Prepare(ctx, d.req)
	if err == nil {
		d.req = *req
		return nil
	}
	var ve *wxapi.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("row %d: %w", d.row, err)
	}
	e := RowError{Row: d.row, Field: ve.Field, Message: ve.Error()}
	if d.jsonl {
		e.Header = ve.Field
	}
	if src, ok := d.src.lookup(ve.Field); ok {
		switch {
		case src.col >= 0:
			e.Column, e.Field = columnLetter(src.col), string(src.field)
			e.Header = src.header
		case src.dflt != "":
			e.Message = src.dflt + ": " + ve.Error()
		}
	}
	d.errs = append(d.errs, e)
	return nil
}

func planRows(drafts []*draft) []PlanRow {
	out := make([]PlanRow, 0, len(drafts))
	for _, d := range drafts {
		r := PlanRow{Row: d.row, OrderID: d.req.OrderID, MergedInto: d.mergedInto, Errors: d.errs}
		if len(d.errs) > 0 && d.shopID == "" {
			// A content id changes when the row is fixed: showing it would
			// only mislead.
			r.OrderID = ""
		}
		for _, m := range d.members {
			r.Merged = append(r.Merged, m.row)
		}
		lead := d
		if d.mergedInto != 0 {
			for _, x := range drafts {
				if x.row == d.mergedInto {
					lead = x
				}
			}
		}
		if len(r.Errors) == 0 && lead.groupErrors() {
			// This row is fine but its order is not: none of it is sent.
			r.Errors = []RowError{{Row: d.row, Message: fmt.Sprintf("not sent: order %s has errors on another of its rows", d.req.OrderID)}}
		}
		if len(r.Errors) == 0 && d.mergedInto == 0 {
			req := d.req
			r.Request = &req
		}
		out = append(out, r)
	}
	return out
}

// markExisting notes the orders the history already has, so the preview
// shows which rows a run would skip or reconcile.
func (im *Importer) markExisting(ctx context.Context, plan *Plan) error {
	for i := range plan.Rows {
		r := &plan.Rows[i]
		if r.Request == nil {
			continue
		}
		o, err := im.db.Order(ctx, r.OrderID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		switch o.Status {
		case store.StatusFailed:
			// Refused before: a run sends it again.
		case store.StatusSubmitting:
			r.Existing = "submitting: reconciled with getOrder before anything is sent"
		default:
			r.Existing = strings.TrimSpace(o.Status + " " + o.WaybillID)
		}
	}
	return nil
}
