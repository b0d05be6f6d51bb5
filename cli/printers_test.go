package cli

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// placeExample places the example order in a fresh sandbox history and
// returns the history and the order's ids.
func placeExample(t *testing.T) (db, orderID, waybillID string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "history.db")
	out, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", examplePath(t))
	if code != 0 {
		t.Fatalf("place: %s", errOut)
	}
	m := regexp.MustCompile(`(?m)^order_id\s+(\S+)\nwaybill_id\s+(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("place printed %q", out)
	}
	return db, m[1], m[2]
}

// jobListener is a loopback label printer that keeps each job it gets.
type jobListener struct {
	ln   net.Listener
	mu   sync.Mutex
	jobs [][]byte
	wg   sync.WaitGroup
}

func listenJobs(t *testing.T, addr string) *jobListener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	l := &jobListener{ln: ln}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(time.Minute))
			data, _ := io.ReadAll(c)
			c.Close()
			if len(data) > 0 { // not a status probe
				l.mu.Lock()
				l.jobs = append(l.jobs, data)
				l.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { ln.Close(); l.wg.Wait() })
	return l
}

func (l *jobListener) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.jobs)
}

// TestPrintRawRefusedThenRetry: `print --to raw:` of a printer that is off
// exits 1 with the reason and the retry command; once the printer is on,
// `print retry` prints the job once.
func TestPrintRawRefusedThenRetry(t *testing.T) {
	db, orderID, waybillID := placeExample(t)
	probe, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := probe.Addr().String()
	probe.Close()

	_, errOut, code := run(t, "--db", db, "print", orderID, "--to", "raw:"+addr, "--lang", "zpl", "--dpi", "300")
	m := regexp.MustCompile(`print job (\d+) failed after 1 attempt\(s\): .*refused.*\(retry: waybilldesk print retry (\d+)\)`).FindStringSubmatch(errOut)
	if code != 1 || m == nil || m[1] != m[2] {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "warning: printer raw:"+addr+" is offline") {
		t.Errorf("no status shown before printing:\n%s", errOut)
	}
	out, _, code := run(t, "--db", db, "--json", "print", "jobs", "--state", "failed")
	var jobs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &jobs) != nil || len(jobs) != 1 || jobs[0]["waybill_id"] != waybillID {
		t.Fatalf("failed jobs: %s", out)
	}

	printer := listenJobs(t, addr)
	out, errOut, code = run(t, "--db", db, "--json", "print", "retry", m[1])
	var j map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil || j["state"] != "done" || j["attempts"] != 2.0 {
		t.Fatalf("retry: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := printer.count(); n != 1 {
		t.Fatalf("printer got %d jobs, want 1", n)
	}
	if data := printer.jobs[0]; !strings.HasPrefix(string(data), "^XA") || !strings.Contains(string(data), "^PW1181") {
		t.Fatalf("not a 300-dpi ZPL label: %q", data[:min(len(data), 40)])
	}
	if _, errOut, code = run(t, "--db", db, "print", "retry", m[1]); code != 1 || !strings.Contains(errOut, "only a failed job can be retried") {
		t.Fatalf("retry of a done job: exit %d %s", code, errOut)
	}
}

// TestPrintToPDFFolderAndUsage: --to printer:NAME of a pdf printer writes
// into its folder; bad flags are usage errors.
func TestPrintToPDFFolderAndUsage(t *testing.T) {
	db, orderID, waybillID := placeExample(t)
	dir := filepath.Join(t.TempDir(), "labels")
	if _, errOut, code := run(t, "--db", db, "printers", "add", "--name", "files", "--kind", "pdf", "--address", dir); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := run(t, "--db", db, "--json", "print", waybillID, "--to", "printer:files")
	var j map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil || j["state"] != "done" || j["order_id"] != orderID {
		t.Fatalf("print: exit %d\n%s\n%s", code, out, errOut)
	}
	if b, err := os.ReadFile(j["file"].(string)); err != nil || !strings.HasPrefix(string(b), "%PDF-") || filepath.Dir(j["file"].(string)) != dir {
		t.Fatalf("file %v: %v", j["file"], err)
	}
	// A second print is a reprint of the first.
	out, _, code = run(t, "--db", db, "--json", "print", orderID, "--to", "printer:files")
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil || j["reprint_of"] != 1.0 {
		t.Fatalf("reprint: %s", out)
	}
	for _, args := range [][]string{
		{"print", orderID, "--to", "raw:"},
		{"print", orderID, "--to", "lpt1"},
		{"print", orderID, "--to", "raw:127.0.0.1:9", "--lang", "pcl"},
		{"print", orderID, "--to", "pdf:x.pdf", "--lang", "zpl"},
		{"print", "retry", "abc"},
		{"print", "jobs", "--state", "lost"},
		{"printers"},
		{"printers", "add", "--name", "x"},
		{"printers", "add", "--name", "x", "--kind", "usb"},
	} {
		if _, errOut, code := run(t, append([]string{"--db", db}, args...)...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}
