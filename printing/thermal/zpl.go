package thermal

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ZPLForm is how EncodeZPL writes the ^GF graphic data.
type ZPLForm int

const (
	// ZPLHex writes two hex digits per byte. Every ZPL printer and every
	// Chinese ZPL emulation reads it; a 100x180 mm label is about 290 KB.
	ZPLHex ZPLForm = iota
	// ZPLZ64 writes ":Z64:" base64 of zlib-deflated data and a CRC, about
	// 20 times smaller for a typical label (faster over a slow link), read
	// by Zebra firmware since the mid-2000s but not by every emulation.
	ZPLZ64
)

// String names the form as in settings: "hex" or "z64".
func (f ZPLForm) String() string {
	if f == ZPLZ64 {
		return "z64"
	}
	return "hex"
}

// ZPLOptions are the ZPL-only settings of EncodeZPL.
type ZPLOptions struct {
	// Form is the graphic data encoding; the zero value is ZPLHex.
	Form ZPLForm
}

// EncodeZPL writes the bitmap as a ZPL II label format:
//
//	^XA
//	^PW<width dots>
//	^LL<height dots>
//	^LH0,0
//	~SD<nn>              (only when job.Density > 0)
//	^PR<n>               (only when job.Speed > 0)
//	^FO0,0^GFA,total,total,bytesPerRow,<data>^FS
//	^PQ<copies>
//	^XZ
//
// with LF line endings; in ^GF a 1 bit is a black dot. The data is plain hex
// or, with ZPLZ64, ":Z64:" + base64(zlib(rows)) + ":" + CRC, where the CRC is
// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection) over
// the base64 text, written as four upper-case hex digits. ZPL takes the
// label size in dots, so job.WidthMM, HeightMM, DPI and GapMM are not used:
// the printer keeps its calibrated media settings.
func EncodeZPL(b *Bitmap, job Job, opts ZPLOptions) ([]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("encode zpl: %w", err)
	}
	if err := job.validate(maxZPLDense); err != nil {
		return nil, fmt.Errorf("encode zpl: %w", err)
	}
	var data []byte
	switch opts.Form {
	case ZPLHex:
		data = make([]byte, 2*len(b.Bits))
		hexUpper(data, b.Bits)
	case ZPLZ64:
		data = z64Encode(b.Bits)
	default:
		return nil, fmt.Errorf("encode zpl: %w: unknown ZPL form %d", ErrMalformed, opts.Form)
	}
	var buf bytes.Buffer
	buf.Grow(len(data) + 160)
	fmt.Fprintf(&buf, "^XA\n^PW%d\n^LL%d\n^LH0,0\n", b.Width, b.Height)
	if job.Density > 0 {
		fmt.Fprintf(&buf, "~SD%02d\n", job.Density)
	}
	if job.Speed > 0 {
		fmt.Fprintf(&buf, "^PR%d\n", job.Speed)
	}
	total := len(b.Bits)
	fmt.Fprintf(&buf, "^FO0,0^GFA,%d,%d,%d,", total, total, b.Stride())
	buf.Write(data)
	fmt.Fprintf(&buf, "^FS\n^PQ%d\n^XZ\n", job.copies())
	return buf.Bytes(), nil
}

// hexUpper is hex.Encode with upper-case digits, as Zebra's own tools write.
func hexUpper(dst, src []byte) {
	const digits = "0123456789ABCDEF"
	for i, c := range src {
		dst[2*i] = digits[c>>4]
		dst[2*i+1] = digits[c&0x0F]
	}
}

// z64Encode returns ":Z64:<base64 of zlib data>:<CRC>".
func z64Encode(raw []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z) // default level: best size for the time on 2 cores
	zw.Write(raw)            // writes to a bytes.Buffer cannot fail
	zw.Close()
	enc := base64.StdEncoding
	out := make([]byte, 5, 5+enc.EncodedLen(z.Len())+5)
	copy(out, ":Z64:")
	out = enc.AppendEncode(out, z.Bytes())
	return fmt.Appendf(out, ":%04X", crc16XMODEM(out[5:]))
}

// crc16XMODEM is CRC-16/XMODEM: polynomial 0x1021, initial value 0, no
// reflection, no final XOR. Zebra's Z64 and B64 check value is this CRC
// over the base64 characters (verified against Z64 data from real ZPL).
func crc16XMODEM(data []byte) uint16 {
	var crc uint16
	for _, c := range data {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// DecodeZPL reads a label format written by EncodeZPL (hex, Z64 or B64 data)
// and returns the printed image, ^PW x ^LL dots with the graphic at its ^FO
// position, and the settings it carries (Copies, Density, Speed; the sizes in
// mm stay 0 because ZPL does not carry the resolution).
func DecodeZPL(data []byte) (*Bitmap, Job, error) {
	bm, job, err := decodeZPL(data)
	if err != nil {
		return nil, Job{}, fmt.Errorf("decode zpl: %w", err)
	}
	return bm, job, nil
}

// zplGraphic is a parsed ^GF before it is placed.
type zplGraphic struct {
	x, y, stride int
	rows         []byte
}

func decodeZPL(data []byte) (*Bitmap, Job, error) {
	var (
		job              Job
		width, height    = -1, -1
		foX, foY         = -1, -1
		gf               *zplGraphic
		started, fieldOK bool
		ended, copiesSet bool
	)
	s := string(data)
	for {
		s = strings.TrimLeft(s, "\r\n")
		if s == "" {
			break
		}
		if ended {
			return nil, Job{}, fmt.Errorf("%w: data after ^XZ", ErrMalformed)
		}
		if len(s) < 3 || (s[0] != '^' && s[0] != '~') {
			return nil, Job{}, fmt.Errorf("%w: expected a command at %.12q", ErrMalformed, s)
		}
		cmd := s[:3]
		end := strings.IndexAny(s[3:], "^~")
		var arg string
		if end < 0 {
			arg, s = s[3:], ""
		} else {
			arg, s = s[3:3+end], s[3+end:]
		}
		arg = strings.TrimRight(arg, "\r\n")
		if !started && cmd != "^XA" {
			return nil, Job{}, fmt.Errorf("%w: %s before ^XA", ErrMalformed, cmd)
		}
		var err error
		switch cmd {
		case "^XA":
			if started || arg != "" {
				err = fmt.Errorf("%w: ^XA%.12q", ErrMalformed, arg)
			}
			started = true
		case "^PW":
			width, err = zplInt(arg, 1, 1<<15)
		case "^LL":
			height, err = zplInt(arg, 1, 1<<15)
		case "^LH":
			if arg != "0,0" {
				err = fmt.Errorf("%w: ^LH%.12q: only 0,0 is written", ErrMalformed, arg)
			}
		case "~SD":
			if len(arg) != 2 {
				err = fmt.Errorf("%w: ~SD%.12q needs two digits", ErrMalformed, arg)
				break
			}
			job.Density, err = zplInt(arg, 0, maxZPLDense)
		case "^PR":
			job.Speed, err = zplInt(arg, 1, maxSpeed)
		case "^FO":
			if foX >= 0 {
				err = fmt.Errorf("%w: second ^FO", ErrMalformed)
				break
			}
			xs, ys, ok := strings.Cut(arg, ",")
			if !ok {
				err = fmt.Errorf("%w: ^FO%.12q", ErrMalformed, arg)
				break
			}
			if foX, err = zplInt(xs, 0, 1<<15); err == nil {
				foY, err = zplInt(ys, 0, 1<<15)
			}
		case "^GF":
			if foX < 0 || gf != nil {
				err = fmt.Errorf("%w: ^GF must come once, after ^FO", ErrMalformed)
				break
			}
			gf, err = zplGF(arg)
			if gf != nil {
				gf.x, gf.y = foX, foY
			}
		case "^FS":
			if gf == nil || fieldOK || arg != "" {
				err = fmt.Errorf("%w: ^FS%.12q without a graphic field", ErrMalformed, arg)
			}
			fieldOK = true
		case "^PQ":
			if copiesSet {
				err = fmt.Errorf("%w: second ^PQ", ErrMalformed)
			}
			copiesSet = true
			if err == nil {
				job.Copies, err = zplInt(arg, 1, maxCopies)
			}
		case "^XZ":
			if arg != "" {
				err = fmt.Errorf("%w: ^XZ%.12q", ErrMalformed, arg)
			}
			ended = true
		default:
			err = fmt.Errorf("%w: unknown command %s", ErrMalformed, cmd)
		}
		if err != nil {
			return nil, Job{}, err
		}
	}
	if !ended || !fieldOK {
		return nil, Job{}, fmt.Errorf("%w: no complete graphic field between ^XA and ^XZ", ErrMalformed)
	}
	if !copiesSet {
		job.Copies = 1
	}
	if width < 0 {
		width = gf.x + gf.stride*8
	}
	if height < 0 {
		height = gf.y + len(gf.rows)/gf.stride
	}
	if err := checkCanvas(width, height); err != nil {
		return nil, Job{}, err
	}
	bm := NewBitmap(width, height)
	blit(bm, gf.x, gf.y, gf.stride*8, gf.stride, gf.rows)
	return bm, job, nil
}

// zplGF parses the arguments of ^GF: "A,total,total,bytesPerRow,data".
func zplGF(arg string) (*zplGraphic, error) {
	parts := strings.SplitN(arg, ",", 5)
	if len(parts) != 5 || parts[0] != "A" {
		return nil, fmt.Errorf("%w: ^GF needs A,total,total,bytesPerRow,data", ErrMalformed)
	}
	total, err := zplInt(parts[1], 1, MaxBitmapBytes)
	if err != nil {
		return nil, fmt.Errorf("^GF total: %w", err)
	}
	fieldTotal, err := zplInt(parts[2], 1, MaxBitmapBytes)
	if err != nil || fieldTotal != total {
		return nil, fmt.Errorf("%w: ^GF field count %q differs from total %d", ErrMalformed, parts[2], total)
	}
	stride, err := zplInt(parts[3], 1, 1<<12)
	if err != nil || total%stride != 0 {
		return nil, fmt.Errorf("%w: ^GF bytes per row %q does not divide %d", ErrMalformed, parts[3], total)
	}
	rows, err := zplData(parts[4], total)
	if err != nil {
		return nil, err
	}
	return &zplGraphic{stride: stride, rows: rows}, nil
}

// zplData decodes ^GF data of exactly total bytes: hex, ":Z64:" or ":B64:".
func zplData(s string, total int) ([]byte, error) {
	if !strings.HasPrefix(s, ":") {
		if len(s) != 2*total {
			return nil, fmt.Errorf("%w: ^GF has %d hex digits for %d bytes (ZPL's run-length hex compression is not written here)", ErrMalformed, len(s), total)
		}
		out := make([]byte, total)
		if _, err := hex.Decode(out, []byte(s)); err != nil {
			return nil, fmt.Errorf("%w: ^GF hex: %v", ErrMalformed, err)
		}
		return out, nil
	}
	if len(s) < 11 || (s[:5] != ":Z64:" && s[:5] != ":B64:") || s[len(s)-5] != ':' {
		return nil, fmt.Errorf("%w: ^GF data %.12q is neither hex nor :Z64:/:B64:...:CRC", ErrMalformed, s)
	}
	text, crcHex := s[5:len(s)-5], s[len(s)-4:]
	want, err := strconv.ParseUint(crcHex, 16, 16)
	if err != nil {
		return nil, fmt.Errorf("%w: ^GF CRC %q", ErrMalformed, crcHex)
	}
	if got := crc16XMODEM([]byte(text)); uint64(got) != want {
		return nil, fmt.Errorf("%w: ^GF CRC is %s, data gives %04X", ErrMalformed, crcHex, got)
	}
	packed, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: ^GF base64: %v", ErrMalformed, err)
	}
	if s[:5] == ":B64:" {
		if len(packed) != total {
			return nil, fmt.Errorf("%w: ^GF :B64: has %d bytes, total says %d", ErrMalformed, len(packed), total)
		}
		return packed, nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(packed))
	if err != nil {
		return nil, fmt.Errorf("%w: ^GF :Z64: zlib: %v", ErrMalformed, err)
	}
	defer zr.Close()
	// Read at most one byte more than promised: a bomb stops there.
	out, err := io.ReadAll(io.LimitReader(zr, int64(total)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: ^GF :Z64: inflate: %v", ErrMalformed, err)
	}
	if len(out) != total {
		return nil, fmt.Errorf("%w: ^GF :Z64: inflates to %d bytes or more, total says %d", ErrMalformed, len(out), total)
	}
	return out, nil
}

// zplInt parses a plain decimal number in lo..hi.
func zplInt(s string, lo, hi int) (int, error) { return tsplInt(s, lo, hi) }
