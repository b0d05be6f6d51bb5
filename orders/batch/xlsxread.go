package batch

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// readXLSX reads one sheet of a workbook: the named one, or the first that
// has any data. Each cell keeps its formatted text (what Excel shows) and
// its stored value, and whether it is a number cell, because a phone or an
// order number stored as a number may have lost digits.
func readXLSX(data []byte, sheet string) (*table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("open workbook: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if sheet != "" {
		found := false
		for _, s := range sheets {
			found = found || s == sheet
		}
		if !found {
			return nil, fmt.Errorf("the workbook has no sheet %q (it has: %s)", sheet, strings.Join(sheets, ", "))
		}
		sheets = []string{sheet}
	}
	for _, name := range sheets {
		shown, err := f.GetRows(name)
		if err != nil {
			return nil, fmt.Errorf("read sheet %s: %w", name, err)
		}
		if len(shown) == 0 {
			continue
		}
		raw, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fmt.Errorf("read sheet %s: %w", name, err)
		}
		t := &table{sheet: name}
		for i, row := range shown {
			cells := make([]cell, len(row))
			for j, text := range row {
				c := cell{text: text, raw: text}
				if i < len(raw) && j < len(raw[i]) {
					c.raw = raw[i][j]
				}
				if c.raw != "" {
					ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
					typ, err := f.GetCellType(name, ref)
					if err != nil {
						return nil, fmt.Errorf("read sheet %s cell %s: %w", name, ref, err)
					}
					// Number cells have no type attribute (unset) or "n".
					c.number = typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber
				}
				cells[j] = c
			}
			t.records = append(t.records, record{row: i + 1, cells: cells})
		}
		return t, nil
	}
	return nil, fmt.Errorf("the workbook has no data (sheets: %s)", strings.Join(f.GetSheetList(), ", "))
}
