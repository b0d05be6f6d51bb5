package queue

import (
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"waybilldesk/printing"
	"waybilldesk/store"
)

// Kind is how jobs reach a printer.
type Kind string

// The printer kinds.
const (
	// KindPDF writes each label as a PDF file into a folder (Address).
	KindPDF Kind = "pdf"
	// KindRaw sends to the printer's raw TCP port (Address "host:port",
	// port 9100 when left out): every networked label printer has one.
	KindRaw Kind = "raw"
	// KindCUPS prints through a CUPS queue (Address is the queue name),
	// on Linux and macOS.
	KindCUPS Kind = "cups"
	// KindWindows prints through the Windows spooler (Address is the
	// printer's name as Windows shows it), with the RAW datatype.
	KindWindows Kind = "windows"
)

// Language is what a printer reads.
type Language string

// The printer languages.
const (
	// LangPDF is a PDF of the label size: for office printers and CUPS
	// drivers, and for files.
	LangPDF Language = "pdf"
	// LangTSPL is TSC's language, which most Chinese label printers
	// (Gprinter, Xprinter, HPRT, Deli, TSC) speak.
	LangTSPL Language = "tspl"
	// LangZPL is Zebra's ZPL II.
	LangZPL Language = "zpl"
	// LangESCPOS is the receipt printers' ESC/POS raster.
	LangESCPOS Language = "escpos"
)

// Kinds and Languages list the valid values, for forms and usage text.
var (
	Kinds     = []Kind{KindPDF, KindRaw, KindCUPS, KindWindows}
	Languages = []Language{LangPDF, LangTSPL, LangZPL, LangESCPOS}
)

// Thermal reports whether the language is a printer language rendered as
// a 1-bit raster (everything but PDF).
func (l Language) Thermal() bool { return l == LangTSPL || l == LangZPL || l == LangESCPOS }

// ErrInvalidPrinter wraps every error of Printer.Validate, so a form can
// tell a bad setting from a printer fault.
var ErrInvalidPrinter = errors.New("invalid printer settings")

// Limits of the settings. Offsets beyond 20 mm are not a calibration but a
// wrong label size; densities and speeds are the printer languages' ranges.
const (
	maxOffsetMM = 20
	minDPI      = 100
	maxDPI      = 600
	maxDensity  = 15
	maxSpeed    = 14
	maxCopies   = 100
	defaultDPI  = 203
)

// Printer is where a label goes and how it is made there: a printer record
// (stored, chosen by name) or a one-off target from the command line.
type Printer struct {
	// Name is the record's unique name. One-off targets are named by
	// their target ("raw:10.0.0.5:9100"), which is why a record's name
	// may not contain a colon.
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Address is the folder (pdf), "host:port" (raw), queue (cups) or
	// printer name (windows).
	Address  string   `json:"address"`
	Language Language `json:"language"`
	// DPI is the print head's resolution for thermal languages: 203 or 300.
	DPI int `json:"dpi"`
	// Size is the label stock.
	Size printing.Size `json:"size"`
	// OffsetXMM and OffsetYMM move the print right and down (negative: left
	// and up) to correct where this printer puts the label.
	OffsetXMM float64 `json:"offset_x_mm,omitempty"`
	OffsetYMM float64 `json:"offset_y_mm,omitempty"`
	// Rotate turns the label clockwise by 0, 90, 180 or 270 degrees, for
	// stock fed sideways or printers that print upside down.
	Rotate int `json:"rotate,omitempty"`
	// Density (darkness, 1..15) and Speed (inches per second, 1..14) are
	// sent in TSPL and ZPL; 0 keeps the printer's own setting.
	Density int `json:"density,omitempty"`
	Speed   int `json:"speed,omitempty"`
	// Couriers are the delivery_ids (SF, YTO, ...) this printer is the
	// default printer for.
	Couriers []string `json:"couriers,omitempty"`
}

// withDefaults fills what may be left out: 100x180 labels, 203 dpi, and
// the language that goes with the kind.
func (p Printer) withDefaults() Printer {
	p.Name = strings.TrimSpace(p.Name)
	p.Address = strings.TrimSpace(p.Address)
	if p.Size == (printing.Size{}) {
		p.Size = printing.Size100x180
	}
	if p.DPI == 0 {
		p.DPI = defaultDPI
	}
	if p.Language == "" {
		if p.Kind == KindPDF || p.Kind == KindCUPS {
			p.Language = LangPDF
		} else {
			p.Language = LangTSPL
		}
	}
	p.Rotate = ((p.Rotate % 360) + 360) % 360
	p.Couriers = slices.Clone(p.Couriers)
	for i, c := range p.Couriers {
		p.Couriers[i] = strings.ToUpper(strings.TrimSpace(c))
	}
	p.Couriers = slices.DeleteFunc(p.Couriers, func(c string) bool { return c == "" })
	slices.Sort(p.Couriers)
	p.Couriers = slices.Compact(p.Couriers)
	return p
}

// Validate checks the settings and says which one is wrong.
func (p Printer) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: printer %q: %s", ErrInvalidPrinter, p.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case p.Name == "":
		return bad("a name is required")
	case !slices.Contains(Kinds, p.Kind):
		return bad("kind %q: want pdf, raw, cups or windows", p.Kind)
	case !slices.Contains(Languages, p.Language):
		return bad("language %q: want pdf, tspl, zpl or escpos", p.Language)
	case p.Kind == KindPDF && p.Language != LangPDF:
		return bad("a pdf printer writes PDF files: its language must be pdf")
	case p.Kind == KindWindows && p.Language == LangPDF:
		// The spooler path sends bytes with the RAW datatype; printing a
		// PDF through a Windows driver needs a PDF engine this app lacks.
		return bad("a Windows printer needs a printer language (tspl, zpl or escpos); use a pdf printer and print the file for PDF")
	case p.Kind != KindPDF && p.Address == "":
		return bad("an address is required (host:port, CUPS queue or Windows printer name)")
	case p.Language.Thermal() && (p.DPI < minDPI || p.DPI > maxDPI):
		return bad("dpi %d outside %d..%d (label printers have 203 or 300)", p.DPI, minDPI, maxDPI)
	case p.Rotate%90 != 0:
		return bad("rotate %d: want 0, 90, 180 or 270", p.Rotate)
	case !(math.Abs(p.OffsetXMM) <= maxOffsetMM) || !(math.Abs(p.OffsetYMM) <= maxOffsetMM):
		return bad("offsets %g,%g mm: each must be within ±%d mm", p.OffsetXMM, p.OffsetYMM, maxOffsetMM)
	case p.Density < 0 || p.Density > maxDensity:
		return bad("density %d outside 0..%d", p.Density, maxDensity)
	case p.Speed < 0 || p.Speed > maxSpeed:
		return bad("speed %d outside 0..%d", p.Speed, maxSpeed)
	}
	if _, err := printing.ParseSize(p.Size.String()); err != nil {
		return bad("%v", err)
	}
	if err := p.validAddress(); err != nil {
		return bad("address %q: %v", p.Address, err)
	}
	return nil
}

// validAddress checks an address can name a printer of its kind, so an
// impossible one (port 99999, ":abc", a host with spaces) is refused when
// it is typed, not when a label fails at the station.
func (p Printer) validAddress() error {
	switch p.Kind {
	case KindRaw:
		host, port, err := net.SplitHostPort(p.Address)
		withPort := err == nil
		if !withPort {
			if strings.Count(p.Address, ":") == 1 {
				return errors.New("want host or host:port, e.g. 192.168.1.50:9100")
			}
			host = p.Address
		}
		if host == "" {
			return errors.New("the host is missing (want host or host:port)")
		}
		if net.ParseIP(host) == nil && !validHostname(host) {
			return errors.New("the host is neither an IP address nor a host name")
		}
		if n, err := strconv.Atoi(port); withPort && (err != nil || n < 1 || n > 65535) {
			return fmt.Errorf("port %q: want a number from 1 to 65535 (label printers use 9100)", port)
		}
	case KindCUPS:
		// CUPS queue names are printable characters other than space,
		// tab, "/" and "#".
		if strings.ContainsAny(p.Address, " \t/#") || !utf8.ValidString(p.Address) {
			return errors.New("a CUPS queue name has no spaces, '/' or '#' (see lpstat -p)")
		}
	}
	if strings.ContainsFunc(p.Address, unicode.IsControl) {
		return errors.New("it holds control characters")
	}
	return nil
}

// validHostname reports whether s is a DNS host name: labels of letters,
// digits and hyphens, not starting or ending with a hyphen.
func validHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// validRecord adds the rule for stored printers: no colon in the name.
func (p Printer) validRecord() error {
	if strings.Contains(p.Name, ":") {
		return fmt.Errorf("%w: printer %q: a name may not contain ':' (reserved for targets such as raw:HOST:PORT)", ErrInvalidPrinter, p.Name)
	}
	if p.Kind == KindPDF && p.Address == "" {
		return fmt.Errorf("%w: printer %q: a pdf printer needs the folder to write labels into as its address", ErrInvalidPrinter, p.Name)
	}
	return p.Validate()
}

// String describes the printer in one line, e.g.
// "zebra: raw 10.0.0.5:9100, zpl 203 dpi, 100x180 mm".
func (p Printer) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s, %s", p.Name, p.Kind, p.Address, p.Language)
	if p.Language.Thermal() {
		fmt.Fprintf(&b, " %d dpi", p.DPI)
	}
	fmt.Fprintf(&b, ", %s mm", p.Size)
	if p.OffsetXMM != 0 || p.OffsetYMM != 0 {
		fmt.Fprintf(&b, ", offset %g,%g mm", p.OffsetXMM, p.OffsetYMM)
	}
	if p.Rotate != 0 {
		fmt.Fprintf(&b, ", rotated %d°", p.Rotate)
	}
	if len(p.Couriers) > 0 {
		fmt.Fprintf(&b, ", default for %s", strings.Join(p.Couriers, ","))
	}
	return b.String()
}

// toRecord and fromRecord convert to and from the store's row.
func (p Printer) toRecord() *store.Printer {
	return &store.Printer{
		Name: p.Name, Kind: string(p.Kind), Address: p.Address, Language: string(p.Language), DPI: p.DPI,
		WidthMM: p.Size.WidthMM, HeightMM: p.Size.HeightMM, OffsetXMM: p.OffsetXMM, OffsetYMM: p.OffsetYMM,
		Rotate: p.Rotate, Density: p.Density, Speed: p.Speed, Couriers: slices.Clone(p.Couriers),
	}
}

func fromRecord(r *store.Printer) Printer {
	return Printer{
		Name: r.Name, Kind: Kind(r.Kind), Address: r.Address, Language: Language(r.Language), DPI: r.DPI,
		Size: printing.Size{WidthMM: r.WidthMM, HeightMM: r.HeightMM}, OffsetXMM: r.OffsetXMM, OffsetYMM: r.OffsetYMM,
		Rotate: r.Rotate, Density: r.Density, Speed: r.Speed, Couriers: r.Couriers,
	}
}
