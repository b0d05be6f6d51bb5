package sandbox

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"waybilldesk/wxapi"
)

// LabelData is everything printed on an e-waybill (电子面单). Phone numbers
// are given in full: RenderLabel masks them, so no caller can forget to.
type LabelData struct {
	DeliveryID   string              // courier id, e.g. "SF"; picks the template family
	DeliveryName string              // courier name, e.g. "顺丰速运"
	ServiceName  string              // service, e.g. "顺丰标快"
	BizID        string              // account or cash biz id: 月结 or 现结 payment
	WaybillID    string              // printed as Code128 and QR; ASCII only
	OrderID      string              // the merchant's order_id
	SortingCode  string              // 三段码 / 大头笔, e.g. "755W-K01 021"
	BagAddr      string              // 集包地, e.g. "深圳中转场"
	Sender       wxapi.Contact       // 寄件人
	Receiver     wxapi.Contact       // 收件人
	Goods        []wxapi.CargoDetail // 物品
	Remark       string              // custom_remark
	WeightKg     float64             // cargo.weight
	Pieces       int                 // cargo.count; 0 is printed as 1
	InsuredFen   int64               // declared value in fen; 0 = not insured
	PrintTime    time.Time           // printed in China time (UTC+8)
	// PrintType is wxapi.PrintTypeTwoPart (0, 二联单: the delivery copy and a
	// tear-off customer copy) or wxapi.PrintTypeOnePart (1, 一联单).
	PrintType int
	// Size is the label stock; default LabelSize100x180. 76x130 is always
	// one part.
	Size LabelSize
}

// The templates: labels/base.html.tmpl holds the page, the shared CSS and
// the blocks every family prints alike (parties, customer copy); each
// family file lays out its own label.
//
//go:embed labels/*.html.tmpl
var labelFiles embed.FS

var labelTemplates = template.Must(template.New("labels").Funcs(template.FuncMap{
	// digits splits a postcode for its boxes.
	"digits": func(s string) []string { return strings.Split(s, "") },
	"stamp":  stamp,
}).ParseFS(labelFiles, "labels/*.html.tmpl"))

// stampText places one diagonal sandbox stamp: the Chinese line size mm
// high centred on x, y (mm of the page), the English one below it.
type stampText struct{ X, Y, Y2, Size, Size2 string }

func stamp(x, y, size float64) stampText {
	mm := func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
	return stampText{X: mm(x), Y: mm(y), Y2: mm(y + size*0.65), Size: mm(size), Size2: mm(size * 0.46)}
}

// chinaTime is UTC+8 without a tz database, which Windows machines may lack.
var chinaTime = time.FixedZone("CST", 8*3600)

// RenderLabel builds the e-waybill HTML document for an order: a complete
// page of the label size with inline CSS and inline SVG barcodes, no
// external resources, all user text escaped and phone numbers masked. The
// layout follows the courier's family: SF, the 通达系 franchise couriers
// (YTO, ZTO, STO, Yunda, Best), EMS, or a generic one for the others.
func RenderLabel(d LabelData) (string, error) {
	v, err := newLabelView(d)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := labelTemplates.ExecuteTemplate(&b, v.Family, v); err != nil {
		return "", fmt.Errorf("render label %s: %w", d.WaybillID, err)
	}
	return b.String(), nil
}

// checkLabelData refuses what cannot be printed.
func checkLabelData(d *LabelData) error {
	if d.WaybillID == "" {
		return errors.New("render label: no waybill id")
	}
	if d.PrintType != wxapi.PrintTypeTwoPart && d.PrintType != wxapi.PrintTypeOnePart {
		return fmt.Errorf("render label %s: print type %d is not 0 or 1", d.WaybillID, d.PrintType)
	}
	if d.Size == "" {
		d.Size = LabelSize100x180
	}
	if err := d.Size.Validate(); err != nil {
		return fmt.Errorf("render label %s: %w", d.WaybillID, err)
	}
	return nil
}

// labelDataFor assembles the label of a stored order.
func labelDataFor(o *order, c courier, printType int, size LabelSize, now time.Time) LabelData {
	r := &o.Request
	svcName := r.Service.ServiceName
	if s, ok := c.service(r.Service.ServiceType); ok {
		svcName = s.ServiceName
	}
	insured := int64(0)
	if r.Insured.UseInsured == 1 {
		insured = r.Insured.InsuredValue
	}
	return LabelData{
		DeliveryID:   c.DeliveryID,
		DeliveryName: c.DeliveryName,
		ServiceName:  svcName,
		BizID:        r.BizID,
		WaybillID:    o.WaybillID,
		OrderID:      r.OrderID,
		SortingCode:  o.Routing.SortingCode,
		BagAddr:      o.Routing.BagAddr,
		Sender:       r.Sender,
		Receiver:     r.Receiver,
		Goods:        r.Cargo.DetailList,
		Remark:       r.CustomRemark,
		WeightKg:     r.Cargo.Weight,
		Pieces:       r.Cargo.Count,
		InsuredFen:   insured,
		PrintTime:    now,
		PrintType:    printType,
		Size:         size,
	}
}
