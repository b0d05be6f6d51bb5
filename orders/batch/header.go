package batch

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Column is a column of the file that the import reads, with the field it
// fills.
type Column struct {
	Field  Field  `json:"field"`
	Header string `json:"header"` // as written in the file
	Letter string `json:"column"` // Excel's column letter, A for the first
	index  int
}

// headerScanRows is how far down a header row is looked for: exports put
// a title, a date range or a shop name above it.
const headerScanRows = 20

// minHeaderFields is how many known columns make a row the header row.
const minHeaderFields = 3

// normalizeHeader makes header spellings comparable: no spaces, half-width
// brackets and slashes, lower case, no "*" or (必填)/(选填) marks.
func normalizeHeader(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r), r == '\ufeff', r == '*', r == '＊':
			return -1
		case r == '（':
			return '('
		case r == '）':
			return ')'
		case r == '／':
			return '/'
		}
		return unicode.ToLower(r)
	}, s)
	for _, mark := range []string{"(必填)", "(选填)", "(可选)", "(非必填)"} {
		s = strings.TrimSuffix(s, mark)
	}
	return s
}

// mapColumns assigns the file's columns to fields: the --map entries
// first, then each field's aliases in order of preference. A column serves
// one field only.
func mapColumns(headers []string, override ColumnMap) (map[Field]int, []string) {
	byName := map[string][]int{}
	for i, h := range headers {
		if n := normalizeHeader(h); n != "" {
			byName[n] = append(byName[n], i)
		}
	}
	taken := map[int]bool{}
	cols := map[Field]int{}
	var missing []string
	claim := func(f Field, name string) bool {
		for _, i := range byName[normalizeHeader(name)] {
			if !taken[i] {
				taken[i], cols[f] = true, i
				return true
			}
		}
		return false
	}
	fields := make([]Field, 0, len(override))
	for f := range override {
		fields = append(fields, f)
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i] < fields[j] })
	for _, f := range fields {
		if !claim(f, override[f]) {
			missing = append(missing, fmt.Sprintf("%s → %q", f, override[f]))
		}
	}
	for _, spec := range fieldSpecs {
		if _, done := cols[spec.Field]; done {
			continue
		}
		if _, overridden := override[spec.Field]; overridden {
			continue
		}
		for _, alias := range spec.Aliases {
			if claim(spec.Field, alias) {
				break
			}
		}
	}
	return cols, missing
}

// layout is where a tabular file's header is and which columns it reads.
type layout struct {
	headerRow int // 1-based
	headers   []string
	cols      map[Field]int
}

// findHeader finds the header row: the first of the top rows that names at
// least three known columns.
func findHeader(t *table, override ColumnMap) (*layout, error) {
	bestScore, bestRow := 0, 0
	for _, rec := range t.records {
		if rec.row > headerScanRows {
			break
		}
		if rec.blank() {
			continue
		}
		headers := make([]string, len(rec.cells))
		for j, c := range rec.cells {
			headers[j] = strings.TrimSpace(c.text)
		}
		cols, missing := mapColumns(headers, override)
		if len(cols) > bestScore {
			bestScore, bestRow = len(cols), rec.row
		}
		if len(cols) < minHeaderFields {
			continue
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("the header row (row %d) has no column for --map %s", rec.row, strings.Join(missing, ", "))
		}
		return &layout{headerRow: rec.row, headers: headers, cols: cols}, nil
	}
	if bestScore > 0 {
		return nil, fmt.Errorf("no header row found: the best candidate, row %d, names only %d known column(s); "+
			"rename the columns as in the template (waybilldesk import --template) or give a column map (--map)", bestRow, bestScore)
	}
	return nil, fmt.Errorf("no header row found in the first %d rows: rename the columns as in the template (waybilldesk import --template) or give a column map (--map)", headerScanRows)
}

// columns lists the columns used, in file order.
func (l *layout) columns() []Column {
	var out []Column
	for f, i := range l.cols {
		out = append(out, Column{Field: f, Header: l.headers[i], Letter: columnLetter(i), index: i})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out
}
