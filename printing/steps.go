package printing

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Each step of a render is a small named action, so an error and a timeout
// can say which step failed ("load html", "wait for fonts and images", ...)
// and each one can be tried on its own.

// step is a named action that returns nothing.
type step struct {
	name string
	run  chromedp.Action[chromedp.Void]
}

// loadHTML replaces the document of the tab with the label. SetDocumentContent
// on an about:blank tab is about twice as fast as navigating to a data: URL
// (platform.md: 25.7 vs 45.5 ms a label), has no URL length limit, and keeps
// the page's origin opaque. The main frame's id is asked once per tab.
// The label policy goes in front of the label's markup unless the document
// already carries it (see policy.go).
func loadHTML(tb *tab, html string) step {
	return step{"load html", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if tb.frameID == "" {
			tree, err := cdp.Call(ctx, t, page.GetFrameTree, cdp.Empty{})
			if err != nil {
				return err
			}
			tb.frameID = tree.FrameTree.Frame.ID
		}
		doc := html
		if !tb.policed {
			doc = withPolicy(html, tb.cspMeta)
		}
		if _, err := cdp.Call(ctx, t, page.SetDocumentContent, page.SetDocumentContentParams{
			FrameID: tb.frameID,
			HTML:    doc,
		}); err != nil {
			return err
		}
		tb.policed = true
		return nil
	})}
}

// mayLoad reports whether a label needs waitSettled (see loadPatterns). A
// label with nothing to load uses the system's fonts, and SetDocumentContent
// returns after the parser finished and the load event fired, so it is ready
// to print as it is: a round trip and a script run saved per label (the
// sandbox's labels are such labels).
func mayLoad(html string) bool { return inspect(html).loads }

// settleJS waits until the label looks the way it will print: web fonts
// loaded, the load event fired, every image loaded (or failed: a blocked image
// must not hang the render) and decoded. It runs twice because loading an
// image can change the layout and ask for a font that was not needed before.
// Lazy images are made eager first, because a lazy image below the fold never
// loads in a page nobody scrolls.
const settleJS = `(async () => {
  const settle = async () => {
    for (const img of document.images) { if (img.loading === "lazy") img.loading = "eager"; }
    void document.documentElement.offsetHeight; // lay out, so fonts and images get requested
    await document.fonts.ready;
    if (document.readyState !== "complete") {
      await new Promise(r => window.addEventListener("load", r, { once: true }));
    }
    await Promise.all(Array.from(document.images, img => img.complete
      ? (img.naturalWidth > 0 ? img.decode().catch(() => {}) : null)
      : new Promise(r => {
          img.addEventListener("load", r, { once: true });
          img.addEventListener("error", r, { once: true });
        }).then(() => img.decode().catch(() => {}))));
  };
  await settle();
  await settle();
  return document.images.length;
})()`

// waitSettled runs settleJS.
func waitSettled() step {
	return step{"wait for fonts and images", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[int](settleJS, chromedp.EvalAwaitPromise)(ctx, t)
		return err
	})}
}

// emulateLabel makes the tab's viewport the label at the printer's dot
// density, and switches to print media so the PNG shows what the PDF shows
// (templates hide their buttons and hints under @media print).
func emulateLabel(size Size, dpi float64) step {
	return step{"set viewport", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		w, h := size.cssPixels()
		if _, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width:             w,
			Height:            h,
			DeviceScaleFactor: dpi / 96,
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})}
}

// clearEmulation undoes emulateLabel on a reused tab before a PDF, whose page
// size comes from the paper and the label's @page rule, not from a viewport.
func clearEmulation() step {
	return step{"reset viewport", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return err
	})}
}

// errNotPDF and errNotPNG catch a browser that answers with something else,
// so a broken file never reaches the printer.
var (
	errNotPDF = errors.New("browser returned data that is not a PDF")
	errNotPNG = errors.New("browser returned data that is not a PNG")
)

// printPDF prints the first page only, because a waybill is one label and a
// template that overflows by a line must not feed a second, blank label
// through the printer. Zero margins and backgrounds because the template
// places everything itself; PreferCSSPageSize lets a template's own
// @page size win over the requested paper, since the template knows the stock
// it was designed for.
func printPDF(size Size, out *[]byte) step {
	return step{"print pdf", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		w, h := size.inches()
		buf, err := chromedp.PrintToPDF(
			chromedp.PDFPaper(chromedp.PaperSize{Width: w, Height: h}),
			chromedp.PDFMargin(0),
			chromedp.PDFPrintBackground(),
			chromedp.PDFPreferCSSPageSize(),
			chromedp.PDFPageRanges("1"),
			untagged,
		)(ctx, t)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(buf, []byte("%PDF-")) {
			return fmt.Errorf("%w (%d bytes)", errNotPDF, len(buf))
		}
		*out = buf
		return nil
	})}
}

// untagged turns off the tagged (accessible) PDF and the outline that
// Chrome 154 and later make by default: a label goes to a printer, not a
// screen reader (measured: about 5% faster on the sandbox's SF label).
func untagged(p *page.PrintToPDFParams) {
	p.GenerateTaggedPDF = ptr(false)
	p.GenerateDocumentOutline = ptr(false)
}

// pngMagic is the signature every PNG file starts with.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// capturePNG screenshots exactly the label area. The clip is what makes the
// image the label's size even when the template is longer or wider than the
// stock. OptimizeForSpeed trades a larger file for faster encoding, a good
// deal for an image that goes straight to a printer.
func capturePNG(size Size, out *[]byte) step {
	return step{"capture png", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		w, h := size.cssPixels()
		res, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:           page.CaptureScreenshotFormatPng,
			Clip:             &page.Viewport{Width: float64(w), Height: float64(h), Scale: 1},
			FromSurface:      ptr(true),
			OptimizeForSpeed: ptr(true),
		})
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(res.Data, pngMagic) {
			return fmt.Errorf("%w (%d bytes)", errNotPNG, len(res.Data))
		}
		*out = res.Data
		return nil
	})}
}

// ptr returns a pointer to v, for the optional fields of protocol params.
func ptr[T any](v T) *T { return &v }
