//go:build windows

package output

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Spooler prints through the Windows print spooler (winspool.drv), the way
// every Windows program reaches a USB label printer. Jobs are sent with
// datatype RAW, so the printer driver passes TSPL, ZPL or ESC/POS bytes
// through untouched (for drivers of the v4 / XPS kind, RAW may be refused:
// install the vendor's classic driver or the "Generic / Text Only" one).
type Spooler struct {
	// Printer is the printer's name as Windows shows it (Printers lists them).
	Printer string
	// Datatype is the spool datatype; "" means "RAW".
	Datatype string
	// Logger receives a debug line per job; nil means slog.Default().
	Logger *slog.Logger
}

var _ interface {
	Sender
	Monitor
} = Spooler{}

var (
	winspool             = windows.NewLazySystemDLL("winspool.drv")
	procOpenPrinterW     = winspool.NewProc("OpenPrinterW")
	procClosePrinter     = winspool.NewProc("ClosePrinter")
	procStartDocPrinterW = winspool.NewProc("StartDocPrinterW")
	procStartPagePrinter = winspool.NewProc("StartPagePrinter")
	procWritePrinter     = winspool.NewProc("WritePrinter")
	procEndPagePrinter   = winspool.NewProc("EndPagePrinter")
	procEndDocPrinter    = winspool.NewProc("EndDocPrinter")
	procAbortPrinter     = winspool.NewProc("AbortPrinter")
	procEnumPrintersW    = winspool.NewProc("EnumPrintersW")
)

// docInfo1 is DOC_INFO_1W.
type docInfo1 struct {
	DocName    *uint16
	OutputFile *uint16
	Datatype   *uint16
}

// printerInfo2 is PRINTER_INFO_2W.
type printerInfo2 struct {
	ServerName         *uint16
	PrinterName        *uint16
	ShareName          *uint16
	PortName           *uint16
	DriverName         *uint16
	Comment            *uint16
	Location           *uint16
	DevMode            uintptr
	SepFile            *uint16
	PrintProcessor     *uint16
	Datatype           *uint16
	Parameters         *uint16
	SecurityDescriptor uintptr
	Attributes         uint32
	Priority           uint32
	DefaultPriority    uint32
	StartTime          uint32
	UntilTime          uint32
	Status             uint32
	Jobs               uint32
	AveragePPM         uint32
}

// EnumPrinters flags.
const (
	printerEnumLocal       = 0x2
	printerEnumConnections = 0x4
)

// writeChunk is how much one WritePrinter call passes, so a cancelled
// context is noticed between chunks.
const writeChunk = 64 << 10

// Send spools the job as one RAW document: OpenPrinterW, StartDocPrinterW
// (DOC_INFO_1 with the title and datatype), StartPagePrinter, WritePrinter
// in 64 KiB chunks, EndPagePrinter, EndDocPrinter, ClosePrinter. A context
// that ends during the writes aborts the document (AbortPrinter); the
// spooler calls themselves cannot be interrupted.
func (s Spooler) Send(ctx context.Context, job []byte, title string) error {
	if err := ctx.Err(); err != nil {
		return newError(s.Printer, err, err, "printing to %s cancelled", s.Printer)
	}
	begin := time.Now()
	datatype := s.Datatype
	if datatype == "" {
		datatype = "RAW"
	}
	name, err := windows.UTF16PtrFromString(s.Printer)
	if err != nil {
		return newError(s.Printer, ErrNoSuchPrinter, err, "invalid printer name %q", s.Printer)
	}
	doc, _ := windows.UTF16PtrFromString(cleanTitle(title))
	dt, err := windows.UTF16PtrFromString(datatype)
	if err != nil {
		return newError(s.Printer, ErrSpooler, err, "invalid datatype %q", datatype)
	}

	var h windows.Handle
	if r, _, e := procOpenPrinterW.Call(uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(&h)), 0); r == 0 {
		if errors.Is(e, windows.ERROR_INVALID_PRINTER_NAME) {
			return newError(s.Printer, ErrNoSuchPrinter, e, "Windows has no printer %q", s.Printer)
		}
		return newError(s.Printer, ErrSpooler, e, "cannot open printer %q", s.Printer)
	}
	defer procClosePrinter.Call(uintptr(h))

	di := docInfo1{DocName: doc, Datatype: dt}
	jobID, _, e := procStartDocPrinterW.Call(uintptr(h), 1, uintptr(unsafe.Pointer(&di)))
	if jobID == 0 {
		return newError(s.Printer, ErrSpooler, e, "printer %q refused a %s document", s.Printer, datatype)
	}
	abort := func() { procAbortPrinter.Call(uintptr(h)) }
	if r, _, e := procStartPagePrinter.Call(uintptr(h)); r == 0 {
		abort()
		return newError(s.Printer, ErrSpooler, e, "cannot start a page on %q", s.Printer)
	}
	sent := 0
	for sent < len(job) {
		if err := ctx.Err(); err != nil {
			abort()
			kind := error(ErrTimeout)
			if errors.Is(err, context.Canceled) {
				kind = context.Canceled
			}
			return newError(s.Printer, kind, err, "printing to %s stopped after %d of %d bytes", s.Printer, sent, len(job))
		}
		chunk := job[sent:min(len(job), sent+writeChunk)]
		var written uint32
		r, _, e := procWritePrinter.Call(uintptr(h), uintptr(unsafe.Pointer(&chunk[0])), uintptr(len(chunk)), uintptr(unsafe.Pointer(&written)))
		sent += int(written)
		if r == 0 || int(written) != len(chunk) {
			abort()
			return newError(s.Printer, ErrIncomplete, e, "spooler took only %d of %d bytes for %s", sent, len(job), s.Printer)
		}
	}
	if r, _, e := procEndPagePrinter.Call(uintptr(h)); r == 0 {
		abort()
		return newError(s.Printer, ErrSpooler, e, "cannot end the page on %q", s.Printer)
	}
	if r, _, e := procEndDocPrinter.Call(uintptr(h)); r == 0 {
		return newError(s.Printer, ErrSpooler, e, "cannot end the document on %q", s.Printer)
	}
	logger(s.Logger).Debug("job spooled", "printer", s.Printer, "job", jobID, "title", title, "bytes", len(job), "took", time.Since(begin))
	return nil
}

// Status reads the printer's state from the spooler (EnumPrintersW level 2).
func (s Spooler) Status(ctx context.Context) (State, error) {
	list, err := enumPrinters(ctx)
	if err != nil {
		return State{}, err
	}
	for _, st := range list {
		if st.Printer == s.Printer {
			return st, nil
		}
	}
	return State{}, newError(s.Printer, ErrNoSuchPrinter, nil, "Windows has no printer %q", s.Printer)
}

// Printers lists the local and connected printers of the Windows spooler
// (EnumPrintersW) with their states.
func Printers(ctx context.Context) ([]State, error) { return enumPrinters(ctx) }

func enumPrinters(ctx context.Context) ([]State, error) {
	if err := ctx.Err(); err != nil {
		return nil, newError("", err, err, "listing printers cancelled")
	}
	flags := uintptr(printerEnumLocal | printerEnumConnections)
	var needed, returned uint32
	// The list can grow between the two calls: try a few times.
	for range 3 {
		var buf []uint64 // 8-byte aligned for the structs
		var p uintptr
		if needed > 0 {
			buf = make([]uint64, (needed+7)/8)
			p = uintptr(unsafe.Pointer(&buf[0]))
		}
		r, _, e := procEnumPrintersW.Call(flags, 0, 2, p, uintptr(needed),
			uintptr(unsafe.Pointer(&needed)), uintptr(unsafe.Pointer(&returned)))
		if r == 0 {
			if errors.Is(e, windows.ERROR_INSUFFICIENT_BUFFER) {
				continue
			}
			return nil, newError("", ErrSpooler, e, "cannot list the printers (is the Print Spooler service running?)")
		}
		if returned == 0 {
			return []State{}, nil
		}
		infos := unsafe.Slice((*printerInfo2)(unsafe.Pointer(&buf[0])), returned)
		list := make([]State, 0, returned)
		for _, in := range infos {
			list = append(list, winState(windows.UTF16PtrToString(in.PrinterName), in.Status, in.Attributes))
		}
		return list, nil
	}
	return nil, newError("", ErrSpooler, nil, "cannot list the printers: the list kept changing")
}

// String describes the sender for logs.
func (s Spooler) String() string { return fmt.Sprintf("Windows printer %s", s.Printer) }
