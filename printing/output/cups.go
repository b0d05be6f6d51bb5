package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// CUPS prints through a CUPS queue with the lp and lpstat programs of
// cups-client (Linux, macOS). For a thermal printer language (TSPL, ZPL,
// ESC/POS) the queue must pass the bytes through unchanged: a raw queue
// ("lpadmin -p zpl -E -v socket://10.0.0.5:9100 -m raw") or Raw set, which
// adds "-o raw".
//
// The programs run with LC_ALL=C, because their messages are translated
// and parsed here. CUPS_SERVER from the environment chooses the scheduler
// unless Server is set.
type CUPS struct {
	// Queue is the destination name (lpstat -e lists them).
	Queue string
	// Raw sends the job with "-o raw": no filter touches the bytes.
	Raw bool
	// Server is the scheduler ("host:port" or a socket path); "" means
	// CUPS_SERVER or the system's default.
	Server string
	// Options are extra "name=value" job options, each passed as -o.
	Options []string
	// Logger receives a debug line per job; nil means slog.Default().
	Logger *slog.Logger
}

var _ interface {
	Sender
	Monitor
} = CUPS{}

// cupsTimeout bounds one lp or lpstat run when the context has no earlier
// deadline: they talk to a local scheduler and answer in milliseconds.
const cupsTimeout = 30 * time.Second

// pollInterval is how often WaitDone asks CUPS about a job.
const pollInterval = 200 * time.Millisecond

// Send queues the job; see Submit.
func (c CUPS) Send(ctx context.Context, job []byte, title string) error {
	_, err := c.Submit(ctx, job, title)
	return err
}

var requestIDRe = regexp.MustCompile(`request id is (\S+) \(`)

// Submit queues the job with "lp -d QUEUE [-o raw] -t TITLE", the job on
// standard input, and returns the job id CUPS gives it ("zpl-12"), to pass
// to WaitDone. It returns when CUPS has queued the job, not when it printed.
func (c CUPS) Submit(ctx context.Context, job []byte, title string) (string, error) {
	if c.Queue == "" {
		return "", newError("", ErrNoSuchPrinter, nil, "no CUPS queue chosen")
	}
	args := []string{"-d", c.Queue, "-t", cleanTitle(title)}
	if c.Raw {
		args = append(args, "-o", "raw")
	}
	for _, o := range c.Options {
		args = append(args, "-o", o)
	}
	begin := time.Now()
	out, err := c.run(ctx, job, "lp", args...)
	if err != nil {
		return "", c.clientError(ctx, "lp", out, err)
	}
	m := requestIDRe.FindStringSubmatch(out)
	if m == nil {
		return "", newError(c.Queue, ErrSpooler, nil, "lp queued to %s but gave no job id: %q", c.Queue, strings.TrimSpace(out))
	}
	logger(c.Logger).Debug("job queued", "queue", c.Queue, "job", m[1], "title", title, "bytes", len(job), "took", time.Since(begin))
	return m[1], nil
}

// Status reads the queue's state with lpstat -p and lpstat -a.
func (c CUPS) Status(ctx context.Context) (State, error) {
	if c.Queue == "" {
		return State{}, newError("", ErrNoSuchPrinter, nil, "no CUPS queue chosen")
	}
	states, err := c.states(ctx, c.Queue)
	if err != nil {
		return State{}, err
	}
	for _, s := range states {
		if s.Printer == c.Queue {
			return s, nil
		}
	}
	return State{}, newError(c.Queue, ErrNoSuchPrinter, nil, "CUPS has no queue %q", c.Queue)
}

// Printers lists every CUPS destination (lpstat -e) with its state
// (lpstat -p, lpstat -a), in lpstat's order. No queues is an empty list, not
// an error.
func (c CUPS) Printers(ctx context.Context) ([]State, error) {
	out, err := c.run(ctx, nil, "lpstat", "-e")
	if err != nil {
		return nil, c.clientError(ctx, "lpstat", out, err)
	}
	names := strings.Fields(out)
	if len(names) == 0 {
		return []State{}, nil
	}
	states, err := c.states(ctx)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]State, len(states))
	for _, s := range states {
		byName[s.Printer] = s
	}
	list := make([]State, 0, len(names))
	for _, n := range names {
		s, ok := byName[n]
		if !ok {
			s = State{Printer: n, Condition: Unknown}
		}
		list = append(list, s)
	}
	return list, nil
}

// states runs lpstat -p and -a for the queues (all when none) and merges them.
func (c CUPS) states(ctx context.Context, queues ...string) ([]State, error) {
	pOut, err := c.run(ctx, nil, "lpstat", append([]string{"-p"}, queues...)...)
	if err != nil {
		if strings.Contains(pOut, "No destinations added") {
			return nil, nil
		}
		return nil, c.clientError(ctx, "lpstat", pOut, err)
	}
	aOut, err := c.run(ctx, nil, "lpstat", append([]string{"-a"}, queues...)...)
	if err != nil {
		return nil, c.clientError(ctx, "lpstat", aOut, err)
	}
	return mergeStates(parseLpstatP(pOut), parseLpstatA(aOut)), nil
}

// parseLpstatP reads "lpstat -p" in the C locale:
//
//	printer zpl is idle.  enabled since Sun Nov 22 05:15:16 2026
//	printer zpl now printing zpl-3.  enabled since ...
//	printer zpl disabled since Sun Nov 22 05:15:31 2026 -
//		paper out
//
// An indented line is the reason of the printer above it.
func parseLpstatP(out string) []State {
	var list []State
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, " ") {
			if n := len(list); n > 0 {
				list[n-1].Reason = joinReason(list[n-1].Reason, strings.TrimSpace(line))
			}
			continue
		}
		rest, ok := strings.CutPrefix(line, "printer ")
		if !ok {
			continue
		}
		name, state, _ := strings.Cut(rest, " ")
		s := State{Printer: name, Condition: Unknown}
		switch {
		case strings.HasPrefix(state, "is idle."):
			s.Condition = Ready
		case strings.HasPrefix(state, "now printing "):
			s.Condition = Printing
		case strings.HasPrefix(state, "disabled since "):
			s.Condition = Stopped
		}
		list = append(list, s)
	}
	return list
}

// lpstatA is one queue's line of "lpstat -a".
type lpstatA struct {
	accepting bool
	reason    string
}

// parseLpstatA reads "lpstat -a" in the C locale:
//
//	zpl accepting requests since Sun Nov 22 05:15:16 2026
//	zpl not accepting requests since Sun Nov 22 05:15:31 2026 -
//		Rejecting Jobs
func parseLpstatA(out string) map[string]*lpstatA {
	m := map[string]*lpstatA{}
	var last *lpstatA
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, " ") {
			if last != nil {
				last.reason = joinReason(last.reason, strings.TrimSpace(line))
			}
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		last = &lpstatA{accepting: strings.HasPrefix(rest, "accepting requests")}
		m[name] = last
	}
	return m
}

// mergeStates adds the accepting flag (and its reason) to the states.
func mergeStates(states []State, accepting map[string]*lpstatA) []State {
	for i := range states {
		a, ok := accepting[states[i].Printer]
		if !ok {
			states[i].Accepting = true // lpstat -a did not mention it
			continue
		}
		states[i].Accepting = a.accepting
		if !a.accepting && a.reason != "" && !strings.Contains(states[i].Reason, a.reason) {
			states[i].Reason = joinReason(states[i].Reason, a.reason)
		}
	}
	return states
}

func joinReason(a, b string) string {
	switch {
	case b == "":
		return a
	case a == "":
		return b
	}
	return a + "; " + b
}

// WaitDone waits until CUPS has finished the job (it appears in lpstat -W
// completed), polling a few times a second until ctx ends. A job CUPS
// cancelled or aborted is ErrJobFailed; a context that ends first gives
// ErrTimeout (or the cancellation) with the queue's state in the message,
// e.g. "stopped (paper out)".
func (c CUPS) WaitDone(ctx context.Context, jobID string) error {
	queue := c.Queue
	if queue == "" {
		if i := strings.LastIndexByte(jobID, '-'); i > 0 {
			queue = jobID[:i]
		}
	}
	if queue == "" || jobID == "" {
		return newError(queue, ErrNoSuchPrinter, nil, "no queue for job %q", jobID)
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		out, err := c.run(ctx, nil, "lpstat", "-l", "-W", "completed", "-o", queue)
		if err != nil {
			if ctx.Err() != nil {
				return c.waitTimeout(ctx, queue, jobID)
			}
			return c.clientError(ctx, "lpstat", out, err)
		}
		if done, alerts := findJob(out, jobID); done {
			switch {
			case strings.Contains(alerts, "job-canceled"):
				return newError(queue, ErrJobFailed, nil, "job %s on %s was cancelled (%s)", jobID, queue, alerts)
			case strings.Contains(alerts, "job-aborted"):
				return newError(queue, ErrJobFailed, nil, "job %s on %s was aborted by CUPS (%s)", jobID, queue, alerts)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return c.waitTimeout(ctx, queue, jobID)
		case <-tick.C:
		}
	}
}

// findJob looks for jobID in "lpstat -l -W completed" output and returns
// its Alerts line.
func findJob(out, jobID string) (found bool, alerts string) {
	in := false
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, " ") {
			f := strings.Fields(line)
			in = len(f) > 0 && f[0] == jobID
			found = found || in
			continue
		}
		if in {
			if a, ok := strings.CutPrefix(strings.TrimSpace(line), "Alerts:"); ok {
				alerts = strings.TrimSpace(a)
			}
		}
	}
	return found, alerts
}

// waitTimeout builds WaitDone's error for a context that ended, naming the
// queue's state when CUPS can still be asked.
func (c CUPS) waitTimeout(ctx context.Context, queue, jobID string) error {
	kind := error(ErrTimeout)
	if errors.Is(ctx.Err(), context.Canceled) {
		kind = context.Canceled
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	state := "state unknown"
	if s, err := (CUPS{Queue: queue, Server: c.Server}).Status(sctx); err == nil {
		state = string(s.Condition)
		if s.Reason != "" {
			state += " (" + s.Reason + ")"
		}
	}
	return newError(queue, kind, ctx.Err(), "job %s on %s not done: printer %s", jobID, queue, state)
}

// run runs a CUPS client program with the C locale and the chosen server,
// stdin from input, and returns its combined output.
func (c CUPS) run(ctx context.Context, input []byte, name string, args ...string) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cupsTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "LANGUAGE=")
	if c.Server != "" {
		cmd.Env = append(cmd.Env, "CUPS_SERVER="+c.Server)
	}
	if input != nil {
		cmd.Stdin = bytes.NewReader(input)
	}
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// clientError turns a failed lp or lpstat into an error naming the cause.
func (c CUPS) clientError(ctx context.Context, prog, out string, err error) error {
	msg := strings.TrimSpace(out)
	q := c.Queue
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return newError(q, ErrSpooler, err, "%s is not installed (install cups-client)", prog)
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return newError(q, ErrTimeout, ctx.Err(), "CUPS did not answer %s in time", prog)
	case ctx.Err() != nil:
		return newError(q, ctx.Err(), err, "%s cancelled", prog)
	case strings.Contains(msg, "not accepting jobs"):
		return newError(q, ErrNotAccepting, nil, "CUPS queue %s is not accepting jobs (%s)", q, msg)
	case strings.Contains(msg, "Scheduler is not running"), strings.Contains(msg, "Unable to connect"):
		return newError(q, ErrSpooler, nil, "CUPS is not running (%s)", msg)
	case strings.Contains(msg, "does not exist"), strings.Contains(msg, "Invalid destination"),
		strings.Contains(msg, "Unknown destination"):
		// lp and lpstat say so also when no scheduler answers.
		if !c.schedulerRunning(ctx) {
			return newError(q, ErrSpooler, nil, "CUPS is not running (%s)", msg)
		}
		return newError(q, ErrNoSuchPrinter, nil, "CUPS has no queue %q (%s)", q, msg)
	}
	return newError(q, ErrSpooler, err, "%s failed: %s", prog, msg)
}

// schedulerRunning asks lpstat -r.
func (c CUPS) schedulerRunning(ctx context.Context) bool {
	out, _ := c.run(ctx, nil, "lpstat", "-r")
	return strings.Contains(out, "scheduler is running")
}

// String describes the sender for logs: "CUPS queue zpl (raw)".
func (c CUPS) String() string {
	s := fmt.Sprintf("CUPS queue %s", c.Queue)
	if c.Raw {
		s += " (raw)"
	}
	return s
}
