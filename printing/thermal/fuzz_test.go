package thermal

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// fuzzSeeds are real encodings of a few small bitmaps: the pattern of the
// golden files, one dot, and an odd-sized random image.
func fuzzSeeds(f *testing.F, encode func(*Bitmap, Job) ([]byte, error)) {
	f.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	for i, b := range []*Bitmap{patternBitmap(), randomBitmap(r, 1, 1), randomBitmap(r, 13, 5)} {
		job := Job{DPI: 203}
		if i == 0 {
			job = Job{WidthMM: 2, HeightMM: 1, Copies: 2, Density: 8, Speed: 4, GapMM: 2}
		}
		data, err := encode(b, job)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// fuzzDecoder checks a decoder on arbitrary input: it fails with
// ErrMalformed or returns a valid bitmap that survives another round trip.
func fuzzDecoder(f *testing.F, decode func([]byte) (*Bitmap, Job, error), encode func(*Bitmap, Job) ([]byte, error)) {
	f.Fuzz(func(t *testing.T, data []byte) {
		bm, job, err := decode(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			if bm != nil {
				t.Fatal("bitmap returned with an error")
			}
			return
		}
		if err := bm.Validate(); err != nil {
			t.Fatalf("decoded an invalid bitmap: %v", err)
		}
		again, err := encode(bm, job)
		if err != nil {
			t.Fatalf("re-encoding the decoded job: %v", err)
		}
		bm2, _, err := decode(again)
		if err != nil {
			t.Fatalf("decoding the re-encoded job: %v", err)
		}
		if !bm2.Crop(bm.Width, bm.Height).Equal(bm) || bm2.BlackDots() != bm.BlackDots() {
			t.Fatal("re-encoded job prints something else")
		}
	})
}

func FuzzDecodeTSPL(f *testing.F) {
	fuzzSeeds(f, EncodeTSPL)
	fuzzDecoder(f, DecodeTSPL, EncodeTSPL)
}

func FuzzDecodeZPL(f *testing.F) {
	hex := func(b *Bitmap, j Job) ([]byte, error) { return EncodeZPL(b, j, ZPLOptions{}) }
	z64 := func(b *Bitmap, j Job) ([]byte, error) { return EncodeZPL(b, j, ZPLOptions{Form: ZPLZ64}) }
	fuzzSeeds(f, hex)
	fuzzSeeds(f, z64)
	fuzzDecoder(f, DecodeZPL, z64)
}

func FuzzDecodeESCPOS(f *testing.F) {
	enc := func(b *Bitmap, j Job) ([]byte, error) {
		return EncodeESCPOS(b, j, ESCPOSOptions{BandRows: 3, Cut: true})
	}
	fuzzSeeds(f, enc)
	fuzzDecoder(f, DecodeESCPOS, enc)
}
