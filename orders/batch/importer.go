package batch

import (
	"log/slog"
	"time"

	"waybilldesk/orders"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// Defaults of Options.
const (
	DefaultConcurrency = 4
	// DefaultRate is WeChat calls per second the importer starts (addOrder,
	// and getOrder when it reconciles). It keeps a batch well under the
	// per-minute quota of a mini program.
	DefaultRate       = 20.0
	DefaultMaxRetries = 5
)

// Options configure an Importer.
type Options struct {
	// Map overrides the built-in column aliases (--map).
	Map ColumnMap
	// Sheet is the XLSX sheet to read; default the first with data.
	Sheet string
	// Defaults fill what rows lack: sender, courier, parcel.
	Defaults Defaults
	// Location is the time zone of dates in the file; default time.Local.
	Location *time.Location

	// Concurrency is how many orders are placed at once; default 4.
	Concurrency int
	// Rate is WeChat calls started per second; default 20.
	Rate float64
	// MaxRetries bounds the retries of an order WeChat answered "busy"
	// (-1) or "per-minute quota used up" (45011); default 5.
	MaxRetries int

	// Progress, when set, is called once per order as it finishes, in the
	// order they finish, never concurrently.
	Progress func(Progress)
	// OnPlaced, when set, is called for every order this run placed, in
	// file order (an order waits for the ones above it), never
	// concurrently: printing can follow the file. Orders found already
	// placed by an earlier run are not passed.
	OnPlaced func(RowResult)

	Logger *slog.Logger
	Now    func() time.Time
	// Actor is recorded with each run: the operator or station name.
	Actor string
}

// Importer previews and places batches of orders. Pause and Resume may be
// called from any goroutine while Run works.
type Importer struct {
	svc  *orders.Service
	db   *store.DB
	opts Options
	log  *slog.Logger
	gate gate
	// delay replaces retryDelay in tests, which cannot wait for the next
	// minute after a 45011.
	delay func(we *wxapi.Error, attempt int) time.Duration
}

// New returns an importer placing through svc and recording runs in db.
func New(svc *orders.Service, db *store.DB, opts Options) *Importer {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Rate <= 0 {
		opts.Rate = DefaultRate
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	return &Importer{svc: svc, db: db, opts: opts, log: opts.Logger.With("part", "import")}
}

// Pause stops the importer from starting further orders; the ones in
// flight finish. It returns at once.
func (im *Importer) Pause() { im.gate.pause() }

// Resume lets a paused import go on.
func (im *Importer) Resume() { im.gate.resume() }

// Paused reports whether the importer is paused.
func (im *Importer) Paused() bool { return im.gate.isPaused() }
