package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/printing"
	"waybilldesk/printing/queue"
)

// previewDPI is the resolution of the on-screen label: 100 mm at 110 dpi is
// 433 px, sharp enough to read the address and check the barcode is there
// without rendering the 800 px a 203-dpi printer needs.
const previewDPI = 110

// Preview shows the e-waybill label of one order and offers to save it as
// PDF or copy its waybill id. The New order screen and the Orders screen
// each have one.
type Preview struct {
	// Image is the rendered label (ImageFillContain); its Image is nil until
	// a label has been rendered.
	Image *canvas.Image
	// Status says what the pane is doing or why there is no label.
	Status *widget.Label
	// SavePDF opens the save dialog; CopyWaybill copies the waybill id.
	SavePDF     *widget.Button
	CopyWaybill *widget.Button
	// Content is the pane to place in a screen.
	Content fyne.CanvasObject

	m     *Main
	gen   int // bumped on every Show/Clear, so a slow render of an older order is dropped
	html  string
	size  printing.Size // the stock the label prints on, see Size
	order *orders.Order
	// reprint: the label shown is printed again (Orders), so its size is
	// that of the printer of its last job; else (New order) the courier's
	// default printer's.
	reprint bool
}

// labelImage is what a render brings back to the UI thread.
type labelImage struct {
	html string
	size printing.Size
	img  image.Image
}

func newPreview(m *Main, minSize fyne.Size) *Preview {
	p := &Preview{m: m}
	p.Image = canvas.NewImageFromImage(nil)
	p.Image.FillMode = canvas.ImageFillContain
	p.Image.ScaleMode = canvas.ImageScaleSmooth
	p.Image.SetMinSize(minSize)
	p.Status = widget.NewLabel(lang.L("No label yet: place an order or choose one in the list."))
	p.Status.Wrapping = fyne.TextWrapWord
	p.Status.Alignment = fyne.TextAlignCenter
	p.SavePDF = widget.NewButtonWithIcon(lang.L("Save PDF"), theme.DocumentSaveIcon(), p.showSaveDialog)
	p.CopyWaybill = widget.NewButtonWithIcon(lang.L("Copy waybill ID"), theme.ContentCopyIcon(), p.copyWaybill)
	p.SavePDF.Disable()
	p.CopyWaybill.Disable()
	// The image sits on a white card: labels are black on white paper and
	// must look like that in the dark theme too.
	paper := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	paper.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	paper.StrokeWidth = 1
	p.Content = container.NewBorder(nil,
		container.NewVBox(p.Status, container.NewGridWithColumns(2, p.SavePDF, p.CopyWaybill)),
		nil, nil,
		container.NewStack(paper, p.Image))
	return p
}

// Show renders the label of an order that has a waybill. Nothing happens to
// the order: the label comes from the history (or getOrder when missing).
func (p *Preview) Show(o *orders.Order) {
	p.reset(o)
	if o == nil {
		return
	}
	if o.Status != orders.StatusPlaced || o.WaybillID == "" {
		p.Status.SetText(lang.L("This order has no waybill, so there is no label."))
		return
	}
	p.CopyWaybill.Enable()
	if p.m.s.Renderer == nil || p.m.s.Orders == nil {
		p.Status.SetText(lang.L("Label preview is not available: no label renderer."))
		return
	}
	p.Status.SetText(lang.L("Rendering the label…"))
	gen, id, reprint := p.gen, o.OrderID, p.reprint
	svc, r, q := p.m.s.Orders, p.m.s.Renderer, p.m.s.Printing
	// Messages are worded here, on the UI thread, not in the goroutine.
	errLabel, errRender := lang.L("Could not get the label"), lang.L("Could not render the label")
	background(p.m.b, labelTimeout+renderTimeout, func(ctx context.Context) (labelImage, error) {
		lctx, cancel := context.WithTimeout(ctx, labelTimeout)
		html, lo, err := svc.Label(lctx, id)
		li := labelImage{html: html, size: printing.SizeOf(html)}
		if err == nil && q != nil {
			// The stock of the printer the label goes to, else its own.
			li.size = q.LabelSize(lctx, queue.Label{OrderID: lo.OrderID, WaybillID: lo.WaybillID, DeliveryID: lo.DeliveryID, HTML: html}, reprint)
		}
		cancel()
		if err != nil {
			return labelImage{}, fmt.Errorf("%s: %w", errLabel, err)
		}
		rctx, cancel := context.WithTimeout(ctx, renderTimeout)
		defer cancel()
		b, err := r.PNG(rctx, html, li.size, previewDPI)
		if err != nil {
			return li, fmt.Errorf("%s: %w", errRender, err)
		}
		// Decoded here, off the UI thread: a 433x786 PNG takes a few ms.
		if li.img, err = png.Decode(bytes.NewReader(b)); err != nil {
			return li, fmt.Errorf("%s: %w", errRender, err)
		}
		return li, nil
	}, func(li labelImage, err error) {
		if gen != p.gen {
			return // the operator moved on to another order
		}
		p.html, p.size = li.html, li.size
		if p.html != "" {
			p.SavePDF.Enable()
		}
		if err != nil {
			p.Status.SetText(err.Error())
			p.Status.Importance = widget.DangerImportance
			p.Status.Refresh()
			return
		}
		p.Image.Image = li.img
		p.Image.Refresh()
		p.Status.SetText(fmt.Sprintf("%s %s", lang.L("Waybill"), o.WaybillID))
	})
}

// Clear empties the pane.
func (p *Preview) Clear() { p.reset(nil) }

func (p *Preview) reset(o *orders.Order) {
	p.gen++
	p.order, p.html, p.size = o, "", printing.Size{}
	p.Image.Image = nil
	p.Image.Refresh()
	p.SavePDF.Disable()
	p.CopyWaybill.Disable()
	p.Status.Importance = widget.MediumImportance
	p.Status.SetText(lang.L("No label yet: place an order or choose one in the list."))
}

// HTML returns the label HTML being shown, "" when none.
func (p *Preview) HTML() string { return p.html }

// Size returns the label stock the label shown is rendered and saved at:
// the size of the printer it goes to, else the label's own (zero when no
// label is shown).
func (p *Preview) Size() printing.Size { return p.size }

// errNoLabel is WritePDF's error when no label is shown.
var errNoLabel = errors.New("no label to save")

// WritePDF renders the label being shown as a PDF at the label size and
// writes it to w. It blocks for the render: call it off the UI thread (the
// save dialog does), reading nothing else of the pane.
func (p *Preview) WritePDF(ctx context.Context, w io.Writer) error {
	return writePDF(ctx, p.m.s.Renderer, p.html, p.size, w)
}

// writePDF's errors are in English: the caller words them for the
// operator on the UI thread.
func writePDF(ctx context.Context, r *printing.Renderer, html string, size printing.Size, w io.Writer) error {
	if html == "" {
		return errNoLabel
	}
	if r == nil {
		return errors.New("no label renderer")
	}
	if size == (printing.Size{}) {
		size = printing.SizeOf(html)
	}
	ctx, cancel := context.WithTimeout(ctx, renderTimeout)
	defer cancel()
	pdf, err := r.PDF(ctx, html, size)
	if err != nil {
		return fmt.Errorf("render the PDF: %w", err)
	}
	if _, err := w.Write(pdf); err != nil {
		return fmt.Errorf("write the PDF: %w", err)
	}
	return nil
}

// showSaveDialog asks where to save the PDF, named after the waybill.
func (p *Preview) showSaveDialog() {
	if p.order == nil || p.html == "" {
		return
	}
	html, size, name := p.html, p.size, pdfFileName(p.order)
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, p.m.Window)
			return
		}
		if wc == nil {
			return // cancelled
		}
		p.Status.SetText(lang.L("Saving the PDF…"))
		background(p.m.b, renderTimeout, func(ctx context.Context) (string, error) {
			werr := writePDF(ctx, p.m.s.Renderer, html, size, wc)
			if cerr := wc.Close(); werr == nil && cerr != nil {
				werr = fmt.Errorf("write the PDF: %w", cerr)
			}
			return wc.URI().Path(), werr
		}, func(path string, err error) {
			if err != nil {
				err = fmt.Errorf("%s %s: %w", lang.L("Could not write the PDF"), path, err)
				p.Status.SetText(err.Error())
				dialog.ShowError(err, p.m.Window)
				return
			}
			p.Status.SetText(lang.L("Saved") + " " + path)
		})
	}, p.m.Window)
	d.SetFileName(name)
	d.Show()
}

// pdfFileName is "<waybill_id>.pdf" with characters no file system takes
// replaced.
func pdfFileName(o *orders.Order) string {
	id := o.WaybillID
	if id == "" {
		id = o.OrderID
	}
	id = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, id)
	return id + ".pdf"
}

func (p *Preview) copyWaybill() {
	if p.order == nil || p.order.WaybillID == "" {
		return
	}
	p.m.App.Clipboard().SetContent(p.order.WaybillID)
	p.Status.SetText(lang.L("Copied") + " " + p.order.WaybillID)
}
