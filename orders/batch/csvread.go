package batch

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// decodeText turns a CSV file's bytes into a reader of UTF-8 text and
// names the encoding it found. Shop back-ends and Excel write UTF-8 with a
// BOM, plain UTF-8, GBK (Excel on Chinese Windows saves "CSV" in the ANSI
// code page, which is GBK) or UTF-16 ("Unicode text"). GB18030 is a
// superset of GBK, so it decodes both. The text is decoded as it is read,
// not copied whole.
func decodeText(data []byte) (io.Reader, string) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return bytes.NewReader(data[3:]), "UTF-8 BOM"
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return decodeErrors{transform.NewReader(bytes.NewReader(data), dec), "decode UTF-16"}, "UTF-16"
	case utf8.Valid(data):
		return bytes.NewReader(data), "UTF-8"
	}
	// A file cut off mid-write may end inside a character: still UTF-8.
	for k := 1; k <= 3 && k < len(data); k++ {
		if utf8.Valid(data[:len(data)-k]) && !utf8.FullRune(data[len(data)-k:]) {
			return bytes.NewReader(data[:len(data)-k]), "UTF-8"
		}
	}
	dec := simplifiedchinese.GB18030.NewDecoder()
	return decodeErrors{transform.NewReader(bytes.NewReader(data), dec), "the file is neither UTF-8 nor GBK/GB18030"}, "GB18030"
}

// decodeErrors says which decoding failed.
type decodeErrors struct {
	r    io.Reader
	what string
}

func (d decodeErrors) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", d.what, err)
	}
	return n, err
}

// sniffDelimiter picks tab for tab-separated text and comma otherwise, by
// counting both in the first lines.
func sniffDelimiter(head []byte) rune {
	if len(head) > 4096 {
		head = head[:4096]
	}
	if bytes.Count(head, []byte("\t")) > bytes.Count(head, []byte(",")) {
		return '\t'
	}
	return ','
}

// errLongLine is a line over MaxLineBytes; the caller says which row.
var errLongLine = fmt.Errorf("%w: a line longer than %s", ErrTooLarge, megabytes(MaxLineBytes))

// lineGuard fails a read once a line grows past MaxLineBytes, before
// encoding/csv (which keeps a whole line) or a scanner holds more.
type lineGuard struct {
	r   io.Reader
	run int // bytes since the last newline
}

func (g *lineGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if i := bytes.LastIndexByte(p[:n], '\n'); i >= 0 {
		g.run = n - i - 1
	} else {
		g.run += n
	}
	if g.run > MaxLineBytes {
		return 0, errLongLine
	}
	return n, err
}

// csvSource streams a CSV (or tab-separated) file's records, numbered as
// Excel would number them: one row per record, even when a quoted value
// spans lines.
type csvSource struct {
	r        *csv.Reader
	n        int
	encoding string
}

// openCSV starts reading a CSV file.
func openCSV(data []byte) *csvSource {
	text, enc := decodeText(data)
	br := bufio.NewReaderSize(&lineGuard{r: text}, 64<<10)
	head, _ := br.Peek(4096)
	r := csv.NewReader(br)
	r.Comma = sniffDelimiter(head)
	r.FieldsPerRecord = -1 // shop exports leave trailing cells out; rows are checked against the header later
	r.LazyQuotes = true    // Taobao writes ="123..." to keep Excel off long numbers
	r.ReuseRecord = true   // the fields are copied into cells
	return &csvSource{r: r, encoding: enc}
}

// next returns the next record; io.EOF after the last.
func (s *csvSource) next() (record, error) {
	fields, err := s.r.Read()
	if errors.Is(err, io.EOF) {
		return record{}, io.EOF
	}
	s.n++
	where := fmt.Sprintf("CSV row %d", s.n)
	switch {
	case errors.Is(err, errLongLine):
		return record{}, tooLarge(where, "a line is longer than the %s an import reads", megabytes(MaxLineBytes))
	case err != nil:
		return record{}, fmt.Errorf("%s: %w", where, err)
	case s.n > maxFileRows:
		return record{}, tooLarge(where, "%s", rowLimit())
	case len(fields) > MaxColumns:
		return record{}, tooLarge(where, "%d columns; an import reads at most %d (A to %s)", len(fields), MaxColumns, columnLetter(MaxColumns-1))
	}
	cells := make([]cell, len(fields))
	for i, f := range fields {
		if len(f) > MaxCellChars && utf8.RuneCountInString(f) > MaxCellChars {
			return record{}, tooLarge("CSV "+at(s.n, i), "the value holds more than %d characters, the most a cell can", MaxCellChars)
		}
		cells[i] = cell{text: f, raw: f}
	}
	return record{row: s.n, cells: cells}, nil
}

// close has nothing to let go of: the file is in memory.
func (s *csvSource) close() error { return nil }
