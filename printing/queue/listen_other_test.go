//go:build !unix

package queue_test

import "net"

// listenSmallBuffers listens with the system's buffers here.
func listenSmallBuffers(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
