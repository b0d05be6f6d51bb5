package batch

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// What a hostile file may cost before it is refused: the "done when" of
// issue 14 (the time limit is for a plain build; see slowdown).
const (
	hostileTime  = 2 * time.Second * slowdown
	hostileBytes = 300 << 20
)

// refused runs read, which must fail as too large (ErrTooLarge, unless
// tooLarge is false) with want in its message, within hostileTime, the
// heap in use staying under hostileBytes all along, and leaving no file
// in the temporary directory.
func refused(t *testing.T, want string, tooLarge bool, read func() error) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	runtime.GC()
	stop := sampleHeap()
	start := time.Now()
	err := read()
	took := time.Since(start)
	peak, allocated := stop()
	switch {
	case err == nil:
		t.Fatalf("accepted; want an error with %q", want)
	case !strings.Contains(err.Error(), want):
		t.Fatalf("error %q, want %q in it", err, want)
	case tooLarge && !errors.Is(err, ErrTooLarge):
		t.Fatalf("error %q is not ErrTooLarge", err)
	case took > hostileTime:
		t.Fatalf("refused after %v, want within %v", took, hostileTime)
	case peak > hostileBytes:
		t.Fatalf("heap in use reached %d MB, want under %d MB", peak>>20, hostileBytes>>20)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Fatalf("left %d files in the temporary directory, e.g. %s", len(left), left[0].Name())
	}
	t.Logf("%v, heap in use at most %d MB, %d MB allocated: %v", took.Round(time.Millisecond), peak>>20, allocated>>20, err)
}

// sampleHeap watches the heap in use every millisecond until the
// returned stop is called, which tells the most seen and how much was
// allocated in all meanwhile.
func sampleHeap() (stop func() (peak, allocated uint64)) {
	var first runtime.MemStats
	runtime.ReadMemStats(&first)
	done, result := make(chan struct{}), make(chan uint64)
	go func() {
		peak := first.HeapInuse
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				result <- peak
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		peak := <-result
		var last runtime.MemStats
		runtime.ReadMemStats(&last)
		return max(peak, last.HeapInuse), last.TotalAlloc - first.TotalAlloc
	}
}

// bombPart is a zip part of head, mb megabytes of fill, and tail,
// compressed about a thousand to one without compressing it all: one
// megabyte of fill is deflated once, by a fresh compressor and flushed, so
// its blocks refer only within themselves, and copied mb times.
func bombPart(t testing.TB, name, head string, fill byte, mb int, tail string) xlsxPart {
	return xlsxPart{name: name, raw: func(z *zip.Writer) {
		chunk := bytes.Repeat([]byte{fill}, 1<<20)
		var stream bytes.Buffer
		deflate := func(b []byte, final bool) {
			fw, _ := flate.NewWriter(&stream, flate.BestCompression)
			fw.Write(b)
			if final {
				fw.Close()
			} else {
				fw.Flush()
			}
		}
		deflate([]byte(head), false)
		mark := stream.Len()
		deflate(chunk, false)
		one := bytes.Clone(stream.Bytes()[mark:])
		crc := crc32.NewIEEE()
		crc.Write([]byte(head))
		crc.Write(chunk)
		for i := 1; i < mb; i++ {
			stream.Write(one)
			crc.Write(chunk)
		}
		deflate([]byte(tail), true)
		crc.Write([]byte(tail))
		w, err := z.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(stream.Len()), UncompressedSize64: uint64(len(head) + mb<<20 + len(tail))})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(stream.Bytes())
	}}
}

// templateHeaderRow is our template's header as a sheet row 1 of inline
// strings, so the rows below are read as orders.
func templateHeaderRow() string {
	var b strings.Builder
	b.WriteString(`<row r="1">`)
	for i, h := range templateHeader() {
		fmt.Fprintf(&b, `<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>`, columnLetter(i), h)
	}
	b.WriteString(`</row>`)
	return b.String()
}

// xfdWorkbook is the workbook: a header, then 100,000 rows with one
// cell each in the last column Excel has, XFD. About 500 KB.
func xfdWorkbook(t testing.TB) []byte {
	return streamedWorkbook(t, func(w io.Writer) {
		io.WriteString(w, `<sheetData>`+templateHeaderRow())
		for r := 2; r <= 100_001; r++ {
			fmt.Fprintf(w, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
		}
		io.WriteString(w, `</sheetData>`)
	}, nil)
}

// hugeCellWorkbook is the other workbook: one cell of 1000 MB in a
// file of 1 MB.
func hugeCellWorkbook(t testing.TB) []byte {
	return zipParts(t, append(packageParts(), bombPart(t, "xl/worksheets/sheet1.xml",
		sheetHead+`<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>`, 'A', 1000, `</t></is></c></row></sheetData></worksheet>`))...)
}

// TestHostileWorkbooks: the real importer refuses each workbook with a
// clear error naming the limit and the place, in well under 2 s and 300
// MB, and leaves no file behind.
func TestHostileWorkbooks(t *testing.T) {
	e := newEnv(t)
	im := e.importer(t, nil)
	preview := func(data []byte) func() error {
		return func() error { _, err := im.Preview(context.Background(), "hostile.xlsx", data); return err }
	}
	rows := func(s string) []byte { return handWorkbook(t, `<sheetData>`+s+`</sheetData>`, "") }
	big := strings.Repeat("长", 7<<20) // 21 MB of text in one cell
	for _, tt := range []struct {
		name, want string
		data       []byte
	}{
		{"100k rows with a cell in XFD", "sheet Sheet1: row 2, column XFD: too large: an import reads at most 200 columns (A to GR)", xfdWorkbook(t)},
		{"a 1000 MB cell in a 1 MB file", "xl/worksheets/sheet1.xml: too large: 1000.0 MB uncompressed, more than the 256 MB", hugeCellWorkbook(t)},
		{"a 21 MB cell", "sheet Sheet1: row 1, column B: too large: the cell holds more than 32767 characters",
			rows(`<row r="1"><c r="B1" t="inlineStr"><is><t>` + big + `</t></is></c></row>`)},
		{"a 21 MB cell in CDATA with < inside", "row 1, column A: too large: the cell holds more than 32767 characters",
			rows(`<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[` + strings.Repeat("<x>", 7<<20) + `]]></t></is></c></row>`)},
		{"a 21 MB shared string", "xl/sharedStrings.xml: too large: one of its strings holds more than 32767 characters",
			handWorkbook(t, `<sheetData/>`, `<si><t>`+big+`</t></si>`)},
		{"a zip bomb for shared strings", "xl/sharedStrings.xml: too large: 2000.0 MB uncompressed", zipParts(t, append(packageParts(),
			xlsxPart{name: "xl/worksheets/sheet1.xml", write: text(sheetHead + `<sheetData/></worksheet>`)},
			bombPart(t, "xl/sharedStrings.xml", sstHead+`<si><t>`, ' ', 2000, `</t></si></sst>`))...)},
		{"a zip bomb for styles", "xl/styles.xml: too large: 100.0 MB uncompressed, more than the 16 MB", zipParts(t, append(packageParts(),
			xlsxPart{name: "xl/worksheets/sheet1.xml", write: text(sheetHead + `<sheetData/></worksheet>`)},
			bombPart(t, "xl/styles.xml", `<styleSheet>`, ' ', 100, `</styleSheet>`))...)},
		{"10,001 zip entries", "too large: the workbook has more than 10000 parts", manyParts(t, 10_001)},
		{"5 million shared strings declared", "5000000 shared strings, more than the 4000000",
			sstWorkbook(t, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="5000000"><si><t>a</t></si></sst>`)},
		{"a used range to XFD", "sheet Sheet1: too large: its used range is A1:XFD1048576",
			handWorkbook(t, `<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>`, "")},
		{"row 100021", "row 100021: too large: an import reads at most 100000 orders, in rows 1 to 100020",
			rows(`<row r="1"><c r="A1"><v>1</v></c></row><row r="100021"><c r="A100021"><v>1</v></c></row>`)},
		{"a cell in column GS", "row 1, column GS: too large", rows(`<row r="1"><c r="GR1"><v>1</v></c><c r="GS1"><v>1</v></c></row>`)},
		{"a cell reference of 20 letters", "row 1, column", rows(`<row r="1"><c r="ZZZZZZZZZZZZZZZZZZZZ1"><v>1</v></c></row>`)},
		{"elements nested 100 deep", "nested more than 64 deep",
			rows(`<row r="1"><c r="A1"><v>1</v>` + strings.Repeat("<x>", 100) + strings.Repeat("</x>", 100) + `</c></row>`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Logf("file of %d KB", len(tt.data)>>10)
			refused(t, tt.want, true, preview(tt.data))
		})
	}
}

// sstWorkbook is a workbook with an empty sheet and the given shared
// strings part.
func sstWorkbook(t testing.TB, sst string) []byte {
	return zipParts(t, append(packageParts(), xlsxPart{name: "xl/worksheets/sheet1.xml", write: text(sheetHead + `<sheetData/></worksheet>`)},
		xlsxPart{name: "xl/sharedStrings.xml", write: text(sst)})...)
}

// sheetWorkbook is a workbook with the given sheet part, whole.
func sheetWorkbook(t testing.TB, sheet string) []byte {
	return zipParts(t, append(packageParts(), xlsxPart{name: "xl/worksheets/sheet1.xml", write: text(sheet)})...)
}

// manyParts is a workbook with n empty extra parts.
func manyParts(t testing.TB, n int) []byte {
	parts := packageParts()
	for i := range n {
		parts = append(parts, xlsxPart{name: fmt.Sprintf("x/%d", i), write: text("")})
	}
	return zipParts(t, parts...)
}

// TestMalformedWorkbooksBounded: broken in ways that are not about size,
// still refused in time and memory.
func TestMalformedWorkbooksBounded(t *testing.T) {
	// The sheet says it is 1 KB and holds 100 MB: the zip reader stops at
	// the declared size.
	lying := zipParts(t, append(packageParts(), xlsxPart{name: "xl/worksheets/sheet1.xml", raw: func(z *zip.Writer) {
		var body bytes.Buffer
		fw, _ := flate.NewWriter(&body, flate.BestSpeed)
		io.WriteString(fw, sheetHead+`<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>`)
		fw.Write(bytes.Repeat([]byte("A"), 100<<20))
		fw.Close()
		w, _ := z.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CompressedSize64: uint64(body.Len()), UncompressedSize64: 1024})
		w.Write(body.Bytes())
	}})...)
	for _, tt := range []struct {
		name, want string
		data       []byte
	}{
		{"a document type with entities", "document type declaration", sheetWorkbook(t, `<?xml version="1.0"?>`+
			`<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>`+
			`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>`)},
		{"a part longer than it says", "sheet Sheet1", lying},
		{"not a zip", "not an XLSX file", []byte("PK\x03\x04 this is not a zip")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			refused(t, tt.want, false, func() error { return readAll(tt.data) })
		})
	}
}

// TestHostileTextFiles: CSV and JSON Lines files over a limit, and
// /dev/zero given as either, are refused by the real importer with a
// clear error, in time and memory.
func TestHostileTextFiles(t *testing.T) {
	e := newEnv(t)
	im := e.importer(t, nil)
	dir := t.TempDir()
	file := func(name string, write func(w io.Writer)) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		write(f)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	zero := func(name string) string {
		path := filepath.Join(dir, name)
		if err := os.Symlink("/dev/zero", path); err != nil {
			t.Skip("no /dev/zero:", err)
		}
		return path
	}
	header := strings.Join(templateHeader(), ",") + "\n"
	sparse := file("big.csv", func(w io.Writer) { w.(*os.File).Truncate(70 << 20) })
	for _, tt := range []struct{ name, path, want string }{
		{"a 70 MB CSV", sparse, "import big.csv: too large: the file is 70 MB, more than the 64 MB an import reads"},
		{"/dev/zero as CSV", zero("zero.csv"), "import zero.csv: too large: the file holds more than the 64 MB an import reads"},
		{"/dev/zero as JSON Lines", zero("zero.jsonl"), "import zero.jsonl: too large: the file holds more than the 64 MB"},
		{"a CSV line of 2 MB", file("line.csv", func(w io.Writer) {
			io.WriteString(w, header+strings.Repeat("x", 2<<20)+"\n")
		}), "CSV row 2: too large: a line is longer than the 1 MB an import reads"},
		{"a quoted CSV field of 2 MB over many lines", file("quoted.csv", func(w io.Writer) {
			io.WriteString(w, header+`,"`+strings.Repeat("收件人\n", 100_000)+`"`+"\n")
		}), "CSV row 2, column B: too large: the value holds more than 32767 characters"},
		{"a quoted CSV value of 32 MB, as one record", file("record.csv", func(w io.Writer) {
			// A record's lines are not each limited: the file size bounds
			// it (a record of 63 MB peaks at 265 MB of heap).
			io.WriteString(w, header+`,"`+strings.Repeat("收件人\n", 3_300_000)+`"`+"\n")
		}), "CSV row 2, column B: too large: the value holds more than 32767 characters"},
		{"a CSV of 201 columns", file("wide.csv", func(w io.Writer) {
			io.WriteString(w, header+strings.Repeat("1,", 200)+"1\n")
		}), "CSV row 2: too large: 201 columns; an import reads at most 200 (A to GR)"},
		{"a JSON line of 2 MB", file("line.jsonl", func(w io.Writer) {
			io.WriteString(w, "{}\n"+`{"order_id":"`+strings.Repeat("x", 2<<20)+`"}`+"\n")
		}), "line 2: too large: the line is longer than the 1 MB an import reads"},
		{"100,001 JSON lines", file("many.jsonl", func(w io.Writer) {
			io.WriteString(w, strings.Repeat("1\n", MaxRows+1))
		}), "line 100001: too large: an import reads at most 100000 orders"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			refused(t, tt.want, true, func() error { _, err := im.PreviewFile(context.Background(), tt.path); return err })
		})
	}
}

// TestCSVRowLimit: a CSV is read up to row 100,020 (100,000 orders under
// up to 20 title and header rows), and no further.
func TestCSVRowLimit(t *testing.T) {
	src := openCSV([]byte(strings.Repeat("a\n", maxFileRows+1)))
	var err error
	for n := 0; err == nil; n++ {
		_, err = src.next()
		if n > maxFileRows+1 {
			t.Fatal("read past the limit")
		}
	}
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "CSV row 100021: too large: an import reads at most 100000 orders") {
		t.Fatalf("error %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
