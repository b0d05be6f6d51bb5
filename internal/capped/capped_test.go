package capped

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// endless counts what was read from it and never ends, like /dev/zero.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	e.read += int64(len(p))
	return len(p), nil
}

func TestReadStopsOneBytePastTheCap(t *testing.T) {
	src := &endless{}
	_, err := Read(src, 1<<20)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) || tl.Size != -1 || tl.Max != 1<<20 {
		t.Fatalf("endless input: %v", err)
	}
	if src.read != 1<<20+1 {
		t.Fatalf("read %d bytes of an endless input, want the cap and one", src.read)
	}
	if got := err.Error(); got != "too large: more than the cap of 1 MB" {
		t.Fatalf("message %q", got)
	}
	b, err := Read(io.LimitReader(&endless{}, 1<<20), 1<<20)
	if err != nil || len(b) != 1<<20 {
		t.Fatalf("exactly the cap: %d bytes, %v", len(b), err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small"), filepath.Join(dir, "big")
	os.WriteFile(small, []byte("hello"), 0o600)
	os.WriteFile(big, []byte(strings.Repeat("x", 3000)), 0o600)
	if b, err := ReadFile(small, 5); err != nil || string(b) != "hello" {
		t.Fatalf("small: %q %v", b, err)
	}
	_, err := ReadFile(big, 2048)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != 3000 || err.Error() != "too large: 2.9 KB (3000 bytes), over the cap of 2 KB" {
		t.Fatalf("big: %v", err)
	}
	if _, err := ReadFile("/dev/zero", 4096); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("/dev/zero: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "nope"), 10); !os.IsNotExist(err) {
		t.Fatalf("missing: %v", err)
	}
}
