package wxapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// ServerLimits bound what one client may take from a server WeChat calls
// (the push receiver, the courier gateway). Zero fields take the defaults
// of DefaultServerLimits.
type ServerLimits struct {
	// ReadHeaderTimeout is the time to send the request line and headers,
	// ReadTimeout the whole request, WriteTimeout until the answer is
	// written, IdleTimeout how long a kept-alive connection may wait for
	// its next request: a slow or silent client cannot hold a connection.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes caps the request line and headers.
	MaxHeaderBytes int
	// MaxBody caps a request body; a larger one is answered 413.
	MaxBody int64
}

// DefaultServerLimits are generous for WeChat (events of a few KB,
// answered in well under a second) and tight for anyone else.
var DefaultServerLimits = ServerLimits{
	ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
	WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
	MaxHeaderBytes: 64 << 10, MaxBody: DefaultMaxPushBody,
}

// WithDefaults fills the zero fields of l from DefaultServerLimits.
func (l ServerLimits) WithDefaults() ServerLimits {
	d := DefaultServerLimits
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	l.ReadHeaderTimeout = pick(l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	l.ReadTimeout = pick(l.ReadTimeout, d.ReadTimeout)
	l.WriteTimeout = pick(l.WriteTimeout, d.WriteTimeout)
	l.IdleTimeout = pick(l.IdleTimeout, d.IdleTimeout)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxBody <= 0 {
		l.MaxBody = d.MaxBody
	}
	return l
}

// NewPushServer returns an http.Server for a door WeChat calls: h behind
// LimitBody, with l's timeouts and header cap (defaults for zero fields),
// logging the server's own errors (bad TLS, broken requests) at warn.
func NewPushServer(h http.Handler, l ServerLimits, log *slog.Logger) *http.Server {
	l = l.WithDefaults()
	if log == nil {
		log = slog.Default()
	}
	return &http.Server{Handler: LimitBody(h, l.MaxBody),
		ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

// LimitBody answers 413 "too large" to a request that announces a body
// over limit, and stops reading any body at limit, whatever the route
// (a 404 path too): no handler behind it can be made to buffer more.
func LimitBody(h http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			// Not read: the server closes the connection after the answer.
			http.Error(w, fmt.Sprintf("%v (%d bytes, the limit is %d)", ErrTooLarge, r.ContentLength, limit),
				http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h.ServeHTTP(w, r)
	})
}
