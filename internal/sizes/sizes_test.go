package sizes

import "testing"

func TestText(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {300, "300 B"}, {12 << 10, "12 kB"}, {37 << 20, "37 MB"}, {5476083302, "5.1 GB"}} {
		if got := Text(tc.n); got != tc.want {
			t.Errorf("Text(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
