// Package capped reads files and streams up to a size cap, so an input
// that is too large (a huge file, a pipe, a device such as /dev/zero that
// never ends) is refused after the cap and one byte instead of filling the
// memory.
package capped

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is wrapped by every *TooLargeError.
var ErrTooLarge = errors.New("too large")

// TooLargeError says an input is over its cap.
type TooLargeError struct {
	// Size is the input's size when known (a regular file), else -1: more
	// than Max was read.
	Size int64
	Max  int64
}

func (e *TooLargeError) Error() string {
	if e.Size >= 0 {
		return fmt.Sprintf("too large: %s (%d bytes), over the cap of %s", Bytes(e.Size), e.Size, Bytes(e.Max))
	}
	return fmt.Sprintf("too large: more than the cap of %s", Bytes(e.Max))
}

// Unwrap makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// Bytes writes a size for people: "812 bytes", "64 KB", "1.5 MB".
func Bytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return trimmed(float64(n)/(1<<10)) + " KB"
	}
	return trimmed(float64(n)/(1<<20)) + " MB"
}

func trimmed(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return string(bytes.TrimSuffix([]byte(s), []byte(".0")))
}

// ReadFile reads a whole file of at most max bytes. A regular file over
// the cap is refused by its size, unread; anything else (a pipe, a device,
// a file still growing) is refused once max+1 bytes were read.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return Read(f, max)
	}
	if st.Size() > max {
		return nil, &TooLargeError{Size: st.Size(), Max: max}
	}
	// One buffer of the file's size, so it is held once rather than copied
	// as it grows; a byte more tells a file still being written.
	data := make([]byte, st.Size()+1)
	n, err := io.ReadFull(f, data)
	switch {
	case err == nil:
		return nil, &TooLargeError{Size: -1, Max: max}
	case err != io.ErrUnexpectedEOF && err != io.EOF:
		return nil, err
	}
	return data[:n], nil
}

// Read reads r to its end, at most max bytes. It reads in chunks of
// growing size and refuses the input past max before joining them, so a
// stream that never ends costs the cap once, not twice.
func Read(r io.Reader, max int64) ([]byte, error) {
	var chunks [][]byte
	var total int64
	next := int64(64 << 10)
	for {
		chunk := make([]byte, min(next, max+1-total))
		n, err := io.ReadFull(r, chunk)
		chunks = append(chunks, chunk[:n])
		total += int64(n)
		switch {
		case total > max:
			return nil, &TooLargeError{Size: -1, Max: max}
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return bytes.Join(chunks, nil), nil
		case err != nil:
			return nil, err
		}
		next *= 2
	}
}
