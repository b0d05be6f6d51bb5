package sandbox

import (
	"io"
	"net/http"
	"time"

	"waybilldesk/wxapi"
)

// injectFaults puts the live fault settings in front of WeChat's paths:
// first the latency (and an addOrder's own), then at most one of HTTP 500,
// errcode -1, a connection dropped after the call committed, or (for
// addOrder) errcode 9909001 after it committed.
func (s *Sandbox) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := s.faults.get()
		wait := f.Latency
		if r.URL.Path == wxapi.PathAddOrder {
			wait += f.AddOrderLatency
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch {
		case s.faults.roll(f.HTTP500Rate):
			s.log.Debug("sandbox fault: HTTP 500", "path", r.URL.Path)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, gateway500)
		case s.faults.roll(f.ErrorRate):
			s.log.Debug("sandbox fault: errcode -1", "path", r.URL.Path)
			writeJSON(w, errorReply(wxErr(codeSystemError), newRID(s.wall())))
		case s.faults.roll(f.DropAfterCommitRate):
			// The call runs to its end (an order is stored, a cancellation
			// committed) and only its answer is lost.
			next.ServeHTTP(&discardWriter{h: http.Header{}}, r)
			s.log.Debug("sandbox fault: connection dropped after commit", "path", r.URL.Path)
			dropConnection(w)
		case r.URL.Path == wxapi.PathAddOrder && s.faults.roll(f.UnknownAfterCommitRate):
			next.ServeHTTP(&discardWriter{h: http.Header{}}, r)
			s.log.Debug("sandbox fault: errcode 9909001 after commit", "path", r.URL.Path)
			writeJSON(w, errorReply(wxErr(codeTransient), newRID(s.wall())))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// gateway500 is what WeChat's front end answers when a backend fails: an
// HTML page, not JSON, which a client must not try to decode as an answer.
const gateway500 = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n" +
	"<center><h1>500 Internal Server Error</h1></center>\r\n</body>\r\n</html>\r\n"

// dropConnection closes the client's connection without a byte of answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): aborting the handler resets the stream,
		// which the client sees the same way.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// discardWriter swallows an answer that will never be sent.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
