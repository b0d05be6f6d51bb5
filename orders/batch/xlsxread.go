package batch

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// An XLSX file is read as a stream, not loaded: the zip's parts are
// inflated as they are parsed (encoding/xml), only the shared strings and
// the number formats are kept, and rows are handed on one at a time. The
// limits are checked before anything is allocated for what they refuse: a
// cell reference beyond column GR is refused when its tag is read, a part
// larger than the budget before it is inflated. Nothing is written to
// disk.

// errLongCell is a cell's value over MaxCellChars; the caller says which
// cell.
var errLongCell = fmt.Errorf("%w: a cell longer than %d characters", ErrTooLarge, MaxCellChars)

// sheetRef is a sheet of the workbook and its part.
type sheetRef struct {
	name string
	part string // "" when the relationships name none
}

// xlsxSource streams the rows of one sheet of a workbook: the named one,
// or the first that has any data. Each cell keeps its formatted text (what
// Excel shows) and its stored value, and whether it is a number cell,
// because a phone or an order number stored as a number may have lost
// digits. The values are those excelize's GetRows gives.
type xlsxSource struct {
	w       *workbook
	sst     *sharedStrings
	formats *cellFormats
	rows    *sheetRows
	pending *record // the first row, read to tell a sheet with data
	sheet   string
}

// openXLSX opens a workbook and finds the sheet to read.
func openXLSX(data []byte, sheet string) (_ *xlsxSource, err error) {
	w, err := openWorkbook(data)
	if err != nil {
		return nil, err
	}
	src := &xlsxSource{w: w}
	defer func() {
		if err != nil {
			src.close()
		}
	}()
	wbPart := officeDocument(w)
	sheets, date1904, err := readSheetList(w, wbPart)
	if err != nil {
		return nil, err
	}
	rels, err := readRels(w, relsOf(wbPart))
	if err != nil {
		return nil, err
	}
	if err := src.loadShared(wbPart, rels, date1904); err != nil {
		return nil, err
	}
	for i := range sheets {
		sheets[i].part = rels.target(wbPart, sheets[i].part)
	}
	candidates := sheets
	if sheet != "" {
		if candidates, err = pickSheet(sheets, sheet); err != nil {
			return nil, err
		}
	}
	if err = src.firstWithData(candidates); errors.Is(err, errNoData) {
		return nil, fmt.Errorf("%w (sheets: %s)", err, sheetNames(sheets))
	}
	if err != nil {
		return nil, err
	}
	return src, nil
}

// loadShared reads the shared strings and the number formats.
func (src *xlsxSource) loadShared(wbPart string, rels relations, date1904 bool) error {
	if name := rels.byType(wbPart, "/sharedStrings", "xl/sharedStrings.xml"); src.w.has(name) {
		sst, err := readSharedStrings(src.w, name)
		if err != nil {
			return err
		}
		src.sst = sst
	}
	if name := rels.byType(wbPart, "/styles", "xl/styles.xml"); src.w.has(name) {
		cf, err := readStyles(src.w, name)
		if err != nil {
			return err
		}
		cf.date1904 = date1904
		src.formats = cf
	}
	return nil
}

// pickSheet keeps the named sheet.
func pickSheet(sheets []sheetRef, name string) ([]sheetRef, error) {
	for _, s := range sheets {
		if s.name == name {
			return []sheetRef{s}, nil
		}
	}
	return nil, fmt.Errorf("the workbook has no sheet %q (it has: %s)", name, sheetNames(sheets))
}

func sheetNames(sheets []sheetRef) string {
	names := make([]string, len(sheets))
	for i, s := range sheets {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

// firstWithData opens the first of the sheets that has a row with a value.
func (src *xlsxSource) firstWithData(sheets []sheetRef) error {
	for _, s := range sheets {
		if s.part == "" || !src.w.has(s.part) {
			return fmt.Errorf("read sheet %s: the workbook has no part for it", s.name)
		}
		p, err := src.w.open(s.part, MaxWorkbookBytes)
		if err != nil {
			return fmt.Errorf("read sheet %s: %w", s.name, err)
		}
		rows := &sheetRows{p: p, sheet: s.name, sst: src.sst, formats: src.formats}
		rec, err := rows.next()
		if err == io.EOF {
			p.Close()
			continue
		}
		if err != nil {
			p.Close()
			return err
		}
		src.rows, src.pending, src.sheet = rows, &rec, s.name
		return nil
	}
	return errNoData
}

// errNoData is a workbook without a row with a value in the sheets read.
var errNoData = errors.New("the workbook has no data")

// next returns the next row that has a value; io.EOF after the last.
func (src *xlsxSource) next() (record, error) {
	if src.pending != nil {
		rec := *src.pending
		src.pending = nil
		return rec, nil
	}
	return src.rows.next()
}

// close lets go of the sheet being read and the formatting workbook.
func (src *xlsxSource) close() error {
	src.formats.close()
	if src.rows != nil {
		return src.rows.p.Close()
	}
	return nil
}

// officeDocument is the workbook part, as the package relationships name
// it (xl/workbook.xml in every file Excel writes).
func officeDocument(w *workbook) string {
	if rels, err := readRels(w, "_rels/.rels"); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.typ, "/officeDocument") {
				return resolvePart("", r.target)
			}
		}
	}
	return "xl/workbook.xml"
}

// readSheetList reads the sheets, in order, and whether dates count from
// 1904 (old Mac workbooks).
func readSheetList(w *workbook, name string) (sheets []sheetRef, date1904 bool, err error) {
	p, err := w.open(name, maxSmallPart)
	if err != nil {
		return nil, false, fmt.Errorf("open workbook: %w", err)
	}
	defer p.Close()
	for {
		tok, err := p.token()
		if err == io.EOF {
			return sheets, date1904, nil
		}
		if err != nil {
			return nil, false, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case se.Name.Local == "workbookPr" && p.depth == 2:
			v := attrOr(se, "date1904", "")
			date1904 = v == "1" || v == "true"
		case se.Name.Local == "sheet" && p.depth == 3:
			if len(sheets) >= maxParts {
				return nil, false, tooLarge(name, "more than %d sheets", maxParts)
			}
			// The relationship id is kept in part until it is resolved.
			sheets = append(sheets, sheetRef{name: attrOr(se, "name", ""), part: attrOr(se, "id", "")})
		}
	}
}

// relation is one relationship of a part.
type relation struct {
	id, typ, target string
}

// relations are the relationships of a part.
type relations []relation

// readRels reads a relationships part; a missing one is none.
func readRels(w *workbook, name string) (relations, error) {
	if !w.has(name) {
		return nil, nil
	}
	p, err := w.open(name, maxSmallPart)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var rels relations
	for {
		tok, err := p.token()
		if err == io.EOF {
			return rels, nil
		}
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Relationship" {
			if len(rels) >= maxParts {
				return nil, tooLarge(name, "more than %d relationships", maxParts)
			}
			rels = append(rels, relation{id: attrOr(se, "Id", ""), typ: attrOr(se, "Type", ""), target: attrOr(se, "Target", "")})
		}
	}
}

// target resolves a relationship id to its part; "" when none matches.
// The type is not checked: a chart sheet is a sheet without rows.
func (rels relations) target(from, id string) string {
	for _, r := range rels {
		if r.id == id {
			return resolvePart(from, r.target)
		}
	}
	return ""
}

// byType is the part of the first relationship of a type, or dflt.
func (rels relations) byType(from, typ, dflt string) string {
	for _, r := range rels {
		if strings.HasSuffix(r.typ, typ) {
			return resolvePart(from, r.target)
		}
	}
	return dflt
}

// sheetRows streams a worksheet's rows.
type sheetRows struct {
	p       *part
	sheet   string
	sst     *sharedStrings
	formats *cellFormats
	row     int         // the last row read
	cells   []sheetCell // the current row's cells, reused
	done    bool        // past </sheetData>
}

// sheetCell is one cell as read: where it is and what GetRows would make of it.
type sheetCell struct {
	col     int // 0-based
	text    string
	raw     string
	typ     string
	formula bool
}

// next returns the next row with a value; io.EOF after the last.
func (s *sheetRows) next() (record, error) {
	for !s.done {
		tok, err := s.p.token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return record{}, s.wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Local == "dimension" && s.p.depth == 2:
				if err := checkDimension(attrOr(t, "ref", "")); err != nil {
					return record{}, s.wrap(err)
				}
			case t.Name.Local == "row" && s.p.depth == 3:
				rec, err := s.readRow(t)
				if err != nil {
					return record{}, s.wrap(err)
				}
				if len(rec.cells) > 0 {
					return rec, nil
				}
			case s.p.depth > 2:
				if err := s.p.skip(); err != nil {
					return record{}, s.wrap(err)
				}
			}
		case xml.EndElement:
			// Nothing after the rows is read (merged cells, page setup).
			s.done = t.Name.Local == "sheetData" && s.p.depth == 1
		}
	}
	return record{}, io.EOF
}

func (s *sheetRows) wrap(err error) error {
	return fmt.Errorf("sheet %s: %w", s.sheet, err)
}

// checkDimension refuses a sheet whose used range, as the sheet states
// it, goes beyond the limits: such a sheet is refused before its rows.
// A range that cannot be read is left to the cells.
func checkDimension(ref string) error {
	last := ref[strings.LastIndexByte(ref, ':')+1:]
	col, row, err := parseCellRef(last)
	if err != nil {
		return nil
	}
	if col >= MaxColumns || row > maxFileRows {
		return tooLarge("", "its used range is %s; an import reads at most %d columns (A to %s) and rows 1 to %d",
			ref, MaxColumns, columnLetter(MaxColumns-1), maxFileRows)
	}
	return nil
}

// parseCellRef reads "XFD100" as column 16383 (0-based) and row 100.
// Letters after the seventh are not counted: the column is far beyond
// any limit already, and the number stays small.
func parseCellRef(ref string) (col, row int, err error) {
	i := 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		if i < 7 {
			col = col*26 + int(c-'a') + 1
		}
	}
	if i == 0 || i == len(ref) {
		return 0, 0, fmt.Errorf("%q is not a cell reference", ref)
	}
	row, err = strconv.Atoi(ref[i:])
	if err != nil || row < 1 {
		return 0, 0, fmt.Errorf("%q is not a cell reference", ref)
	}
	return col - 1, row, nil
}

// readRow reads a row just started: its number, then its cells. Only
// the cells with a value are kept; the row's cells are laid out as
// GetRows lays them out, trailing empty cells dropped.
func (s *sheetRows) readRow(se xml.StartElement) (record, error) {
	n := s.row + 1
	if v, ok := attr(se, "r"); ok {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return record{}, fmt.Errorf("row %q after row %d: not a row number", v, s.row)
		}
	}
	if n <= s.row {
		return record{}, fmt.Errorf("row %d comes after row %d: the rows are out of order", n, s.row)
	}
	if n > maxFileRows {
		return record{}, tooLarge(fmt.Sprintf("row %d", n), "%s", rowLimit())
	}
	s.row = n
	s.cells = s.cells[:0]
	start, col := s.p.depth, -1
	for {
		tok, err := s.p.token()
		if err != nil {
			return record{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "c" || s.p.depth != start+1 {
				if err := s.p.skip(); err != nil {
					return record{}, err
				}
				continue
			}
			if col, err = s.readCell(t, col); err != nil {
				return record{}, err
			}
		case xml.EndElement:
			if s.p.depth < start {
				return record{row: n, cells: s.layout()}, nil
			}
		}
	}
}

// readCell reads a cell just started, the one after column prev. Its
// column is checked against the limit before its value is read.
func (s *sheetRows) readCell(se xml.StartElement, prev int) (int, error) {
	c := sheetCell{col: prev + 1, typ: attrOr(se, "t", "")}
	if ref, ok := attr(se, "r"); ok {
		col, _, err := parseCellRef(ref)
		if err != nil {
			return prev, fmt.Errorf("row %d: %w", s.row, err)
		}
		c.col = col
	}
	if c.col >= MaxColumns {
		return prev, tooLarge(at(s.row, c.col), "an import reads at most %d columns (A to %s)", MaxColumns, columnLetter(MaxColumns-1))
	}
	if c.col <= prev {
		return prev, fmt.Errorf("%s comes after column %s: the cells are out of order", at(s.row, c.col), columnLetter(prev))
	}
	style, _ := strconv.Atoi(attrOr(se, "s", "0"))
	if err := s.readValue(&c, style); err != nil {
		if errors.Is(err, errLongCell) || errors.Is(err, errMarkupRun) {
			return prev, tooLarge(at(s.row, c.col), "the cell holds more than %d characters, the most a cell can", MaxCellChars)
		}
		return prev, fmt.Errorf("%s: %w", at(s.row, c.col), err)
	}
	if c.text != "" || c.raw != "" || c.formula {
		s.cells = append(s.cells, c)
	}
	return c.col, nil
}

// readValue reads a cell's children and works out its text and stored
// value the way excelize does for each cell type.
func (s *sheetRows) readValue(c *sheetCell, style int) error {
	var v, inline string
	hasInline := false
	start := s.p.depth
	over := func() error { return errLongCell }
	for {
		tok, err := s.p.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case s.p.depth != start+1:
				err = s.p.skip()
			case t.Name.Local == "v":
				v, err = s.p.text(maxCellBytes, over)
			case t.Name.Local == "is":
				inline, err = s.p.richText(over)
				hasInline = true
			case t.Name.Local == "f":
				c.formula = true
				err = s.p.skip()
			default:
				err = s.p.skip()
			}
			if err != nil {
				return err
			}
		case xml.EndElement:
			if s.p.depth < start {
				return s.setValue(c, style, v, inline, hasInline)
			}
		}
	}
}

// setValue sets a cell's text and stored value from its <v> or <is>.
func (s *sheetRows) setValue(c *sheetCell, style int, v, inline string, hasInline bool) error {
	if len(v) > MaxCellChars && utf8.RuneCountInString(v) > MaxCellChars {
		return errLongCell
	}
	switch c.typ {
	case "s":
		if v == "" {
			return nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a shared string index", v)
		}
		str, ok := s.sst.get(i)
		if !ok {
			return fmt.Errorf("the cell refers to shared string %d, and the workbook has %d", i, s.sst.size())
		}
		c.raw, c.text = str, s.formats.show(style, str, kindText)
	case "inlineStr":
		if hasInline {
			v = inline
		}
		c.raw, c.text = v, s.formats.show(style, v, kindText)
	case "str", "d":
		// A formula's text result is shown as stored. Date cells (ISO
		// 8601 text, which Excel does not write) are kept as that text,
		// where GetRows made a serial number of them.
		c.raw, c.text = v, v
	case "b":
		c.raw, c.text = v, v
		switch v {
		case "1":
			c.text = "TRUE"
		case "0":
			c.text = "FALSE"
		}
	default:
		c.raw, c.text = v, s.formats.show(style, generalNumber(v), kindNumber)
	}
	return nil
}

// layout lays the row's cells out by column as GetRows does: the row ends
// at its last cell with a text or a formula, and a cell keeps its stored
// value only where the raw row (RawCellValue) reaches.
func (s *sheetRows) layout() []cell {
	width, rawWidth := 0, 0
	for _, c := range s.cells {
		if c.text != "" || c.formula {
			width = c.col + 1
		}
		if c.raw != "" || c.formula {
			rawWidth = c.col + 1
		}
	}
	if width == 0 {
		return nil
	}
	cells := make([]cell, width)
	for _, c := range s.cells {
		if c.col >= width {
			break
		}
		out := cell{text: c.text, raw: c.text}
		if c.col < rawWidth {
			out.raw = c.raw
		}
		// Number cells have no type attribute (unset), "n", or one
		// excelize does not know.
		out.number = out.raw != "" && isNumberType(c.typ)
		cells[c.col] = out
	}
	return cells
}

func isNumberType(t string) bool {
	switch t {
	case "b", "d", "e", "s", "str", "inlineStr":
		return false
	}
	return true
}

// generalNumber is a number cell's value without a number format, as
// excelize shows it: at most 15 significant digits, like Excel.
func generalNumber(v string) string {
	if strings.Contains(v, "_") {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	plain := strconv.FormatFloat(f, 'f', -1, 64)
	if len(plain)-strings.Count(plain, ".") > 15 && !withinPrecision(v) {
		return strconv.FormatFloat(f, 'G', 15, 64)
	}
	return plain
}

// withinPrecision reports an integer written with zeros after Excel's 15
// significant digits.
func withinPrecision(v string) bool {
	if strings.ContainsAny(v, ".Ee") {
		return false
	}
	v = strings.TrimLeft(v, "+-0")
	return len(strings.TrimRight(v, "0")) <= 15
}
