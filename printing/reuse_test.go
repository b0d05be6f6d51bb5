package printing

import (
	"strings"
	"testing"
)

// TestMayRunScript: every way a label can run script (or navigate) asks
// for the tab reset; plain labels, however they are written, do not.
func TestMayRunScript(t *testing.T) {
	for _, html := range []string{
		`<script>x=1</script>`,
		`<SCRIPT src="a.js"></SCRIPT>`,
		`<svg><script>x=1</script></svg>`,
		`<img src=x onerror="x=1">`,
		`<img src=x/onerror=x=1>`,
		`<body ONLOAD = "x=1">`,
		`<svg onload=x=1>`,
		`<iframe srcdoc="<p>"></iframe>`,
		`<frameset><frame src=a></frameset>`,
		`<fencedframe></fencedframe>`,
		`<object data=a></object>`,
		`<embed src=a>`,
		`<meta http-equiv="refresh" content="1">`,
		`<a href="javascript:x()">`,
	} {
		if !mayRunScript(html) {
			t.Errorf("%s: not seen as script", html)
		}
	}
	for _, html := range []string{
		testLabel(t, labelParts{PageCSS: pageCSS100x180}),
		`<p style="font-family: 'Noto Sans'">收件人 成都 onion</p>`,
		`<svg viewBox="0 0 10 1" shape-rendering="crispEdges"><rect x="1" width="2" height="1"/></svg>`,
	} {
		if mayRunScript(html) {
			t.Errorf("a label without script is seen as script: %.80s", html)
		}
	}
}

// TestReusedTabAfterHandler: a label that runs script only through an
// event handler attribute still gets its tab reset, and a label without
// script leaves nothing for the next.
func TestReusedTabAfterHandler(t *testing.T) {
	r := newTestRenderer(t, Options{Tabs: 1})
	ctx := testCtx(t)
	probe := testLabel(t, labelParts{
		Body: `<p id="probe"></p><script>document.getElementById("probe").textContent = window.leak ? "LEAKED" : "CLEAN";</script>`,
	})
	for _, first := range []struct{ name, html string }{
		{"onerror handler", testLabel(t, labelParts{Body: `<img src="data:," onerror="window.leak = 1">`})},
		{"no script", testLabel(t, labelParts{PageCSS: pageCSS100x180})},
	} {
		if _, err := r.PDF(ctx, first.html, Size100x180); err != nil {
			t.Fatal(err)
		}
		pdf, err := r.PDF(ctx, probe, Size100x180)
		if err != nil {
			t.Fatal(err)
		}
		if text := pdftotext(t, writeTemp(t, "probe.pdf", pdf)); !strings.Contains(text, "CLEAN") {
			t.Errorf("after a label with %s, the next label sees its globals", first.name)
		}
	}
}

// TestMayLoad: every way a label can fetch something, or run script that
// could, makes the render wait for it; a label that only uses system fonts
// and inline SVG does not wait.
func TestMayLoad(t *testing.T) {
	for _, html := range []string{
		`<img src="data:image/png;base64,iVBO">`,
		`<IMG SRC=logo.png>`,
		`<picture><source srcset="a.webp"></picture>`,
		`<link rel="stylesheet" href="a.css">`,
		`<style>@import "a.css";</style>`,
		`<style>@font-face { font-family: X; src: local(Y) }</style>`,
		`<div style="background: URL( 'a.png' )">`,
		`<svg><image href="a.png"/></svg>`,
		`<svg><use href="#a"/></svg>`,
		`<script>new Image().src = "a"</script>`,
		`<body onload="x()">`,
		`<iframe srcdoc="<p>"></iframe>`,
		`<object data=a></object>`,
		`<video poster=a></video>`,
		`<input type=image src=a>`,
		`<meta http-equiv="refresh" content="0;url=a">`,
	} {
		if !mayLoad(html) {
			t.Errorf("%s: not seen as loading anything", html)
		}
	}
	for _, html := range []string{
		testLabel(t, labelParts{PageCSS: pageCSS100x180}),
		`<p style="font-family: 'Noto Sans CJK SC'; font-weight: 700">收件人 成都 sourced imaged</p>`,
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 1"><path d="M1 0h2v1h-2z"/></svg>`,
		`<section class="use image"><span>link</span></section>`,
	} {
		if mayLoad(html) {
			t.Errorf("a label with nothing to load is seen as loading: %.80s", html)
		}
	}
}
