package printing

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestPolicyOffset(t *testing.T) {
	for _, tt := range []struct {
		name, html, before string // before: what must stay in front of the policy
	}{
		{"doctype", "<!DOCTYPE html><html>", "<!DOCTYPE html>"},
		{"lower-case doctype and space", "\n  <!doctype html>\n<p>", "\n  <!doctype html>\n"},
		{"no doctype", "<html><script>x</script>", ""},
		{"text first", "收件人<!doctype html>", ""},
		{"byte order mark", "\ufeff<!DOCTYPE html><p>", "\ufeff<!DOCTYPE html>"},
		{"comment then doctype", "<!-- t --><!DOCTYPE html><p>", "<!-- t --><!DOCTYPE html>"},
		{"script inside a comment", "<!-- <script>x</script> --><p>", "<!-- <script>x</script> -->"},
		{"comment closed by --!>", "<!-- a --!><script>x</script>-->", "<!-- a --!>"},
		{"empty comment <!-->", "<!--><script>x</script>-->", "<!-->"},
		{"empty comment <!--->", "<!---><script>x</script>-->", "<!--->"},
		{"comment of dashes", "<!----><p>", "<!---->"},
		{"xml declaration", `<?xml version="1.0"?><!DOCTYPE html><p>`, `<?xml version="1.0"?><!DOCTYPE html>`},
		{"doctype with a public id", `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x"><html>`, `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x">`},
		{"end tag first", "</p><!doctype html>", ""},
		{"unclosed comment", "<!-- <script>x</script>", "<!-- <script>x</script>"},
		{"empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := policyOffset(tt.html); got != len(tt.before) {
				t.Errorf("policyOffset(%q) = %d (%q first), want %d (%q first)", tt.html, got, tt.html[:got], len(tt.before), tt.before)
			}
		})
	}
}

func TestLabelCSP(t *testing.T) {
	none := newHostPolicy(nil).csp
	for _, want := range []string{"default-src 'none'", "connect-src 'none'", "base-uri 'none'", "form-action 'none'", "img-src data: blob:;"} {
		if !strings.Contains(none, want) {
			t.Errorf("policy without hosts lacks %q: %s", want, none)
		}
	}
	p := newHostPolicy([]string{" IMG.example.com ", "192.168.1.10:8080", "[fd00::5]", "a; script-src *", "http://x.example", ""})
	for _, want := range []string{
		"img-src data: blob: http://img.example.com:* https://img.example.com:* http://192.168.1.10:8080 https://192.168.1.10:8080;",
		"connect-src http://img.example.com:* https://img.example.com:* http://192.168.1.10:8080 https://192.168.1.10:8080;",
	} {
		if !strings.Contains(p.csp, want) {
			t.Errorf("policy lacks %q: %s", want, p.csp)
		}
	}
	if strings.Contains(p.csp, "script-src *") || strings.Contains(p.csp, "x.example") || strings.Contains(p.csp, "fd00") {
		t.Errorf("policy names an entry it must not: %s", p.csp)
	}
	if !slices.Equal(p.invalid, []string{"a; script-src *", "http://x.example"}) {
		t.Errorf("invalid = %q", p.invalid)
	}
	if !slices.Equal(p.noCSP, []string{"[fd00::5]"}) {
		t.Errorf("noCSP = %q", p.noCSP)
	}
	if p.allowed("http://a/") || !p.allowed("https://img.example.com/x.png") {
		t.Error("allowed() does not follow the valid entries")
	}
}

// probeJS starts the script of a test label that tries things and reports
// how each try ended: probe(name, f) calls f(done), and done(outcome) ends
// the try; a try that neither ends nor throws within 1.5 s is "pending".
// The label's content security policy violations are collected too.
// waitProbes reads both.
const probeJS = `<script>
window.probes = [];
window.violations = [];
document.addEventListener("securitypolicyviolation", e => violations.push(e.violatedDirective + " " + e.blockedURI));
function probe(name, f) {
  probes.push(new Promise(res => {
    const done = r => res(name + ": " + r);
    setTimeout(() => done("pending"), 1500);
    try { f(done); } catch (e) { done("threw " + e.name); }
  }));
}
</script>`

// probeResult is what a test label's probes saw.
type probeResult struct {
	Outcomes   []string `json:"outcomes"`
	Violations []string `json:"violations"`
	CompatMode string   `json:"compatMode"`
}

// waitProbesJS waits for the probes of probeJS, then lets pending policy
// violation events arrive.
const waitProbesJS = `(async () => {
  const outcomes = await Promise.all(window.probes || []);
  await new Promise(r => setTimeout(r, 50));
  return { outcomes, violations: window.violations || [], compatMode: document.compatMode };
})()`

// waitProbes is a render step for tests: it waits until the label's probes
// have ended, so the label is printed after its tries and not before.
func waitProbes(out *probeResult) step {
	return step{"wait for the label's probes", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := chromedp.Evaluate[probeResult](waitProbesJS, chromedp.EvalAwaitPromise)(ctx, t)
		*out = res
		return err
	})}
}

// renderProbed renders html as a 100x180 PDF with waitProbes before the
// print, through the renderer's own pool, tabs and steps.
func renderProbed(t testing.TB, r *Renderer, html string) ([]byte, probeResult) {
	t.Helper()
	var pdf []byte
	var res probeResult
	err := r.render(testCtx(t), kindPDF, html, Size100x180, func(tb *tab, lt labelTraits) []step {
		steps := pdfPlan(html, Size100x180, &pdf)(tb, lt)
		return slices.Insert(steps, len(steps)-1, waitProbes(&res))
	})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return pdf, res
}

// countPrefix counts the strings in list that start with prefix.
func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// TestLabelPolicyPlacement: whatever comes before a label's first element,
// the policy applies to the label's first script, and the label keeps its
// rendering mode (a doctype after the <meta> would be ignored: quirks).
func TestLabelPolicyPlacement(t *testing.T) {
	r := newTestRenderer(t, Options{Tabs: 1})
	body := `<html><head><meta charset="utf-8"></head><body><p>收件人 张三</p>` + probeJS +
		`<script>probe("fetch", done => fetch("http://127.0.0.1:9/x").then(() => done("ok"), () => done("failed")));</script></body></html>`
	for _, tt := range []struct {
		name, prefix, mode string
	}{
		{"doctype", "<!DOCTYPE html>", "CSS1Compat"},
		{"no doctype", "", "BackCompat"},
		{"comment then doctype", "<!-- template v2 --><!doctype html>", "CSS1Compat"},
		{"comment closed by --!>", "<!-- a --!><!DOCTYPE html>", "CSS1Compat"},
		{"script inside a comment", "<!-- <script>x=1</script> --><!DOCTYPE html>", "CSS1Compat"},
		{"xml declaration", `<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html>`, "CSS1Compat"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, res := renderProbed(t, r, tt.prefix+"\n"+body)
			if got := countPrefix(res.Violations, "connect-src http://127.0.0.1:9/x"); got != 1 {
				t.Errorf("the label's fetch caused %d connect-src violations, want 1: %q", got, res.Violations)
			}
			if res.CompatMode != tt.mode {
				t.Errorf("compatMode = %s, want %s", res.CompatMode, tt.mode)
			}
		})
	}
}

// TestLabelPolicyOnReusedTab: a tab reused without a reset (after a label
// without script) keeps the policy of its document and does not add a second
// copy; a reset tab gets it again.
func TestLabelPolicyOnReusedTab(t *testing.T) {
	r := newTestRenderer(t, Options{Tabs: 1})
	ctx := testCtx(t)
	plain := testLabel(t, labelParts{PageCSS: pageCSS100x180})
	scripted := testLabel(t, labelParts{PageCSS: pageCSS100x180, Head: probeJS,
		Body: `<script>probe("xhr", done => { const x = new XMLHttpRequest(); x.open("GET", "http://127.0.0.1:9/x");` +
			` x.onerror = () => done("failed"); x.onload = () => done("ok"); x.send(); });</script>`})
	for i := range 3 {
		if _, err := r.PDF(ctx, plain, Size100x180); err != nil {
			t.Fatal(err)
		}
		_, res := renderProbed(t, r, scripted)
		if got := countPrefix(res.Violations, "connect-src"); got != 1 {
			t.Errorf("round %d: %d connect-src violations, want 1 (one policy): %q", i, got, res.Violations)
		}
		if !slices.Contains(res.Outcomes, "xhr: failed") {
			t.Errorf("round %d: outcomes %q", i, res.Outcomes)
		}
	}
}
