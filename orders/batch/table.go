package batch

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is the kind of an import file.
type Format string

// Import file formats.
const (
	FormatCSV   Format = "csv"
	FormatXLSX  Format = "xlsx"
	FormatJSONL Format = "jsonl"
)

// FormatOf tells the format from a file name's extension. Tab-separated
// text (.tsv, .txt: Excel's "Unicode text") is read as CSV.
func FormatOf(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".tsv", ".txt":
		return FormatCSV, nil
	case ".xlsx", ".xlsm":
		return FormatXLSX, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	case ".xls":
		return "", fmt.Errorf("%s: the old Excel 97-2003 format (.xls) is not read: save it as .xlsx or .csv", filepath.Base(name))
	}
	return "", fmt.Errorf("%s: unknown file type: want .csv, .xlsx or .jsonl", filepath.Base(name))
}

// cell is one value of a tabular file.
type cell struct {
	// text is the value as the user sees it: CSV text, or the XLSX cell's
	// formatted value.
	text string
	// raw is the stored value: for an XLSX number cell the number itself,
	// whatever its display format.
	raw string
	// number reports an XLSX number cell (dates are number cells).
	number bool
}

// record is one row of a tabular file.
type record struct {
	row   int // 1-based, as Excel numbers rows
	cells []cell
}

func (r record) blank() bool {
	for _, c := range r.cells {
		if cleanText(c.text) != "" {
			return false
		}
	}
	return true
}

// table is the top of a tabular file, where its header is looked for:
// the rows below are streamed, never kept as a whole (see rowSource).
type table struct {
	encoding string // CSV only: "UTF-8", "UTF-8 BOM", "GB18030", "UTF-16LE"
	sheet    string // XLSX only
	records  []record
}

// columnLetter is Excel's name of a 0-based column: 0 is A, 26 is AA.
func columnLetter(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}
