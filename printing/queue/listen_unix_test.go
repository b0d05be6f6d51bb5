//go:build unix

package queue_test

import (
	"context"
	"net"
	"syscall"
)

// listenSmallBuffers listens with a 4 KiB receive buffer, like the small
// buffer of a label printer, so a printer that hangs up mid-job does so
// while the job is still being written, not after it sat whole in
// loopback's large socket buffers.
func listenSmallBuffers(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}
