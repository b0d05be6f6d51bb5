package store

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// Labels are most of a history's bytes: print_html is a whole HTML page,
// base64-encoded, for every order. Stored gzipped as a BLOB they take a
// fifth to a tenth of the space, and the exact string WeChat sent comes back
// on read. A value that would not round-trip is kept as it came.

var gzipMagic = "\x1f\x8b"

// packLabel returns what to store for a print_html value.
func packLabel(b64 string) any {
	if b64 == "" {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || base64.StdEncoding.EncodeToString(raw) != b64 {
		return b64
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	return buf.Bytes()
}

// unpackLabel turns a stored label back into print_html.
func unpackLabel(stored string) (string, error) {
	if !strings.HasPrefix(stored, gzipMagic) {
		return stored, nil
	}
	zr, err := gzip.NewReader(strings.NewReader(stored))
	if err != nil {
		return "", fmt.Errorf("unpack label: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return "", fmt.Errorf("unpack label: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}
