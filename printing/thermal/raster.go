package thermal

import (
	"image"
	"image/color"
)

// RasterOptions says how FromImage turns a rendered label into printer dots.
// The zero value thresholds at mid-grey with no rotation, offset or padding.
type RasterOptions struct {
	// Threshold is the grey level (0 black .. 255 white) below which a dot
	// is black; 0 means 128, which keeps bar widths true because an edge
	// pixel turns black exactly when the bar covers more than half of it.
	Threshold uint8
	// Dither renders grey areas (logos, photos, shaded boxes) with Atkinson
	// error diffusion instead of a hard threshold. Only flat mid-grey areas
	// are dithered: near-black and near-white pixels, and grey pixels on a
	// sharp edge such as the antialiased side of a bar or a glyph, are still
	// thresholded, so barcodes and text stay crisp. Atkinson spreads only
	// three quarters of the error, which suits thermal heads whose dots
	// bleed a little.
	Dither bool
	// OffsetXDots and OffsetYDots move the content right and down (negative:
	// left and up) to correct where a particular printer places the label;
	// whatever moves off the bitmap is cut off.
	OffsetXDots, OffsetYDots int
	// Rotate turns the image clockwise by 0, 90, 180 or 270 degrees before
	// the offset is applied. Other values are taken modulo 360 and rounded
	// to the nearest quarter turn.
	Rotate int
	// WidthDots is the width of the result, normally the print head's (832
	// for 104 mm at 203 dpi, 800 for 4 inches, 576 for an 80 mm receipt
	// printer); a narrower image is padded with white on the right, a wider
	// one cut. 0 means the width of the (rotated) image.
	WidthDots int
	// HeightDots is the height of the result, normally the label's length in
	// dots; 0 means the height of the (rotated) image.
	HeightDots int
}

// Dithering limits: grey levels at or below ditherLow or at or above
// ditherHigh are near-black or near-white and always thresholded; a pixel
// whose 3x3 neighbourhood spans edgeContrast levels or more is on an edge and
// thresholded too.
const (
	ditherLow    = 40
	ditherHigh   = 215
	edgeContrast = 96
)

// FromImage converts img to a 1-bit bitmap for a thermal printer: the image
// is laid over white (transparent areas print nothing), reduced to grey
// (Rec. 601 luma), rotated, thresholded or dithered, then shifted by the
// offsets into a bitmap of WidthDots x HeightDots. A result larger than
// MaxBitmapBytes comes back without Bits, so that Validate and the encoders
// reject it with a clear error.
func FromImage(img image.Image, opts RasterOptions) *Bitmap {
	rot := quarterTurns(opts.Rotate)
	gray, w, h := toGray(img, rot)
	outW, outH := opts.WidthDots, opts.HeightDots
	if outW <= 0 {
		outW = w
	}
	if outH <= 0 {
		outH = h
	}
	if outH > 0 && (outW+7)/8 > MaxBitmapBytes/outH {
		// A settings typo must not panic or allocate gigabytes: the
		// bitmap has no dots, and Validate and every encoder reject it.
		return &Bitmap{Width: outW, Height: outH}
	}
	out := NewBitmap(outW, outH)
	threshold := int(opts.Threshold)
	if threshold == 0 {
		threshold = 128
	}
	if opts.Dither {
		ditherInto(out, gray, w, h, threshold, opts.OffsetXDots, opts.OffsetYDots)
	} else {
		thresholdInto(out, gray, w, h, threshold, opts.OffsetXDots, opts.OffsetYDots)
	}
	return out
}

// quarterTurns normalises a rotation in degrees to 0..3 clockwise quarter turns.
func quarterTurns(deg int) int {
	deg %= 360
	if deg < 0 {
		deg += 360
	}
	return ((deg + 45) / 90) % 4
}

// toGray returns the image as 8-bit grey over white, rotated by rot clockwise
// quarter turns, with its size after rotation. Common image types are read
// directly from their pixel slices: a 100x180 mm label at 203 dpi is over a
// million pixels, and image.At allocates for each.
func toGray(img image.Image, rot int) ([]uint8, int, int) {
	r := img.Bounds()
	sw, sh := r.Dx(), r.Dy()
	w, h := sw, sh
	if rot%2 == 1 {
		w, h = sh, sw
	}
	gray := make([]uint8, w*h)
	// Source pixel (sx, sy), relative to r.Min, lands at index
	// base(sy) + sx*step of the rotated image.
	var step int
	var base func(sy int) int
	switch rot {
	case 0:
		step, base = 1, func(sy int) int { return sy * w }
	case 1:
		step, base = w, func(sy int) int { return sh - 1 - sy }
	case 2:
		step, base = -1, func(sy int) int { return (sh-1-sy)*w + sw - 1 }
	default:
		step, base = -w, func(sy int) int { return (sw-1)*w + sy }
	}

	switch m := img.(type) {
	case *image.Gray:
		for sy := 0; sy < sh; sy++ {
			row := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+sy):][:sw]
			if rot == 0 {
				copy(gray[sy*w:sy*w+sw], row)
				continue
			}
			i := base(sy)
			for _, v := range row {
				gray[i] = v
				i += step
			}
		}
	case *image.RGBA:
		for sy := 0; sy < sh; sy++ {
			p := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+sy):][: 4*sw : 4*sw]
			i := base(sy)
			for sx := 0; sx < sw; sx++ {
				q := p[sx*4 : sx*4+4 : sx*4+4]
				// Premultiplied: laying it over white adds the uncovered part.
				gray[i] = clamp8(luma(q[0], q[1], q[2]) + 255 - int(q[3]))
				i += step
			}
		}
	case *image.NRGBA:
		for sy := 0; sy < sh; sy++ {
			p := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+sy):][: 4*sw : 4*sw]
			i := base(sy)
			for sx := 0; sx < sw; sx++ {
				q := p[sx*4 : sx*4+4 : sx*4+4]
				if a := int(q[3]); a == 255 {
					gray[i] = uint8(luma(q[0], q[1], q[2]))
				} else {
					gray[i] = clamp8((luma(q[0], q[1], q[2])*a + 255*(255-a) + 127) / 255)
				}
				i += step
			}
		}
	case *image.Paletted:
		var lut [256]uint8
		for i := range lut {
			lut[i] = 0xFF // an index past the palette prints nothing
		}
		for i, c := range m.Palette {
			if i < len(lut) {
				lut[i] = grayOverWhite(c)
			}
		}
		for sy := 0; sy < sh; sy++ {
			p := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+sy):][:sw]
			i := base(sy)
			for _, v := range p {
				gray[i] = lut[v]
				i += step
			}
		}
	default:
		for sy := 0; sy < sh; sy++ {
			i := base(sy)
			for sx := 0; sx < sw; sx++ {
				gray[i] = grayOverWhite(img.At(r.Min.X+sx, r.Min.Y+sy))
				i += step
			}
		}
	}
	return gray, w, h
}

// luma is Rec. 601 luma of 8-bit RGB, the weights of color.GrayModel.
func luma(r, g, b uint8) int {
	return (19595*int(r) + 38470*int(g) + 7471*int(b) + 1<<15) >> 16
}

// grayOverWhite is the grey level of c laid over white.
func grayOverWhite(c color.Color) uint8 {
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	y := (19595*int(r) + 38470*int(g) + 7471*int(b) + 1<<15) >> 16
	return clamp8((y + 0xFFFF - int(a)) >> 8)
}

func clamp8(v int) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}

// thresholdInto sets a dot for every pixel darker than threshold, shifted by
// (dx, dy) and clipped to out.
func thresholdInto(out *Bitmap, gray []uint8, w, h, threshold, dx, dy int) {
	x0, x1 := max(0, -dx), min(w, out.Width-dx)
	stride := out.Stride()
	for y := max(0, -dy); y < min(h, out.Height-dy); y++ {
		src := gray[y*w : (y+1)*w]
		row := out.Bits[(y+dy)*stride : (y+dy+1)*stride]
		for x := x0; x < x1; x++ {
			if int(src[x]) < threshold {
				ox := x + dx
				row[ox>>3] |= 0x80 >> (ox & 7)
			}
		}
	}
}

// ditherInto is thresholdInto with Atkinson error diffusion in flat grey
// areas. The error of a dithered pixel goes only to other dithered pixels,
// so a grey box cannot leak noise into a neighbouring barcode. The whole
// image is processed even where it is clipped, so the pattern does not
// depend on the offsets.
func ditherInto(out *Bitmap, gray []uint8, w, h, threshold, dx, dy int) {
	// Three rows of accumulated error (this one and the next two), padded by
	// two on each side so the kernel never needs a bounds check.
	const pad = 2
	errs := [3][]int32{make([]int32, w+2*pad), make([]int32, w+2*pad), make([]int32, w+2*pad)}
	stride := out.Stride()
	for y := 0; y < h; y++ {
		cur, next, next2 := errs[0], errs[1], errs[2]
		oy := y + dy
		inY := oy >= 0 && oy < out.Height
		for x := 0; x < w; x++ {
			v := int(gray[y*w+x])
			black := v < threshold
			if v > ditherLow && v < ditherHigh && !onEdge(gray, w, h, x, y) {
				e := v + int(cur[x+pad])
				black = e < threshold
				if !black {
					e -= 255 // the error is what the dot missed by
				}
				ei := int32(e / 8) // Atkinson: 1/8 to six neighbours
				cur[x+pad+1] += ei
				cur[x+pad+2] += ei
				next[x+pad-1] += ei
				next[x+pad] += ei
				next[x+pad+1] += ei
				next2[x+pad] += ei
			}
			if black && inY {
				if ox := x + dx; ox >= 0 && ox < out.Width {
					out.Bits[oy*stride+ox>>3] |= 0x80 >> (ox & 7)
				}
			}
		}
		clear(cur)
		errs[0], errs[1], errs[2] = next, next2, cur
	}
}

// onEdge reports whether the 3x3 neighbourhood of (x, y) spans at least
// edgeContrast grey levels: the pixel is part of an edge (a bar, a glyph, a
// line), not of a flat grey area.
func onEdge(gray []uint8, w, h, x, y int) bool {
	lo, hi := uint8(255), uint8(0)
	for yy := max(0, y-1); yy <= min(h-1, y+1); yy++ {
		row := gray[yy*w : (yy+1)*w]
		for xx := max(0, x-1); xx <= min(w-1, x+1); xx++ {
			v := row[xx]
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return int(hi)-int(lo) >= edgeContrast
}
