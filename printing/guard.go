package printing

import (
	"context"
	"net/url"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Labels render locally. The HTML comes from WeChat, but a template can still
// point at remote images, fonts or scripts: loading them would make printing
// slow or hang when the network is down, could leak which parcels a shop
// ships, and would make a label print differently from one day to the next.
// So every tab intercepts every request with the Fetch domain and fails each
// one that is not data:, about: or blob:, or not to a host in
// Options.AllowHosts. The label's content security policy (policy.go) makes
// Chromium refuse the same requests itself, and WebSockets, which the Fetch
// domain does not see. The --host-resolver-rules flag (see launch) is a further
// line for requests that the Fetch domain does not see, such as DNS prefetch.

// hostPolicy decides which request URLs a label may load.
type hostPolicy struct {
	hosts []string // lower case, as in Options.AllowHosts
	// invalid are the entries of Options.AllowHosts that are not "host" or
	// "host:port" (hostEntryRe); they allow nothing.
	invalid []string
	// noCSP are the allowed hosts that the label policy cannot name (IPv6
	// addresses): the policy refuses them, so labels load nothing from them.
	noCSP []string
	csp   string // the content security policy of every label (labelCSP)
}

// newHostPolicy normalises the allow list and writes the label policy.
func newHostPolicy(allow []string) hostPolicy {
	var p hostPolicy
	var sources []string
	for _, h := range allow {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
		case !hostEntryRe.MatchString(h):
			p.invalid = append(p.invalid, h)
		default:
			p.hosts = append(p.hosts, h)
			if src, ok := cspSources(h); ok {
				sources = append(sources, src)
			} else {
				p.noCSP = append(p.noCSP, h)
			}
		}
	}
	p.csp = labelCSP(sources)
	return p
}

// allowed reports whether the label may load rawURL. An entry "host" allows
// the host on any port and "host:port" that port only.
func (p hostPolicy) allowed(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "data", "about", "blob":
		return true
	case "http", "https", "ws", "wss":
	default:
		return false // file:, ftp:, chrome: and the like are never needed by a label
	}
	host, hostPort := strings.ToLower(u.Hostname()), strings.ToLower(u.Host)
	for _, h := range p.hosts {
		if h == host || h == hostPort || "["+host+"]" == h {
			return true
		}
	}
	return false
}

// resolverRules is the value of --host-resolver-rules: every name fails to
// resolve except localhost and the allowed hosts, so nothing the Fetch domain
// misses can reach the network by name either.
func (p hostPolicy) resolverRules() string {
	rules := []string{"MAP * ~NOTFOUND", "EXCLUDE localhost"}
	for _, h := range p.hosts {
		if name := hostOnly(h); name != "" {
			rules = append(rules, "EXCLUDE "+name)
		}
	}
	return strings.Join(rules, ", ")
}

// hostOnly strips a port from an allow-list entry.
func hostOnly(h string) string {
	if u, err := url.Parse("//" + h); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return h
}

// blockedLog collects the hosts a tab blocked during one render, so the
// renderer can log one line per label instead of one per request.
type blockedLog struct {
	mu    sync.Mutex
	hosts []string
}

// add records a blocked URL by scheme and host only: the path and the query
// can carry order data, and logs must not.
func (b *blockedLog) add(rawURL string) {
	what := "invalid URL"
	if u, err := url.Parse(rawURL); err == nil {
		what = u.Scheme + "://" + u.Host
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, h := range b.hosts {
		if h == what {
			return
		}
	}
	b.hosts = append(b.hosts, what)
}

// take returns the hosts recorded since the last call and forgets them.
func (b *blockedLog) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.hosts
	b.hosts = nil
	return h
}

// guardRequests enables request interception on the tab of ctx and answers
// each paused request until the tab closes. It must run after the tab exists,
// and it subscribes before Fetch.enable so that no request is missed.
func guardRequests(ctx context.Context, policy hostPolicy, blocked *blockedLog) error {
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: "*"}},
	}); err != nil {
		return err
	}
	go func() {
		// The iterator ends when the tab's context ends, so this goroutine
		// lives exactly as long as the tab.
		for ev, err := range paused {
			if err != nil {
				return
			}
			// Answer errors are ignored: they only happen when the tab or the
			// request is already gone, and then nobody waits for the answer.
			if ev.Request != nil && policy.allowed(ev.Request.URL) {
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			if ev.Request != nil {
				blocked.add(ev.Request.URL)
			}
			_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{
				RequestID:   ev.RequestID,
				ErrorReason: network.ErrorReasonBlockedByClient,
			})
		}
	}()
	return nil
}
