// Package printing turns the e-waybill HTML that WeChat returns (print_html)
// into a one-page PDF or a printer-resolution PNG, with a headless
// Chromium-family browser driven by chromedp.
//
// A browser takes 0.15 to 0.5 s to start and a warm tab renders a label in
// about 25 ms (platform.md, section 4), so a Renderer keeps one browser and a
// small pool of tabs alive and reuses them, restarting the browser when it
// dies, when a tab cannot be cleaned up, or after many labels to bound its
// memory.
package printing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Defaults and limits. They are here and not in Options because nobody should
// need to tune them; they say why they have the value they have.
const (
	// defaultTimeout is generous: a label renders in tens of milliseconds,
	// and 20 s covers the cold start of a browser on a slow PC with room to
	// spare, yet is short enough that a stuck label does not stall a queue.
	defaultTimeout = 20 * time.Second
	// defaultRestartAfter bounds the memory a long-lived browser collects
	// (caches, fragmentation) at the cost of one 0.2 s restart per 500 labels.
	defaultRestartAfter = 500
	// startTimeout bounds a browser start that hangs, which a render's
	// deadline cannot do on its own: the start outlives the render that
	// asked for it, so other renders can use the browser.
	startTimeout = 30 * time.Second
	// cleanupTimeout bounds the work on a tab after a render: resetting it
	// for reuse, or stopping its script and closing it.
	cleanupTimeout = 5 * time.Second
	// healthAfter is how long a browser may sit unused before the next
	// render checks that it still answers (healthTimeout): a browser that
	// hung while idle, after the PC slept say, is replaced at once instead
	// of costing the next label its whole deadline. A busy browser proves
	// itself with every label.
	healthAfter   = 30 * time.Second
	healthTimeout = 3 * time.Second
	// minDPI and maxDPI bound PNG resolution: below 50 dpi a barcode cannot
	// be read, and above 600 dpi a large label makes an image of hundreds of
	// megabytes that no label printer needs.
	minDPI = 50
	maxDPI = 600
)

// MaxTabs caps Options.Tabs; each tab is a renderer process of its own
// (some 40 MB).
const MaxTabs = 16

// DefaultTabs is the number of tabs when Options.Tabs is 0: one per core and
// one more, at most defaultTabsCap. Printing a label is Chromium's work and
// then the print queue's (reading the label, recording the job, turning a
// screenshot into printer dots), and the spare tab keeps the cores busy with
// the next label meanwhile: on 2 cores, 3 tabs print the sandbox's SF label
// 5% faster as PDF and 14% faster as TSPL than 2 tabs (make bench).
func DefaultTabs() int { return min(goruntime.NumCPU()+1, defaultTabsCap) }

// defaultTabsCap bounds DefaultTabs on many-core PCs: 4 tabs already render
// far more labels a second than any station prints (a thermal printer takes
// about 1.2 s a label), and each tab is another 40 MB renderer process on
// what is often a 4 GB office PC. Options.Tabs (the setting) goes higher.
const defaultTabsCap = 4

// ErrTimeout is wrapped by the error of a render that did not finish before
// its deadline (Options.Timeout, or the context's if earlier). The same error
// also wraps context.DeadlineExceeded. The usual causes are a script in the
// template that never ends or an allowed resource that never loads.
var ErrTimeout = errors.New("label render timed out")

// ErrEmptyHTML is returned for a render of empty or blank HTML, without
// starting a browser: an empty print_html means the order call went wrong and
// printing a blank label would hide that.
var ErrEmptyHTML = errors.New("label HTML is empty")

// ErrClosed is returned by a render after Close.
var ErrClosed = errors.New("renderer is closed")

// Options configures a Renderer. The zero value is ready to use.
type Options struct {
	// BrowserPath is the browser program; "" means FindBrowser().
	BrowserPath string
	// Timeout limits each render, including a browser start; default 20s.
	Timeout time.Duration
	// Tabs is how many labels render at the same time; 0 means DefaultTabs,
	// and at most MaxTabs.
	Tabs int
	// Logger receives browser starts, restarts and blocked requests; nil
	// means slog.Default(). Label HTML is never logged: it holds names,
	// phone numbers and addresses.
	Logger *slog.Logger
	// AllowHosts lists hosts (besides data: and about:) a label may load resources from; default none.
	// An entry "host" allows any port, "host:port" one port. Only what an
	// entry names is reachable: localhost, loopback addresses and the
	// machine's own addresses too. Even to these hosts a label opens no
	// WebSocket and no WebRTC connection, and it cannot load from an IPv6
	// address (see policy.go); entries that are not "host" or "host:port"
	// are ignored, with a warning.
	AllowHosts []string
}

// Renderer renders labels with one long-lived browser and a bounded pool of
// tabs. It is safe for concurrent use. Create it with NewRenderer and stop it
// with Close.
type Renderer struct {
	opts         Options
	log          *slog.Logger
	policy       hostPolicy
	slots        chan struct{} // one token per tab in use; bounds concurrency across browser restarts
	restartAfter int           // renders per browser; a field so tests can lower it
	healthAfter  time.Duration // idle time before a health check; a field so tests can lower it

	mu       sync.Mutex
	cur      *browserProc // the browser new renders use; nil before the first start and after a retirement
	starting *startCall   // the start in progress, shared by everyone who waits for a browser
	warming  *startCall   // the warm-up of Start in progress, shared by concurrent calls
	closed   bool
	gen      int            // browser generation, for logs
	execPath string         // resolved browser path, cached after the first successful start
	bg       sync.WaitGroup // tab cleanups, browser starts and shutdowns still running
}

// browserProc is one browser process and the tabs opened in it.
type browserProc struct {
	gen     int
	ctx     context.Context    // chromedp context that owns the process; done when the browser is gone
	cancel  context.CancelFunc // stops the allocator: kills the process, removes the profile
	started time.Time
	pid     int

	// Guarded by Renderer.mu.
	renders int       // renders started on this browser
	lastOK  time.Time // when it last finished a render or a health check
	active  int       // tabs checked out by renders or being cleaned up
	retired bool      // no new renders; shut down once active is 0
	reason  string    // why it was retired, for the log
	idle    []*tab    // clean tabs ready for the next label
	// noFrameControl is set when the browser refused a tab without
	// frames (see openTab); it then gets ordinary tabs only.
	noFrameControl bool

	stopOnce sync.Once
}

// tab is one reusable page in the browser.
type tab struct {
	ctx      context.Context // chromedp context of the tab
	frameID  cdp.FrameID     // the main frame, which keeps its id for the life of the tab
	viewport viewport        // the viewport and print media a PNG render set; zero when none
	scripted bool            // the last label may have run script: reset the tab before reuse
	// cspMeta is the label policy's <meta> element (policy.go), and
	// policed says whether the tab's document already carries it: a
	// policy stays with a document, so it is inserted once per document.
	cspMeta string
	policed bool
	// noFrames marks a tab opened with frame control (see openTab): it
	// draws nothing, so it prints PDFs and takes no screenshots.
	noFrames bool
	blocked  blockedLog
	dialogs  dialogLog
}

// viewport is the label size and dot density a PNG tab is set up for.
type viewport struct {
	size Size
	dpi  float64
}

// renderKind is what a render makes.
type renderKind string

const (
	kindPDF renderKind = "pdf"
	kindPNG renderKind = "png"
)

// startCall is a browser start in progress.
type startCall struct {
	done chan struct{}
	err  error
}

// NewRenderer returns a Renderer. It does not start the browser: the first
// render does, or Start, so that creating one at app start costs nothing.
func NewRenderer(opts Options) *Renderer {
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.Tabs <= 0 {
		opts.Tabs = DefaultTabs()
	}
	opts.Tabs = min(opts.Tabs, MaxTabs)
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &Renderer{
		opts:         opts,
		log:          log.With("component", "printing"),
		policy:       newHostPolicy(opts.AllowHosts),
		slots:        make(chan struct{}, opts.Tabs),
		restartAfter: defaultRestartAfter,
		healthAfter:  healthAfter,
	}
	if len(r.policy.invalid) > 0 {
		r.log.Warn("ignoring label hosts that are not a host or host:port", "hosts", r.policy.invalid)
	}
	if len(r.policy.noCSP) > 0 {
		r.log.Warn("labels cannot load from IPv6 addresses (a content security policy cannot name them); allow a host name instead",
			"hosts", r.policy.noCSP)
	}
	return r
}

// Tabs is how many labels the renderer renders at the same time.
func (r *Renderer) Tabs() int { return r.opts.Tabs }

// warmupHTML is a tiny label with CJK text, regular and bold: rendering it
// loads the CJK fonts and the PDF printing code into the browser, which would
// otherwise add up to a few hundred milliseconds to the first real label.
const warmupHTML = `<!doctype html><meta charset="utf-8"><style>@page{size:100mm 100mm;margin:0}` +
	`body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif}</style>` +
	`<p>预热 warm-up 0123</p><p><b>收件人 寄件人 0123</b></p>`

// Start starts the browser now and renders a small warm-up label as a PDF,
// then as a 203-dpi image, so that the first real label prints at full
// speed whether the station's printer takes PDFs or printer dots (each kind
// has tabs of its own, see takeTab, and a tab's first label costs some
// 100 ms more); call it in the background when the app starts. It
// is idempotent and safe to call concurrently: a started, healthy browser is
// left alone. If ctx ends first, Start returns but the browser keeps
// starting for the next render.
func (r *Renderer) Start(ctx context.Context) error {
	r.mu.Lock()
	warm := r.cur != nil && !r.cur.retired && r.cur.ctx.Err() == nil
	w := r.warming
	if !warm && w == nil {
		// The first caller warms up; the others wait for it, so that
		// concurrent calls do not open a pair of tabs each.
		w = &startCall{done: make(chan struct{})}
		r.warming = w
		defer func() {
			r.mu.Lock()
			r.warming = nil
			r.mu.Unlock()
			close(w.done)
		}()
		r.mu.Unlock()
		w.err = r.warmUp(ctx)
		return w.err
	}
	r.mu.Unlock()
	if warm {
		return nil
	}
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// warmUp renders warmupHTML as a PDF and as an image.
func (r *Renderer) warmUp(ctx context.Context) error {
	var out []byte
	if err := r.render(ctx, kindPDF, warmupHTML, Size100x100, pdfPlan(warmupHTML, Size100x100, &out)); err != nil {
		return fmt.Errorf("start renderer: %w", err)
	}
	if _, err := r.PNG(ctx, warmupHTML, Size100x100, 203); err != nil {
		return fmt.Errorf("start renderer: %w", err)
	}
	return nil
}

// PDF renders the label as a one-page PDF of the given size, or of the size
// in the label's own @page rule when it has one.
func (r *Renderer) PDF(ctx context.Context, html string, size Size) ([]byte, error) {
	var out []byte
	if err := r.render(ctx, kindPDF, html, size, pdfPlan(html, size, &out)); err != nil {
		return nil, fmt.Errorf("render pdf %s: %w", size, err)
	}
	return out, nil
}

// pdfPlan lists the steps of a PDF render on tab t.
func pdfPlan(html string, size Size, out *[]byte) func(*tab, labelTraits) []step {
	return func(t *tab, lt labelTraits) []step {
		steps := make([]step, 0, 4)
		if t.viewport != (viewport{}) {
			steps = append(steps, clearEmulation())
			t.viewport = viewport{}
		}
		steps = append(steps, loadHTML(t, html))
		if lt.loads {
			steps = append(steps, waitSettled())
		}
		return append(steps, printPDF(size, out))
	}
}

// PNG renders the label as an image of exactly the label area at dpi dots per
// inch (203 for most thermal printers: 100x180 mm gives about 799x1438
// pixels). The label is laid out at the requested size whatever width its CSS
// asks for, and with print media, so it looks like the PDF.
func (r *Renderer) PNG(ctx context.Context, html string, size Size, dpi float64) ([]byte, error) {
	if !(dpi >= minDPI && dpi <= maxDPI) {
		return nil, fmt.Errorf("render png %s: dpi %v outside %d..%d", size, dpi, minDPI, maxDPI)
	}
	var out []byte
	err := r.render(ctx, kindPNG, html, size, func(t *tab, lt labelTraits) []step {
		steps := make([]step, 0, 4)
		if v := (viewport{size, dpi}); t.viewport != v {
			// The same viewport as the last label needs no call: a
			// station prints one size on one printer all day.
			steps = append(steps, emulateLabel(size, dpi))
			t.viewport = v
		}
		steps = append(steps, loadHTML(t, html))
		if lt.loads {
			steps = append(steps, waitSettled())
		}
		return append(steps, capturePNG(size, &out))
	})
	if err != nil {
		return nil, fmt.Errorf("render png %s: %w", size, err)
	}
	return out, nil
}

// outcome says what to do with a tab after a render.
type outcome int

const (
	tabClean   outcome = iota // reuse after a reset
	tabDirty                  // close it: its state is unknown
	tabStuck                  // a script may still run: stop it, then close
	browserBad                // the browser failed: restart it
)

// render runs the steps for one label on a pooled tab, within the deadline.
// The label is scanned once (inspect) for what plan and the tab's cleanup
// need to know of it.
func (r *Renderer) render(ctx context.Context, kind renderKind, html string, size Size, plan func(*tab, labelTraits) []step) error {
	if err := checkHTMLSize(html); err != nil {
		return err
	}
	if strings.TrimSpace(html) == "" {
		return ErrEmptyHTML
	}
	if err := size.validate(); err != nil {
		return err
	}
	// Count the render in bg, so Close cannot start waiting while a render
	// is about to hand its tab to a background cleanup.
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.bg.Add(1)
	r.mu.Unlock()
	defer r.bg.Done()

	begin := time.Now()
	rctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	limit := r.opts.Timeout
	if dl, ok := rctx.Deadline(); ok {
		limit = dl.Sub(begin)
	}
	stage := "wait for a free tab"
	fail := func(err error) error { return r.classify(ctx, rctx, err, stage, limit) }

	select {
	case r.slots <- struct{}{}:
	case <-rctx.Done():
		return fail(rctx.Err())
	}
	stage = "start browser"
	b, err := r.browser(rctx)
	if err != nil {
		<-r.slots
		return fail(err)
	}
	stage = "open tab"
	t, err := r.takeTab(rctx, b, kind)
	if err != nil {
		// A browser that cannot open a tab in the whole render time is not
		// worth keeping; a caller who gave up early says nothing about it.
		o := browserBad
		if ctx.Err() != nil {
			o = tabDirty
		}
		r.release(b, nil, o)
		return fail(err)
	}

	t.blocked.take() // forget what a previous label's late requests and dialogs left there
	t.dialogs.take()
	lt := inspect(html)
	t.scripted = lt.script

	// Steps run on a context of the tab (chromedp needs it to find the tab)
	// that also ends with the render's context.
	sctx, scancel := context.WithCancel(t.ctx)
	stop := context.AfterFunc(rctx, scancel)
	var runErr error
	for _, s := range plan(t, lt) {
		stage = s.name
		if _, runErr = chromedp.Run(sctx, s.run); runErr != nil {
			break
		}
	}
	stop()
	scancel()

	if hosts := t.blocked.take(); len(hosts) > 0 {
		// Worth a warning: a logo or font that does not load is visible on
		// the label, and the fix (Options.AllowHosts) is a setting.
		r.log.Warn("label asked for resources on hosts that are not allowed; blocked them (AllowHosts allows a host)",
			"kind", kind, "size", size.String(), "hosts", hosts)
	}
	if n, first := t.dialogs.take(); n > 0 {
		// A template that asks for an answer is a template to fix: say so,
		// even though the label printed.
		r.log.Warn("label opened JavaScript dialogs; dismissed them at once",
			"kind", kind, "size", size.String(), "count", n, "dialogs", first)
	}
	if runErr == nil {
		r.log.Debug("label rendered", "kind", kind, "size", size.String(), "bytes_in", len(html), "took", time.Since(begin))
		r.release(b, t, tabClean)
		return nil
	}
	switch {
	case b.ctx.Err() != nil:
		r.release(b, t, browserBad)
	case rctx.Err() != nil:
		r.release(b, t, tabStuck)
	default:
		r.release(b, t, tabDirty)
	}
	return fail(runErr)
}

// classify turns a failure into the error a caller can act on: a timeout
// wraps ErrTimeout and context.DeadlineExceeded; a cancellation by the caller
// keeps the caller's error.
func (r *Renderer) classify(ctx, rctx context.Context, err error, stage string, limit time.Duration) error {
	switch {
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w after %s (step %q): %w", ErrTimeout, limit.Round(time.Millisecond), stage, context.DeadlineExceeded)
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", stage, ctx.Err())
	default:
		r.mu.Lock()
		closed := r.closed
		r.mu.Unlock()
		if closed && !errors.Is(err, ErrClosed) {
			return fmt.Errorf("%s: %w: %w", stage, ErrClosed, err)
		}
		return fmt.Errorf("%s: %w", stage, err)
	}
}

// browser returns the running browser, starting one when there is none or the
// current one is retired or dead. Concurrent callers share one start.
func (r *Renderer) browser(ctx context.Context) (*browserProc, error) {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, ErrClosed
		}
		if b := r.cur; b != nil {
			if b.ctx.Err() == nil && !b.retired {
				idle := time.Since(b.lastOK) >= r.healthAfter
				r.mu.Unlock()
				if !idle {
					return b, nil
				}
				err := ping(ctx, b)
				if err == nil {
					r.mu.Lock()
					b.lastOK = time.Now()
					r.mu.Unlock()
					return b, nil
				}
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				r.log.Warn("the browser does not answer; restarting it", "pid", b.pid, "generation", b.gen, "err", err)
				r.mu.Lock()
				r.retireLocked(b, "health check failed")
				r.mu.Unlock()
				continue
			}
			r.retireLocked(b, "browser exited")
		}
		sc := r.starting
		if sc == nil {
			sc = &startCall{done: make(chan struct{})}
			r.starting = sc
			r.bg.Add(1)
			go r.start(sc)
		}
		r.mu.Unlock()

		select {
		case <-sc.done:
			if sc.err != nil {
				return nil, sc.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// ping asks the browser for its version, within healthTimeout.
func ping(ctx context.Context, b *browserProc) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	stop := context.AfterFunc(b.ctx, cancel) // a browser that exits ends the wait
	defer stop()
	_, err := cdp.Call(ctx, chromedp.FromContext(b.ctx).Browser, browser.GetVersion, cdp.Empty{})
	return err
}

// start launches a browser and makes it current. It runs on its own
// goroutine, detached from the render that asked for it.
func (r *Renderer) start(sc *startCall) {
	defer r.bg.Done()
	b, err := r.launch()
	r.mu.Lock()
	r.starting = nil
	closed := r.closed
	if err == nil && !closed {
		r.cur = b
	}
	r.mu.Unlock()
	if err == nil && closed {
		// Close ran while the browser started: nobody will use it.
		r.stopBrowser(b)
		err = ErrClosed
	}
	sc.err = err
	close(sc.done)
}

// launch starts a browser process and waits until it answers.
func (r *Renderer) launch() (*browserProc, error) {
	path, err := r.browserPath()
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.DisableGPU, // no GPU on a print server; avoids GPU-process crashes and start-up time
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		// chromedp makes a fresh temporary profile (user-data-dir) for each
		// process and removes it when the process ends.
	)
	opts = append(opts, networkFlags(r.policy)...)
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox. chromedp adds the
		// flag itself for root, but say so here rather than rely on it.
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	quiet := func(format string, args ...any) {
		r.log.Debug("chromedp: " + fmt.Sprintf(format, args...))
	}
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(quiet), chromedp.WithErrorf(quiet))
	stopAll := func() { bcancel(); acancel() }

	began := time.Now()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(bctx) }() // no deadline: this context owns the browser
	select {
	case err = <-done:
	case <-time.After(startTimeout):
		stopAll()
		<-done
		err = fmt.Errorf("browser did not answer within %s", startTimeout)
	}
	if err != nil {
		stopAll()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}

	r.mu.Lock()
	r.gen++
	b := &browserProc{gen: r.gen, ctx: bctx, cancel: stopAll, started: time.Now(), lastOK: time.Now()}
	r.mu.Unlock()
	if p := chromedp.FromContext(bctx).Browser.Process(); p != nil {
		b.pid = p.Pid
	}
	r.log.Info("browser started", "path", path, "pid", b.pid, "generation", b.gen, "took", time.Since(began).Round(time.Millisecond))
	context.AfterFunc(bctx, func() { r.exited(b) })
	return b, nil
}

// browserPath returns Options.BrowserPath or the result of FindBrowser, and
// caches the search (it stats a dozen paths) once it found something.
func (r *Renderer) browserPath() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.opts.BrowserPath != "" {
		return r.opts.BrowserPath, nil
	}
	if r.execPath == "" {
		p, err := FindBrowser()
		if err != nil {
			return "", err
		}
		r.execPath = p
	}
	return r.execPath, nil
}

// exited notes a browser whose context ended, which is either our own
// shutdown or a crash; only the crash is news.
func (r *Renderer) exited(b *browserProc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !b.retired && !r.closed {
		r.log.Warn("browser exited unexpectedly; the next label restarts it", "pid", b.pid, "generation", b.gen, "renders", b.renders)
		r.retireLocked(b, "browser exited")
	}
}

// retireLocked stops new renders on b and shuts it down when the last one
// ends. The caller holds r.mu.
func (r *Renderer) retireLocked(b *browserProc, reason string) {
	if r.cur == b {
		r.cur = nil
	}
	if b.retired {
		return
	}
	b.retired, b.reason = true, reason
	if b.active == 0 {
		r.bg.Add(1)
		go func() { defer r.bg.Done(); r.stopBrowser(b) }()
	}
}

// stopBrowser closes the browser gracefully, then makes sure the process is
// gone and its profile removed. It is idempotent.
func (r *Renderer) stopBrowser(b *browserProc) {
	b.stopOnce.Do(func() {
		if b.ctx.Err() == nil {
			// Browser.close first: a killed Chromium can leave helper
			// processes behind for a moment. The timeout bounds a browser
			// that does not answer; b.cancel below kills it then.
			ctx, cancel := context.WithTimeout(b.ctx, cleanupTimeout)
			_ = chromedp.Cancel(ctx)
			cancel()
		}
		b.cancel()
		r.mu.Lock()
		reason, renders := b.reason, b.renders
		r.mu.Unlock()
		r.log.Info("browser stopped", "pid", b.pid, "generation", b.gen, "reason", reason, "renders", renders,
			"uptime", time.Since(b.started).Round(time.Second))
	})
}

// takeTab checks a tab for kind out of b: an idle one if there is one, else
// a new one. PDFs go to tabs without frames where the browser has them, PNGs
// to ordinary tabs. It also counts the render toward the browser's restart.
func (r *Renderer) takeTab(ctx context.Context, b *browserProc, kind renderKind) (*tab, error) {
	r.mu.Lock()
	b.active++
	b.renders++
	if b.renders >= r.restartAfter {
		r.log.Info("restarting the browser to bound its memory", "renders", b.renders, "generation", b.gen)
		r.retireLocked(b, fmt.Sprintf("restart after %d renders", b.renders))
	}
	noFrames := kind == kindPDF && !b.noFrameControl
	var t, spare *tab
	for i := len(b.idle) - 1; i >= 0 && t == nil; i-- {
		c := b.idle[i]
		switch {
		case !tabAlive(c):
			// Its renderer crashed while idle.
			b.idle = slices.Delete(b.idle, i, i+1)
		case c.noFrames == noFrames:
			t = c
			b.idle = slices.Delete(b.idle, i, i+1)
		}
	}
	if t == nil && len(b.idle) > 0 && len(b.idle)+b.active > r.opts.Tabs {
		// Only tabs for the other kind are idle, and a new tab would make
		// more than Options.Tabs: close the oldest, so that a station
		// printing both PDFs and images keeps no more renderer processes
		// than that.
		spare = b.idle[0]
		b.idle = b.idle[1:]
	}
	r.mu.Unlock()
	if spare != nil {
		r.bg.Add(1)
		go func() { defer r.bg.Done(); _ = closeTab(spare, false) }()
	}
	if t != nil {
		return t, nil
	}
	return r.openTab(ctx, b, noFrames)
}

// tabAlive reports whether the browser still has the tab.
func tabAlive(t *tab) bool {
	if t.ctx.Err() != nil {
		return false
	}
	detached, err := chromedp.Detached(t.ctx)
	if err != nil {
		return false
	}
	select {
	case <-detached:
		return false
	default:
		return true
	}
}

// protectTab sets up what keeps a label on the tab local (guard.go), request
// interception and no WebRTC, and what keeps it from blocking the tab: the
// answer to its dialogs (dialogs.go).
func (r *Renderer) protectTab(t *tab) error {
	dismissDialogs(t.ctx, &t.dialogs)
	if err := guardRequests(t.ctx, r.policy, &t.blocked); err != nil {
		return fmt.Errorf("guard requests: %w", err)
	}
	if err := removeWebRTC(t.ctx); err != nil {
		return fmt.Errorf("remove WebRTC: %w", err)
	}
	return nil
}

// openTab opens a tab with request interception on. The first Run of a tab
// context binds the tab's life to the context it gets, so the render's
// deadline is applied by canceling the tab rather than by passing ctx.
//
// A tab for PDFs is opened with frame control (noFrames), where the browser
// has it (chromium-headless-shell does): the page then draws no frames
// unless asked to over the protocol, and nobody asks. An ordinary tab lays
// out, paints, rasterises and composites every label for a screen nobody
// sees, about 15% of the CPU a PDF costs; printing needs none of it.
func (r *Renderer) openTab(ctx context.Context, b *browserProc, noFrames bool) (*tab, error) {
	var opts []chromedp.ContextOption
	var id target.ID
	if noFrames {
		var err error
		id, err = createFramelessTarget(ctx, b)
		switch {
		case err == nil:
			opts = append(opts, chromedp.WithTargetID(id))
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			// The protocol offers frame control for the headless shell
			// only; a browser that refuses it gets ordinary tabs from
			// now on. (Chromium's new headless mode accepts it.)
			r.log.Info("the browser has no frame control; PDFs use ordinary tabs", "err", err)
			r.mu.Lock()
			b.noFrameControl = true
			r.mu.Unlock()
			noFrames = false
		}
	}
	tctx, tcancel := chromedp.NewContext(b.ctx, opts...)
	stop := context.AfterFunc(ctx, tcancel)
	t := &tab{ctx: tctx, noFrames: noFrames, cspMeta: cspMeta(r.policy.csp)}
	err := chromedp.Do(tctx)
	if err == nil {
		err = r.protectTab(t)
	}
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		tcancel()
		if id != "" {
			// Canceling the context closes the tab only once attached.
			closeTarget(b, id)
		}
		return nil, err
	}
	return t, nil
}

// createFramelessTarget opens a blank tab with frame control on and returns
// its id, as chromedp would open one but for that option.
func createFramelessTarget(ctx context.Context, b *browserProc) (target.ID, error) {
	res, err := cdp.Call(ctx, chromedp.FromContext(b.ctx).Browser, target.CreateTarget, target.CreateTargetParams{
		URL:                     "about:blank",
		NewWindow:               ptr(true), // a tab sharing a window is hidden when another one is active
		EnableBeginFrameControl: ptr(true),
	})
	if err != nil {
		return "", err
	}
	return res.TargetID, nil
}

// closeTarget closes a tab nobody attached to.
func closeTarget(b *browserProc, id target.ID) {
	ctx, cancel := context.WithTimeout(b.ctx, cleanupTimeout)
	defer cancel()
	_, _ = cdp.Call(ctx, chromedp.FromContext(b.ctx).Browser, target.CloseTarget, target.CloseTargetParams{TargetID: id})
}

// release gives the tab back after a render. Cleaning a tab takes a few
// milliseconds (and stopping a stuck one longer), so it runs in the
// background: the caller has its label already. A tab whose label ran no
// script needs no cleaning (see mayRunScript). The slot is freed last, so a
// waiting render finds the cleaned tab.
func (r *Renderer) release(b *browserProc, t *tab, o outcome) {
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		defer func() { <-r.slots }()
		r.mu.Lock()
		gone := b.ctx.Err() != nil || r.closed
		r.mu.Unlock()
		if gone {
			// The browser is stopping and takes its tabs with it.
			t = nil
		}
		if t != nil && o == tabClean && t.scripted {
			if err := resetTab(t); err != nil {
				r.log.Debug("could not reset a tab; closing it", "err", err)
				o = tabDirty
			}
		}
		if t != nil && (o == tabDirty || o == tabStuck) {
			if err := closeTab(t, o == tabStuck); err != nil {
				r.mu.Lock()
				stopping := b.retired || r.closed // then the browser closed the tab itself
				r.mu.Unlock()
				if !stopping {
					r.log.Warn("could not close a tab; restarting the browser", "err", err)
					o = browserBad
				}
			}
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		b.active--
		switch {
		case o == browserBad:
			r.retireLocked(b, "browser failed")
		case t != nil && o == tabClean && !b.retired && !r.closed:
			b.idle = append(b.idle, t)
		}
		if o == tabClean {
			b.lastOK = time.Now()
		}
		if b.retired && b.active == 0 {
			r.bg.Add(1)
			go func() { defer r.bg.Done(); r.stopBrowser(b) }()
		}
	}()
}

// mayRunScript reports whether a label needs the tab reset after it.
// Without script a label cannot touch the page's window (globals, timers,
// listeners) or navigate, and the next SetDocumentContent replaces
// everything it made, so the tab is reused as it is. The reset, a reload
// of about:blank, costs about as much as printing a label, and with one
// tab per core the next label waits for it.
func mayRunScript(html string) bool { return inspect(html).script }

// errTabMoved is the reset error of a tab whose label navigated it away
// from about:blank.
var errTabMoved = errors.New("the label navigated the tab away from about:blank")

// resetTab gives the tab a fresh, empty document and window. Replacing the
// document with SetDocumentContent keeps the page's window, so a label's
// globals and timers would live on into the next label.
//
// It reloads rather than navigates to about:blank: Chromium treats a page
// that navigated to about:blank as an insecure public context and then
// blocks its requests to local-network hosts (InsecureLocalNetwork), which
// would break an AllowHosts entry on the LAN. Reloading the tab's initial
// about:blank keeps it as new.
func resetTab(t *tab) error {
	ctx, cancel := context.WithTimeout(t.ctx, cleanupTimeout)
	defer cancel()
	// Whatever happens next, the document the label policy was put in is
	// gone or in doubt: the next label brings the policy again.
	t.policed = false
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		return err
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return err
	}
	if url != "about:blank" {
		return errTabMoved
	}
	return nil
}

// closeTab closes a tab. A tab whose script runs forever is stopped first
// with Runtime.terminateExecution, which lets the close take milliseconds
// instead of the half second Chromium waits for a hung page.
func closeTab(t *tab, stuck bool) error {
	if stuck && t.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(t.ctx, time.Second)
		_, _ = chromedp.Call(ctx, runtime.TerminateExecution, cdp.Empty{})
		cancel()
	}
	return chromedp.Cancel(t.ctx)
}

// Close stops the browser and waits until its process has exited and its
// temporary profile is removed. Renders still running fail; later ones return
// ErrClosed. Close is idempotent.
func (r *Renderer) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	b, sc := r.cur, r.starting
	r.cur = nil
	if b != nil {
		b.retired, b.reason = true, "renderer closed"
	}
	r.mu.Unlock()

	if sc != nil {
		<-sc.done // start sees closed and stops the browser it made
	}
	if b != nil {
		r.stopBrowser(b)
	}
	r.bg.Wait()
	return nil
}
