package cli

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"waybilldesk/printing"
	"waybilldesk/printing/output"
	"waybilldesk/printing/queue"
)

// runPrinters manages printer records: list (with each printer's status
// and the printers the system knows), add, test and remove.
func runPrinters(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("printers: want list, add, test or remove")
	}
	switch args[0] {
	case "list":
		return runPrintersList(e, args[1:])
	case "add":
		return runPrintersAdd(e, args[1:])
	case "test":
		return runPrintersTest(e, args[1:])
	case "remove":
		return runPrintersRemove(e, args[1:])
	}
	return usagef("printers: unknown sub-command %q (want list, add, test or remove)", args[0])
}

// printerStatus is a printer record with its state.
type printerStatus struct {
	queue.Printer
	State output.State
	Err   error
}

func runPrintersList(e *env, args []string) error {
	fs := flag.NewFlagSet("printers list", flag.ContinueOnError)
	noStatus := fs.Bool("no-status", false, "do not ask the printers how they are")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("printers list: unexpected %q", pos[0])
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	recs, err := d.Printing.Printers(e.ctx)
	if err != nil {
		return err
	}
	list := make([]printerStatus, len(recs))
	var wg sync.WaitGroup
	for i, p := range recs {
		list[i].Printer = p
		if *noStatus {
			continue
		}
		// In parallel: an unreachable printer takes seconds to time out.
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(e.ctx, statusTimeout)
			defer cancel()
			list[i].State, list[i].Err = queue.StatusOf(ctx, p)
		})
	}
	sctx, cancel := context.WithTimeout(e.ctx, statusTimeout)
	system, sysErr := output.Printers(sctx)
	cancel()
	wg.Wait()

	if e.json {
		type rec struct {
			queue.Printer
			Size      string `json:"size"`
			Status    string `json:"status,omitempty"`
			CanPrint  bool   `json:"can_print"`
			StatusErr string `json:"status_error,omitempty"`
		}
		type sys struct {
			Name      string `json:"name"`
			Status    string `json:"status"`
			Accepting bool   `json:"accepting"`
			Reason    string `json:"reason,omitempty"`
		}
		out := struct {
			Printers []rec   `json:"printers"`
			System   []sys   `json:"system_printers"`
			SysError *string `json:"system_error,omitempty"`
		}{Printers: []rec{}, System: []sys{}}
		for _, p := range list {
			r := rec{Printer: p.Printer, Size: p.Size.String(), Status: string(p.State.Condition), CanPrint: p.State.CanPrint()}
			if p.Err != nil {
				r.StatusErr = p.Err.Error()
			}
			out.Printers = append(out.Printers, r)
		}
		for _, s := range system {
			out.System = append(out.System, sys{s.Printer, string(s.Condition), s.Accepting, s.Reason})
		}
		if sysErr != nil {
			msg := sysErr.Error()
			out.SysError = &msg
		}
		return e.printJSON(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tADDRESS\tLANG\tDPI\tSIZE\tOFFSET mm\tROTATE\tDEFAULT FOR\tSTATUS")
	for _, p := range list {
		status := "-"
		switch {
		case *noStatus:
		case p.State.Condition != "":
			status = stateText(p.State)
		case p.Err != nil:
			status = "unknown: " + p.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%g,%g\t%d\t%s\t%s\n", p.Name, p.Kind, p.Address, p.Language, p.DPI,
			p.Size, p.OffsetXMM, p.OffsetYMM, p.Rotate, strings.Join(p.Couriers, ","), status)
	}
	if len(list) == 0 {
		fmt.Fprintln(tw, "(no printers: add one with printers add)")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nSystem printers (printers add --kind cups|windows --address NAME):")
	switch {
	case sysErr != nil:
		fmt.Fprintf(e.stdout, "  (cannot list them: %v)\n", sysErr)
	case len(system) == 0:
		fmt.Fprintln(e.stdout, "  (none)")
	}
	for _, s := range system {
		fmt.Fprintf(e.stdout, "  %s\n", s)
	}
	return nil
}

func runPrintersAdd(e *env, args []string) error {
	fs := flag.NewFlagSet("printers add", flag.ContinueOnError)
	name := fs.String("name", "", "the printer's name (no ':')")
	kind := fs.String("kind", "", "how labels reach it: raw (TCP 9100), cups, windows or pdf (a folder)")
	address := fs.String("address", "", "host:port for raw, the queue for cups, the printer name for windows, the folder for pdf")
	lang := fs.String("lang", "", "printer language: tspl, zpl, escpos or pdf (default tspl for raw and windows, pdf for cups and pdf)")
	dpi := fs.Int("dpi", 203, "print head resolution (203 or 300)")
	sizeFlag := fs.String("size", printing.Size100x180.String(), "label size in mm, WIDTHxHEIGHT")
	offX := fs.Float64("offset-x", 0, "move the print right by this many mm on this printer (negative: left)")
	offY := fs.Float64("offset-y", 0, "move the print down by this many mm (negative: up)")
	rotate := fs.Int("rotate", 0, "turn labels clockwise: 0, 90, 180 or 270")
	density := fs.Int("density", 0, "darkness 1..15 (0 keeps the printer's setting)")
	speed := fs.Int("speed", 0, "speed in inches per second 1..14 (0 keeps the printer's setting)")
	defaultFor := fs.String("default-for", "", "couriers (delivery_id) this printer is the default for, e.g. SF,YTO")
	replace := fs.Bool("replace", false, "replace the printer of that name if there is one")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("printers add: unexpected %q", pos[0])
	}
	if *name == "" || *kind == "" {
		return usagef("printers add: want --name and --kind")
	}
	if !slices.Contains(queue.Kinds, queue.Kind(*kind)) {
		return usagef("printers add: --kind %q: want raw, cups, windows or pdf", *kind)
	}
	if *lang != "" && !slices.Contains(queue.Languages, queue.Language(*lang)) {
		return usagef("printers add: --lang %q: want tspl, zpl, escpos or pdf", *lang)
	}
	size, err := printing.ParseSize(*sizeFlag)
	if err != nil {
		return usagef("printers add: --size: %v", err)
	}
	p := queue.Printer{Name: *name, Kind: queue.Kind(*kind), Address: *address, Language: queue.Language(*lang),
		DPI: *dpi, Size: size, OffsetXMM: *offX, OffsetYMM: *offY, Rotate: *rotate, Density: *density, Speed: *speed}
	if *defaultFor != "" {
		p.Couriers = strings.Split(*defaultFor, ",")
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	saved, err := d.Printing.AddPrinter(e.ctx, p)
	if err != nil && *replace {
		if _, gerr := d.Printing.Printer(e.ctx, p.Name); gerr == nil {
			saved, err = d.Printing.UpdatePrinter(e.ctx, p)
		}
	}
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(struct {
			queue.Printer
			Size string `json:"size"`
		}{saved, saved.Size.String()})
	}
	fmt.Fprintln(e.stdout, "saved", saved)
	return nil
}

func runPrintersTest(e *env, args []string) error {
	fs := flag.NewFlagSet("printers test", flag.ContinueOnError)
	wait := fs.Duration("wait", defaultPrintWait, "how long to wait for the test print")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("printers test: want one printer NAME")
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	p, err := d.Printing.Printer(e.ctx, pos[0])
	if err != nil {
		return err
	}
	e.showStatus(p)
	j, err := d.Printing.TestPrint(e.ctx, p.Name)
	if err != nil {
		return err
	}
	return e.waitJob(d, j.ID, *wait)
}

func runPrintersRemove(e *env, args []string) error {
	fs := flag.NewFlagSet("printers remove", flag.ContinueOnError)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("printers remove: want one printer NAME")
	}
	d, err := e.open()
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Printing.RemovePrinter(e.ctx, pos[0]); err != nil {
		return err
	}
	if !e.json {
		fmt.Fprintln(e.stdout, "removed", pos[0])
		return nil
	}
	return e.printJSON(map[string]any{"removed": pos[0]})
}
