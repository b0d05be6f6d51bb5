package thermal

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// EncodeTSPL writes the bitmap as a TSPL/TSPL2 job, the language of TSC and
// of most Chinese label printers (Gprinter, Xprinter, HPRT, Deli):
//
//	SIZE w mm,h mm
//	GAP g mm,0 mm        (only when job.GapMM > 0)
//	DIRECTION 1
//	DENSITY n            (only when job.Density > 0)
//	SPEED n              (only when job.Speed > 0)
//	CLS
//	BITMAP 0,0,widthBytes,height,0,<raw rows>
//	PRINT copies,1
//
// with CRLF line endings. In TSPL's BITMAP a 0 bit is a black dot, so the
// rows are sent inverted. The label size comes from job.WidthMM/HeightMM, or
// from the bitmap and job.DPI when they are 0.
func EncodeTSPL(b *Bitmap, job Job) ([]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("encode tspl: %w", err)
	}
	if err := job.validate(maxTSPLDense); err != nil {
		return nil, fmt.Errorf("encode tspl: %w", err)
	}
	w, h := job.WidthMM, job.HeightMM
	if w == 0 || h == 0 {
		if job.DPI <= 0 {
			return nil, fmt.Errorf("encode tspl: %w: TSPL needs the label size: set Job.WidthMM and HeightMM, or Job.DPI", ErrMalformed)
		}
		if w == 0 {
			w = mmForDots(b.Width, job.DPI)
		}
		if h == 0 {
			h = mmForDots(b.Height, job.DPI)
		}
	}
	if formatMM(w) == "0" || formatMM(h) == "0" {
		return nil, fmt.Errorf("encode tspl: %w: label size %vx%v mm rounds to nothing", ErrMalformed, w, h)
	}
	var buf bytes.Buffer
	buf.Grow(len(b.Bits) + 200)
	fmt.Fprintf(&buf, "SIZE %s mm,%s mm\r\n", formatMM(w), formatMM(h))
	if job.GapMM > 0 {
		fmt.Fprintf(&buf, "GAP %s mm,0 mm\r\n", formatMM(job.GapMM))
	}
	buf.WriteString("DIRECTION 1\r\n")
	if job.Density > 0 {
		fmt.Fprintf(&buf, "DENSITY %d\r\n", job.Density)
	}
	if job.Speed > 0 {
		fmt.Fprintf(&buf, "SPEED %d\r\n", job.Speed)
	}
	buf.WriteString("CLS\r\n")
	fmt.Fprintf(&buf, "BITMAP 0,0,%d,%d,0,", b.Stride(), b.Height)
	start := buf.Len()
	buf.Write(b.Bits)
	raw := buf.Bytes()[start:]
	for i, c := range raw {
		raw[i] = ^c
	}
	fmt.Fprintf(&buf, "\r\nPRINT %d,1\r\n", job.copies())
	return buf.Bytes(), nil
}

// DecodeTSPL reads a job written by EncodeTSPL and returns the printed image
// and the settings. The image is as wide as the BITMAP's whole bytes (TSPL
// has no width in dots); Job.DPI is 0 because TSPL does not carry it.
func DecodeTSPL(data []byte) (*Bitmap, Job, error) {
	bm, job, err := decodeTSPL(data)
	if err != nil {
		return nil, Job{}, fmt.Errorf("decode tspl: %w", err)
	}
	return bm, job, nil
}

func decodeTSPL(data []byte) (*Bitmap, Job, error) {
	var (
		job                    Job
		haveSize, cls, printed bool
		bm                     *Bitmap
	)
	for line := 1; len(data) > 0; line++ {
		if printed {
			return nil, Job{}, fmt.Errorf("%w: line %d: data after PRINT", ErrMalformed, line)
		}
		if bytes.HasPrefix(data, []byte("BITMAP ")) {
			if !haveSize || !cls || bm != nil {
				return nil, Job{}, fmt.Errorf("%w: line %d: BITMAP must come once, after SIZE and CLS", ErrMalformed, line)
			}
			var rest []byte
			var err error
			bm, rest, err = tsplBitmap(data[len("BITMAP "):])
			if err != nil {
				return nil, Job{}, fmt.Errorf("line %d: %w", line, err)
			}
			data = rest
			continue
		}
		end := bytes.Index(data, []byte("\r\n"))
		if end < 0 {
			return nil, Job{}, fmt.Errorf("%w: line %d does not end in CRLF", ErrMalformed, line)
		}
		text := string(data[:end])
		data = data[end+2:]
		cmd, args, _ := strings.Cut(text, " ")
		var err error
		switch cmd {
		case "SIZE":
			if bm != nil || cls {
				err = fmt.Errorf("%w: SIZE after CLS", ErrMalformed)
				break
			}
			job.WidthMM, job.HeightMM, err = tsplPair(args, 0, maxLabelMM)
			haveSize = err == nil && job.WidthMM > 0 && job.HeightMM > 0
			if err == nil && !haveSize {
				err = fmt.Errorf("%w: empty label size %q", ErrMalformed, args)
			}
		case "GAP":
			var offset float64
			job.GapMM, offset, err = tsplPair(args, 0, maxGapMM)
			if err == nil && offset != 0 {
				err = fmt.Errorf("%w: GAP offset %v is not 0", ErrMalformed, offset)
			}
		case "DIRECTION":
			if args != "0" && args != "1" && args != "0,0" && args != "1,0" {
				err = fmt.Errorf("%w: DIRECTION %q", ErrMalformed, args)
			}
		case "DENSITY":
			job.Density, err = tsplInt(args, 0, maxTSPLDense)
		case "SPEED":
			job.Speed, err = tsplInt(args, 1, maxSpeed)
		case "CLS":
			if args != "" || bm != nil {
				err = fmt.Errorf("%w: CLS %q", ErrMalformed, args)
			}
			cls = true
		case "PRINT":
			if bm == nil {
				err = fmt.Errorf("%w: PRINT before BITMAP", ErrMalformed)
				break
			}
			sets, copies, ok := strings.Cut(args, ",")
			if !ok {
				copies = "1"
			}
			if job.Copies, err = tsplInt(sets, 1, maxCopies); err == nil {
				var c int
				if c, err = tsplInt(copies, 1, maxCopies); err == nil && c != 1 {
					err = fmt.Errorf("%w: PRINT %q: copies of each set must be 1", ErrMalformed, args)
				}
			}
			printed = true
		default:
			err = fmt.Errorf("%w: unknown command %.20q", ErrMalformed, text)
		}
		if err != nil {
			return nil, Job{}, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if !printed {
		return nil, Job{}, fmt.Errorf("%w: no PRINT command", ErrMalformed)
	}
	return bm, job, nil
}

// tsplBitmap parses "x,y,widthBytes,height,mode,<data>\r\n" (after
// "BITMAP ") and returns the image placed at (x, y) and the rest of the job.
func tsplBitmap(data []byte) (*Bitmap, []byte, error) {
	var n [5]int
	limits := [5]int{1 << 15, 1 << 15, MaxBitmapBytes, MaxBitmapBytes, 0}
	for i := range n {
		comma := bytes.IndexByte(data, ',')
		if comma < 0 || comma > 10 {
			return nil, nil, fmt.Errorf("%w: BITMAP header", ErrMalformed)
		}
		v, err := tsplInt(string(data[:comma]), 0, limits[i])
		if err != nil {
			return nil, nil, fmt.Errorf("BITMAP header: %w", err)
		}
		n[i] = v
		data = data[comma+1:]
	}
	x, y, stride, height := n[0], n[1], n[2], n[3]
	if stride == 0 || height == 0 {
		return nil, nil, fmt.Errorf("%w: BITMAP of %dx%d bytes", ErrMalformed, stride, height)
	}
	if err := checkCanvas(x+stride*8, y+height); err != nil {
		return nil, nil, err
	}
	size := stride * height
	if len(data) < size+2 {
		return nil, nil, fmt.Errorf("%w: BITMAP needs %d bytes of data, has %d", ErrMalformed, size, max(0, len(data)-2))
	}
	if string(data[size:size+2]) != "\r\n" {
		return nil, nil, fmt.Errorf("%w: BITMAP data is not followed by CRLF", ErrMalformed)
	}
	rows := make([]byte, size)
	for i, c := range data[:size] {
		rows[i] = ^c
	}
	bm := NewBitmap(x+stride*8, y+height)
	blit(bm, x, y, stride*8, stride, rows)
	return bm, data[size+2:], nil
}

// tsplPair parses "a mm,b mm".
func tsplPair(s string, lo, hi float64) (float64, float64, error) {
	as, bs, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, fmt.Errorf("%w: %q is not two lengths", ErrMalformed, s)
	}
	a, err := tsplMM(as, lo, hi)
	if err != nil {
		return 0, 0, err
	}
	b, err := tsplMM(bs, lo, hi)
	if err != nil {
		return 0, 0, err
	}
	return a, b, nil
}

// tsplMM parses "12.5 mm".
func tsplMM(s string, lo, hi float64) (float64, error) {
	num, ok := strings.CutSuffix(s, " mm")
	if !ok || num == "" || len(num) > 12 {
		return 0, fmt.Errorf("%w: %q is not a length in mm", ErrMalformed, s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v >= lo && v <= hi) || strings.ContainsAny(num, "eEpPxX_+-") {
		return 0, fmt.Errorf("%w: length %q", ErrMalformed, s)
	}
	return v, nil
}

// tsplInt parses a plain decimal number in lo..hi.
func tsplInt(s string, lo, hi int) (int, error) {
	if s == "" || len(s) > 10 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: %.12q is not a number", ErrMalformed, s)
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%w: %s outside %d..%d", ErrMalformed, s, lo, hi)
	}
	return v, nil
}
