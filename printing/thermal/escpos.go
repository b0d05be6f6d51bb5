package thermal

import (
	"bytes"
	"fmt"
)

// ESCPOSOptions are the ESC/POS-only settings of EncodeESCPOS.
type ESCPOSOptions struct {
	// BandRows is the number of rows sent in each GS v 0 command. Cheap
	// printers have small receive buffers and drop or garble a raster image
	// sent in one piece, so it is sent in bands. 0 picks the largest band of
	// at most 4 KiB, kept within 24..256 rows; at most 1024.
	BandRows int
	// FeedLines is how many lines (ESC d n) are fed after each copy so the
	// label clears the tear bar; 0 means 3, a negative value feeds nothing.
	FeedLines int
	// Cut ends each copy with GS V 66 0 (feed to the cutter, partial cut).
	Cut bool
}

// ESC/POS bytes.
const (
	escInit      = "\x1b@"      // ESC @: initialise
	escRaster    = "\x1dv0\x00" // GS v 0 m=0: raster bit image, normal size
	escFeed      = "\x1bd"      // ESC d n: print and feed n lines
	escCut       = "\x1dVB\x00" // GS V 66 0: feed to the cut position and cut
	maxBandRows  = 1024
	bandBytes    = 4096
	defaultFeed  = 3
	minAutoBand  = 24
	maxAutoBand  = 256
	maxFeedLines = 255
)

// EncodeESCPOS writes the bitmap for an ESC/POS receipt printer: ESC @, then
// for each copy the image as GS v 0 raster bands (1 bit = black dot), ESC d
// to feed and, with opts.Cut, GS V 66 0. ESC/POS has no copy count, so
// copies are sent one after another; job.Density, Speed, GapMM and the
// sizes are not used.
func EncodeESCPOS(b *Bitmap, job Job, opts ESCPOSOptions) ([]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("encode esc/pos: %w", err)
	}
	if err := job.validate(maxZPLDense); err != nil {
		return nil, fmt.Errorf("encode esc/pos: %w", err)
	}
	stride := b.Stride()
	if stride > 0xFFFF {
		return nil, fmt.Errorf("encode esc/pos: %w: %d bytes per row is too wide for GS v 0", ErrMalformed, stride)
	}
	band := opts.BandRows
	if band == 0 {
		band = min(max(bandBytes/stride, minAutoBand), maxAutoBand)
	}
	if band < 0 || band > maxBandRows {
		return nil, fmt.Errorf("encode esc/pos: %w: band of %d rows outside 1..%d", ErrMalformed, opts.BandRows, maxBandRows)
	}
	feed := opts.FeedLines
	if feed == 0 {
		feed = defaultFeed
	}
	if feed > maxFeedLines {
		return nil, fmt.Errorf("encode esc/pos: %w: feed of %d lines is more than %d", ErrMalformed, feed, maxFeedLines)
	}

	bands := (b.Height + band - 1) / band
	one := len(b.Bits) + bands*8 + 2 + 4
	var buf bytes.Buffer
	buf.Grow(2 + one*job.copies())
	buf.WriteString(escInit)
	for range job.copies() {
		for y := 0; y < b.Height; y += band {
			rows := min(band, b.Height-y)
			buf.WriteString(escRaster)
			buf.Write([]byte{byte(stride), byte(stride >> 8), byte(rows), byte(rows >> 8)})
			buf.Write(b.Bits[y*stride : (y+rows)*stride])
		}
		if feed > 0 {
			buf.WriteString(escFeed)
			buf.WriteByte(byte(feed))
		}
		if opts.Cut {
			buf.WriteString(escCut)
		}
	}
	return buf.Bytes(), nil
}

// DecodeESCPOS reads data written by EncodeESCPOS and returns the image (as
// wide as the raster's whole bytes) and a Job whose Copies is the number of
// identical images, one per feed or cut. Copies that differ are an error.
func DecodeESCPOS(data []byte) (*Bitmap, Job, error) {
	bm, copies, err := decodeESCPOS(data)
	if err != nil {
		return nil, Job{}, fmt.Errorf("decode esc/pos: %w", err)
	}
	return bm, Job{Copies: copies}, nil
}

func decodeESCPOS(data []byte) (*Bitmap, int, error) {
	if !bytes.HasPrefix(data, []byte(escInit)) {
		return nil, 0, fmt.Errorf("%w: does not start with ESC @", ErrMalformed)
	}
	data = data[len(escInit):]
	var (
		first  *Bitmap
		copies int
		stride int    // bytes per row of every band
		page   []byte // rows of the copy being read
		ended  bool   // the page was ended by a feed; a cut may follow
	)
	finish := func() error {
		if len(page) == 0 {
			return nil
		}
		h := len(page) / stride
		bm := &Bitmap{Width: stride * 8, Height: h, Bits: page}
		page = nil
		copies++
		if first == nil {
			first = bm
			return nil
		}
		if !first.Equal(bm) {
			return fmt.Errorf("%w: copy %d differs from the first", ErrMalformed, copies)
		}
		return nil
	}
	for off := 1; len(data) > 0; {
		pos := off
		switch {
		case bytes.HasPrefix(data, []byte(escRaster)):
			if len(data) < 8 {
				return nil, 0, fmt.Errorf("%w: byte %d: GS v 0 header cut short", ErrMalformed, pos)
			}
			x := int(data[4]) | int(data[5])<<8
			rows := int(data[6]) | int(data[7])<<8
			if x == 0 || rows == 0 {
				return nil, 0, fmt.Errorf("%w: byte %d: GS v 0 of %dx%d bytes", ErrMalformed, pos, x, rows)
			}
			if stride != 0 && x != stride {
				return nil, 0, fmt.Errorf("%w: byte %d: band %d bytes wide after %d", ErrMalformed, pos, x, stride)
			}
			stride = x
			n := x * rows
			if len(data)-8 < n {
				return nil, 0, fmt.Errorf("%w: byte %d: GS v 0 needs %d bytes, has %d", ErrMalformed, pos, n, len(data)-8)
			}
			if err := checkCanvas(x*8, len(page)/x+rows); err != nil {
				return nil, 0, err
			}
			if ended {
				if err := finish(); err != nil {
					return nil, 0, err
				}
				ended = false
			}
			page = append(page, data[8:8+n]...)
			data, off = data[8+n:], off+8+n
		case bytes.HasPrefix(data, []byte(escFeed)):
			if len(data) < 3 || len(page) == 0 || ended {
				return nil, 0, fmt.Errorf("%w: byte %d: ESC d without an image before it", ErrMalformed, pos)
			}
			ended = true
			data, off = data[3:], off+3
		case bytes.HasPrefix(data, []byte(escCut)):
			if len(page) == 0 {
				return nil, 0, fmt.Errorf("%w: byte %d: GS V without an image before it", ErrMalformed, pos)
			}
			if err := finish(); err != nil {
				return nil, 0, err
			}
			ended = false
			data, off = data[len(escCut):], off+len(escCut)
		default:
			return nil, 0, fmt.Errorf("%w: byte %d: unexpected % x", ErrMalformed, pos, data[:min(4, len(data))])
		}
	}
	if err := finish(); err != nil {
		return nil, 0, err
	}
	if first == nil {
		return nil, 0, fmt.Errorf("%w: no image", ErrMalformed)
	}
	return first, copies, nil
}
