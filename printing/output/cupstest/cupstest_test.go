//go:build unix

package cupstest

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTwoServers starts two schedulers at once, as parallel test packages
// do: each must have its own socket and queues, and stop at cleanup.
func TestTwoServers(t *testing.T) {
	var pids []int
	t.Run("servers", func(t *testing.T) {
		a, b := Start(t), Start(t)
		if a.Socket == b.Socket {
			t.Fatal("both servers on one socket")
		}
		p := NewRawPrinter(t)
		a.AddRawQueue("only-a", p.Addr)
		if out := a.Run("lpstat", "-e"); strings.TrimSpace(out) != "only-a" {
			t.Fatalf("server a lists %q", out)
		}
		if out := b.Run("lpstat", "-r"); !strings.Contains(out, "scheduler is running") {
			t.Fatalf("server b: %q", out)
		}
		pids = []int{a.cmd.Process.Pid, b.cmd.Process.Pid}
		for _, s := range []*Server{a, b} {
			if _, err := os.Stat(s.Socket); err != nil {
				t.Fatal(err)
			}
		}
	})
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("cupsd %d still runs after cleanup", pid)
		}
	}
}

func TestRawPrinterRecordsJobs(t *testing.T) {
	p := NewRawPrinter(t)
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("^XA^XZ"))
	c.Close()
	if got := p.Next(t, 5*time.Second); string(got) != "^XA^XZ" {
		t.Fatalf("got %q", got)
	}
}
