package sandbox

import (
	_ "embed" // the label template
	"errors"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"waybilldesk/wxapi"
)

// LabelData is everything printed on an e-waybill (电子面单). Phone numbers
// are given in full: RenderLabel masks them, so no caller can forget to.
type LabelData struct {
	DeliveryID   string              // courier id, e.g. "SF"
	DeliveryName string              // courier name, e.g. "顺丰速运"
	ServiceName  string              // service, e.g. "顺丰标快"
	WaybillID    string              // printed as Code128 and QR; ASCII only
	OrderID      string              // the merchant's order_id
	SortingCode  string              // 三段码 / 大头笔, e.g. "755W-K01 021"
	BagAddr      string              // 集包地, e.g. "深圳中转场"
	Sender       wxapi.Contact       // 寄件人
	Receiver     wxapi.Contact       // 收件人
	Goods        []wxapi.CargoDetail // 物品
	Remark       string              // custom_remark
	WeightKg     float64             // cargo.weight
	InsuredFen   int64               // declared value in fen; 0 = not insured
	PrintTime    time.Time           // printed in China time (UTC+8)
	// PrintType is wxapi.PrintTypeTwoPart (0, 二联单: the delivery copy and a
	// tear-off customer copy) or wxapi.PrintTypeOnePart (1, 一联单).
	PrintType int
}

//go:embed label.html.tmpl
var labelSource string

var labelTemplate = template.Must(template.New("label").Parse(labelSource))

// chinaTime is UTC+8 without a tz database, which Windows machines may lack.
var chinaTime = time.FixedZone("CST", 8*3600)

// Barcode sizes in mm. The main code spans most of the 96 mm between the
// margins; the customer copy's code is a reference copy and may be smaller.
const (
	mainBarcodeMaxWidth  = 88
	mainBarcodeHeight    = 14
	smallBarcodeMaxWidth = 68
	smallBarcodeHeight   = 8
	qrSize               = 20
	qrSizeOnePart        = 22
)

// RenderLabel builds the e-waybill HTML document for an order: a complete
// 100 mm x 180 mm page with inline CSS and inline SVG barcodes, no external
// resources, all user text escaped and phone numbers masked.
func RenderLabel(d LabelData) (string, error) {
	v, err := newLabelView(d)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := labelTemplate.Execute(&b, v); err != nil {
		return "", fmt.Errorf("render label %s: %w", d.WaybillID, err)
	}
	return b.String(), nil
}

// labelView is LabelData turned into printable strings.
type labelView struct {
	OnePart                     bool
	Courier, Service, WaybillID string
	OrderID, SortingCode, Bag   string
	SortSize, BagSize           string // "" or "m": smaller type for long values
	Receiver, Sender            partyView
	Goods, Remark, Weight       string
	Insured, PrintTime          string
	Barcode, SmallBarcode, QR   template.HTML
}

// partyView is a sender or receiver as printed.
type partyView struct {
	Name, Phone, Company, Address string
	Size                          string // CSS class shrinking long addresses: "", "m" or "s"
}

func newLabelView(d LabelData) (*labelView, error) {
	if d.WaybillID == "" {
		return nil, errors.New("render label: no waybill id")
	}
	if d.PrintType != wxapi.PrintTypeTwoPart && d.PrintType != wxapi.PrintTypeOnePart {
		return nil, fmt.Errorf("render label %s: print type %d is not 0 or 1", d.WaybillID, d.PrintType)
	}
	v := &labelView{
		OnePart:     d.PrintType == wxapi.PrintTypeOnePart,
		Courier:     d.DeliveryName,
		Service:     d.ServiceName,
		WaybillID:   d.WaybillID,
		OrderID:     d.OrderID,
		SortingCode: d.SortingCode,
		Bag:         d.BagAddr,
		Receiver:    newParty(d.Receiver, 62, 76),
		Sender:      newParty(d.Sender, 58, 70),
		Goods:       goodsText(d.Goods),
		Remark:      d.Remark,
		Weight:      weightText(d.WeightKg),
		Insured:     "不保价",
		PrintTime:   d.PrintTime.In(chinaTime).Format("2006-01-02 15:04"),
	}
	// The sandbox's codes are 12 characters and its hubs at most 9; callers
	// reusing RenderLabel may pass longer ones, which must still fit.
	if utf8.RuneCountInString(v.SortingCode) > 12 {
		v.SortSize = "m"
	}
	if utf8.RuneCountInString(v.Bag) > 10 {
		v.BagSize = "m"
	}
	if d.InsuredFen > 0 {
		v.Insured = fmt.Sprintf("¥%d.%02d", d.InsuredFen/100, d.InsuredFen%100)
	}
	var err error
	if v.Barcode, err = code128SVG(d.WaybillID, mainBarcodeMaxWidth, mainBarcodeHeight, "bc"); err != nil {
		return nil, fmt.Errorf("render label: %w", err)
	}
	size := qrSize
	if v.OnePart {
		size = qrSizeOnePart
	} else if v.SmallBarcode, err = code128SVG(d.WaybillID, smallBarcodeMaxWidth, smallBarcodeHeight, "bc-s"); err != nil {
		return nil, fmt.Errorf("render label: %w", err)
	}
	if v.QR, err = qrSVG(d.WaybillID, float64(size), "qr"); err != nil {
		return nil, fmt.Errorf("render label: %w", err)
	}
	return v, nil
}

// newParty formats a contact; addresses longer than medium or long runes
// get a smaller font so they stay inside their box.
func newParty(c wxapi.Contact, medium, long int) partyView {
	p := partyView{
		Name:    strings.TrimSpace(c.Name),
		Phone:   maskPhone(c.Phone()),
		Company: strings.TrimSpace(c.Company),
		Address: fullAddress(c),
	}
	switch n := utf8.RuneCountInString(p.Address); {
	case n > long:
		p.Size = "s"
	case n > medium:
		p.Size = "m"
	}
	return p
}

// fullAddress joins province, city, district and street, skipping a city
// that repeats the province (直辖市: 北京市 北京市).
func fullAddress(c wxapi.Contact) string {
	parts := []string{strings.TrimSpace(c.Province)}
	if city := strings.TrimSpace(c.City); city != parts[0] && city != "市辖区" {
		parts = append(parts, city)
	}
	parts = append(parts, strings.TrimSpace(c.Area), strings.TrimSpace(c.Address))
	return strings.Join(parts, "")
}

func goodsText(goods []wxapi.CargoDetail) string {
	parts := make([]string, 0, len(goods))
	for _, g := range goods {
		name := strings.TrimSpace(g.Name)
		if name == "" {
			continue
		}
		if g.Count > 0 {
			name += " ×" + strconv.Itoa(g.Count)
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, "，")
}

func weightText(kg float64) string {
	if kg <= 0 || math.IsNaN(kg) || math.IsInf(kg, 0) {
		return "—"
	}
	return strconv.FormatFloat(math.Round(kg*1000)/1000, 'f', -1, 64) + "kg"
}

// labelDataFor assembles the label of a stored order.
func labelDataFor(o *order, c courier, printType int, now time.Time) LabelData {
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
		WaybillID:    o.WaybillID,
		OrderID:      r.OrderID,
		SortingCode:  o.Routing.SortingCode,
		BagAddr:      o.Routing.BagAddr,
		Sender:       r.Sender,
		Receiver:     r.Receiver,
		Goods:        r.Cargo.DetailList,
		Remark:       r.CustomRemark,
		WeightKg:     r.Cargo.Weight,
		InsuredFen:   insured,
		PrintTime:    now,
		PrintType:    printType,
	}
}
