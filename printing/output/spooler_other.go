//go:build !windows

package output

import (
	"context"
	"fmt"
	"log/slog"
)

// Spooler prints through the Windows print spooler. On this system there is
// none: Send and Status return ErrUnsupported. Use CUPS here.
type Spooler struct {
	// Printer is the printer's name as Windows shows it.
	Printer string
	// Datatype is the spool datatype; "" means "RAW".
	Datatype string
	// Logger is unused here.
	Logger *slog.Logger
}

var _ interface {
	Sender
	Monitor
} = Spooler{}

// Send returns ErrUnsupported: there is no Windows spooler here.
func (s Spooler) Send(ctx context.Context, job []byte, title string) error {
	return newError(s.Printer, ErrUnsupported, nil, "the Windows print spooler is not available on this system (printer %q)", s.Printer)
}

// Status returns ErrUnsupported: there is no Windows spooler here.
func (s Spooler) Status(ctx context.Context) (State, error) {
	return State{}, newError(s.Printer, ErrUnsupported, nil, "the Windows print spooler is not available on this system (printer %q)", s.Printer)
}

// Printers lists the CUPS destinations (lpstat) with their states; see
// CUPS.Printers. CUPS_SERVER chooses the scheduler.
func Printers(ctx context.Context) ([]State, error) { return CUPS{}.Printers(ctx) }

// String describes the sender for logs.
func (s Spooler) String() string { return fmt.Sprintf("Windows printer %s", s.Printer) }
