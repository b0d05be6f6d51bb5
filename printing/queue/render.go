package queue

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"waybilldesk/internal/atomicfile"
	"waybilldesk/printing"
	"waybilldesk/printing/output"
	"waybilldesk/printing/thermal"
)

// renderLabel turns label HTML into what the printer reads: the PDF for
// LangPDF, else a 1-bit raster at the printer's dpi, moved by its offsets
// and rotated, in its language.
func renderLabel(ctx context.Context, r *printing.Renderer, p Printer, html string, copies int) ([]byte, error) {
	if p.Language == LangPDF {
		return r.PDF(ctx, html, p.Size)
	}
	shot, err := r.PNG(ctx, html, p.Size, float64(p.DPI))
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		return nil, fmt.Errorf("read the rendered label: %w", err)
	}
	dpi := float64(p.DPI)
	// Dithering keeps grey areas (logos, shaded boxes) visible; it leaves
	// bars and text thresholded, so barcodes keep their widths.
	bm := thermal.FromImage(img, thermal.RasterOptions{
		Dither:      true,
		OffsetXDots: thermal.DotsForMM(p.OffsetXMM, dpi),
		OffsetYDots: thermal.DotsForMM(p.OffsetYMM, dpi),
		Rotate:      p.Rotate,
	})
	// Turned a quarter, the label runs through the printer sideways, so
	// the stock the printer sees is the label's height wide.
	w, h := p.Size.WidthMM, p.Size.HeightMM
	if p.Rotate == 90 || p.Rotate == 270 {
		w, h = h, w
	}
	job := thermal.Job{WidthMM: w, HeightMM: h, DPI: dpi, Copies: copies, Density: p.Density, Speed: p.Speed}
	switch p.Language {
	case LangTSPL:
		return thermal.EncodeTSPL(bm, job)
	case LangZPL:
		// ZPL densities run 0..30; the record keeps TSPL's 1..15 scale.
		job.Density *= 2
		// Plain hex, not Z64: every ZPL emulation in Chinese printers reads
		// hex, and a 100x180 label is a few hundred KB, nothing on a LAN.
		return thermal.EncodeZPL(bm, job, thermal.ZPLOptions{Form: thermal.ZPLHex})
	case LangESCPOS:
		return thermal.EncodeESCPOS(bm, job, thermal.ESCPOSOptions{Cut: true})
	}
	return nil, fmt.Errorf("%w: printer %q: unknown language %q", ErrInvalidPrinter, p.Name, p.Language)
}

// deliver sends a job's bytes to the printer and returns the file written,
// for PDF printers. Each way out has its own deadline (Options.SendTimeout,
// and Options.CUPSWait for CUPS to finish the job), whatever ctx allows.
func (q *Queue) deliver(ctx context.Context, p Printer, data []byte, j *Job) (string, error) {
	title := "waybill " + j.WaybillID
	waybill, jobID, outFile, copies := j.WaybillID, j.ID, j.Output, j.Copies
	o := q.opts
	switch p.Kind {
	case KindPDF:
		path := outFile
		if path == "" {
			path = filepath.Join(p.Address, fileName(waybill, jobID))
		}
		ctx, cancel := context.WithTimeout(ctx, o.SendTimeout)
		defer cancel()
		if err := writeFileAtomic(ctx, path, data); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
		return path, nil
	case KindRaw:
		return "", output.RawTCP{Addr: p.Address, Timeout: o.SendTimeout, Logger: q.log}.Send(ctx, data, title)
	case KindWindows:
		ctx, cancel := context.WithTimeout(ctx, o.SendTimeout)
		defer cancel()
		return "", output.Spooler{Printer: p.Address, Logger: q.log}.Send(ctx, data, title)
	case KindCUPS:
		c := output.CUPS{Queue: p.Address, Raw: p.Language != LangPDF, Logger: q.log}
		if p.Language == LangPDF {
			// The driver scales to its default paper otherwise.
			c.Options = append(c.Options, "media=Custom."+p.Size.String()+"mm")
			if copies > 1 {
				c.Options = append(c.Options, "copies="+strconv.Itoa(copies))
			}
		}
		sctx, cancel := context.WithTimeout(ctx, o.SendTimeout)
		id, err := c.Submit(sctx, data, title)
		cancel()
		if err != nil {
			return "", err
		}
		// Submitted is not printed: a stopped queue keeps the job. Waiting
		// for "completed" is what lets the job say done honestly.
		wctx, cancel := context.WithTimeout(ctx, o.CUPSWait)
		defer cancel()
		// Closing, nothing is gained by waiting: CUPS keeps the job.
		stop := context.AfterFunc(q.ctx, cancel)
		defer stop()
		if err := c.WaitDone(wctx, id); err != nil {
			return "", fmt.Errorf("%w (the job stays in CUPS as %s: check the printer before you retry)", err, id)
		}
		return "", nil
	}
	return "", fmt.Errorf("%w: printer %q: unknown kind %q", ErrInvalidPrinter, p.Name, p.Kind)
}

// fileName is the PDF file of a label in a pdf printer's folder: the
// waybill id, made safe for every file system, and the job id, so a
// reprint does not overwrite the first print.
func fileName(waybill string, jobID int64) string {
	safe := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, waybill)
	if safe == "" {
		safe = "label"
	}
	return fmt.Sprintf("%s-%d.pdf", safe, jobID)
}

// writeFileAtomic writes a label file whole or not at all, unless the job
// was cancelled first.
func writeFileAtomic(ctx context.Context, path string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o644, data)
}

// StatusOf asks a printer how it is, for the status shown before printing:
// the raw port answers or not, CUPS and the Windows spooler say idle,
// printing, stopped (paper out) or not accepting; a pdf printer is ready
// when its folder exists.
func StatusOf(ctx context.Context, p Printer) (output.State, error) {
	switch p.Kind {
	case KindRaw:
		return output.RawTCP{Addr: p.Address}.Status(ctx)
	case KindCUPS:
		return output.CUPS{Queue: p.Address}.Status(ctx)
	case KindWindows:
		return output.Spooler{Printer: p.Address}.Status(ctx)
	case KindPDF:
		st, err := os.Stat(p.Address)
		switch {
		case err == nil && st.IsDir():
			return output.State{Printer: p.Address, Condition: output.Ready, Accepting: true}, nil
		case err == nil:
			return output.State{Printer: p.Address, Condition: output.Offline, Reason: "not a folder"}, fmt.Errorf("%s is not a folder", p.Address)
		case os.IsNotExist(err):
			// The folder is made on the first label.
			return output.State{Printer: p.Address, Condition: output.Ready, Accepting: true, Reason: "folder will be created"}, nil
		default:
			return output.State{Printer: p.Address, Condition: output.Offline, Reason: err.Error()}, err
		}
	}
	return output.State{}, fmt.Errorf("%w: printer %q: unknown kind %q", ErrInvalidPrinter, p.Name, p.Kind)
}
