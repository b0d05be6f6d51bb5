// Package thermal turns a rendered label into the bytes a label or receipt
// printer understands, and back.
//
// A label travels in three steps: FromImage reduces the renderer's PNG to a
// 1-bit Bitmap the size of the print head (with the printer's offsets and
// rotation), an encoder writes it in the printer's language (EncodeTSPL for
// TSC, Gprinter, Xprinter, HPRT and Deli label printers, EncodeZPL for Zebra
// and its emulations, EncodeESCPOS for receipt printers), and a sender in
// package output delivers the bytes. The decoders read exactly what the
// encoders write; they exist for tests and for a preview of what a printer
// is sent, and they reject anything else with an error wrapping ErrMalformed.
//
// Everything here is written by hand from the printer manuals: the languages
// are small, and a third-party library would bring more than it saves.
package thermal

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// MaxBitmapBytes bounds the packed size of any bitmap this package makes or
// decodes: 16 MiB is a 300 x 300 mm label at 600 dpi with room to spare, and
// keeps a malformed job from allocating gigabytes.
const MaxBitmapBytes = 16 << 20

// ErrMalformed is wrapped by every decoder error about input that is not
// what the encoders write, and by the encoders' errors about an invalid
// Bitmap or Job.
var ErrMalformed = errors.New("malformed printer data")

// Bitmap is a 1-bit raster, the form in which every thermal printer language
// takes an image. Bits holds Height rows of Stride() bytes each; the first
// dot of a row is the most significant bit of its first byte, a 1 bit is a
// black (heated) dot, and the padding bits at the end of a row are 0.
type Bitmap struct {
	Width, Height int
	Bits          []byte
}

// NewBitmap returns an all-white bitmap. It panics on negative sizes or on a
// bitmap larger than MaxBitmapBytes, like make does for a bad length.
func NewBitmap(width, height int) *Bitmap {
	if width < 0 || height < 0 {
		panic(fmt.Sprintf("thermal: negative bitmap size %dx%d", width, height))
	}
	stride := (width + 7) / 8
	if height > 0 && stride > MaxBitmapBytes/height {
		panic(fmt.Sprintf("thermal: bitmap %dx%d is larger than %d bytes", width, height, MaxBitmapBytes))
	}
	return &Bitmap{Width: width, Height: height, Bits: make([]byte, stride*height)}
}

// Stride is the number of bytes in one row: Width rounded up to whole bytes.
func (b *Bitmap) Stride() int { return (b.Width + 7) / 8 }

// Validate checks that the sizes are sane and Bits has exactly the length
// they ask for. Encoders call it; so should code that builds a Bitmap by hand.
func (b *Bitmap) Validate() error {
	if b == nil {
		return fmt.Errorf("%w: nil bitmap", ErrMalformed)
	}
	if b.Width <= 0 || b.Height <= 0 {
		return fmt.Errorf("%w: bitmap %dx%d is empty", ErrMalformed, b.Width, b.Height)
	}
	if b.Stride() > MaxBitmapBytes/b.Height {
		return fmt.Errorf("%w: bitmap %dx%d is larger than %d bytes", ErrMalformed, b.Width, b.Height, MaxBitmapBytes)
	}
	if want := b.Stride() * b.Height; len(b.Bits) != want {
		return fmt.Errorf("%w: bitmap %dx%d needs %d bytes, has %d", ErrMalformed, b.Width, b.Height, want, len(b.Bits))
	}
	return nil
}

// Black reports whether the dot at (x, y) is black; dots outside are white.
func (b *Bitmap) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= b.Width || y >= b.Height {
		return false
	}
	return b.Bits[y*b.Stride()+x>>3]&(0x80>>(x&7)) != 0
}

// Set makes the dot at (x, y) black or white; dots outside are ignored.
func (b *Bitmap) Set(x, y int, black bool) {
	if x < 0 || y < 0 || x >= b.Width || y >= b.Height {
		return
	}
	i, m := y*b.Stride()+x>>3, byte(0x80>>(x&7))
	if black {
		b.Bits[i] |= m
	} else {
		b.Bits[i] &^= m
	}
}

// Row returns the packed bytes of row y, sharing memory with Bits.
func (b *Bitmap) Row(y int) []byte {
	s := b.Stride()
	return b.Bits[y*s : (y+1)*s : (y+1)*s]
}

// Equal reports whether both bitmaps have the same size and dots.
func (b *Bitmap) Equal(o *Bitmap) bool {
	if b.Width != o.Width || b.Height != o.Height || len(b.Bits) != len(o.Bits) {
		return false
	}
	for i := range b.Bits {
		if b.Bits[i] != o.Bits[i] {
			return false
		}
	}
	return true
}

// Crop returns a copy of the top-left width x height dots; dots beyond b are
// white. A decoder gives widths in whole bytes (TSPL, ESC/POS), so tests crop
// its bitmap to the width that was encoded.
func (b *Bitmap) Crop(width, height int) *Bitmap {
	out := NewBitmap(width, height)
	for y := 0; y < min(height, b.Height); y++ {
		src, dst := b.Row(y), out.Row(y)
		n := copy(dst, src)
		if rem := width & 7; rem != 0 && n == len(dst) {
			dst[len(dst)-1] &= byte(0xFF << (8 - rem))
		}
	}
	return out
}

// BlackDots counts the black dots, a cheap measure of how much a label heats
// the print head and a help in tests.
func (b *Bitmap) BlackDots() int {
	n := 0
	for _, c := range b.Bits {
		for ; c != 0; c &= c - 1 {
			n++
		}
	}
	return n
}

// Image returns the bitmap as a greyscale image (black 0, white 255) for
// previews and tests.
func (b *Bitmap) Image() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, b.Width, b.Height))
	for y := 0; y < b.Height; y++ {
		row := b.Row(y)
		pix := img.Pix[y*img.Stride : y*img.Stride+b.Width]
		for x := range pix {
			if row[x>>3]&(0x80>>(x&7)) != 0 {
				pix[x] = 0
			} else {
				pix[x] = 0xFF
			}
		}
	}
	return img
}

// DotsForMM converts a length in millimetres to whole printer dots at dpi,
// rounding to the nearest dot: 100 mm at 203 dpi is 799 dots. "203 dpi"
// heads are really 8 dots/mm (203.2 dpi): the 104 mm head of a 4-inch label
// printer has 832 dots, which DotsForMM(104, 203.2) gives.
func DotsForMM(mm, dpi float64) int {
	return int(math.Round(mm * dpi / 25.4))
}

// mmForDots is the inverse of DotsForMM, rounded to 0.01 mm.
func mmForDots(dots int, dpi float64) float64 {
	return math.Round(float64(dots)*25.4/dpi*100) / 100
}

// checkCanvas rejects sizes a decoder must not allocate.
func checkCanvas(width, height int) error {
	if width <= 0 || height <= 0 {
		return fmt.Errorf("%w: image size %dx%d", ErrMalformed, width, height)
	}
	if (width+7)/8 > MaxBitmapBytes/height {
		return fmt.Errorf("%w: image %dx%d is larger than %d bytes", ErrMalformed, width, height, MaxBitmapBytes)
	}
	return nil
}

// blit draws rows of packed bits (stride bytes each, srcWidth dots wide) into
// dst with its top-left corner at (x0, y0), clipping to dst. A decoder uses
// it to place a graphic where the job puts it.
func blit(dst *Bitmap, x0, y0, srcWidth, stride int, rows []byte) {
	if stride == 0 {
		return
	}
	h := len(rows) / stride
	for y := 0; y < h; y++ {
		dy := y0 + y
		if dy < 0 || dy >= dst.Height {
			continue
		}
		row := rows[y*stride : (y+1)*stride]
		if x0 == 0 {
			// The common case: byte-aligned, a copy and a mask.
			d := dst.Row(dy)
			n := copy(d, row)
			w := min(srcWidth, dst.Width)
			full := w / 8
			if rem := w & 7; rem != 0 && full < n {
				d[full] &= byte(0xFF << (8 - rem))
				full++
			}
			clear(d[full:])
			continue
		}
		for x := 0; x < srcWidth; x++ {
			if row[x>>3]&(0x80>>(x&7)) != 0 {
				dst.Set(x0+x, dy, true)
			}
		}
	}
}
