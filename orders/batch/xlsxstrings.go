package batch

import (
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxCellBytes bounds a cell's text as stored, before the _xHHHH_ escapes
// are decoded: seven bytes may make one character.
const maxCellBytes = 8 * MaxCellChars

// sharedStrings is a workbook's shared string table, kept as one block of
// text and where each string ends in it: four bytes a string beyond the
// text, instead of a Go string header each.
type sharedStrings struct {
	text []byte
	ends []uint32
}

// get returns string i of the table; a copy, so a kept cell does not pin
// the whole table.
func (s *sharedStrings) get(i int) (string, bool) {
	if s == nil || i < 0 || i >= len(s.ends) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return string(s.text[start:s.ends[i]]), true
}

// size is how many strings the table holds.
func (s *sharedStrings) size() int {
	if s == nil {
		return 0
	}
	return len(s.ends)
}

// readSharedStrings reads the shared string table within MaxSharedStrings
// and MaxSharedStringBytes.
func readSharedStrings(w *workbook, name string) (*sharedStrings, error) {
	p, err := w.open(name, MaxWorkbookBytes)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	s := &sharedStrings{}
	for {
		tok, err := p.token()
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case se.Name.Local == "sst" && p.depth == 1:
			if n, err := strconv.Atoi(attrOr(se, "uniqueCount", "0")); err == nil && n > MaxSharedStrings {
				return nil, tooLarge(name, "%d shared strings, more than the %d an import reads", n, MaxSharedStrings)
			}
		case se.Name.Local == "si" && p.depth == 2:
			if err := s.add(p, name); err != nil {
				return nil, err
			}
		default:
			if err := p.skip(); err != nil {
				return nil, err
			}
		}
	}
}

// add reads one string item into the table.
func (s *sharedStrings) add(p *part, name string) error {
	n := len(s.ends)
	if n >= MaxSharedStrings {
		return tooLarge(name, "more than the %d shared strings an import reads", MaxSharedStrings)
	}
	over := func() error {
		return tooLarge(name, "one of its strings holds more than %d characters, the most a cell can", MaxCellChars)
	}
	v, err := p.richText(over)
	if errors.Is(err, errMarkupRun) {
		return over()
	}
	if err != nil {
		return err
	}
	if len(s.text)+len(v) > MaxSharedStringBytes {
		return tooLarge(name, "more than the %s of shared strings an import reads", megabytes(MaxSharedStringBytes))
	}
	s.text = append(s.text, v...)
	s.ends = append(s.ends, uint32(len(s.text)))
	return nil
}

// attrOr returns an attribute, or dflt when the element has none.
func attrOr(se xml.StartElement, name, dflt string) string {
	if v, ok := attr(se, name); ok {
		return v
	}
	return dflt
}

// richText reads a string item just started (<si>, or a cell's <is>): its
// <t>, then the <t> of each run <r>; phonetic runs (<rPh>) are not part of
// the value. The result has its _xHHHH_ escapes decoded and is at most
// MaxCellChars characters; over is the error when it is longer.
func (p *part) richText(over func() error) (string, error) {
	var sb strings.Builder
	start, inRun := p.depth, false
	for {
		tok, err := p.token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Local == "t" && (p.depth == start+1 || inRun && p.depth == start+2):
				v, err := p.text(maxCellBytes-sb.Len(), over)
				if err != nil {
					return "", err
				}
				sb.WriteString(v)
			case t.Name.Local == "r" && p.depth == start+1:
				inRun = true
			default:
				if err := p.skip(); err != nil {
					return "", err
				}
			}
		case xml.EndElement:
			if p.depth < start {
				v := bstrDecode(sb.String())
				if utf8.RuneCountInString(v) > MaxCellChars {
					return "", over()
				}
				return v, nil
			}
			if p.depth == start {
				inRun = false
			}
		}
	}
}

// bstrRe is OOXML's escape of a character XML cannot hold: _x0008_.
var bstrRe = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)

// bstrDecode decodes the _xHHHH_ escapes of a string item as excelize
// does (_x005F_ is a literal underscore; an escape of half a surrogate
// pair is dropped), in one pass.
func bstrDecode(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range bstrRe.FindAllStringIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		if s[m[0]:m[1]] == "_x005F_" {
			b.WriteByte('_')
		} else {
			v, _ := strconv.Unquote(`"\u` + s[m[0]+2:m[1]-1] + `"`)
			b.WriteString(v)
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}
