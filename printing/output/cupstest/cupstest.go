//go:build unix

package cupstest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running private cupsd.
type Server struct {
	// Dir holds the configuration, spool, logs and socket.
	Dir string
	// Socket is the scheduler's Unix socket: the value for CUPS_SERVER.
	Socket string

	tb     testing.TB
	cmd    *exec.Cmd
	exited chan error // receives cmd.Wait's result
}

// cupsdConf keeps the scheduler to its socket: no TCP port (so parallel test
// packages cannot clash), no browsing, and the stock access policy with
// local root as the administrator.
const cupsdConf = `LogLevel warn
MaxLogSize 0
ErrorPolicy stop-printer
Listen {{SOCKET}}
Browsing No
BrowseLocalProtocols none
WebInterface No
DefaultAuthType Basic
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  JobPrivateAccess default
  JobPrivateValues default
  SubscriptionPrivateAccess default
  SubscriptionPrivateValues default
  <Limit Create-Job Print-Job Print-URI Validate-Job>
    Order deny,allow
  </Limit>
  <Limit Send-Document Send-URI Hold-Job Release-Job Restart-Job Purge-Jobs Set-Job-Attributes Create-Job-Subscription Renew-Subscription Cancel-Subscription Get-Notifications Reprocess-Job Cancel-Current-Job Suspend-Current-Job Resume-Job Cancel-My-Jobs Close-Job CUPS-Move-Job CUPS-Get-Document>
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
  <Limit CUPS-Add-Modify-Printer CUPS-Delete-Printer CUPS-Add-Modify-Class CUPS-Delete-Class CUPS-Set-Default CUPS-Get-Devices>
    AuthType Default
    Require user @SYSTEM
    Order deny,allow
  </Limit>
  <Limit Pause-Printer Resume-Printer Enable-Printer Disable-Printer Pause-Printer-After-Current-Job Hold-New-Jobs Release-Held-New-Jobs Deactivate-Printer Activate-Printer Restart-Printer Shutdown-Printer Startup-Printer Promote-Job Schedule-Job-After Cancel-Jobs CUPS-Accept-Jobs CUPS-Reject-Jobs>
    AuthType Default
    Require user @SYSTEM
    Order deny,allow
  </Limit>
  <Limit Cancel-Job CUPS-Authenticate-Job>
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
`

// cupsFilesConf points every file of the scheduler into the temp directory.
const cupsFilesConf = `ServerRoot {{DIR}}/etc
RequestRoot {{DIR}}/spool
TempDir {{DIR}}/spool/tmp
StateDir {{DIR}}/run
CacheDir {{DIR}}/cache
ErrorLog {{DIR}}/log/error_log
AccessLog {{DIR}}/log/access_log
PageLog {{DIR}}/log/page_log
FileDevice Yes
SystemGroup root lpadmin
`

// Start starts a private cupsd and stops it when the test ends. It fails the
// test when CUPS is not installed or the scheduler does not come up within
// 10 s, showing its error log.
func Start(tb testing.TB) *Server {
	tb.Helper()
	cupsd := findCupsd(tb)
	for _, tool := range []string{"lpadmin", "lpstat", "lp"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("cupstest: %s is not installed: install the Debian packages cups and cups-client (make setup / scripts/setup.sh)", tool)
		}
	}
	// A short path: a Unix socket path may not exceed 107 bytes, and test
	// temp dirs carry the (long) test name.
	dir, err := os.MkdirTemp("", "cupstest-")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Dir: dir, Socket: filepath.Join(dir, "cups.sock"), tb: tb}
	tb.Cleanup(func() {
		s.stop()
		os.RemoveAll(dir)
	})
	s.prepare()

	cmd := exec.Command(cupsd, "-f", "-c", filepath.Join(dir, "cupsd.conf"), "-s", filepath.Join(dir, "cups-files.conf"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Own process group: a test binary killed by a timeout must not keep
	// the scheduler or its backends alive.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("cupstest: start cupsd: %v", err)
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	s.exited = exited
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			s.cmd = nil
			tb.Fatalf("cupstest: cupsd exited at start (%v):\n%s\n%s", err, out.String(), s.errorLog())
		default:
		}
		if c, err := net.Dial("unix", s.Socket); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("cupstest: cupsd did not open %s within 10 s:\n%s\n%s", s.Socket, out.String(), s.errorLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// findCupsd looks for the scheduler, which lives in sbin (often not on a
// user's PATH).
func findCupsd(tb testing.TB) string {
	if p, err := exec.LookPath("cupsd"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/cupsd", "/usr/local/sbin/cupsd", "/opt/homebrew/sbin/cupsd"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	tb.Fatalf("cupstest: cupsd is not installed: install the Debian packages cups and cups-client (make setup / scripts/setup.sh)")
	return ""
}

// prepare writes the configuration and makes the directories cupsd checks.
func (s *Server) prepare() {
	d := s.Dir
	for _, sub := range []string{"etc/ppd", "etc/ssl", "spool/tmp", "run/certs", "cache", "log"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			s.tb.Fatal(err)
		}
	}
	// cupsd refuses a spool that others can read, and its filters and
	// backends run as group lp.
	must := func(err error) {
		if err != nil {
			s.tb.Fatalf("cupstest: %v", err)
		}
	}
	must(os.Chmod(d, 0o755))
	must(os.Chmod(filepath.Join(d, "spool"), 0o710))
	must(os.Chmod(filepath.Join(d, "spool", "tmp"), 0o1770))
	if g, err := user.LookupGroup("lp"); err == nil {
		gid, _ := strconv.Atoi(g.Gid)
		must(os.Lchown(filepath.Join(d, "spool"), -1, gid))
		must(os.Lchown(filepath.Join(d, "spool", "tmp"), -1, gid))
	}
	r := strings.NewReplacer("{{DIR}}", d, "{{SOCKET}}", s.Socket)
	must(os.WriteFile(filepath.Join(d, "cupsd.conf"), []byte(r.Replace(cupsdConf)), 0o644))
	must(os.WriteFile(filepath.Join(d, "cups-files.conf"), []byte(r.Replace(cupsFilesConf)), 0o644))
}

// Env returns the process environment with CUPS_SERVER pointing at this
// scheduler and the C locale (lpstat's output is translated otherwise), for
// exec.Cmd.Env.
func (s *Server) Env() []string {
	return append(os.Environ(), "CUPS_SERVER="+s.Socket, "LC_ALL=C", "LANG=C")
}

// Run runs a CUPS client program (lpadmin, lpstat, cupsdisable, ...) against
// this scheduler and returns its output; a failure fails the test.
func (s *Server) Run(name string, args ...string) string {
	s.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = s.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.tb.Fatalf("cupstest: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// AddRawQueue adds an enabled, accepting raw queue that sends its jobs
// unchanged to the JetDirect printer at addr ("127.0.0.1:9100").
func (s *Server) AddRawQueue(name, addr string) {
	s.tb.Helper()
	// lpadmin warns that raw queues are deprecated; they still work in 2.4.
	s.Run("lpadmin", "-p", name, "-E", "-v", "socket://"+addr, "-m", "raw")
}

// errorLog returns the scheduler's error log, for failure messages.
func (s *Server) errorLog() string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "log", "error_log"))
	if err != nil {
		return "(no error_log)"
	}
	return "error_log:\n" + string(b)
}

// stop ends the scheduler: SIGTERM, then SIGKILL to its process group if it
// has not exited within 5 s.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pid := s.cmd.Process.Pid
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-s.exited
	}
	s.cmd = nil
}

// RawPrinter is a fake network printer: a TCP listener on 127.0.0.1 that
// takes each connection as one job, reads it to the end and records it.
type RawPrinter struct {
	// Addr is "127.0.0.1:port".
	Addr string

	ln   net.Listener
	jobs chan []byte
	wg   sync.WaitGroup
}

// NewRawPrinter starts a fake printer, closed when the test ends.
func NewRawPrinter(tb testing.TB) *RawPrinter {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &RawPrinter{Addr: ln.Addr().String(), ln: ln, jobs: make(chan []byte, 100)}
	p.wg.Add(1)
	go p.serve()
	tb.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
	})
	return p
}

func (p *RawPrinter) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(time.Minute))
			data, err := io.ReadAll(c)
			if err != nil || len(data) == 0 {
				return // a status probe, or a broken job: not a job
			}
			select {
			case p.jobs <- data:
			default: // nobody is reading: drop
			}
		}()
	}
}

// Next waits up to timeout for the next job and fails the test without one.
func (p *RawPrinter) Next(tb testing.TB, timeout time.Duration) []byte {
	tb.Helper()
	select {
	case j := <-p.jobs:
		return j
	case <-time.After(timeout):
		tb.Fatalf("cupstest: printer %s received no job within %v", p.Addr, timeout)
		return nil
	}
}

// String describes the printer for log lines.
func (p *RawPrinter) String() string { return fmt.Sprintf("fake printer %s", p.Addr) }
