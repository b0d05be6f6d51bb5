package batch

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"waybilldesk/store"
)

// Status is the outcome of one row of an import.
type Status string

// Row outcomes.
const (
	// StatusPlaced: this run got the order's waybill.
	StatusPlaced Status = "placed"
	// StatusAlreadyPlaced: the history already had the order with a
	// waybill (an earlier import of the same rows); nothing was sent.
	StatusAlreadyPlaced Status = "already_placed"
	// StatusInvalid: the row has errors; nothing was sent for it.
	StatusInvalid Status = "invalid"
	// StatusFailed: WeChat or the courier refused the order.
	StatusFailed Status = "failed"
	// StatusSubmitting: WeChat's answer was lost. The order stays
	// submitting in the history and is reconciled (getOrder by order_id)
	// before it is ever sent again: by `order reconcile` or the next
	// import of the file.
	StatusSubmitting Status = "submitting"
	// StatusNotSent: the import was cancelled before the row was sent.
	StatusNotSent Status = "not_sent"
)

// RowResult is what happened to one row.
type RowResult struct {
	Row       int        `json:"row"`
	OrderID   string     `json:"order_id,omitempty"`
	Status    Status     `json:"status"`
	WaybillID string     `json:"waybill_id,omitempty"`
	ErrCode   int        `json:"errcode,omitempty"`
	Message   string     `json:"message,omitempty"`
	Errors    []RowError `json:"errors,omitempty"`
	// MergedInto is the row whose order carried this row's goods.
	MergedInto int `json:"merged_into,omitempty"`
}

// OK reports whether the row's order has a waybill.
func (r RowResult) OK() bool { return r.Status == StatusPlaced || r.Status == StatusAlreadyPlaced }

// Progress reports one finished order of a running import.
type Progress struct {
	Done   int // orders finished, this one included
	Total  int // orders the run sends (rows with errors and merged rows not counted)
	Result RowResult
}

// Report is the outcome of a run: one result per data row, in file order.
type Report struct {
	RunID     int64              `json:"run_id"`
	File      string             `json:"file"`
	Results   []RowResult        `json:"rows"`
	Counts    store.ImportCounts `json:"counts"`
	Cancelled bool               `json:"cancelled,omitempty"`
	Elapsed   time.Duration      `json:"-"`
}

// Failed reports whether any row has no waybill: the exit status of the
// command line.
func (r *Report) Failed() bool {
	for _, x := range r.Results {
		if !x.OK() {
			return true
		}
	}
	return false
}

func countResults(results []RowResult) store.ImportCounts {
	c := store.ImportCounts{Rows: len(results)}
	for _, r := range results {
		switch r.Status {
		case StatusPlaced:
			c.Placed++
		case StatusAlreadyPlaced:
			c.Skipped++
		case StatusInvalid:
			c.Invalid++
		case StatusFailed:
			c.Failed++
		case StatusSubmitting:
			c.Unknown++
		case StatusNotSent:
			c.NotSent++
		}
	}
	return c
}

// Detail is the result's waybill or its reason, for one table cell.
func (r RowResult) Detail() string {
	var parts []string
	if r.WaybillID != "" {
		parts = append(parts, r.WaybillID)
	}
	if r.Message != "" {
		parts = append(parts, r.Message)
	}
	for _, e := range r.Errors {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "; ")
}

// resultHeader is the header of a results file, Chinese and English.
var resultHeader = []string{"行 row", "订单号 order_id", "状态 status", "运单号 waybill_id", "错误码 errcode", "说明 message"}

// WriteResultsCSV writes one line per row (UTF-8 with a BOM, so Excel
// reads the Chinese header).
func WriteResultsCSV(w io.Writer, results []RowResult) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(resultHeader); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	for _, r := range results {
		code := ""
		if r.ErrCode != 0 {
			code = strconv.Itoa(r.ErrCode)
		}
		msg := r.Message
		for _, e := range r.Errors {
			msg = strings.TrimPrefix(msg+"; "+e.Error(), "; ")
		}
		// The order id and the message carry the shop's data: inert.
		if err := cw.Write([]string{strconv.Itoa(r.Row), InertCSV(r.OrderID), string(r.Status), InertCSV(r.WaybillID), code, InertCSV(msg)}); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
