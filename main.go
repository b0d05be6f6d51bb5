// Command waybilldesk is Waybill Desk: a console that places courier orders
// through WeChat's logistics APIs and prints their e-waybills. With no
// arguments it opens the window; see `waybilldesk help` for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"waybilldesk/cli"
	"waybilldesk/diag"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run sets up what must exist before anything can go wrong, then hands the
// invocation to the command line.
func run(args []string) int {
	stderr := io.Writer(os.Stderr)
	window := cli.OpensWindow(args)
	if !window {
		// A Windows GUI-subsystem program has no console: borrow the one of
		// the shell that started it, so `waybilldesk backup ...` prints.
		attachConsole()
		stderr = os.Stderr
	}
	if dir, ok := cli.DataDir(args); ok {
		// First of all, so that a fatal panic or runtime crash from here on,
		// in any goroutine, leaves its trace next to the data.
		if _, err := diag.SetCrashOutput(filepath.Join(dir, diag.CrashFile)); err != nil {
			fmt.Fprintln(stderr, "waybilldesk:", err)
		}
		if window {
			if logFile, err := openGUILog(dir); err != nil {
				fmt.Fprintln(stderr, "waybilldesk:", err)
			} else {
				defer logFile.Close()
				// The window's warnings and errors, and the reason it could not
				// open, go to the log file; stderr gets them too when there is
				// one (its failures are ignored: a Windows GUI has none).
				stderr = io.MultiWriter(logFile, diag.IgnoreErrors(os.Stderr))
			}
		}
	}
	return cli.Main(context.Background(), args, os.Stdout, stderr, openWindow)
}

// openGUILog opens <data dir>/waybilldesk.log (5 MB x 3, rotated) and makes
// it the default slog and standard log destination, where Fyne reports its
// errors, at Info level so support sees what happened before a problem.
func openGUILog(dir string) (*diag.RotatingFile, error) {
	f, err := diag.OpenLog(filepath.Join(dir, diag.LogFile), diag.LogMaxSize, diag.LogKeep)
	if err != nil {
		return nil, err
	}
	// slog.SetDefault also sends the standard log package through it.
	slog.SetDefault(slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})))
	slog.Info("start", "version", cli.Version, "go", runtime.Version(), "os", runtime.GOOS+"/"+runtime.GOARCH, "pid", os.Getpid())
	return f, nil
}
