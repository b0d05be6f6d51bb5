package printing

import (
	"context"
	"net/url"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
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
// domain does not see. The browser's flags (networkFlags) are a further line
// for what neither sees.

// WebRTC is a way around all of that: a label's RTCPeerConnection sends
// STUN and TURN packets to any address it names, over UDP and TCP, from the
// browser's network stack and not as requests (measured on Chromium 156: a
// STUN server on 127.0.0.1 got datagrams, a TURN server connections, with the
// Fetch guard and the label policy in place). So WebRTC is shut twice:
// the browser may not send WebRTC traffic except through a proxy
// (networkFlags), and the peer connection is removed from every window of
// the tab before the label's script runs (removeWebRTC).

// networkFlags are the browser flags that keep labels off the network.
//
//   - --proxy-server and --proxy-bypass-list: every connection the browser
//     makes, of any kind (requests, WebSocket, WebRTC over TCP, preconnects),
//     goes to a proxy that does not exist (deadProxy), except to an allowed
//     host (proxyBypass). This is what keeps a label from localhost, from
//     127.0.0.0/8 and ::1, and from the machine's own addresses when the
//     label policy and the request guard are somehow passed: the Fetch domain
//     does not see WebSockets, and Chromium resolves "localhost" itself
//     whatever the resolver rules say (both measured on Chromium 156).
//   - --host-resolver-rules: every name fails to resolve except the allowed
//     hosts, so nothing the Fetch domain misses can reach the network by name,
//     and the dead proxy's name never reaches a DNS server.
//   - --force-webrtc-ip-handling-policy=disable_non_proxied_udp: WebRTC may
//     use no UDP except through a proxy (measured: gathering then ends at once
//     with no candidate and no datagram leaves). The flag
//     --webrtc-ip-handling-policy, without "force", has no effect on the
//     headless shell (measured: STUN datagrams still sent).
//   - --block-new-web-contents: window.open and target=_blank make no new
//     window. A new window would be a tab of its own, outside the tab's
//     request interception and without removeWebRTC (measured: a popup's
//     window still has RTCPeerConnection).
//   - --disable-quic: no HTTP/3 over UDP.
func networkFlags(p hostPolicy) []chromedp.ExecAllocatorOption {
	return append(proxyFlags(p),
		chromedp.Flag("host-resolver-rules", p.resolverRules()),
		chromedp.Flag("force-webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("block-new-web-contents", true),
		chromedp.Flag("disable-quic", true),
	)
}

// proxyFlags send every connection to a host that p does not allow to
// deadProxy.
func proxyFlags(p hostPolicy) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("proxy-server", deadProxy),
		chromedp.Flag("proxy-bypass-list", p.proxyBypass()),
	}
}

// noWebRTCJS removes WebRTC's peer connection from a window. The
// constructors are the only way to one, and nothing else a label can
// reach gives them back.
const noWebRTCJS = `for (const n of ["RTCPeerConnection", "webkitRTCPeerConnection"]) delete globalThis[n];`

// removeWebRTC runs noWebRTCJS in the tab's window now and in every window
// the tab makes from now on, before any of the window's own script: the
// window of a reset (resetTab) and of every frame, also one a label makes to
// fetch a fresh RTCPeerConnection from (measured on Chromium 156).
// SetDocumentContent keeps the window, so one run covers every label loaded
// into it.
func removeWebRTC(ctx context.Context) error {
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: noWebRTCJS}); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: noWebRTCJS})
	return err
}

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

// deadProxy is the proxy of every connection to a host that is not allowed.
// It cannot be reached: .invalid names never resolve (RFC 6761), and the
// resolver rules fail every name besides. A proxy that fails is an error;
// Chromium does not fall back to a direct connection unless the proxy list
// says DIRECT.
const deadProxy = "http://waybilldesk-no-network.invalid:9"

// proxyBypass is the value of --proxy-bypass-list: the allowed hosts, which
// are reached directly. "<-loopback>" takes away Chromium's implicit bypass
// of localhost and loopback addresses, so those go to the dead proxy too
// unless an entry names them.
func (p hostPolicy) proxyBypass() string {
	rules := []string{"<-loopback>"}
	rules = append(rules, p.hosts...) // hostEntryRe: no separators inside
	return strings.Join(rules, ";")
}

// resolverRules is the value of --host-resolver-rules: every name fails to
// resolve except the allowed hosts, so nothing the Fetch domain misses can
// reach the network by name. Chromium answers "localhost" itself, so leaving
// it out here does not stop it; the dead proxy does (networkFlags).
func (p hostPolicy) resolverRules() string {
	rules := []string{"MAP * ~NOTFOUND"}
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
