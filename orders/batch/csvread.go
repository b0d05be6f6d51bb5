package batch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// decodeText turns a CSV file's bytes into UTF-8 and names the encoding it
// found. Shop back-ends and Excel write UTF-8 with a BOM, plain UTF-8, GBK
// (Excel on Chinese Windows saves "CSV" in the ANSI code page, which is
// GBK) or UTF-16 ("Unicode text"). GB18030 is a superset of GBK, so it
// decodes both.
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return string(data[3:]), "UTF-8 BOM", nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return "", "", fmt.Errorf("decode UTF-16: %w", err)
		}
		return string(out), "UTF-16", nil
	case utf8.Valid(data):
		return string(data), "UTF-8", nil
	}
	// A file cut off mid-write may end inside a character: still UTF-8.
	for k := 1; k <= 3 && k < len(data); k++ {
		if utf8.Valid(data[:len(data)-k]) && !utf8.FullRune(data[len(data)-k:]) {
			return string(data[:len(data)-k]), "UTF-8", nil
		}
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", "", fmt.Errorf("the file is neither UTF-8 nor GBK/GB18030: %w", err)
	}
	return string(out), "GB18030", nil
}

// sniffDelimiter picks tab for tab-separated text and comma otherwise, by
// counting both in the first lines.
func sniffDelimiter(text string) rune {
	head := text
	if len(head) > 4096 {
		head = head[:4096]
	}
	if bytes.Count([]byte(head), []byte("\t")) > bytes.Count([]byte(head), []byte(",")) {
		return '\t'
	}
	return ','
}

// readCSV reads a CSV (or tab-separated) file into records numbered as
// Excel would number them: one row per record, even when a quoted value
// spans lines.
func readCSV(data []byte) (*table, error) {
	text, enc, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader([]byte(text)))
	r.Comma = sniffDelimiter(text)
	r.FieldsPerRecord = -1 // shop exports leave trailing cells out; rows are checked against the header later
	r.LazyQuotes = true    // Taobao writes ="123..." to keep Excel off long numbers
	t := &table{encoding: enc}
	for n := 1; ; n++ {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV row %d: %w", n, err)
		}
		cells := make([]cell, len(fields))
		for i, f := range fields {
			cells[i] = cell{text: f, raw: f}
		}
		t.records = append(t.records, record{row: n, cells: cells})
	}
	return t, nil
}
