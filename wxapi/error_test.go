package wxapi

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestEveryDocumentedCodeHasAMessage scans the spec and the seeds (copied
// into testdata) for error-code table rows and checks each code has a short
// Chinese and English text for the operator.
var actionTypes = map[int]bool{90001: true, 90002: true, 90003: true, 90010: true, 90011: true,
	100001: true, 100002: true, 100003: true, 200001: true, 300001: true, 300002: true, 300003: true, 300004: true,
	300005: true, 300006: true, 300007: true, 400001: true, 400002: true, 400003: true, 400004: true, 400005: true, 500001: true}

func TestEveryDocumentedCodeHasAMessage(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*.txt"))
	files = append(files, filepath.Join("testdata", "wechat-logistics-api.md"))
	row := regexp.MustCompile(`(?m)^\|?\s*(-1|[1-9][0-9]{4,6})\s*[|/ ]`)
	seen := map[int]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range row.FindAllStringSubmatch(string(b), -1) {
			code, _ := strconv.Atoi(m[1])
			// Action types share the table shape; they are not errors.
			if actionTypes[code] {
				continue
			}
			seen[code] = true
		}
	}
	t.Logf("%d documented codes", len(seen))
	if len(seen) < 30 {
		t.Fatalf("found only %d codes; the scan is broken", len(seen))
	}
	for code := range seen {
		m := Message(code)
		if m == "" || !strings.Contains(m, " / ") {
			t.Errorf("errcode %d has no Chinese / English message", code)
		}
	}
}
