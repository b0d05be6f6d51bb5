package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteIsWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "label.pdf")
	if err := WriteBytes(path, 0o640, []byte("%PDF-1.4 whole")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	st, _ := os.Stat(path)
	if err != nil || string(got) != "%PDF-1.4 whole" || st.Mode().Perm() != 0o640 {
		t.Fatalf("written %q, mode %v, %v", got, st.Mode().Perm(), err)
	}
	// A failing writer leaves the old file as it was and no temporary behind.
	err = Write(path, 0o644, func(w io.Writer) error {
		w.Write([]byte("half"))
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("no error from a failing writer")
	}
	if got, _ := os.ReadFile(path); string(got) != "%PDF-1.4 whole" {
		t.Fatalf("a failed write changed the file to %q", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}
