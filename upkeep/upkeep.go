// Package upkeep takes care of the history in the background while a
// long-running program (the window, events serve) is open: the integrity
// check at most once a day and the daily backup within its disk budget,
// one after the other, each on a connection of its own so that the
// operator and the print queue never wait for them. Its status (what runs,
// how far, the last results) is there for the window's status bar and for
// diagnostics.
package upkeep

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"waybilldesk/store"
)

// Options tune the upkeep.
type Options struct {
	// Delay is the wait after start before the first round, so that the
	// first minutes of work (and the window coming up) have the disk to
	// themselves; default 2 minutes, negative for none.
	Delay time.Duration
	// Every is how often a round looks whether something is due (a window
	// left open over midnight takes the next day's backup); default 1 hour.
	Every time.Duration
	// Policy is the daily backups' folder, count and disk budget.
	Policy store.BackupPolicy
	Logger *slog.Logger
}

// Task names what the upkeep is doing.
type Task string

// The tasks.
const (
	Idle   Task = ""
	Check  Task = "check"
	Backup Task = "backup"
)

// Status is what the upkeep does and last did.
type Status struct {
	// History is the file taken care of.
	History string
	// Task runs now; Done and Total are its progress: bytes copied for a
	// backup, milliseconds elapsed and expected for a check (Total 0 when
	// unknown).
	Task        Task
	Done, Total int64
	// Check is the last integrity check (Checked false before the first).
	Check   store.CheckRecord
	Checked bool
	// BackupPath and BackupAt are the last daily backup this program
	// wrote; BackupSkipped says why the last one due was not written: a
	// copy takes BackupNeed bytes, more than the BackupBudget left.
	BackupPath               string
	BackupAt                 time.Time
	BackupSkipped            string
	BackupNeed, BackupBudget int64
	// Err is the last round's failure other than damage (a full disk).
	Err string
}

// Damaged reports whether the last check found the history damaged.
func (s Status) Damaged() bool { return s.Checked && !s.Check.OK() }

// Runner runs the upkeep of one history.
type Runner struct {
	db   *store.DB
	opts Options
	log  *slog.Logger

	// busy makes a round and a backup asked for by the operator take
	// turns: two copies at once would only halve each one's speed.
	busy sync.Mutex

	mu   sync.Mutex
	st   Status
	subs map[chan Status]struct{}
}

// New returns the upkeep of db; Run starts it.
func New(db *store.DB, opts Options) *Runner {
	if opts.Delay < 0 {
		opts.Delay = 0
	} else if opts.Delay == 0 {
		opts.Delay = 2 * time.Minute
	}
	if opts.Every <= 0 {
		opts.Every = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Runner{db: db, opts: opts, log: opts.Logger, subs: map[chan Status]struct{}{}}
	r.st.History = db.Path()
	if rec, ok, err := store.LastCheck(db.Path()); err == nil && ok {
		r.st.Check, r.st.Checked = rec, true
	}
	db.OnDamage(func(rec store.CheckRecord) {
		r.set(func(s *Status) { s.Check, s.Checked = rec, true })
	})
	return r
}

// Run does a round after Delay, then every Every, until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(r.opts.Delay):
	}
	t := time.NewTicker(r.opts.Every)
	defer t.Stop()
	for {
		r.Round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Round checks the history when a check is due, then takes today's backup
// unless it exists. A damaged history is not backed up (a bad copy would
// push a good one out).
func (r *Runner) Round(ctx context.Context) {
	r.busy.Lock()
	defer r.busy.Unlock()
	if r.db.CheckDue(time.Now()) {
		r.set(func(s *Status) { s.Task, s.Done, s.Total, s.Err = Check, 0, 0, "" })
		rec, err := r.db.Check(ctx, false, func(elapsed, estimate time.Duration) {
			r.set(func(s *Status) { s.Done, s.Total = elapsed.Milliseconds(), estimate.Milliseconds() })
		})
		r.set(func(s *Status) {
			s.Task = Idle
			if err == nil || errors.Is(err, store.ErrDamaged) {
				s.Check, s.Checked = rec, true
			} else {
				s.Err = err.Error()
			}
		})
		switch {
		case errors.Is(err, store.ErrDamaged):
			r.log.Error("integrity check: the history is damaged; writes stopped", "file", r.db.Path(), "err", err)
			return
		case err != nil:
			r.log.Warn("integrity check not done", "file", r.db.Path(), "err", err)
		default:
			r.log.Info("integrity check passed", "file", r.db.Path(), "took_ms", rec.TookMS)
		}
	}
	if ctx.Err() != nil || r.Status().Damaged() {
		return
	}
	res, err := r.backup(ctx, r.db.DailyBackup)
	switch {
	case err != nil:
		r.log.Warn("daily backup not written", "file", r.db.Path(), "err", err)
	case res.Path != "":
		r.log.Info("daily backup written", "file", res.Path)
	}
}

// backup runs take (a daily or a manual backup) within the policy, with
// its progress and result in the status.
func (r *Runner) backup(ctx context.Context,
	take func(context.Context, store.BackupPolicy, store.Progress) (store.BackupResult, error)) (store.BackupResult, error) {
	r.set(func(s *Status) { s.Task, s.Done, s.Total = Backup, 0, 0 })
	res, err := take(ctx, r.opts.Policy, func(done, total int64) {
		r.set(func(s *Status) { s.Done, s.Total = done, total })
	})
	r.set(func(s *Status) {
		s.Task = Idle
		s.BackupSkipped, s.BackupNeed, s.BackupBudget = res.Skipped, res.Need, res.Budget
		if res.Path != "" {
			s.BackupPath, s.BackupAt = res.Path, time.Now()
		}
		if err != nil && res.Skipped == "" {
			s.Err = err.Error()
		}
	})
	for _, p := range res.Removed {
		r.log.Info("old backup deleted (backup policy)", "file", p)
	}
	return res, err
}

// BackupNow writes a copy of the history now, whatever the schedule (the
// operator's "back up now"), within the backup policy, with its progress
// in the status, and returns its path.
func (r *Runner) BackupNow(ctx context.Context) (string, error) {
	r.busy.Lock()
	defer r.busy.Unlock()
	res, err := r.backup(ctx, r.db.ManualBackup)
	return res.Path, err
}

// Status is the upkeep's status now.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// Subscribe delivers the status after every change (progress included)
// until stop; a slow reader misses intermediate ones, never the last.
func (r *Runner) Subscribe(buffer int) (<-chan Status, func()) {
	if buffer < 1 {
		buffer = 1
	}
	ch := make(chan Status, buffer)
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			r.mu.Lock()
			delete(r.subs, ch)
			r.mu.Unlock()
		})
	}
}

func (r *Runner) set(change func(*Status)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	change(&r.st)
	for ch := range r.subs {
		// Make room for the newest by dropping the oldest.
		select {
		case ch <- r.st:
		default:
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- r.st:
			default:
			}
		}
	}
}
