package printing

import (
	"errors"
	"fmt"

	"waybilldesk/internal/capped"
)

// MaxHTMLBytes is the largest label the renderer takes: 2 MiB of HTML (as
// decoded from print_html, or as read from a file). A real e-waybill is
// about 30 KB, and a template with an embedded logo or font a few hundred;
// anything near the cap is broken or hostile, and every copy of it costs
// memory: in the desk, on the protocol connection to the browser (as JSON)
// and in the browser. Each render checks it before it starts anything, so
// labels from getOrder, from the history and from files all honour it.
const MaxHTMLBytes = 2 << 20

// ErrHTMLTooLarge is wrapped by the error of a label over MaxHTMLBytes. The
// error says the label's size and the cap.
var ErrHTMLTooLarge = errors.New("label HTML is too large")

// checkHTMLSize refuses a label over MaxHTMLBytes.
func checkHTMLSize(html string) error {
	if len(html) > MaxHTMLBytes {
		return tooLarge(fmt.Sprintf("%s (%d bytes)", mebibytes(int64(len(html))), len(html)))
	}
	return nil
}

// tooLarge is the error of a label of the given size, written for people.
func tooLarge(size string) error {
	return fmt.Errorf("%w: %s, over the cap of %s (%d bytes)", ErrHTMLTooLarge, size, mebibytes(MaxHTMLBytes), MaxHTMLBytes)
}

// mebibytes writes n bytes as MiB with one decimal, "2.0 MiB".
func mebibytes(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// ReadHTMLFile reads a label file for rendering and refuses one over
// MaxHTMLBytes. It never reads more than MaxHTMLBytes+1 bytes, so a huge
// file, a pipe or a device that never ends (/dev/zero) fails at once instead
// of filling the memory; a regular file over the cap is refused by its size,
// without reading it.
func ReadHTMLFile(path string) (string, error) {
	data, err := capped.ReadFile(path, MaxHTMLBytes)
	var tl *capped.TooLargeError
	switch {
	case errors.As(err, &tl) && tl.Size >= 0:
		return "", fmt.Errorf("read label %s: %w", path, tooLarge(fmt.Sprintf("%s (%d bytes)", mebibytes(tl.Size), tl.Size)))
	case errors.As(err, &tl):
		return "", fmt.Errorf("read label %s: %w", path, tooLarge(fmt.Sprintf("more than %d bytes", MaxHTMLBytes)))
	case err != nil:
		return "", fmt.Errorf("read label: %w", err)
	}
	return string(data), nil
}
