// Package sizes writes byte counts the way a person reads them, for the
// progress and the limits of backups and files.
package sizes

import "fmt"

// Text is n bytes as "5.1 GB", "37 MB", "12 kB" or "300 B".
func Text(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
