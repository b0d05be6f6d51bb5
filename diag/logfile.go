package diag

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
)

// Log rotation defaults for the GUI's log: 5 MB a file, the current one
// and 3 older ones, so a packing station that runs for months never fills
// its disk and support still gets days of history.
const (
	LogMaxSize = 5 << 20
	LogKeep    = 3
)

// RotatingFile is an io.Writer that appends to a file and, when a write
// would take it past MaxSize, renames it to name.1 (name.1 to name.2, and
// so on up to Keep old files) and starts a new one. It is safe for
// concurrent use, so slog handlers and the standard log package can share
// it.
type RotatingFile struct {
	mu   sync.Mutex
	path string
	max  int64
	keep int
	f    *os.File
	size int64
}

// OpenLog opens (creating it and its folder) the log at path for
// appending, rotating at maxSize bytes and keeping keep old files.
func OpenLog(path string, maxSize int64, keep int) (*RotatingFile, error) {
	if maxSize <= 0 || keep < 0 {
		return nil, fmt.Errorf("open log %s: bad size %d or keep %d", path, maxSize, keep)
	}
	r := &RotatingFile{path: path, max: maxSize, keep: keep}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	r.f, r.size = f, st.Size()
	return nil
}

// Path is the file being written.
func (r *RotatingFile) Path() string { return r.path }

// Write appends p, rotating first when p would not fit.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, errors.New("log is closed")
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		if err := r.rotate(); err != nil {
			// Keep logging into the big file rather than lose lines.
			fmt.Fprintf(r.f, "log rotation failed: %v\n", err)
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// rotate shifts name.(k-1) to name.k down to name to name.1. The file is
// closed first because Windows cannot rename an open file.
func (r *RotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		return err
	}
	r.f = nil
	var errs []error
	if r.keep == 0 {
		errs = append(errs, os.Remove(r.path))
	} else {
		os.Remove(fmt.Sprintf("%s.%d", r.path, r.keep))
		for k := r.keep - 1; k >= 1; k-- {
			if err := os.Rename(fmt.Sprintf("%s.%d", r.path, k), fmt.Sprintf("%s.%d", r.path, k+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		errs = append(errs, os.Rename(r.path, r.path+".1"))
	}
	if err := r.open(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	return errors.Join(errs...)
}

// Close closes the file; later writes fail.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// crashLogMax caps the crash log: past it, the old file moves to
// crash.log.1 at the next start, so repeated crashes cannot fill the disk.
const crashLogMax = 1 << 20

// SetCrashOutput makes the Go runtime copy the trace of a fatal panic or
// runtime crash (in any goroutine) into the file at path, appending, in
// addition to stderr, where nobody looks when the program was started from
// a desktop icon. The file stays open for the life of the process, which
// is what the runtime needs; the returned file is for tests.
func SetCrashOutput(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("crash log: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Size() > crashLogMax {
		os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("crash log: %w", err)
	}
	if err := debug.SetCrashOutput(f, debug.CrashOptions{}); err != nil {
		f.Close()
		return nil, fmt.Errorf("crash log: %w", err)
	}
	return f, nil
}

// IgnoreErrors wraps a writer whose failures must not stop the writers
// after it in an io.MultiWriter: stderr of a Windows GUI program is not
// connected to anything, and every write to it fails.
func IgnoreErrors(w io.Writer) io.Writer { return ignoreErrors{w} }

type ignoreErrors struct{ w io.Writer }

func (i ignoreErrors) Write(p []byte) (int, error) {
	i.w.Write(p)
	return len(p), nil
}
