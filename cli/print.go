package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"waybilldesk/printing"
)

func runPrint(e *env, args []string) error {
	fs := flag.NewFlagSet("print", flag.ContinueOnError)
	to := fs.String("to", "", "destination: pdf:FILE")
	sizeFlag := fs.String("size", printing.Size100x180.String(), "label size in mm, WIDTHxHEIGHT")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("print: want one ORDER_ID (or waybill id)")
	}
	size, err := printing.ParseSize(*sizeFlag)
	if err != nil {
		return usagef("print: --size: %v", err)
	}
	kind, target, _ := strings.Cut(*to, ":")
	if kind != "pdf" || target == "" {
		return usagef("print: --to must be pdf:FILE")
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	html, o, err := d.Orders.Label(e.ctx, pos[0])
	if err != nil {
		return err
	}
	pdf, err := d.Renderer.PDF(e.ctx, html, size)
	if err != nil {
		return fmt.Errorf("print %s: %w", o.OrderID, err)
	}
	if err := writeFileAtomic(target, pdf); err != nil {
		return fmt.Errorf("print %s: %w", o.OrderID, err)
	}
	if e.json {
		return e.printJSON(map[string]any{"order_id": o.OrderID, "waybill_id": o.WaybillID, "file": target, "bytes": len(pdf)})
	}
	fmt.Fprintf(e.stdout, "%s (%s) -> %s\n", o.OrderID, o.WaybillID, target)
	return nil
}

func runRender(e *env, args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	htmlFile := fs.String("html", "", "label HTML file")
	pdfOut := fs.String("pdf", "", "write a PDF here")
	pngOut := fs.String("png", "", "write a PNG here")
	sizeFlag := fs.String("size", printing.Size100x180.String(), "label size in mm, WIDTHxHEIGHT")
	dpi := fs.Float64("dpi", 203, "PNG resolution (203 or 300 for thermal printers)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *htmlFile == "" || (*pdfOut == "") == (*pngOut == "") {
		return usagef("render: want --html FILE and one of --pdf OUT or --png OUT")
	}
	size, err := printing.ParseSize(*sizeFlag)
	if err != nil {
		return usagef("render: --size: %v", err)
	}
	if *dpi < 72 || *dpi > 1200 {
		return usagef("render: --dpi %g is outside 72..1200", *dpi)
	}
	raw, err := os.ReadFile(*htmlFile)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	r := printing.NewRenderer(printing.Options{Timeout: e.cfg.RenderTimeout, Logger: e.cfg.Logger})
	defer r.Close()
	out, data := *pdfOut, []byte(nil)
	if out != "" {
		data, err = r.PDF(e.ctx, string(raw), size)
	} else {
		out = *pngOut
		data, err = r.PNG(e.ctx, string(raw), size, *dpi)
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", *htmlFile, err)
	}
	if err := writeFileAtomic(out, data); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s -> %s (%d bytes)\n", *htmlFile, out, len(data))
	return nil
}

// writeFileAtomic writes through a temporary file and a rename, so a failed
// write never leaves half a label behind.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".waybilldesk-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
