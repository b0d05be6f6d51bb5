package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"waybilldesk/internal/benchhistory"
	"waybilldesk/store"
)

// runs is how many times each quick figure is measured; the median is
// printed, so one slow run (another process on the two cores) does not
// decide it.
const runs = 5

// windowRuns is how many times the window is opened per history: each
// run takes seconds (start, a pause for memory, shutdown).
const windowRuns = 3

// windowTitle matches the window's title in English or Chinese.
const windowTitle = "Waybill Desk|面单台"

// firstPageLog is what the window logs when the Orders screen shows its
// first page (ui/orderlist.go).
const firstPageLog = "orders first page shown"

// env is what every benchmark of the package shares: the program, the
// histories and the X server, made once per run.
type env struct {
	root    string // the repository
	tmp     string // the program, the empty history, outputs
	bin     string
	home    string // HOME of every process started
	big     *workspace
	empty   *workspace
	small   *workspace // a history of smallOrders, for export's small figure
	display string
	xvfb    *exec.Cmd
}

// workspace is one history and the data folder around it (the sandbox's
// state, logs and backups land beside the history, as for a user).
type workspace struct {
	name    string // "1m", "empty", "10k": the figures' infix
	dir     string
	db      string
	orderID string // an order in the middle of the history
	orders  int
}

// smallOrders is the size of the small history export is compared on.
const smallOrders = 10_000

var (
	setupOnce sync.Once
	setupErr  error
	shared    *env
)

// TestMain stops the X server a window benchmark started; `go test`
// without -bench starts nothing.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.close()
	}
	os.Exit(code)
}

// setup builds the program and the histories once per run.
func setup(b *testing.B) *env {
	b.Helper()
	setupOnce.Do(func() { shared, setupErr = newEnv(context.Background()) })
	if setupErr != nil {
		b.Fatal(setupErr)
	}
	return shared
}

func newEnv(ctx context.Context) (*env, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "waybilldesk-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{root: root, tmp: tmp, bin: filepath.Join(tmp, "waybilldesk"), home: filepath.Join(root, ".cache", "bench", "home")}
	// WAYBILLDESK_BENCH_SRC builds the program from another tree (a
	// checkout of an older commit): the figures before and after a change.
	src := root
	if dir := os.Getenv("WAYBILLDESK_BENCH_SRC"); dir != "" {
		src = dir
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", e.bin, ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the program: %v\n%s", err, out)
	}
	cache := filepath.Join(root, ".cache", "bench")
	n := benchhistory.Orders()
	if e.big, err = cachedWorkspace(ctx, cache, "1m", n, true); err != nil {
		return nil, err
	}
	if e.small, err = cachedWorkspace(ctx, cache, fmt.Sprintf("%dk", smallOrders/1000), smallOrders, false); err != nil {
		return nil, err
	}
	// The empty history holds one order, so `order get` finds something.
	e.empty = &workspace{name: "empty", dir: filepath.Join(tmp, "empty"), orders: 1}
	e.empty.db = filepath.Join(e.empty.dir, "history.db")
	if err := benchhistory.Build(ctx, e.empty.db, 1); err != nil {
		return nil, err
	}
	for _, ws := range []*workspace{e.big, e.small, e.empty} {
		if ws.orderID, err = middleOrder(ctx, ws); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// cachedWorkspace returns a data folder in cache holding the cached
// history of n orders (built now when missing), linked as history.db.
func cachedWorkspace(ctx context.Context, cache, name string, n int, report bool) (*workspace, error) {
	start := time.Now()
	path, built, err := benchhistory.Ensure(ctx, cache, n)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if report {
		fmt.Printf("bench: history_%s_orders %d orders\n", name, n)
		if built {
			fmt.Printf("bench: history_%s_build_s %.1f s\n", name, time.Since(start).Seconds())
		}
		fmt.Printf("bench: history_%s_bytes %.2f GB (%.0f bytes per order, labels included)\n",
			name, float64(info.Size())/1e9, float64(info.Size())/float64(n))
	}
	ws := &workspace{name: name, dir: filepath.Join(cache, fmt.Sprintf("run-%d", n)), orders: n}
	ws.db = filepath.Join(ws.dir, "history.db")
	if err := os.MkdirAll(ws.dir, 0o755); err != nil {
		return nil, err
	}
	// A hard link, not a copy: the history is gigabytes. A rebuilt
	// history is a new file: the old link, its WAL and the sandbox's state
	// go with it.
	if have, err := os.Stat(ws.db); err != nil || !os.SameFile(have, info) {
		for _, f := range []string{"history.db", "history.db-wal", "history.db-shm", "sandbox.db", "sandbox.db-wal", "sandbox.db-shm"} {
			os.Remove(filepath.Join(ws.dir, f))
		}
		if err := os.Link(path, ws.db); err != nil {
			return nil, fmt.Errorf("link %s: %w", path, err)
		}
	}
	// The first start of a day backs the history up (backup_*_s measures
	// what that copy costs); the figures here are those of every other
	// start, so today's backup is there already: the history itself,
	// linked, since a copy would be gigabytes.
	backups := store.BackupDir(ws.db)
	today := filepath.Join(backups, "history-"+time.Now().Format("20060102")+".db")
	if _, err := os.Stat(today); err != nil {
		if err := os.MkdirAll(backups, 0o755); err != nil {
			return nil, err
		}
		if err := os.Link(path, today); err != nil {
			return nil, fmt.Errorf("link today's backup: %w", err)
		}
	}
	return ws, nil
}

// middleOrder is an order from the middle of the history: neither in
// the newest pages nor the oldest.
func middleOrder(ctx context.Context, ws *workspace) (string, error) {
	db, err := store.Open(ctx, ws.db)
	if err != nil {
		return "", err
	}
	defer db.Close()
	list, err := db.ListOrders(ctx, store.OrderQuery{Limit: 1, Offset: ws.orders / 2})
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", fmt.Errorf("%s: no order at offset %d", ws.db, ws.orders/2)
	}
	return list[0].OrderID, nil
}

func (e *env) close() {
	if e.xvfb != nil {
		e.xvfb.Process.Kill()
		e.xvfb.Wait()
	}
	os.RemoveAll(e.tmp)
}

// childEnv is the environment of every process started: HOME and the XDG
// folders under .cache (Fyne's preferences, font caches), no credentials
// (the desk runs on its embedded sandbox, on loopback), no session bus
// (no keyring of the user's is touched), and display for the window.
func (e *env) childEnv(display, configHome string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "WAYBILLDESK_"), strings.HasPrefix(k, "XDG_"), k == "HOME", k == "DISPLAY",
			k == "WAYLAND_DISPLAY", k == "DBUS_SESSION_BUS_ADDRESS", k == "LANG", k == "LC_ALL":
			continue
		}
		out = append(out, kv)
	}
	if configHome == "" {
		configHome = filepath.Join(e.home, "config")
	}
	out = append(out, "HOME="+e.home, "XDG_CONFIG_HOME="+configHome, "XDG_CACHE_HOME="+filepath.Join(e.home, "cache"),
		"LANG=en_US.UTF-8", "DBUS_SESSION_BUS_ADDRESS=disabled:")
	if display != "" {
		out = append(out, "DISPLAY="+display)
	}
	return out
}

// command is the program on ws's history with args.
func (e *env) command(ctx context.Context, ws *workspace, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.bin, append([]string{"--sandbox", "--db", ws.db}, args...)...)
	cmd.Env = e.childEnv("", "")
	return cmd
}

// run runs the program to its end and returns how long it took.
func (e *env) run(ctx context.Context, ws *workspace, args ...string) (time.Duration, *exec.Cmd, []byte, error) {
	cmd := e.command(ctx, ws, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return took, cmd, out, fmt.Errorf("waybilldesk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return took, cmd, out, nil
}

// once caches a figure per name: the benchmark harness may call a
// benchmark again with a bigger b.N, and a figure is measured once.
var (
	figuresMu sync.Mutex
	figures   = map[string]float64{}
)

// figure measures name once, prints its bench line and reports it.
func figure(b *testing.B, name, unit string, measure func() (float64, error)) {
	b.Helper()
	figuresMu.Lock()
	v, ok := figures[name]
	figuresMu.Unlock()
	if !ok {
		var err error
		if v, err = measure(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		figuresMu.Lock()
		figures[name] = v
		figuresMu.Unlock()
		fmt.Printf("bench: %s %s %s\n", name, format(v), unit)
	}
	b.ReportMetric(v, unit)
	for range b.N {
	}
}

func format(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// median runs f count times and returns the median duration.
func median(count int, f func() (time.Duration, error)) (time.Duration, error) {
	var all []time.Duration
	for range count {
		d, err := f()
		if err != nil {
			return 0, err
		}
		all = append(all, d)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return all[len(all)/2], nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkOpen opens and closes the history in process, as every command
// and the window do first.
func BenchmarkOpen(b *testing.B) {
	e := setup(b)
	for _, ws := range []*workspace{e.big, e.empty} {
		b.Run(ws.name, func(b *testing.B) {
			figure(b, "open_"+ws.name+"_ms", "ms", func() (float64, error) {
				d, err := median(runs, func() (time.Duration, error) {
					ctx := context.Background()
					start := time.Now()
					db, err := store.Open(ctx, ws.db)
					if err != nil {
						return 0, err
					}
					err = db.Close()
					return time.Since(start), err
				})
				return ms(d), err
			})
		})
	}
}

// BenchmarkOrderGetCLI runs `waybilldesk order get ID` as a process: the
// whole start of the program (history, sandbox, services) and one lookup.
func BenchmarkOrderGetCLI(b *testing.B) {
	e := setup(b)
	for _, ws := range []*workspace{e.big, e.empty} {
		b.Run(ws.name, func(b *testing.B) {
			figure(b, "order_get_cli_"+ws.name+"_ms", "ms", func() (float64, error) {
				d, err := median(runs, func() (time.Duration, error) {
					d, _, _, err := e.run(context.Background(), ws, "order", "get", ws.orderID)
					return d, err
				})
				return ms(d), err
			})
		})
	}
}

// BenchmarkBackup runs `waybilldesk backup --file OUT`: a consistent copy
// of the whole history.
func BenchmarkBackup(b *testing.B) {
	e := setup(b)
	for _, ws := range []*workspace{e.big, e.empty} {
		b.Run(ws.name, func(b *testing.B) {
			figure(b, "backup_"+ws.name+"_s", "s", func() (float64, error) {
				out := filepath.Join(e.tmp, "backup-"+ws.name+".db")
				defer os.Remove(out)
				d, _, _, err := e.run(context.Background(), ws, "backup", "--file", out)
				return d.Seconds(), err
			})
		})
	}
}

// BenchmarkExport exports the whole history to CSV: rows per second and
// the peak memory of the process, which must not grow with the history.
func BenchmarkExport(b *testing.B) {
	e := setup(b)
	for _, ws := range []*workspace{e.big, e.small} {
		b.Run(ws.name, func(b *testing.B) {
			var rss float64
			figure(b, "export_"+ws.name+"_rows_per_s", "rows/s", func() (float64, error) {
				out := filepath.Join(e.tmp, "export-"+ws.name+".csv")
				defer os.Remove(out)
				d, cmd, stdout, err := e.run(context.Background(), ws, "--json", "export", "--file", out)
				if err != nil {
					return 0, err
				}
				var res struct {
					Count int `json:"count"`
				}
				if err := json.Unmarshal(stdout, &res); err != nil || res.Count == 0 {
					return 0, fmt.Errorf("export answered %q (%v)", stdout, err)
				}
				rss = maxRSS(cmd)
				return float64(res.Count) / d.Seconds(), nil
			})
			figure(b, "export_"+ws.name+"_rss_mb", "MB", func() (float64, error) { return rss, nil })
		})
	}
}

// maxRSS is the peak resident memory of a finished process, in MB.
func maxRSS(cmd *exec.Cmd) float64 {
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return float64(u.Maxrss) / 1024 // KB on Linux
	}
	return 0
}

// BenchmarkWindow opens the window under Xvfb at a station monitor's
// 1366x768: the time from the process start until the window is mapped and
// until the Orders screen shows its first page (its log line), then the
// app's own memory (Chromium runs in processes of its own) a few seconds
// after the Orders tab was opened.
func BenchmarkWindow(b *testing.B) {
	e := setup(b)
	if err := e.startX(); err != nil {
		b.Skip("no X server for the window: ", err)
	}
	for _, ws := range []*workspace{e.big, e.empty} {
		b.Run(ws.name, func(b *testing.B) {
			var results []windowResult
			measure := func() error {
				if results != nil {
					return nil
				}
				for range windowRuns {
					r, err := e.window(ws)
					if err != nil {
						return err
					}
					results = append(results, r)
				}
				return nil
			}
			pick := func(f func(windowResult) float64) (float64, error) {
				if err := measure(); err != nil {
					return 0, err
				}
				var v []float64
				for _, r := range results {
					v = append(v, f(r))
				}
				sort.Float64s(v)
				return v[len(v)/2], nil
			}
			figure(b, "window_"+ws.name+"_ms", "ms", func() (float64, error) {
				return pick(func(r windowResult) float64 { return ms(r.up) })
			})
			figure(b, "window_orders_page_"+ws.name+"_ms", "ms", func() (float64, error) {
				return pick(func(r windowResult) float64 { return ms(r.firstPage) })
			})
			figure(b, "app_rss_"+ws.name+"_mb", "MB", func() (float64, error) {
				return pick(func(r windowResult) float64 { return r.rssMB })
			})
			figure(b, "app_rss_without_software_gl_"+ws.name+"_mb", "MB", func() (float64, error) {
				return pick(func(r windowResult) float64 { return r.rssMB - r.glMB })
			})
			figure(b, "app_rss_after_scroll_and_search_"+ws.name+"_mb", "MB", func() (float64, error) {
				return pick(func(r windowResult) float64 { return r.usedMB })
			})
		})
	}
}

// windowResult is one opening of the window.
type windowResult struct {
	up        time.Duration // process start to window mapped
	firstPage time.Duration // process start to the Orders screen's first page
	rssMB     float64       // after the Orders tab opened
	glMB      float64       // of rssMB, Mesa's software OpenGL
	usedMB    float64       // after scrolling and searching
}

// startX starts one Xvfb for the run on a free display.
func (e *env) startX() error {
	if e.display != "" {
		sock := "/tmp/.X11-unix/X" + strings.TrimPrefix(e.display, ":")
		if _, err := os.Stat(sock); err == nil && syscall.Kill(e.xvfb.Process.Pid, 0) == nil {
			return nil
		}
		// Gone (another session's clean-up?): start one again.
		e.xvfb.Process.Kill()
		e.xvfb.Wait()
		e.xvfb, e.display = nil, ""
	}
	if _, err := exec.LookPath("Xvfb"); err != nil {
		return err
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		return err
	}
	for n := 90; n < 200; n++ {
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		if _, err := os.Stat(sock); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		x := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1366x768x24", "-nolisten", "tcp")
		if err := x.Start(); err != nil {
			return err
		}
		for range 100 {
			if _, err := os.Stat(sock); err == nil {
				e.xvfb, e.display = x, fmt.Sprintf(":%d", n)
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		x.Process.Kill()
		x.Wait()
	}
	return errors.New("no free X display between :90 and :199")
}

// window opens the program's window on ws once and closes it.
func (e *env) window(ws *workspace) (windowResult, error) {
	var r windowResult
	if err := e.startX(); err != nil {
		return r, err
	}
	// Fresh preferences each time: the window opens on its first tab, as
	// for a new operator, not on the tab the last run left.
	config, err := os.MkdirTemp(e.tmp, "config-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(config)
	logPath := filepath.Join(ws.dir, "waybilldesk.log")
	var logFrom int64
	if info, err := os.Stat(logPath); err == nil {
		logFrom = info.Size()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	app := exec.Command(e.bin, "--sandbox", "--db", ws.db)
	app.Env = e.childEnv(e.display, config)
	// Its own process group: Chromium, which the window starts, is
	// stopped with it.
	app.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := app.Start(); err != nil {
		return r, err
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	defer func() {
		syscall.Kill(-app.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-app.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		// Chromium's helpers may outlive the app by a moment.
		syscall.Kill(-app.Process.Pid, syscall.SIGKILL)
	}()
	// Both signals are watched from the start: the Orders screen loads
	// its first page whatever the tab, maybe before the window is mapped.
	// xdotool's own --sync polls twice a second, too coarse: ask it every
	// 20 ms instead.
	for r.up == 0 || r.firstPage == 0 {
		select {
		case err := <-exited:
			exited <- err
			return r, fmt.Errorf("the program exited before its window showed its first page: %v", err)
		default:
		}
		if ctx.Err() != nil {
			return r, fmt.Errorf("window %v, first page %v (%q in %s) after %v", r.up, r.firstPage, firstPageLog, logPath, time.Since(start))
		}
		if r.firstPage == 0 && logged(logPath, logFrom, firstPageLog) {
			r.firstPage = time.Since(start)
		}
		if r.up == 0 {
			search := exec.Command("xdotool", "search", "--onlyvisible", "--name", windowTitle)
			search.Env = e.childEnv(e.display, config)
			if out, err := search.Output(); err == nil && len(strings.TrimSpace(string(out))) > 0 {
				r.up = time.Since(start)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Open the Orders tab as an operator does, then let the window settle.
	click := exec.Command("xdotool", "mousemove", strconv.Itoa(ordersTabX), strconv.Itoa(ordersTabY), "click", "1")
	click.Env = e.childEnv(e.display, config)
	if out, err := click.CombinedOutput(); err != nil {
		return r, fmt.Errorf("click the Orders tab: %v %s", err, out)
	}
	time.Sleep(4 * time.Second)
	if r.rssMB, r.glMB, err = rss(app.Process.Pid); err != nil {
		return r, err
	}
	// Then use it a little as an operator does: scroll through the
	// history (more pages load) and search it; what the window keeps of
	// that is memory that may grow with the history.
	for _, args := range [][]string{
		{"mousemove", "300", "400"},
		{"click", "--repeat", "200", "--delay", "10", "5"},
		{"sleep", "1"},
		{"click", "--repeat", "200", "--delay", "10", "5"},
		{"mousemove", "200", "121", "click", "1"},
		{"type", "--delay", "50", "WD2026"}, {"sleep", "3"},
		{"key", "ctrl+a", "BackSpace"}, {"type", "--delay", "50", "SF30"}, {"sleep", "1.5"},
		{"key", "ctrl+a", "BackSpace"}, {"type", "--delay", "50", "1234"}, {"sleep", "3"},
	} {
		x := exec.Command("xdotool", args...)
		x.Env = e.childEnv(e.display, config)
		if out, err := x.CombinedOutput(); err != nil {
			return r, fmt.Errorf("xdotool %v: %v %s", args, err, out)
		}
	}
	if r.usedMB, _, err = rss(app.Process.Pid); err != nil {
		return r, err
	}
	return r, nil
}

// ordersTabX, ordersTabY is a point on the Orders tab (the second) of the
// window at 0,0 under a bare X server, below the menu and the sandbox
// banner; the window opens in Chinese for a new operator.
const ordersTabX, ordersTabY = 145, 82

// logged reports whether the log file holds want after offset from.
func logged(path string, from int64, want string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(from, 0); err != nil {
		return false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), want) {
			return true
		}
	}
	return false
}

// rss is the resident memory of one process (not its children), in MB,
// and how much of it is Mesa's software OpenGL (llvmpipe: libLLVM and the
// swrast DRI driver), which Xvfb needs and a desktop with a GPU driver
// does not load.
func rss(pid int) (total, softGL float64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0, 0, err
	}
	gl := false
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			gl = len(f) >= 6 && (strings.Contains(f[5], "libLLVM") || strings.HasSuffix(f[5], "_dri.so"))
		case len(f) == 3 && f[0] == "Rss:":
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return 0, 0, fmt.Errorf("smaps of %d: %q: %w", pid, line, err)
			}
			total += kb / 1024
			if gl {
				softGL += kb / 1024
			}
		}
	}
	if total == 0 {
		return 0, 0, errors.New("no Rss in smaps")
	}
	return total, softGL, nil
}
