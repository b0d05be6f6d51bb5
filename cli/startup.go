package cli

import (
	"flag"
	"io"
	"path/filepath"

	"waybilldesk/desk"
)

// peek parses the global flags of args the way Main does, without acting
// on them, so main can set up logging and the crash log before Main runs.
// It reports the data folder (that of --db, else the default), whether the
// invocation opens the window (no command, no --version, no help), and
// false for ok when the command line does not parse (Main then says why).
func peek(args []string) (dataDir string, window, ok bool) {
	e := &env{}
	fs := flag.NewFlagSet("waybilldesk", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.globals(fs)
	version := fs.Bool("version", false, "")
	if err := fs.Parse(args); err != nil {
		return "", false, false
	}
	path := e.cfg.DBPath
	if path == "" {
		p, err := desk.DefaultDBPath()
		if err != nil {
			return "", false, false
		}
		path = p
	}
	return filepath.Dir(path), !*version && fs.NArg() == 0, true
}

// DataDir is the folder that holds the history of the invocation args
// (the folder of --db, else the default in the user's config folder): the
// crash log and the GUI's log go there, next to the data they concern.
func DataDir(args []string) (string, bool) {
	dir, _, ok := peek(args)
	return dir, ok
}

// OpensWindow reports whether the invocation args opens the GUI rather
// than running a command: that path logs to a file, since a program
// started from a desktop icon has nobody reading its stderr.
func OpensWindow(args []string) bool {
	_, window, ok := peek(args)
	return ok && window
}
