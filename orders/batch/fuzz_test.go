package batch

import (
	"testing"
)

// FuzzReadXLSX feeds the streaming reader sheet and shared-string XML of
// any shape, zipped into a workbook: it must return rows or an error,
// never panic or hang, whatever the markup.
func FuzzReadXLSX(f *testing.F) {
	f.Add(handSheet, handStrings)
	f.Add(`<dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>1.5</v></c></row></sheetData>`, `<si><t>a</t></si>`)
	f.Add(`<sheetData><row><c t="inlineStr"><is><t><![CDATA[x<y]]></t></is></c></row></sheetData>`, ``)
	f.Fuzz(func(t *testing.T, sheet, sst string) {
		// Rows or an error are both fine: what is tested is that the
		// reader returns.
		_ = readAll(handWorkbook(t, sheet, sst))
	})
}

// FuzzReadCSV feeds the CSV reader any bytes: records or an error, never
// a panic, and never a record beyond the limits.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("订单编号,收货人\n1,\"a\nb\"\n"))
	f.Add([]byte{0xff, 0xfe, 0xa2, 0x8b, 0x55, 0x53})
	f.Add([]byte{0xb6, 0xa9, 0xb5, 0xa5, '\t', 'x'})
	f.Fuzz(func(t *testing.T, data []byte) {
		src := openCSV(data)
		for {
			rec, err := src.next()
			if err != nil {
				return // io.EOF, or the first error
			}
			if len(rec.cells) > MaxColumns || rec.row > maxFileRows {
				t.Fatalf("row %d of %d cells read", rec.row, len(rec.cells))
			}
		}
	})
}
