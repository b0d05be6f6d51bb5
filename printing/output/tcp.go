package output

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"time"
)

// Defaults of RawTCP.
const (
	// DefaultRawPort is the JetDirect raw printing port.
	DefaultRawPort = "9100"
	// defaultTCPTimeout bounds a whole job: a 300 KB ZPL label over a slow
	// Wi-Fi link takes well under a second, a printer that stalls longer
	// than this is stuck (paper out with a full buffer).
	defaultTCPTimeout = 30 * time.Second
	// dialTimeout bounds the connection: a printer on the same LAN answers
	// in milliseconds, so 5 s means it is off or the address is wrong.
	dialTimeout = 5 * time.Second
	// defaultCloseWait is how long Send waits, after sending, for the
	// printer to close its side. A printer that closes confirms it read the
	// whole job; many never close, and that is fine too.
	defaultCloseWait = 2 * time.Second
)

// RawTCP sends jobs straight to a printer's raw TCP port (JetDirect, 9100),
// which every networked label printer has. Nothing is queued: the bytes go
// to the printer or Send fails.
type RawTCP struct {
	// Addr is "host:port"; a bare host means port 9100.
	Addr string
	// Timeout bounds one Send (connect, write, wait); 0 means 30 s. The
	// context's deadline applies too, whichever is first.
	Timeout time.Duration
	// CloseWait is how long Send waits after the last byte for the printer
	// to close the connection or send its status; 0 means 2 s.
	CloseWait time.Duration
	// Logger receives debug lines about each job; nil means slog.Default().
	Logger *slog.Logger
}

var _ interface {
	Sender
	Monitor
} = RawTCP{}

// addr returns Addr with the default port added.
func (p RawTCP) addr() string {
	if _, _, err := net.SplitHostPort(p.Addr); err == nil {
		return p.Addr
	}
	return net.JoinHostPort(p.Addr, DefaultRawPort)
}

// Send connects, writes the whole job within the deadline, half-closes the
// connection and waits briefly for the printer to close its side (reading
// and discarding any status it sends). A refused connection, a reset or a
// connection closed before all bytes were written is an error that says
// how much of the job got through.
func (p RawTCP) Send(ctx context.Context, job []byte, title string) error {
	addr := p.addr()
	log := logger(p.Logger).With("printer", addr)
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = defaultTCPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	begin := time.Now()

	conn, err := dial(ctx, addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The context ends I/O in progress: a deadline in the past wakes up
	// any blocked Write or Read.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}

	n, err := conn.Write(job)
	if err != nil {
		return p.ioError(ctx, addr, "write", n, len(job), err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		if err := tc.CloseWrite(); err != nil {
			return p.ioError(ctx, addr, "close", n, len(job), err)
		}
	}

	wait := p.CloseWait
	if wait <= 0 {
		wait = defaultCloseWait
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	back, err := io.Copy(io.Discard, conn)
	switch {
	case err == nil:
		log.Debug("job sent; printer closed the connection", "title", title, "bytes", len(job), "answer_bytes", back, "took", time.Since(begin))
	case isTimeout(err):
		// The printer keeps the connection open: common, and the job is
		// in its buffer. Our Close still sends the rest gracefully.
		log.Debug("job sent; printer did not close the connection", "title", title, "bytes", len(job), "answer_bytes", back, "took", time.Since(begin))
	default:
		return newError(addr, ErrIncomplete, err,
			"printer %s broke the connection after all %d bytes were sent; it may not have printed the job", addr, len(job))
	}
	return nil
}

// Status opens a connection to the printer's port and closes it again
// without sending anything: Ready when it answers, Offline when it does not.
// A raw port says nothing about paper or errors.
func (p RawTCP) Status(ctx context.Context) (State, error) {
	addr := p.addr()
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := dial(ctx, addr)
	if err != nil {
		var e *Error
		reason := err.Error()
		if errors.As(err, &e) {
			reason = e.Msg
		}
		return State{Printer: addr, Condition: Offline, Reason: reason}, err
	}
	conn.Close()
	return State{Printer: addr, Condition: Ready, Accepting: true}, nil
}

// dial connects within the context and names the failure.
func dial(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		return conn, nil
	}
	switch {
	case isRefused(err):
		return nil, newError(addr, ErrRefused, err, "printer %s refused the connection (wrong port, or raw printing off?)", addr)
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, newError(addr, ctx.Err(), err, "connecting to printer %s cancelled", addr)
	case isTimeout(err):
		return nil, newError(addr, ErrUnreachable, err, "printer %s did not answer (is it on and on this network?)", addr)
	default:
		return nil, newError(addr, ErrUnreachable, err, "cannot connect to printer %s", addr)
	}
}

// ioError names a failure after the connection was made.
func (p RawTCP) ioError(ctx context.Context, addr, op string, sent, total int, err error) error {
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return newError(addr, context.Canceled, err, "sending to printer %s cancelled after %d of %d bytes", addr, sent, total)
	case isTimeout(err):
		return newError(addr, ErrTimeout, err, "printer %s stopped taking data after %d of %d bytes (paper out or jammed?)", addr, sent, total)
	case sent == total:
		return newError(addr, ErrIncomplete, err,
			"printer %s broke the connection after all %d bytes were sent; it may not have printed the job", addr, total)
	default:
		// sent counts what the network stack took, which the printer may
		// not all have read.
		return newError(addr, ErrIncomplete, err, "connection to printer %s closed after %d of %d bytes", addr, sent, total)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
