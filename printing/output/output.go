// Package output delivers finished print jobs (TSPL, ZPL, ESC/POS or PDF
// bytes) to a printer: straight to its raw TCP port (RawTCP, JetDirect port
// 9100), through a CUPS queue (CUPS, Linux and macOS), or through the Windows
// print spooler (Spooler). Printers lists the printers the system knows.
//
// Every call takes a context and stops at its deadline; every error says
// which printer and what happened, in words a packing-station worker can act
// on, and wraps one of the sentinel errors below for code to test with
// errors.Is.
package output

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Sender delivers one job to a printer. Send returns when the printer (or
// the spooler in front of it) has taken all the bytes, or with an error.
// title names the job in spooler queues ("waybill SF123..."); senders that
// have no queue ignore it.
type Sender interface {
	Send(ctx context.Context, job []byte, title string) error
}

// Monitor reports a printer's state, for the status light next to each
// printer in the console. Only senders for which asking is cheap implement
// it (all in this package do).
type Monitor interface {
	Status(ctx context.Context) (State, error)
}

// Condition is what a printer is doing, as far as the spooler or the
// connection can tell.
type Condition string

// The conditions a State reports.
const (
	// Ready: idle and able to print.
	Ready Condition = "ready"
	// Printing: busy with a job; new jobs wait their turn.
	Printing Condition = "printing"
	// Stopped: the queue or printer is paused, disabled or in error (paper
	// out, head open) and needs a person; jobs wait until it is resumed.
	Stopped Condition = "stopped"
	// Offline: the printer cannot be reached.
	Offline Condition = "offline"
	// Unknown: the spooler gave a state this package does not know.
	Unknown Condition = "unknown"
)

// State is a printer's or queue's condition at one moment.
type State struct {
	// Printer is the queue name or the printer's address.
	Printer string
	// Condition is what the printer is doing.
	Condition Condition
	// Accepting is false when the spooler rejects new jobs (cupsreject, a
	// Windows printer "pending deletion").
	Accepting bool
	// Reason is the spooler's own explanation, such as "paper out", if any.
	Reason string
}

// CanPrint reports whether a job sent now will print without a person
// stepping in.
func (s State) CanPrint() bool {
	return s.Accepting && (s.Condition == Ready || s.Condition == Printing)
}

// String describes the state in one line, e.g. "zpl: stopped (paper out),
// not accepting jobs".
func (s State) String() string {
	var b strings.Builder
	b.WriteString(s.Printer)
	b.WriteString(": ")
	b.WriteString(string(s.Condition))
	if s.Reason != "" {
		fmt.Fprintf(&b, " (%s)", s.Reason)
	}
	if !s.Accepting {
		b.WriteString(", not accepting jobs")
	}
	return b.String()
}

// Sentinel errors: every error from this package wraps one of them.
var (
	// ErrRefused: the printer actively refused the connection (wrong port,
	// raw printing switched off, or another host holds the printer).
	ErrRefused = errors.New("printer refused the connection")
	// ErrUnreachable: no answer from the address (off, unplugged, wrong IP).
	ErrUnreachable = errors.New("printer unreachable")
	// ErrIncomplete: the connection broke before the printer took the whole
	// job; the label may be missing or cut.
	ErrIncomplete = errors.New("job not delivered completely")
	// ErrTimeout: the deadline passed before the job was delivered or done.
	ErrTimeout = errors.New("printer timed out")
	// ErrNoSuchPrinter: the spooler has no printer or queue of that name.
	ErrNoSuchPrinter = errors.New("no such printer")
	// ErrNotAccepting: the queue exists but rejects jobs.
	ErrNotAccepting = errors.New("printer not accepting jobs")
	// ErrJobFailed: the spooler cancelled or aborted the job.
	ErrJobFailed = errors.New("print job failed")
	// ErrSpooler: the spooler or its tools are missing or not running, or
	// answered something this package cannot read.
	ErrSpooler = errors.New("print spooler error")
	// ErrUnsupported: the sender does not exist on this operating system.
	ErrUnsupported = errors.New("not supported on this system")
)

// Error is the error type of this package: a sentence for people (Msg), a
// sentinel for code (Kind) and the underlying cause (Err, may be nil).
type Error struct {
	Printer string // address or queue name
	Kind    error  // one of the sentinel errors
	Msg     string // what happened, naming the printer
	Err     error  // the cause
}

// Error returns Msg followed by the cause.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

// Unwrap gives errors.Is and errors.As both the sentinel and the cause, so
// errors.Is(err, context.DeadlineExceeded) works as well as ErrTimeout.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func newError(printer string, kind error, cause error, format string, args ...any) *Error {
	return &Error{Printer: printer, Kind: kind, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// logger returns l, or slog.Default() when l is nil, tagged with the component.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return l.With("component", "output")
}

// cleanTitle makes a job title safe for a command line and a spooler
// queue: printable characters only, at most 100 runes.
func cleanTitle(title string) string {
	title = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7F {
			return ' '
		}
		return r
	}, title))
	if r := []rune(title); len(r) > 100 {
		title = string(r[:100])
	}
	if title == "" {
		title = "label"
	}
	return title
}
