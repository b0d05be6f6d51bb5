package batch

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// excelizeRecords is how the importer read a sheet before the streaming
// reader: excelize's GetRows twice (shown and raw) and GetCellType for
// each value. The streaming reader must give the same records; rows
// without cells are left out (the importer skips them as blank).
func excelizeRecords(t *testing.T, data []byte, sheet string) []record {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shown, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []record
	for i, row := range shown {
		if len(row) == 0 {
			continue
		}
		cells := make([]cell, len(row))
		for j, text := range row {
			c := cell{text: text, raw: text}
			if i < len(raw) && j < len(raw[i]) {
				c.raw = raw[i][j]
			}
			if c.raw != "" {
				ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
				typ, err := f.GetCellType(sheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				c.number = typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber
			}
			cells[j] = c
		}
		out = append(out, record{row: i + 1, cells: cells})
	}
	return out
}

// streamRecords reads every row of a workbook with the streaming reader.
func streamRecords(t *testing.T, data []byte, sheet string) ([]record, string) {
	t.Helper()
	src, err := openXLSX(data, sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	var out []record
	for {
		rec, err := src.next()
		if errors.Is(err, io.EOF) {
			return out, src.sheet
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

// readAll reads every row of a workbook's first sheet with data and
// returns the first error.
func readAll(data []byte) error {
	src, err := openXLSX(data, "")
	if err != nil {
		return err
	}
	defer src.close()
	for {
		if _, err := src.next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func sameRecords(t *testing.T, name string, got, want []record) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d\ngot  %+v\nwant %+v", name, len(got), len(want), got, want)
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.row != w.row || len(g.cells) != len(w.cells) {
			t.Errorf("%s: row %d has %d cells, want row %d with %d\ngot  %+v\nwant %+v", name, g.row, len(g.cells), w.row, len(w.cells), g.cells, w.cells)
			continue
		}
		for j := range w.cells {
			if g.cells[j] != w.cells[j] {
				t.Errorf("%s: row %d column %s = %+v, want %+v", name, w.row, columnLetter(j), g.cells[j], w.cells[j])
			}
		}
	}
}

// styledWorkbook has values of every kind under many number formats, the
// way Excel and shop back-ends write them (excelize writes like Excel).
func styledWorkbook(t *testing.T, date1904 bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	values := []any{"订单编号", "13800000001", 13800000001, 3012345678901234567, 0.1 + 0.2, -5, 1e20, 1.5e-10, 46000.5, 12.345,
		true, false, "", "  spaced  ", "=1+1", "x_x000D_y", time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC), 0, -0.75,
		12345678901, 123456789012, -123456789012, 0.123456789012, 1234567.891234, -1e-20, 99999999999.5}
	custom := []string{"yyyy-mm-dd hh:mm:ss", `"Tel: "@`, `0.00;[Red]-0.00;"zero";"text: "@`, "[$-804]yyyy年m月d日", "#,##0.000", "000000", "@"}
	var styles []int
	for _, id := range []int{0, 1, 2, 3, 4, 9, 10, 11, 12, 14, 15, 20, 21, 22, 37, 44, 45, 46, 47, 49, 27, 31, 57, 58} {
		s, err := f.NewStyle(&excelize.Style{NumFmt: id})
		if err != nil {
			t.Fatal(err)
		}
		styles = append(styles, s)
	}
	for _, code := range custom {
		code := code
		s, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			t.Fatal(err)
		}
		styles = append(styles, s)
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	styles = append(styles, bold)
	row := 1
	for _, v := range values {
		for j, s := range append([]int{0}, styles...) {
			ref, _ := excelize.CoordinatesToCellName(j+1, row)
			if err := f.SetCellValue("Sheet1", ref, v); err != nil {
				t.Fatal(err)
			}
			if s != 0 {
				f.SetCellStyle("Sheet1", ref, ref, s)
			}
		}
		row += 2 // an empty row between: GetRows keeps it, the reader skips it
	}
	// Formulas with and without a cached value, rich text, a styled empty
	// cell in the middle of a row and one at its end.
	f.SetCellFormula("Sheet1", "A60", "SUM(1,2)")
	f.SetCellFormula("Sheet1", "C60", `"a"&"b"`)
	f.SetCellValue("Sheet1", "B60", "x")
	f.SetCellRichText("Sheet1", "A61", []excelize.RichTextRun{{Text: "富"}, {Text: "文本", Font: &excelize.Font{Bold: true}}})
	f.SetCellStyle("Sheet1", "B62", "B62", bold)
	f.SetCellValue("Sheet1", "C62", "after a styled blank")
	f.SetCellStyle("Sheet1", "D62", "F62", styles[3])
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestXLSXReadsAsExcelizeDid: the streaming reader gives the records the
// excelize-based reader gave, value for value: the formatted text, the
// stored value and the number flag, on the fixtures and on a workbook of
// every kind of value under every common number format.
func TestXLSXReadsAsExcelizeDid(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"douyin", douyinXLSX(t)},
		{"styled", styledWorkbook(t, false)},
		{"styled-1904", styledWorkbook(t, true)},
		{"handwritten", handWorkbook(t, handSheet, handStrings)},
	} {
		// Formatting uses an in-memory workbook: nothing may reach the
		// temporary directory.
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		got, sheet := streamRecords(t, tt.data, "")
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("%s: %d files left in the temporary directory", tt.name, len(left))
		}
		sameRecords(t, tt.name, got, excelizeRecords(t, tt.data, sheet))
	}
}

// handSheet is what other writers do: inline strings, cells and rows
// without references, error and formula-string cells, escapes, a phonetic
// run, a chart of elements the reader skips.
const handSheet = `<dimension ref="A1:E9"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><cols><col min="1" max="3" width="9"/></cols>
<sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="inlineStr"><is><t xml:space="preserve"> inline </t></is></c></row>
<row><c t="inlineStr"><is><r><t>rich</t></r><r><rPr><b/></rPr><t>_x0041_</t></r></is></c><c><v>007</v></c><c t="e"><v>#N/A</v></c><c t="str"><f>A1</f><v>formula text</v></c></row>
<row r="5"><c r="C5" t="b"><v>1</v></c><c r="E5"><![CDATA[ignored]]><v><![CDATA[42]]></v></c></row>
<row r="7" spans="1:3"><c r="A7" t="s"><v>3</v></c><!-- a comment --><c r="B7" t="inlineStr"></c></row>
</sheetData><mergeCells count="1"><mergeCell ref="A9:B9"/></mergeCells>`

const handStrings = `<si><t>订单编号</t></si><si><r><t>收货</t></r><r><rPr><b/></rPr><t>人</t></r><rPh sb="0" eb="1"><t>ignored</t></rPh></si>` +
	`<si><t>_x005F_x0041_ and _xD800_ and _x000D_</t></si><si><t/></si>`

// The package parts every handwritten workbook has.
const (
	contentTypesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`
	packageRelsXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	workbookXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`
	workbookRelsXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
	sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`
	sstHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`
)

// xlsxPart is one part of a handwritten workbook: its name and a writer of
// its body, so a part can be far larger than memory would hold; or, with
// raw set, a part that writes itself into the zip (a zip bomb).
type xlsxPart struct {
	name  string
	write func(w io.Writer)
	raw   func(z *zip.Writer)
}

func text(s string) func(io.Writer) { return func(w io.Writer) { io.WriteString(w, s) } }

// zipParts writes a workbook by hand with archive/zip: hostile files
// cannot be made with a spreadsheet library.
func zipParts(t testing.TB, parts ...xlsxPart) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, p := range parts {
		if p.raw != nil {
			p.raw(z)
			continue
		}
		w, err := z.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		p.write(w)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// packageParts are the parts of a one-sheet workbook around its sheet and
// shared strings.
func packageParts() []xlsxPart {
	return []xlsxPart{{name: "[Content_Types].xml", write: text(contentTypesXML)}, {name: "_rels/.rels", write: text(packageRelsXML)},
		{name: "xl/workbook.xml", write: text(workbookXML)}, {name: "xl/_rels/workbook.xml.rels", write: text(workbookRelsXML)}}
}

// streamedWorkbook is a workbook whose sheet data and shared strings are
// written by functions (nil: none).
func streamedWorkbook(t testing.TB, sheetData, sst func(io.Writer)) []byte {
	t.Helper()
	parts := append(packageParts(), xlsxPart{name: "xl/worksheets/sheet1.xml", write: func(w io.Writer) {
		io.WriteString(w, sheetHead)
		sheetData(w)
		io.WriteString(w, `</worksheet>`)
	}})
	if sst != nil {
		parts = append(parts, xlsxPart{name: "xl/sharedStrings.xml", write: func(w io.Writer) {
			io.WriteString(w, sstHead)
			sst(w)
			io.WriteString(w, `</sst>`)
		}})
	}
	return zipParts(t, parts...)
}

// handWorkbook is a workbook from literal sheet XML (inside <worksheet>)
// and shared strings (inside <sst>).
func handWorkbook(t testing.TB, sheet, sst string) []byte {
	var s func(io.Writer)
	if sst != "" {
		s = text(sst)
	}
	return streamedWorkbook(t, text(sheet), s)
}

// TestXLSXPicksTheSheet: the named sheet, or the first with data; a
// missing one is named with the sheets there are.
func TestXLSXPicksTheSheet(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.NewSheet("空")
	f.NewSheet("订单")
	f.SetCellValue("订单", "B2", "x")
	f.SetCellValue("Sheet1", "A1", "")
	f.MoveSheet("空", "Sheet1")
	var buf bytes.Buffer
	f.Write(&buf)
	if _, sheet := streamRecords(t, buf.Bytes(), ""); sheet != "订单" {
		t.Fatalf("read sheet %q, want the first with data", sheet)
	}
	if recs, _ := streamRecords(t, buf.Bytes(), "订单"); len(recs) != 1 || recs[0].row != 2 || recs[0].cells[1].text != "x" {
		t.Fatalf("records %+v", recs)
	}
	if _, err := openXLSX(buf.Bytes(), "nope"); err == nil || !strings.Contains(err.Error(), `no sheet "nope"`) {
		t.Fatalf("missing sheet: %v", err)
	}
	if _, err := openXLSX(buf.Bytes(), "空"); err == nil || !strings.Contains(err.Error(), "no data") {
		t.Fatalf("empty sheet: %v", err)
	}
}

// TestXLSXRefusesMalformed: what the old reader silently cut short or
// misplaced is an error naming the place.
func TestXLSXRefusesMalformed(t *testing.T) {
	for _, tt := range []struct{ sheet, sst, want string }{
		{`<sheetData><row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row></sheetData>`, "", "row 1, column A comes after column B"},
		{`<sheetData><row r="3"><c><v>1</v></c></row><row r="2"><c><v>2</v></c></row></sheetData>`, "", "row 2 comes after row 3"},
		{`<sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData>`, `<si><t>a</t></si>`, "row 1, column A: the cell refers to shared string 7, and the workbook has 1"},
		{`<sheetData><row r="1"><c r="1"><v>1</v></c></row></sheetData>`, "", `"1" is not a cell reference`},
		{`<sheetData><row r="1"><c r="A1"><v>1</v></row></c></sheetData>`, "", "unexpected end tag </row>"},
		{`<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2`, "", "unexpected end tag </worksheet>"},
	} {
		err := readAll(handWorkbook(t, tt.sheet, tt.sst))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.sheet, err, tt.want)
		}
	}
	// A sheet cut short is an error, not the rows before the cut.
	err := readAll(sheetWorkbook(t, sheetHead+`<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2`))
	if err == nil || !strings.Contains(err.Error(), "xl/worksheets/sheet1.xml: XML syntax error: the part ends inside <v>") {
		t.Errorf("a sheet cut short: %v", err)
	}
}

// TestFormatsManyTexts: the formatting workbook is made again after
// oracleStrings text values (each adds to its shared strings) and formats
// the same way after.
func TestFormatsManyTexts(t *testing.T) {
	cf := &cellFormats{xfs: []int{0, 164}, custom: []numFmt{{164, `"Tel: "@`}}, isCustom: map[int]bool{164: true}}
	defer cf.close()
	for i := range oracleStrings + 5 {
		want := fmt.Sprintf("Tel: %d-x", i)
		if got := cf.show(1, fmt.Sprintf("%d-x", i), kindText); got != want {
			t.Fatalf("value %d shown %q, want %q", i, got, want)
		}
	}
	if cf.strs != 5 {
		t.Fatalf("%d texts since the workbook was made, want 5", cf.strs)
	}
	// A format with only a text section leaves numbers as they are.
	if got := cf.show(1, "13800000001", kindNumber); got != "13800000001" {
		t.Fatalf("number shown %q", got)
	}
}

func TestParseCellRef(t *testing.T) {
	for ref, want := range map[string][2]int{"A1": {0, 1}, "XFD1048576": {16383, 1048576}, "gr7": {199, 7}, "AA10": {26, 10}} {
		col, row, err := parseCellRef(ref)
		if err != nil || col != want[0] || row != want[1] {
			t.Errorf("%s = %d %d %v", ref, col, row, err)
		}
	}
	if col, _, err := parseCellRef("ZZZZZZZZZZZZZZZZZZZZ1"); err != nil || col < MaxColumns {
		t.Errorf("long column %d %v", col, err)
	}
	for _, bad := range []string{"", "A", "12", "A0", "A-1", "A1B"} {
		if _, _, err := parseCellRef(bad); err == nil {
			t.Errorf("%q read as a reference", bad)
		}
	}
}

func TestBstrDecode(t *testing.T) {
	for in, want := range map[string]string{"a_x000D_b": "a\rb", "_x005F_x0041_": "_x0041_", "_xD800_": "", "plain": "plain", "_x00e9_": "é"} {
		if got := bstrDecode(in); got != want {
			t.Errorf("bstrDecode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkupGuardEndsConstructs(t *testing.T) {
	for _, in := range []string{"<a><!-- x - -> < --></a>", "<a><![CDATA[ ]] ]> < ]]]></a>", "<?xml version='1.0'?><a/>", "<a><!-- --->b</a>"} {
		g := &markupGuard{r: strings.NewReader(in)}
		if _, err := io.ReadAll(g); err != nil || g.state != guardText {
			t.Errorf("%q: %v, state %d", in, err, g.state)
		}
	}
	g := &markupGuard{r: strings.NewReader(`<!DOCTYPE x [<!ENTITY a "b">]><x/>`)}
	if _, err := io.ReadAll(g); err == nil || !strings.Contains(err.Error(), "document type") {
		t.Errorf("DOCTYPE: %v", err)
	}
}
