package batch

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// maxStyles is how many cell styles a workbook may have: Excel's own
// limit is 64,000.
const maxStyles = 65_536

// maxNumFmtBytes is the longest number format code; Excel's limit is 255
// characters.
const maxNumFmtBytes = 1024

// oracleStrings is how many text values the formatting workbook formats
// before it is made again: each adds to its shared strings.
const oracleStrings = 10_000

// numFmt is a number format the workbook defines.
type numFmt struct {
	id   int
	code string
}

// cellFormats shows cell values the way the workbook formats them, the
// way excelize's GetRows shows them: the same code formats them. A small
// workbook made on demand gets the source's number formats and cell
// styles, index for index, and formats one value at a time; cells without
// a number format never reach it.
type cellFormats struct {
	xfs      []int        // number format id of each cell style (cellXfs)
	custom   []numFmt     // the workbook's own number formats, in order
	isCustom map[int]bool // the ids of custom
	date1904 bool
	excel    *excelize.File // the formatting workbook, when made
	strs     int            // text values it has formatted
}

// readStyles reads the number formats of a workbook's styles part.
func readStyles(w *workbook, name string) (*cellFormats, error) {
	p, err := w.open(name, maxSmallPart)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	cf := &cellFormats{}
	inNumFmts, inCellXfs := false, false
	for {
		tok, err := p.token()
		if err == io.EOF {
			cf.isCustom = make(map[int]bool, len(cf.custom))
			for _, f := range cf.custom {
				cf.isCustom[f.id] = true
			}
			return cf, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case p.depth == 2:
				inNumFmts, inCellXfs = t.Name.Local == "numFmts", t.Name.Local == "cellXfs"
			case inNumFmts && p.depth == 3 && t.Name.Local == "numFmt":
				if err := cf.addNumFmt(name, t); err != nil {
					return nil, err
				}
			case inCellXfs && p.depth == 3 && t.Name.Local == "xf":
				if len(cf.xfs) >= maxStyles {
					return nil, tooLarge(name, "more than %d cell styles", maxStyles)
				}
				id, _ := strconv.Atoi(attrOr(t, "numFmtId", "0"))
				cf.xfs = append(cf.xfs, id)
			}
		case xml.EndElement:
			if p.depth == 1 {
				inNumFmts, inCellXfs = false, false
			}
		}
	}
}

// addNumFmt keeps a number format definition.
func (cf *cellFormats) addNumFmt(name string, se xml.StartElement) error {
	if len(cf.custom) >= maxStyles {
		return tooLarge(name, "more than %d number formats", maxStyles)
	}
	id, err := strconv.Atoi(attrOr(se, "numFmtId", ""))
	if err != nil {
		return nil // excelize would not find it either
	}
	code := attrOr(se, "formatCode", "")
	if len(code) > maxNumFmtBytes {
		return tooLarge(name, "number format %d is longer than %d bytes", id, maxNumFmtBytes)
	}
	cf.custom = append(cf.custom, numFmt{id: id, code: code})
	return nil
}

// cellKind is what a cell holds, as its type attribute tells.
type cellKind int

const (
	kindNumber cellKind = iota // no type, "n", "e" and unknown types
	kindText                   // "s", "inlineStr"
)

// show is the cell's value as shown with its style: excelize's
// formattedValue.
func (cf *cellFormats) show(style int, v string, kind cellKind) string {
	if cf == nil || style <= 0 || style >= len(cf.xfs) {
		return v
	}
	id := cf.xfs[style]
	switch {
	case cf.isCustom[id]:
	case id == 0 && kind == kindNumber:
		return generalFormat(v)
	case id == 0, id == 49 && kind == kindText:
		return v // text in General or in the text format: as stored
	}
	out, err := cf.format(style, v, kind)
	if err != nil {
		return v
	}
	return out
}

// generalFormat is a number in the General format, as excelize shows it
// (its positiveHandler): more than 11 significant digits are cut to 10,
// in scientific notation when large.
func generalFormat(v string) string {
	if strings.Contains(v, "_") {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	plain := strconv.FormatFloat(f, 'f', -1, 64)
	if len(plain)-strings.Count(plain, ".") > 11 {
		return strconv.FormatFloat(f, 'G', 10, 64)
	}
	return v
}

// format formats one value in the formatting workbook.
func (cf *cellFormats) format(style int, v string, kind cellKind) (string, error) {
	if cf.excel == nil || cf.strs >= oracleStrings {
		if err := cf.reset(); err != nil {
			return "", err
		}
	}
	var err error
	if kind == kindText {
		cf.strs++
		err = cf.excel.SetCellStr("Sheet1", "A1", v)
	} else {
		err = cf.excel.SetCellDefault("Sheet1", "A1", v)
	}
	if err != nil {
		return "", err
	}
	if err := cf.excel.SetCellStyle("Sheet1", "A1", "A1", style); err != nil {
		return "", err
	}
	return cf.excel.GetCellValue("Sheet1", "A1")
}

// reset makes the formatting workbook (again).
func (cf *cellFormats) reset() error {
	cf.close()
	data, err := cf.workbookBytes()
	if err != nil {
		return err
	}
	// Everything stays in memory: the parts are tiny, and the limits say
	// so explicitly, so excelize never spills to a temporary file.
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		return fmt.Errorf("number formats: %w", err)
	}
	cf.excel, cf.strs = f, 0
	return nil
}

// close lets the formatting workbook go.
func (cf *cellFormats) close() {
	if cf != nil && cf.excel != nil {
		cf.excel.Close()
		cf.excel = nil
	}
}

// workbookBytes writes the formatting workbook: one empty sheet, the
// source's number formats and its cell styles' number formats.
func (cf *cellFormats) workbookBytes() ([]byte, error) {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	date1904 := ""
	if cf.date1904 {
		date1904 = `<workbookPr date1904="1"/>`
	}
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`},
		{"_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` + date1904 +
			`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>`},
		{"xl/styles.xml", cf.stylesXML()},
	}
	for _, p := range parts {
		w, err := z.Create(p.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// stylesXML is the styles part of the formatting workbook.
func (cf *cellFormats) stylesXML() string {
	var b strings.Builder
	b.WriteString(`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	if len(cf.custom) > 0 {
		fmt.Fprintf(&b, `<numFmts count="%d">`, len(cf.custom))
		for _, f := range cf.custom {
			fmt.Fprintf(&b, `<numFmt numFmtId="%d" formatCode="`, f.id)
			xml.EscapeText(&b, []byte(f.code))
			b.WriteString(`"/>`)
		}
		b.WriteString(`</numFmts>`)
	}
	b.WriteString(`<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>`)
	b.WriteString(`<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>`)
	fmt.Fprintf(&b, `<cellXfs count="%d">`, len(cf.xfs))
	for _, id := range cf.xfs {
		fmt.Fprintf(&b, `<xf numFmtId="%d"/>`, id)
	}
	b.WriteString(`</cellXfs></styleSheet>`)
	return b.String()
}
