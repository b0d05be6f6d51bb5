package batch

import (
	"errors"
	"fmt"

	"waybilldesk/internal/capped"
)

// The limits of an import file. Each is far above what a shop back-end
// exports (a day's orders are thousands of rows of a few dozen columns)
// and each keeps a hostile or broken file from taking the machine: the
// whole file, every line, every cell and every part of a workbook is read
// within a bound, and nothing is allocated for what lies beyond one.
const (
	// MaxFileBytes is the largest import file read (CSV, JSON Lines or
	// XLSX as stored on disk).
	MaxFileBytes = 64 << 20
	// MaxRows is how many orders a file may hold: data rows below the
	// header, or JSON lines. A tabular file may have up to headerScanRows
	// title and header rows above them (maxFileRows).
	MaxRows = 100_000
	// MaxColumns is how many columns a file may have: A to GR.
	MaxColumns = 200
	// MaxCellChars is the longest value of a cell or CSV field, in
	// characters: Excel's own limit.
	MaxCellChars = 32_767
	// MaxLineBytes is the longest line of a CSV or JSON Lines file.
	MaxLineBytes = 1 << 20
	// MaxWorkbookBytes is how much a workbook's parts may hold once
	// uncompressed (the sheet read, its shared strings, styles and
	// workbook part together). Each part's declared size is checked
	// before it is inflated, so a zip bomb is refused unread.
	MaxWorkbookBytes = 256 << 20
	// MaxSharedStrings is how many distinct strings a workbook's shared
	// string table may hold.
	MaxSharedStrings = 4_000_000
	// MaxSharedStringBytes is how much text the shared string table may
	// hold: it is the one part kept in memory whole.
	MaxSharedStringBytes = 64 << 20
)

// maxFileRows is the last row of a tabular file read, as Excel numbers
// rows: MaxRows orders below as many title and header rows as the header
// may be looked for in.
const maxFileRows = MaxRows + headerScanRows

// rowLimit says what the row limit is, for the errors about it.
func rowLimit() string {
	return fmt.Sprintf("an import reads at most %d orders, in rows 1 to %d", MaxRows, maxFileRows)
}

// ErrTooLarge is wrapped by every error about an input over one of the
// limits, so callers and tests can tell "too large" from "malformed".
var ErrTooLarge = errors.New("too large")

// tooLarge is an error about an input over a limit: where (row, column,
// part; may be empty), "too large", and which limit.
func tooLarge(where, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if where == "" {
		return fmt.Errorf("%w: %s", ErrTooLarge, msg)
	}
	return fmt.Errorf("%s: %w: %s", where, ErrTooLarge, msg)
}

// at names a cell the way the row errors do: "row 12, column C".
// col is 0-based.
func at(row, col int) string {
	return fmt.Sprintf("row %d, column %s", row, columnLetter(col))
}

// megabytes writes a byte count for people: "64 MB".
func megabytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// readFileLimited reads a whole import file of at most MaxFileBytes. A
// larger one is refused without reading more than the limit and a byte,
// whatever it is: a device such as /dev/zero, a pipe, a file still
// growing.
func readFileLimited(path string) ([]byte, error) {
	data, err := capped.ReadFile(path, MaxFileBytes)
	var tl *capped.TooLargeError
	switch {
	case errors.As(err, &tl) && tl.Size >= 0:
		return nil, tooLarge("", "the file is %s, more than the %s an import reads: split it", megabytes(tl.Size), megabytes(MaxFileBytes))
	case errors.As(err, &tl):
		return nil, tooLarge("", "the file holds more than the %s an import reads: split it", megabytes(MaxFileBytes))
	}
	return data, err
}
