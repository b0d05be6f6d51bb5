package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// Faults are the failures the sandbox injects into WeChat's paths, so a
// client can be tried against a platform that is slow, busy or flaky. They
// never apply to the admin paths under /sandbox/. The zero value injects
// nothing.
type Faults struct {
	// Latency is added before every answer.
	Latency time.Duration
	// ErrorRate is the share of calls answered errcode -1 ("system error")
	// without doing anything.
	ErrorRate float64
	// HTTP500Rate is the share of calls answered HTTP 500 without doing
	// anything, as WeChat's front end does when a backend is down.
	HTTP500Rate float64
	// DropAfterCommitRate is the share of calls that are carried out and
	// committed (an addOrder stores its order) after which the connection
	// is closed without an answer: the client cannot know what happened.
	DropAfterCommitRate float64
	// UnknownAfterCommitRate is the share of addOrder calls that are
	// carried out and committed, then answered errcode 9909001, the
	// transient failure WeChat was seen to answer for an order it had
	// created.
	UnknownAfterCommitRate float64
	// AddOrderLatency delays each addOrder before it is carried out (on top
	// of Latency): a courier system slow to issue the waybill, so an order
	// is created only at the end of a long wait.
	AddOrderLatency time.Duration
	// TokenTTL, when set, makes access tokens issued from then on stop
	// working after this long although their expires_in announces the full
	// lifetime, so a client meets 42001 before it planned to refresh.
	TokenTTL time.Duration
}

// Names of the fault settings: the command-line switches and the keys of
// GET/POST /sandbox/faults are the same words.
const (
	faultLatency         = "latency"
	faultErrorRate       = "error-rate"
	faultHTTP500Rate     = "http500-rate"
	faultDropAfterCommit = "drop-after-commit-rate"
	faultUnknownAfter    = "unknown-after-commit-rate"
	faultAddOrderLatency = "addorder-latency"
	faultTokenTTL        = "token-ttl"
)

// maxLatency keeps a typo ("80s" for "80ms") from hanging every client;
// it stays under the server's 30s write timeout.
const maxLatency = 20 * time.Second

// Validate reports a setting outside its range.
func (f Faults) Validate() error {
	var errs []error
	for _, r := range []struct {
		name string
		v    float64
	}{{faultErrorRate, f.ErrorRate}, {faultHTTP500Rate, f.HTTP500Rate}, {faultDropAfterCommit, f.DropAfterCommitRate},
		{faultUnknownAfter, f.UnknownAfterCommitRate}} {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			errs = append(errs, fmt.Errorf("%s is %g, must be between 0 and 1", r.name, r.v))
		}
	}
	if f.Latency < 0 || f.Latency > maxLatency {
		errs = append(errs, fmt.Errorf("%s is %v, must be between 0 and %v", faultLatency, f.Latency, maxLatency))
	}
	if f.AddOrderLatency < 0 || f.AddOrderLatency > maxLatency {
		errs = append(errs, fmt.Errorf("%s is %v, must be between 0 and %v", faultAddOrderLatency, f.AddOrderLatency, maxLatency))
	}
	if f.TokenTTL < 0 {
		errs = append(errs, fmt.Errorf("%s is %v, must not be negative", faultTokenTTL, f.TokenTTL))
	}
	return errors.Join(errs...)
}

// MarshalJSON writes the settings under their switch names, durations as
// Go duration strings: {"latency":"80ms","error-rate":0.05,...}.
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		faultLatency:         f.Latency.String(),
		faultErrorRate:       f.ErrorRate,
		faultHTTP500Rate:     f.HTTP500Rate,
		faultDropAfterCommit: f.DropAfterCommitRate,
		faultUnknownAfter:    f.UnknownAfterCommitRate,
		faultAddOrderLatency: f.AddOrderLatency.String(),
		faultTokenTTL:        f.TokenTTL.String(),
	})
}

// UnmarshalJSON applies the keys present in the JSON on top of f, so a POST
// may change one setting and keep the others. Keys may use dashes (the
// switch names) or underscores; durations are strings such as "80ms".
func (f *Faults) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("faults: want a JSON object: %w", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first error reported does not depend on map order
	for _, k := range keys {
		if err := f.set(strings.ReplaceAll(k, "_", "-"), m[k]); err != nil {
			return err
		}
	}
	return nil
}

func (f *Faults) set(name string, raw json.RawMessage) error {
	var err error
	switch name {
	case faultLatency:
		f.Latency, err = jsonDuration(raw)
	case faultTokenTTL:
		f.TokenTTL, err = jsonDuration(raw)
	case faultErrorRate:
		err = json.Unmarshal(raw, &f.ErrorRate)
	case faultHTTP500Rate:
		err = json.Unmarshal(raw, &f.HTTP500Rate)
	case faultDropAfterCommit:
		err = json.Unmarshal(raw, &f.DropAfterCommitRate)
	case faultUnknownAfter:
		err = json.Unmarshal(raw, &f.UnknownAfterCommitRate)
	case faultAddOrderLatency:
		f.AddOrderLatency, err = jsonDuration(raw)
	default:
		return fmt.Errorf("faults: unknown setting %q (known: %s, %s, %s, %s, %s, %s, %s)", name,
			faultLatency, faultErrorRate, faultHTTP500Rate, faultDropAfterCommit, faultUnknownAfter, faultAddOrderLatency, faultTokenTTL)
	}
	if err != nil {
		return fmt.Errorf("faults: %s: %w", name, err)
	}
	return nil
}

func jsonDuration(raw json.RawMessage) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, errors.New(`want a duration string such as "80ms" or "10m"`)
	}
	return time.ParseDuration(strings.TrimSpace(s))
}

// faultState is the live fault settings and the seeded dice that decide
// which calls they hit.
type faultState struct {
	mu   sync.Mutex
	f    Faults
	dice *rand.Rand
}

func newFaultState(f Faults, seed int64) *faultState {
	// PCG's two words come from the one seed, so --seed 7 always throws
	// the same sequence.
	return &faultState{f: f, dice: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))}
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f = f
}

// roll reports whether an event of probability p happens. A zero rate
// draws nothing, so the sequence of outcomes depends only on the faults
// that are switched on and the seed.
func (fs *faultState) roll(p float64) bool {
	if p <= 0 {
		return false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.dice.Float64() < p
}
