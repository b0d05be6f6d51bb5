package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOrderFileSizeLimit: `order place --file` reads at most 1 MB. An
// order padded to exactly 1 MB is placed; a byte more, or /dev/zero, is
// refused at once with a clear error, and nothing is placed.
func TestOrderFileSizeLimit(t *testing.T) {
	raw, err := os.ReadFile(examplePath(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	padded := func(name string, size int) string {
		path := filepath.Join(dir, name)
		body := append(bytes.Clone(raw), bytes.Repeat([]byte(" "), size-len(raw))...)
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	db := filepath.Join(dir, "history.db")
	if _, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", padded("1mb.json", 1<<20), "--order-id", "LIMIT-1"); code != 0 {
		t.Fatalf("an order file of 1 MB: exit %d\n%s", code, errOut)
	}
	for _, path := range []string{padded("over.json", 1<<20+1), "/dev/zero"} {
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s: %v", path, err)
		}
		start := time.Now()
		_, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", path, "--order-id", "LIMIT-2")
		if took := time.Since(start); took > 2*time.Second*raceSlowdown {
			t.Errorf("%s refused after %v", path, took)
		}
		if code != 1 || !strings.Contains(errOut, "order file "+path+": too large: ") || !strings.Contains(errOut, "the cap of 1 MB") ||
			!strings.Contains(errOut, "an order file holds one addOrder body (a few KB)") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and too large, the cap of 1 MB", path, code, errOut)
		}
	}
	if out, _, _ := run(t, "--db", db, "--json", "order", "list"); strings.Contains(out, "LIMIT-2") {
		t.Fatalf("a refused order file placed an order: %s", out)
	}
}
