package batch

import (
	"fmt"
	"regexp"
	"strings"
)

// RowError is a problem with one row, named the way the user finds it in
// the file: the row number as Excel shows it (1-based, the header row
// included) and the column's letter and header. Field is our field name
// (tabular files) or the JSON path (JSON Lines).
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"` // letter, e.g. "C"
	Header  string `json:"header,omitempty"` // e.g. "联系手机"
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e RowError) Error() string {
	switch {
	case e.Column != "":
		return fmt.Sprintf("row %d, column %s (%s): %s", e.Row, e.Column, e.Header, e.Message)
	case e.Header != "":
		return fmt.Sprintf("row %d, %s: %s", e.Row, e.Header, e.Message)
	}
	return fmt.Sprintf("row %d: %s", e.Row, e.Message)
}

// source is where a request field's value came from: a column, or a
// default named for the user (e.g. "--weight / default_parcel").
type source struct {
	col    int // -1 when not a column
	field  Field
	header string
	dflt   string
}

// sources maps addOrder JSON paths ("receiver.mobile") to their source.
type sources map[string]source

var indexRe = regexp.MustCompile(`\[\d+\]`)

// lookup finds the source of a validation error's field: the path itself,
// then without list indexes, then its leading parts.
func (s sources) lookup(path string) (source, bool) {
	for _, p := range []string{path, indexRe.ReplaceAllString(path, "")} {
		for p != "" {
			if src, ok := s[p]; ok {
				return src, true
			}
			i := strings.LastIndex(p, ".")
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return source{}, false
}
