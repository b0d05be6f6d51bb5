package printing

import (
	"regexp"
	"strings"
)

// Every label document carries a content security policy (labelCSP), so that
// Chromium itself refuses what a label's markup or script asks of the
// network: fetch, XHR, WebSocket, EventSource and beacons (connect-src),
// frames, objects and workers (default-src 'none'), and images, fonts, style
// sheets, scripts and media from any host that Options.AllowHosts does not
// name. The Fetch guard (guard.go) sees most of the same requests, but not
// WebSocket handshakes, and the policy does not depend on the protocol
// connection keeping up.
//
// The policy is a <meta http-equiv> element put in front of the label's own
// markup (withPolicy), not a response header. A header needs a response: the
// label would have to be loaded by navigating the tab to a URL that the Fetch
// domain answers, which costs a navigation per label (platform.md: twice the
// time of SetDocumentContent) and makes the label an insecure public page,
// whose requests to a LAN host in AllowHosts Chromium then blocks (see
// resetTab). The <meta> holds just as well here, for three reasons:
//   - it is the first element of the document, so the parser applies the
//     policy before it meets any of the label's markup: no label script
//     runs without it;
//   - a policy, once applied, stays with the document: removing or editing
//     the element changes nothing (CSP 3, section 3.3), and so does
//     document.open or a later SetDocumentContent (measured on Chromium 156:
//     after a second SetDocumentContent each violation is reported twice,
//     once per policy);
//   - a label can only add policies, never loosen one: every policy must
//     allow a request.
//
// Because a policy stays with the document, a tab inserts it once per
// document (tab.policed): a tab reused without a reset would otherwise
// gather one more copy per label, and each copy costs every check (measured:
// after 600 labels on one tab a label with two images took 12 ms instead of
// 7).

// hostEntryRe is an AllowHosts entry the renderer can use: a host name or an
// IPv4 address, or an IPv6 address in brackets, with an optional port, as the
// settings screen checks them. Anything else could smuggle a directive into
// the policy (a ";") or a rule into the browser's flags (a ","), so it is
// ignored, with a warning (NewRenderer).
var hostEntryRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$`)

// cspSources writes an allow-list entry as policy sources, for http and https:
// "host" as any port, "host:port" as that port. ok is false for an IPv6
// address, which a policy cannot name (Chromium 156 ignores such a source).
func cspSources(entry string) (src string, ok bool) {
	if strings.HasPrefix(entry, "[") {
		return "", false
	}
	hp := entry
	if !strings.Contains(entry, ":") {
		hp += ":*"
	}
	return "http://" + hp + " https://" + hp, true
}

// labelCSP is the policy of every label for an allow list (see the top of
// this file). A label may run its own inline script (templates draw
// barcodes with it) and use data: and blob: URLs, which reach nothing; it
// may load images, fonts, style sheets, scripts and media from the allowed
// hosts, and connect to them only over http and https: a WebSocket source
// would have to be named ws: or wss:, and no label needs one.
// default-src 'none' covers frames, objects, workers and manifests;
// base-uri and form-action are not covered by it and are named.
func labelCSP(sources []string) string {
	hosts := strings.Join(sources, " ")
	with := func(base string) string {
		if hosts == "" {
			return base
		}
		return base + " " + hosts
	}
	connect := "'none'"
	if hosts != "" {
		connect = hosts
	}
	return strings.Join([]string{
		"default-src 'none'",
		with("script-src 'unsafe-inline' 'unsafe-eval' data: blob:"),
		with("style-src 'unsafe-inline' data: blob:"),
		with("img-src data: blob:"),
		with("font-src data: blob:"),
		with("media-src data: blob:"),
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'none'",
	}, "; ")
}

// cspMeta is the <meta> element that carries policy. The policy has no
// double quotes (its sources come from hostEntryRe), so it needs no escaping.
func cspMeta(policy string) string {
	return `<meta http-equiv="Content-Security-Policy" content="` + policy + `">`
}

// withPolicy puts meta in front of the first element of html (policyOffset).
func withPolicy(html, meta string) string {
	i := policyOffset(html)
	return html[:i] + meta + html[i:]
}

// policyOffset returns where the policy goes in html: after what may come
// before the first element without making one, a byte order mark, white
// space, comments and the doctype. Putting the <meta> before the doctype would
// switch a standards-mode label to quirks mode and change its layout; putting
// it anywhere after the first element could let a label script run before
// it. The rules are the HTML tokenizer's for these tokens (WHATWG HTML,
// 13.2.5): a comment ends at the first "-->" or "--!>" (or at once for
// "<!-->" and "<!--->"); a doctype, "<!..." and "<?..." end at the first ">".
func policyOffset(html string) int {
	i := 0
	for i < len(html) {
		rest := html[i:]
		switch {
		case strings.HasPrefix(rest, "\ufeff"):
			i += len("\ufeff")
		case isHTMLSpace(rest[0]):
			i++
		case strings.HasPrefix(rest, "<!--"):
			i += commentLen(rest)
		case strings.HasPrefix(rest, "<!"), strings.HasPrefix(rest, "<?"):
			// A doctype, or a bogus comment such as <?xml ...?>.
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return len(html)
			}
			i += end + 1
		default:
			return i
		}
	}
	return i
}

// commentLen returns the length of the comment at the start of s, which
// starts with "<!--"; an unclosed comment runs to the end.
func commentLen(s string) int {
	body := s[len("<!--"):]
	switch {
	case strings.HasPrefix(body, ">"):
		return len("<!-->")
	case strings.HasPrefix(body, "->"):
		return len("<!--->")
	}
	end := len(s)
	if k := strings.Index(body, "-->"); k >= 0 {
		end = len("<!--") + k + len("-->")
	}
	if k := strings.Index(body, "--!>"); k >= 0 {
		end = min(end, len("<!--")+k+len("--!>"))
	}
	return end
}

// isHTMLSpace reports whether c is ASCII white space as HTML defines it.
func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}
