package thermal

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// codec is one printer language as the tests drive it.
type codec struct {
	name   string
	encode func(*Bitmap, Job) ([]byte, error)
	decode func([]byte) (*Bitmap, Job, error)
	// exactWidth: the decoder knows the width in dots (ZPL ^PW); the others
	// give whole bytes.
	exactWidth bool
	// jobFields are the Job fields the language carries.
	jobFields func(Job) Job
}

func codecs(escOpts ESCPOSOptions) []codec {
	return []codec{
		{"tspl", EncodeTSPL, DecodeTSPL, false, func(j Job) Job {
			return Job{WidthMM: j.WidthMM, HeightMM: j.HeightMM, Copies: max(j.Copies, 1), Density: j.Density, Speed: j.Speed, GapMM: j.GapMM}
		}},
		{"zpl-hex", func(b *Bitmap, j Job) ([]byte, error) { return EncodeZPL(b, j, ZPLOptions{Form: ZPLHex}) }, DecodeZPL, true,
			func(j Job) Job { return Job{Copies: max(j.Copies, 1), Density: j.Density, Speed: j.Speed} }},
		{"zpl-z64", func(b *Bitmap, j Job) ([]byte, error) { return EncodeZPL(b, j, ZPLOptions{Form: ZPLZ64}) }, DecodeZPL, true,
			func(j Job) Job { return Job{Copies: max(j.Copies, 1), Density: j.Density, Speed: j.Speed} }},
		{"escpos", func(b *Bitmap, j Job) ([]byte, error) { return EncodeESCPOS(b, j, escOpts) }, DecodeESCPOS, false,
			func(j Job) Job { return Job{Copies: max(j.Copies, 1)} }},
	}
}

// checkDecoded compares a decoded image with the one encoded: the same dots
// in the encoded area, white beyond it (byte padding).
func checkDecoded(t *testing.T, c codec, want, got *Bitmap) {
	t.Helper()
	if err := got.Validate(); err != nil {
		t.Fatalf("%s: decoded bitmap: %v", c.name, err)
	}
	if got.Height != want.Height {
		t.Fatalf("%s: decoded height %d, want %d", c.name, got.Height, want.Height)
	}
	if c.exactWidth && got.Width != want.Width {
		t.Fatalf("%s: decoded width %d, want %d", c.name, got.Width, want.Width)
	}
	if got.Width < want.Width || got.Width > want.Stride()*8 {
		t.Fatalf("%s: decoded width %d, want %d..%d", c.name, got.Width, want.Width, want.Stride()*8)
	}
	if !got.Crop(want.Width, want.Height).Equal(want) {
		t.Fatalf("%s: decoded dots differ from the encoded ones", c.name)
	}
	if extra := got.BlackDots() - want.BlackDots(); extra != 0 {
		t.Fatalf("%s: %d black dots in the padding", c.name, extra)
	}
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{1, 1}, {7, 3}, {8, 8}, {9, 1}, {13, 17}, {64, 5}, {100, 300}, {799, 40}, {832, 24}}
	jobs := []Job{
		{DPI: 203},
		{WidthMM: 100, HeightMM: 180, Copies: 3, Density: 12, Speed: 4, GapMM: 2},
		{WidthMM: 76.5, HeightMM: 130.25, DPI: 300, Copies: 1, Density: 1, Speed: 14, GapMM: 3.5},
	}
	escOpts := []ESCPOSOptions{{}, {BandRows: 7, FeedLines: 5, Cut: true}, {BandRows: 1, FeedLines: -1, Cut: true}}
	for i, sz := range sizes {
		want := randomBitmap(r, sz[0], sz[1])
		job := jobs[i%len(jobs)]
		for _, c := range codecs(escOpts[i%len(escOpts)]) {
			t.Run(fmt.Sprintf("%s/%dx%d", c.name, sz[0], sz[1]), func(t *testing.T) {
				data, err := c.encode(want, job)
				if err != nil {
					t.Fatal(err)
				}
				got, gotJob, err := c.decode(data)
				if err != nil {
					t.Fatal(err)
				}
				checkDecoded(t, c, want, got)
				wantJob := c.jobFields(job)
				if c.name == "tspl" && job.WidthMM == 0 {
					wantJob.WidthMM, wantJob.HeightMM = mmForDots(want.Width, job.DPI), mmForDots(want.Height, job.DPI)
				}
				if gotJob != wantJob {
					t.Fatalf("job %+v, want %+v", gotJob, wantJob)
				}
			})
		}
	}
}

// TestRoundTripRasterOptions runs images through FromImage with rotations
// and offsets, then through every language.
func TestRoundTripRasterOptions(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	src := randomBitmap(r, 37, 21).Image()
	for _, opts := range []RasterOptions{
		{},
		{Rotate: 90, WidthDots: 40},
		{Rotate: 180, OffsetXDots: 5, OffsetYDots: -3},
		{Rotate: 270, OffsetXDots: -9, OffsetYDots: 4, WidthDots: 29, HeightDots: 50},
	} {
		want := FromImage(src, opts)
		for _, c := range codecs(ESCPOSOptions{BandRows: 8}) {
			t.Run(fmt.Sprintf("%s/%+v", c.name, opts), func(t *testing.T) {
				data, err := c.encode(want, Job{DPI: 203})
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := c.decode(data)
				if err != nil {
					t.Fatal(err)
				}
				checkDecoded(t, c, want, got)
			})
		}
	}
}

// TestGolden pins the exact bytes of each language for a 16x8 pattern.
// After a deliberate change: go test ./printing/thermal -run Golden -update
func TestGolden(t *testing.T) {
	b := patternBitmap()
	job := Job{WidthMM: 2, HeightMM: 1, Copies: 2, Density: 8, Speed: 4, GapMM: 2}
	cases := []struct {
		file   string
		encode func() ([]byte, error)
	}{
		{"pattern16x8.tspl", func() ([]byte, error) { return EncodeTSPL(b, job) }},
		{"pattern16x8.zpl", func() ([]byte, error) { return EncodeZPL(b, job, ZPLOptions{}) }},
		{"pattern16x8.z64.zpl", func() ([]byte, error) { return EncodeZPL(b, job, ZPLOptions{Form: ZPLZ64}) }},
		{"pattern16x8.escpos", func() ([]byte, error) {
			return EncodeESCPOS(b, job, ESCPOSOptions{BandRows: 3, FeedLines: 2, Cut: true})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got, err := tc.encode()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", tc.file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s changed:\n got %q\nwant %q\n(run with -update if the change is intended)", tc.file, got, want)
			}
		})
	}
}

// TestGoldenContent checks the golden bytes against the manuals by hand, so
// that -update cannot bless a wrong encoding unnoticed.
func TestGoldenContent(t *testing.T) {
	b := patternBitmap()
	job := Job{WidthMM: 2, HeightMM: 1, Copies: 2, Density: 8, Speed: 4, GapMM: 2}

	tspl, err := EncodeTSPL(b, job)
	if err != nil {
		t.Fatal(err)
	}
	wantHead := "SIZE 2 mm,1 mm\r\nGAP 2 mm,0 mm\r\nDIRECTION 1\r\nDENSITY 8\r\nSPEED 4\r\nCLS\r\nBITMAP 0,0,2,8,0,"
	if !strings.HasPrefix(string(tspl), wantHead) || !strings.HasSuffix(string(tspl), "\r\nPRINT 2,1\r\n") {
		t.Fatalf("tspl framing: %q", tspl)
	}
	// Row 0 of the pattern: dots 0, 15 (diagonals, frame) and 5, 10: 1000 0100 0010 0001.
	raw := tspl[len(wantHead):]
	if raw[0] != ^byte(0x84) || raw[1] != ^byte(0x21) {
		t.Fatalf("tspl row 0 = % x, want inverted 84 21", raw[:2])
	}

	zpl, err := EncodeZPL(b, job, ZPLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "^XA\n^PW16\n^LL8\n^LH0,0\n~SD08\n^PR4\n^FO0,0^GFA,16,16,2,8421"; !strings.HasPrefix(string(zpl), want) {
		t.Fatalf("zpl = %q, want prefix %q", zpl, want)
	}
	if !strings.HasSuffix(string(zpl), "^FS\n^PQ2\n^XZ\n") {
		t.Fatalf("zpl ending: %q", zpl)
	}

	esc, err := EncodeESCPOS(b, job, ESCPOSOptions{BandRows: 3, FeedLines: 2, Cut: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "\x1b@\x1dv0\x00\x02\x00\x03\x00\x84\x21"; !strings.HasPrefix(string(esc), want) {
		t.Fatalf("escpos = % x, want prefix % x", esc[:12], want)
	}
	if want := "\x1bd\x02\x1dVB\x00"; !strings.HasSuffix(string(esc), want) {
		t.Fatalf("escpos ending % x, want % x", esc[len(esc)-7:], want)
	}
	if n := strings.Count(string(esc), "\x1dv0\x00"); n != 6 { // 3 bands (3+3+2 rows) x 2 copies
		t.Fatalf("escpos has %d raster bands, want 6", n)
	}
}

func TestCRC16XMODEM(t *testing.T) {
	// The check value of the CRC catalogue: CRC-16/XMODEM("123456789").
	if got := crc16XMODEM([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("crc = %04X, want 31C3", got)
	}
	z := z64Encode(bytes.Repeat([]byte{0xF0}, 1000))
	if !bytes.HasPrefix(z, []byte(":Z64:eJ")) { // zlib header 78 9C
		t.Fatalf("z64 = %q", z)
	}
	text := z[5 : len(z)-5]
	if want := fmt.Sprintf(":%04X", crc16XMODEM(text)); string(z[len(z)-5:]) != want {
		t.Fatalf("z64 ends %q, want %q", z[len(z)-5:], want)
	}
}

func TestEncodeRejects(t *testing.T) {
	good := NewBitmap(8, 2)
	bad := []struct {
		name string
		b    *Bitmap
		job  Job
	}{
		{"nil bitmap", nil, Job{DPI: 203}},
		{"empty", NewBitmap(0, 0), Job{DPI: 203}},
		{"short bits", &Bitmap{Width: 9, Height: 2, Bits: make([]byte, 3)}, Job{DPI: 203}},
		{"negative copies", good, Job{DPI: 203, Copies: -1}},
		{"density", good, Job{DPI: 203, Density: 31}},
		{"speed", good, Job{DPI: 203, Speed: 99}},
		{"gap NaN", good, Job{DPI: 203, GapMM: nanMM()}},
	}
	for _, tc := range bad {
		for _, c := range codecs(ESCPOSOptions{}) {
			if _, err := c.encode(tc.b, tc.job); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s %s: err = %v, want ErrMalformed", c.name, tc.name, err)
			}
		}
	}
	if _, err := EncodeTSPL(good, Job{}); err == nil || !strings.Contains(err.Error(), "label size") {
		t.Errorf("TSPL without size or dpi: err = %v", err)
	}
	if _, err := EncodeTSPL(good, Job{Density: 16, DPI: 203}); err == nil {
		t.Errorf("TSPL density 16 accepted")
	}
	if _, err := EncodeESCPOS(good, Job{}, ESCPOSOptions{BandRows: 5000}); err == nil {
		t.Errorf("band of 5000 rows accepted")
	}
	if _, err := EncodeZPL(good, Job{}, ZPLOptions{Form: 7}); err == nil {
		t.Errorf("unknown ZPL form accepted")
	}
}

// flipCRC changes the last digit of the Z64 CRC in a ZPL job.
func flipCRC(zpl []byte) []byte {
	out := bytes.Clone(zpl)
	i := bytes.Index(out, []byte("^FS")) - 1
	if out[i] == '0' {
		out[i] = '1'
	} else {
		out[i] = '0'
	}
	return out
}

func nanMM() float64 {
	zero := 0.0
	return zero / zero
}

// TestDecodeRejects feeds damaged jobs to the decoders: each must fail with
// ErrMalformed, and none may panic.
func TestDecodeRejects(t *testing.T) {
	b := patternBitmap()
	job := Job{WidthMM: 2, HeightMM: 1, Copies: 2, Density: 8, Speed: 4, GapMM: 2}
	tspl, _ := EncodeTSPL(b, job)
	zpl, _ := EncodeZPL(b, job, ZPLOptions{})
	z64, _ := EncodeZPL(b, job, ZPLOptions{Form: ZPLZ64})
	esc, _ := EncodeESCPOS(b, job, ESCPOSOptions{BandRows: 3, Cut: true})
	repl := func(data []byte, old, new string) []byte {
		if !bytes.Contains(data, []byte(old)) {
			t.Fatalf("%q not in %q", old, data)
		}
		return bytes.Replace(data, []byte(old), []byte(new), 1)
	}
	cases := []struct {
		name   string
		decode func([]byte) (*Bitmap, Job, error)
		data   []byte
	}{
		{"tspl empty", DecodeTSPL, nil},
		{"tspl cut in data", DecodeTSPL, tspl[:len(tspl)-20]},
		{"tspl no print", DecodeTSPL, tspl[:bytes.LastIndex(tspl, []byte("PRINT"))]},
		{"tspl LF only", DecodeTSPL, bytes.ReplaceAll(tspl, []byte("CLS\r\n"), []byte("CLS\n"))},
		{"tspl unknown command", DecodeTSPL, repl(tspl, "DIRECTION 1", "BEEP")},
		{"tspl bitmap too big", DecodeTSPL, repl(tspl, "BITMAP 0,0,2,8,", "BITMAP 0,0,2,9,")},
		{"tspl huge bitmap", DecodeTSPL, repl(tspl, "BITMAP 0,0,2,8,", "BITMAP 0,0,99999,99999,")},
		{"tspl mode 1", DecodeTSPL, repl(tspl, "BITMAP 0,0,2,8,0,", "BITMAP 0,0,2,8,1,")},
		{"tspl no CLS", DecodeTSPL, repl(tspl, "CLS\r\n", "")},
		{"tspl bad size", DecodeTSPL, repl(tspl, "SIZE 2 mm", "SIZE 2 inch")},
		{"tspl trailing", DecodeTSPL, append(bytes.Clone(tspl), "PRINT 1,1\r\n"...)},
		{"zpl empty", DecodeZPL, nil},
		{"zpl no XA", DecodeZPL, zpl[4:]},
		{"zpl no XZ", DecodeZPL, zpl[:len(zpl)-4]},
		{"zpl short hex", DecodeZPL, repl(zpl, "^GFA,16,16,2,8421", "^GFA,16,16,2,84")},
		{"zpl bad hex", DecodeZPL, repl(zpl, "^GFA,16,16,2,8421", "^GFA,16,16,2,84Q1")},
		{"zpl totals differ", DecodeZPL, repl(zpl, "^GFA,16,16,", "^GFA,16,18,")},
		{"zpl stride", DecodeZPL, repl(zpl, "^GFA,16,16,2,", "^GFA,16,16,3,")},
		{"zpl binary GF", DecodeZPL, repl(zpl, "^GFA,", "^GFB,")},
		{"zpl unknown", DecodeZPL, repl(zpl, "^LH0,0", "^CI28")},
		{"zpl two PQ", DecodeZPL, repl(zpl, "^PQ2", "^PQ2^PQ3")},
		{"zpl z64 crc", DecodeZPL, flipCRC(z64)},
		{"zpl z64 data", DecodeZPL, repl(z64, ":Z64:eJ", ":Z64:eK")},
		{"zpl z64 total", DecodeZPL, repl(z64, "^GFA,16,16,2,", "^GFA,18,18,2,")},
		{"escpos empty", DecodeESCPOS, nil},
		{"escpos no init", DecodeESCPOS, esc[2:]},
		{"escpos cut short", DecodeESCPOS, esc[:12]},
		{"escpos garbage", DecodeESCPOS, append(bytes.Clone(esc), 0x1b, 0x21, 0)},
		{"escpos width changes", DecodeESCPOS, repl(esc, "\x1dv0\x00\x02\x00\x02\x00", "\x1dv0\x00\x01\x00\x04\x00")},
		{"escpos zero rows", DecodeESCPOS, repl(esc, "\x1dv0\x00\x02\x00\x03\x00", "\x1dv0\x00\x02\x00\x00\x00")},
		{"escpos copies differ", DecodeESCPOS, append(bytes.Clone(esc), "\x1dv0\x00\x02\x00\x01\x00\xff\xff\x1bd\x03"...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bm, _, err := tc.decode(tc.data)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if bm != nil {
				t.Fatalf("bitmap returned with an error")
			}
		})
	}
}
