package batch

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strings"
)

// maxParts is how many entries a workbook's zip may have. Real workbooks
// have tens (hundreds with many pictures); the zip reader keeps every
// entry of the directory in memory, so it is counted before the zip is
// opened.
const maxParts = 10_000

// maxSmallPart is the most a part other than a worksheet or the shared
// strings may hold uncompressed (the workbook, its relationships, the
// styles): those are read whole into lists.
const maxSmallPart = 16 << 20

// maxMarkupRun is the longest stretch of an XML part without a new tag.
// encoding/xml keeps a whole text, comment or CDATA token in memory: this
// bounds every token. A cell of MaxCellChars characters, each written as
// the longest escape (&#x10FFFF;), is under a third of it.
const maxMarkupRun = 1 << 20

// maxXMLDepth is how deeply a part's elements may nest; a worksheet needs
// five levels (worksheet, sheetData, row, c, is/r/t).
const maxXMLDepth = 64

// workbook is an XLSX file opened for streaming: its zip directory, and
// how many uncompressed bytes its parts may still give.
type workbook struct {
	files  map[string]*zip.File // by lower-case name with forward slashes
	budget int64
}

// openWorkbook opens an XLSX file's zip. Nothing is inflated yet.
func openWorkbook(data []byte) (*workbook, error) {
	// Each central directory entry starts with this signature: its count
	// bounds what zip.NewReader would allocate, whatever the directory
	// end claims.
	if n := bytes.Count(data, []byte("PK\x01\x02")); n > maxParts {
		return nil, tooLarge("", "the workbook has more than %d parts", maxParts)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("open workbook: not an XLSX file (%w)", err)
	}
	w := &workbook{files: make(map[string]*zip.File, len(zr.File)), budget: MaxWorkbookBytes}
	for _, f := range zr.File {
		w.files[partKey(f.Name)] = f
	}
	return w, nil
}

// partKey is how a part name is looked up: writers differ in case and
// some write backslashes.
func partKey(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, `\`, "/"), "/"))
}

// has reports whether the workbook has a part.
func (w *workbook) has(name string) bool {
	_, ok := w.files[partKey(name)]
	return ok
}

// open opens a part for reading as XML, at most limit bytes of it (and at
// most what is left of the workbook's budget). Its declared size is
// checked first, so an oversized part is refused before it is inflated.
func (w *workbook) open(name string, limit int64) (*part, error) {
	f, ok := w.files[partKey(name)]
	if !ok {
		return nil, fmt.Errorf("the workbook has no part %s", name)
	}
	size := f.UncompressedSize64
	if size > uint64(limit) {
		return nil, tooLarge(name, "%s uncompressed, more than the %s an import reads of this part", megabytes(int64(min(size, math.MaxInt64))), megabytes(limit))
	}
	if size > uint64(w.budget) {
		return nil, tooLarge(name, "the workbook's parts hold more than the %s an import reads", megabytes(MaxWorkbookBytes))
	}
	limit = min(limit, w.budget)
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	p := &part{name: name, rc: rc, w: w, left: limit}
	p.guard = &markupGuard{r: p}
	p.dec = xml.NewDecoder(p.guard)
	return p, nil
}

// part is one XML part of a workbook being read.
type part struct {
	name  string
	rc    io.ReadCloser
	w     *workbook
	left  int64 // bytes this part may still give
	guard *markupGuard
	dec   *xml.Decoder
	open  [maxXMLDepth]xml.Name // the elements open, outermost first
	depth int                   // how many are open
	err   error                 // why reading stopped, when a limit stopped it
}

// Read counts what the part gives against its limit and the workbook's.
// The zip reader already refuses more than the declared size; this is the
// second line.
func (p *part) Read(b []byte) (int, error) {
	n, err := p.rc.Read(b)
	p.left -= int64(n)
	p.w.budget -= int64(n)
	if p.left < 0 || p.w.budget < 0 {
		p.err = tooLarge(p.name, "more uncompressed data than the part declares or an import reads")
		return 0, p.err
	}
	return n, err
}

// Close closes the part's inflater.
func (p *part) Close() error { return p.rc.Close() }

// token returns the next XML token, tracking depth. It uses RawToken,
// a fifth faster than Token on a sheet, and checks itself what Token
// would: that each end tag closes the element open, and that the part
// does not end inside one. Namespace prefixes are not resolved: elements
// and attributes are known by their local names. Tokens are valid only
// until the next call: callers copy what they keep.
func (p *part) token() (xml.Token, error) {
	tok, err := p.dec.RawToken()
	if err != nil {
		return nil, p.readError(err)
	}
	switch t := tok.(type) {
	case xml.StartElement:
		if p.depth == maxXMLDepth {
			return nil, tooLarge(p.name, "elements nested more than %d deep", maxXMLDepth)
		}
		p.open[p.depth] = t.Name
		p.depth++
	case xml.EndElement:
		if p.depth == 0 || p.open[p.depth-1] != t.Name {
			return nil, fmt.Errorf("%s: XML syntax error: unexpected end tag </%s>", p.name, t.Name.Local)
		}
		p.depth--
	}
	return tok, nil
}

// readError explains why the decoder stopped.
func (p *part) readError(err error) error {
	switch {
	// encoding/xml may report a read cut short as a syntax error
	// ("invalid UTF-8" in the middle of a character): the limit that
	// cut it is the reason.
	case p.guard.err != nil:
		return p.guard.err
	case p.err != nil:
		return p.err
	case errors.Is(err, io.EOF) && p.depth > 0:
		return fmt.Errorf("%s: XML syntax error: the part ends inside <%s>", p.name, p.open[p.depth-1].Local)
	case errors.Is(err, io.EOF):
		return io.EOF
	}
	return fmt.Errorf("%s: %w", p.name, err)
}

// text reads the character data directly inside the element just started,
// up to its end tag, at most limit bytes; child elements are skipped (as
// encoding/xml does for a string field). over is the error when longer.
func (p *part) text(limit int, over func() error) (string, error) {
	var b []byte
	start := p.depth
	for {
		tok, err := p.token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if p.depth == start {
				if len(b)+len(t) > limit {
					return "", over()
				}
				b = append(b, t...)
			}
		case xml.EndElement:
			if p.depth < start {
				return string(b), nil
			}
		}
	}
}

// skip reads past the end of the element just started.
func (p *part) skip() error {
	start := p.depth
	for p.depth >= start {
		if _, err := p.token(); err != nil {
			return err
		}
	}
	return nil
}

// attr returns an attribute by local name.
func attr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// resolvePart turns a relationship target into a part name: relative to
// the directory of the part whose relationships name it, or absolute.
func resolvePart(from, target string) string {
	target = strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Join(path.Dir(from), target), "/")
}

// relsOf is the relationships part of a part: xl/workbook.xml ->
// xl/_rels/workbook.xml.rels.
func relsOf(name string) string {
	dir, file := path.Split(name)
	return dir + "_rels/" + file + ".rels"
}

// markupGuard bounds the stretches of an XML stream that encoding/xml
// keeps whole in memory: the text between two tags, a tag with its
// attributes, a comment, a CDATA section, a processing instruction. A
// document type declaration, which OOXML forbids and which encoding/xml
// reads whole, is refused.
type markupGuard struct {
	r     io.Reader
	run   int // bytes since the last '<' that opened a tag
	state guardState
	want  string // the rest of "--" or "[CDATA[" being matched after "<!"
	end   string // the terminator of the comment, CDATA or PI we are in
	seen  int    // how much of end has been seen
	err   error  // why the guard stopped the stream
}

// errMarkupRun is a stretch of XML over maxMarkupRun: inside a cell, the
// cell is too long; the caller says where.
var errMarkupRun = fmt.Errorf("%w: more than %s of XML without a new tag", ErrTooLarge, megabytes(maxMarkupRun))

type guardState int

const (
	guardText    guardState = iota // text or inside a tag
	guardOpen                      // just after '<'
	guardBang                      // after "<!", matching want
	guardSpecial                   // inside a comment, CDATA or PI, until end
)

// Read passes the stream through, checking each byte.
func (g *markupGuard) Read(b []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(b)
	for _, c := range b[:n] {
		if g.err = g.step(c); g.err != nil {
			return 0, g.err
		}
	}
	return n, err
}

// step advances the guard by one byte.
func (g *markupGuard) step(c byte) error {
	g.run++
	switch g.state {
	case guardText:
		if c == '<' {
			g.run, g.state = 0, guardOpen
		}
	case guardOpen:
		switch c {
		case '!':
			g.state, g.want = guardBang, ""
		case '?':
			g.state, g.end, g.seen = guardSpecial, "?>", 0
		default:
			g.state = guardText
		}
	case guardBang:
		if err := g.bang(c); err != nil {
			return err
		}
	case guardSpecial:
		g.matchEnd(c)
	}
	if g.run > maxMarkupRun {
		return errMarkupRun
	}
	return nil
}

// bang tells a comment or a CDATA section from a declaration after "<!".
func (g *markupGuard) bang(c byte) error {
	if g.want == "" {
		switch c {
		case '-':
			g.want = "-"
			return nil
		case '[':
			g.want = "CDATA["
			return nil
		}
		return errors.New("the workbook's XML has a document type declaration, which XLSX does not allow")
	}
	if c != g.want[0] {
		return errors.New("the workbook's XML is malformed after <!")
	}
	g.want = g.want[1:]
	if g.want == "" {
		g.state, g.seen = guardSpecial, 0
		if c == '-' {
			g.end = "-->"
		} else {
			g.end = "]]>"
		}
	}
	return nil
}

// matchEnd follows the terminator of a comment, CDATA or PI. The
// terminators have no repeated prefix issue except "-->" and "]]>",
// whose first byte may repeat: "--->" and "]]]>" still end there.
func (g *markupGuard) matchEnd(c byte) {
	switch {
	case c == g.end[g.seen]:
		g.seen++
		if g.seen == len(g.end) {
			g.state = guardText
		}
	case g.seen > 0 && c == g.end[0] && g.end[0] == g.end[1]:
		// "---" or "]]]": the last two still start the terminator.
	default:
		g.seen = 0
		if c == g.end[0] {
			g.seen = 1
		}
	}
}
