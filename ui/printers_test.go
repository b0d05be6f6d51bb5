package ui

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/printing/output/cupstest"
)

func TestPrintersAddTestPrintDefaultPerCourierAndOperators(t *testing.T) {
	h := newHarness(t)
	p := h.m.Printers
	raw := cupstest.NewRawPrinter(t)
	h.m.ShowPrinters()
	h.settle()
	if len(p.Records) != 0 || p.Test.Disabled() == false {
		t.Fatalf("fresh desk: %d printers, test print enabled=%v", len(p.Records), !p.Test.Disabled())
	}

	// A new network label printer, typed in as an operator does.
	test.Tap(p.New)
	typeInto(p.Name, "打包台2")
	p.Kind.SetSelected("网络标签打印机（TCP 9100）")
	typeInto(p.Address, raw.Addr)
	p.Language.SetSelected("TSPL（佳博、芯烨、TSC、汉印、得力）")
	p.DPI.SetSelected("203")
	p.Size.SetText("100x150")
	typeInto(p.OffsetX, "1.5")
	typeInto(p.OffsetY, "-2")
	var yto string
	for _, o := range p.Couriers.Options {
		if strings.HasSuffix(o, " YTO") {
			yto = o
		}
	}
	if yto == "" {
		t.Fatalf("YTO not offered as a default: %q", p.Couriers.Options)
	}
	p.Couriers.SetSelected([]string{yto})
	test.Tap(p.Save)
	h.waitFor("the printer saved", func() bool {
		return len(p.Records) == 1 && p.Message.Visible() || p.Message.Importance == widget.DangerImportance
	})
	if p.Message.Importance != widget.SuccessImportance {
		t.Fatalf("save: %q", p.Message.Text)
	}
	got, err := h.d.Printing.Printer(h.ctx, "打包台2")
	if err != nil || got.Address != raw.Addr || got.OffsetXMM != 1.5 || got.OffsetYMM != -2 || got.Size.HeightMM != 150 || !slices.Equal(got.Couriers, []string{"YTO"}) {
		t.Fatalf("stored %+v, %v", got, err)
	}
	if !showsText(p.List, "默认用于 YTO") {
		t.Errorf("list %q does not say it is YTO's default", texts(p.List))
	}

	// Test print: the label with rulers reaches the printer, in TSPL at 100x150.
	test.Tap(p.Test)
	h.waitFor("the test print", func() bool { return !p.busy })
	if p.Message.Importance != widget.SuccessImportance {
		t.Fatalf("test print: %q", p.Message.Text)
	}
	job := raw.Next(t, 10*time.Second)
	if !bytes.HasPrefix(job, []byte("SIZE 100 mm,150 mm")) {
		t.Errorf("test label starts %q", job[:min(30, len(job))])
	}
	test.Tap(p.CheckNow)
	h.waitFor("the status", func() bool {
		return strings.Contains(p.Message.Text, "打印机状态") || p.Message.Importance == widget.DangerImportance
	})
	t.Logf("status: %s", p.Message.Text)

	// An offset of 30 mm is refused with the reason; nothing changes.
	typeInto(p.OffsetX, "30")
	test.Tap(p.Save)
	h.waitFor("the refusal", func() bool { return p.Message.Importance == widget.DangerImportance })
	if !strings.Contains(p.Message.Text, "打印机设置有误") || !strings.Contains(p.Message.Text, "offset") {
		t.Errorf("refusal %q", p.Message.Text)
	}
	if got, _ := h.d.Printing.Printer(h.ctx, "打包台2"); got.OffsetXMM != 1.5 {
		t.Errorf("offset changed to %g", got.OffsetXMM)
	}

	// Remove, after a confirmation.
	test.Tap(p.Delete)
	tapButton(t, h.topDialog(), "是")
	h.waitFor("the printer removed", func() bool { return len(p.Records) == 0 })
	if _, err := h.d.Printing.Printer(h.ctx, "打包台2"); err == nil {
		t.Error("the printer is still stored")
	}

	// WeChat's printer operators (getPrinter / updatePrinter).
	p.Tabs.SelectIndex(1)
	h.waitFor("the operator list", func() bool { return !p.LoadOperators.Disabled() && len(p.Operators.Objects) > 0 })
	typeInto(p.OperatorID, "oPRINTER0000000000000000001")
	test.Tap(p.AddOperator)
	h.waitFor("the operator listed", func() bool { return showsText(p.Operators, "oPRINTER0000000000000000001") })
	if !strings.Contains(p.OperatorsMsg.Text, "已添加打印员") {
		t.Errorf("message %q", p.OperatorsMsg.Text)
	}
	tapButton(t, p.Operators, "删除")
	h.waitFor("the operator removed", func() bool {
		return strings.Contains(p.OperatorsMsg.Text, "已删除") && !showsText(p.Operators, "oPRINTER0000000000000000001")
	})
	// Bad tag ids are shown at the field, in the operator's words.
	typeInto(p.OperatorID, "oPRINTER0000000000000000002")
	typeInto(p.OperatorTags, "12, x")
	test.Tap(p.AddOperator)
	h.waitFor("the tag error", func() bool { return p.OperatorTags.ErrorText() != "" })
}
