package printing

import (
	"regexp"
	"strings"
)

// A label is scanned on every render (inspect) for script and for what it
// loads. Go's regexp runs its slowest engine across the whole
// input when a pattern has no literal prefix, which a (?i) flag or a leading
// \b takes away: about 3 ms for a 25 kB label, measured in the print queue
// benchmark (BenchmarkLabelScan compares). So the label is lowercased once,
// tag names are read by hand, and every other pattern starts with a literal,
// which regexp finds with a substring search before it runs the machine.

// pattern is a regexp over lowercased HTML.
type pattern struct {
	re *regexp.Regexp
	// wordStart asks for a word boundary before the match, as a leading \b
	// would.
	wordStart bool
}

// scan is what one scan looks for: tags whose name contains one of tags
// (<iframe and <fencedframe for "frame"), or a match of one of patterns.
type scan struct {
	tags     []string
	patterns []pattern
}

// scriptPatterns find what lets a label run script or act after its
// document is replaced: script elements (HTML and SVG), event handler
// attributes (onload=, onerror=, also after a slash or quote), javascript:
// URLs, nested documents (iframe, frame, fencedframe, object, embed,
// portal) and a refresh (meta http-equiv). They err on the side of a match.
var scriptPatterns = scan{
	tags: []string{"script", "frame", "object", "embed", "portal"},
	patterns: []pattern{
		{re: regexp.MustCompile(`http-equiv`)},
		{re: regexp.MustCompile(`javascript:`)},
		{re: regexp.MustCompile(`on[a-z]+\s*=`), wordStart: true},
	},
}

// loadPatterns find what can make a label wait after its HTML is set:
// anything that fetches (images, style sheets, fonts, frames, media, url()
// and @import, src and srcset attributes, SVG <image> and <use>) and script,
// which can fetch anything. They err on the side of a match.
var loadPatterns = scan{
	tags: []string{"img", "image", "link", "frame", "object", "embed", "video", "audio", "source", "picture", "input", "use", "script", "portal"},
	patterns: []pattern{
		{re: regexp.MustCompile(`url\s*\(`)},
		{re: regexp.MustCompile(`@(import|font-face)`)},
		{re: regexp.MustCompile(`src(set)?\s*=`), wordStart: true},
		{re: regexp.MustCompile(`on[a-z]+\s*=`), wordStart: true},
		{re: regexp.MustCompile(`http-equiv`)},
	},
}

// labelTraits is what a render needs to know of a label's HTML.
type labelTraits struct {
	script bool // it may run script: the tab is reset after it (scriptPatterns)
	loads  bool // it may load something: the render waits for it (loadPatterns)
}

// inspect scans html once for both traits.
func inspect(html string) labelTraits {
	lower := asciiLower(html)
	return labelTraits{script: scriptPatterns.in(lower), loads: loadPatterns.in(lower)}
}

// in reports whether the lowercased HTML has what sc looks for.
func (sc scan) in(lower string) bool {
	if hasTag(lower, sc.tags) {
		return true
	}
	for _, p := range sc.patterns {
		if p.in(lower) {
			return true
		}
	}
	return false
}

// hasTag reports whether a tag's name (the letters and hyphens after "<")
// contains one of names.
func hasTag(lower string, names []string) bool {
	for i := strings.IndexByte(lower, '<'); i >= 0; {
		j := i + 1
		for j < len(lower) && (lower[j] == '-' || 'a' <= lower[j] && lower[j] <= 'z') {
			j++
		}
		if tag := lower[i+1 : j]; tag != "" {
			for _, n := range names {
				if strings.Contains(tag, n) {
					return true
				}
			}
		}
		k := strings.IndexByte(lower[j:], '<')
		if k < 0 {
			break
		}
		i = j + k
	}
	return false
}

// in reports whether p matches the lowercased text. Matches of the patterns
// with wordStart end in "=" after letters and spaces, so a match refused for
// its start hides no other match inside it.
func (p pattern) in(lower string) bool {
	if !p.wordStart {
		return p.re.MatchString(lower)
	}
	for _, m := range p.re.FindAllStringIndex(lower, -1) {
		if m[0] == 0 || !isWordByte(lower[m[0]-1]) {
			return true
		}
	}
	return false
}

// isWordByte reports whether c is an ASCII letter, digit or underscore,
// the characters \b takes as part of a word.
func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// asciiLower lowercases ASCII letters only: HTML's tag and attribute names
// are ASCII, and leaving other bytes alone keeps UTF-8 text intact and the
// pass cheap.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
