//go:build linux

package cli

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The package parts of a one-sheet workbook written by hand: the hostile
// workbooks cannot be made with a spreadsheet library.
var workbookParts = map[string]string{
	"[Content_Types].xml": `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
	"_rels/.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
	"xl/workbook.xml": `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
	"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
}

const sheetStart = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`

// writeWorkbook writes a workbook whose sheet is written by sheet, into
// the zip directly.
func writeWorkbook(t *testing.T, path string, sheet func(z *zip.Writer)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	z := zip.NewWriter(f)
	for name, body := range workbookParts {
		w, _ := z.Create(name)
		io.WriteString(w, body)
	}
	sheet(z)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// xfdWorkbook is the first workbook (about 500 KB): our template's
// header, then 100,000 rows with one cell each in column XFD.
func xfdWorkbook(t *testing.T, path string) {
	writeWorkbook(t, path, func(z *zip.Writer) {
		w, _ := z.Create("xl/worksheets/sheet1.xml")
		io.WriteString(w, sheetStart+`<row r="1">`)
		for i, h := range []string{"order_id", "receiver_name", "receiver_mobile", "receiver_province", "receiver_city", "receiver_area", "receiver_address", "goods_name"} {
			fmt.Fprintf(w, `<c r="%c1" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+i, h)
		}
		io.WriteString(w, `</row>`)
		for r := 2; r <= 100_001; r++ {
			fmt.Fprintf(w, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	})
}

// hugeCellWorkbook is the second workbook: one cell of 1000 MB of
// "A" in a file of 1 MB. The deflate stream is one megabyte deflated
// once (a fresh compressor, flushed, so its blocks refer only within
// themselves) and copied a thousand times.
func hugeCellWorkbook(t *testing.T, path string) {
	head := sheetStart + `<row r="1"><c r="A1" t="inlineStr"><is><t>`
	tail := `</t></is></c></row></sheetData></worksheet>`
	chunk := bytes.Repeat([]byte("A"), 1<<20)
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
	crc := crc32.Update(0, crc32.IEEETable, []byte(head))
	crc = crc32.Update(crc, crc32.IEEETable, chunk)
	for range 999 {
		stream.Write(one)
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	deflate([]byte(tail), true)
	crc = crc32.Update(crc, crc32.IEEETable, []byte(tail))
	writeWorkbook(t, path, func(z *zip.Writer) {
		w, err := z.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(stream.Len()), UncompressedSize64: uint64(len(head) + 1000<<20 + len(tail))})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(stream.Bytes())
	})
}

// childRun is a finished `waybilldesk ...` child process.
type childRun struct {
	stderr string
	code   int
	took   time.Duration
	maxRSS int64 // bytes
}

// runChild runs `waybilldesk args...` as a separate process, the way a
// user does, with TMPDIR set to tmp, and reports its peak resident
// memory.
func runChild(t *testing.T, tmp string, args ...string) childRun {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0])
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WAYBILLDESK_") && !strings.HasPrefix(kv, "TMPDIR=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, sandboxChildEnv+"=1", sandboxArgsEnv+"="+string(raw), "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	r := childRun{stderr: stderr.String(), took: time.Since(start)}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	r.code = cmd.ProcessState.ExitCode()
	r.maxRSS = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KB on Linux
	return r
}

// TestImportHostileWorkbooksInAChild: the two workbooks, and
// /dev/zero named as a CSV, given to the real `import --dry-run` in a
// process of its own, are refused with a clear error within 2 s, the
// process never holding 300 MB, and no file is left in its temporary
// directory. The workbooks took it to 5.8 GB and out of memory; the second
// left a 1 GB temporary file each try; /dev/zero was read until memory ran
// out.
func TestImportHostileWorkbooksInAChild(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, want string
		write      func(*testing.T, string)
	}{
		{"xfd.xlsx", "import xfd.xlsx: sheet Sheet1: row 2, column XFD: too large: an import reads at most 200 columns (A to GR)", xfdWorkbook},
		{"huge-cell.xlsx", "import huge-cell.xlsx: read sheet Sheet1: xl/worksheets/sheet1.xml: too large: 1000.0 MB uncompressed, more than the 256 MB an import reads", hugeCellWorkbook},
		{"zero.csv", "import zero.csv: too large: the file holds more than the 64 MB an import reads", func(t *testing.T, path string) {
			if err := os.Symlink("/dev/zero", path); err != nil {
				t.Skip(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			tt.write(t, path)
			tmp := t.TempDir()
			r := runChild(t, tmp, "--sandbox", "--db", filepath.Join(t.TempDir(), "history.db"), "import", "--dry-run", path)
			st, _ := os.Stat(path)
			t.Logf("%d KB file: exit %d in %v, peak RSS %d MB: %s", st.Size()>>10, r.code, r.took.Round(time.Millisecond), r.maxRSS>>20, strings.TrimSpace(r.stderr))
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, tt.want)
			}
			if r.took > 2*time.Second*raceSlowdown {
				t.Errorf("refused after %v, want within 2 s", r.took)
			}
			if r.maxRSS > 300<<20*raceMemory {
				t.Errorf("peak RSS %d MB, want under 300 MB", r.maxRSS>>20)
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("%d files left in the temporary directory, e.g. %s", len(left), left[0].Name())
			}
		})
	}
}
