package batch

import (
	"encoding/csv"
	"fmt"
	"io"
)

// WriteTemplate writes our import template: the header row of
// TemplateFields, as CSV in UTF-8 with a BOM so that Excel shows it right.
// Every column but the receiver's and the goods' may be left out or empty
// when defaults cover it.
func WriteTemplate(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	header := make([]string, len(TemplateFields))
	for i, f := range TemplateFields {
		header[i] = string(f)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	return nil
}
