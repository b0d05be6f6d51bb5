package sandbox

import (
	"fmt"
	"hash/fnv"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"waybilldesk/wxapi"
)

// Template families: one layout per group of couriers whose real labels
// look alike.
const (
	familySF      = "sf"      // 顺丰: route code, product mark, 丰密 QR
	familyTongda  = "tongda"  // 通达系 franchise couriers on the Cainiao layout
	familyEMS     = "ems"     // China Post / EMS: postcode boxes, 邮件处理中心
	familyGeneric = "generic" // Deppon, OTP, PJ and the TEST courier
)

// labelFamily picks the template family of a courier.
func labelFamily(deliveryID string) string {
	switch deliveryID {
	case "SF":
		return familySF
	case "YTO", "ZTO", "STO", "YUNDA", "BEST", "ANE", "UCE", "HHTT", "JTSD":
		return familyTongda
	case "EMS":
		return familyEMS
	}
	return familyGeneric
}

// hotlines are the customer-service numbers couriers print on labels.
var hotlines = map[string]string{
	"SF": "95338", "EMS": "11183", "YTO": "95554", "ZTO": "95311", "STO": "95543",
	"YUNDA": "95546", "BEST": "95320", "DB": "95353",
}

// geometry is the size of the codes on one label variant, in mm.
type geometry struct {
	barW, barH      float64 // main Code128: maximum width, height
	smallW, smallH  float64 // customer copy's Code128
	qr              float64
	rcvMed, rcvLong int // address lengths (runes) that get a smaller font
	sndMed, sndLong int
}

var (
	geomTwoPart = geometry{barW: 88, barH: 14, smallW: 68, smallH: 8, qr: 20, rcvMed: 62, rcvLong: 76, sndMed: 58, sndLong: 70}
	geomOnePart = geometry{barW: 88, barH: 16, qr: 22, rcvMed: 62, rcvLong: 76, sndMed: 62, sndLong: 76}
	geomSmall   = geometry{barW: 70, barH: 11, qr: 17, rcvMed: 40, rcvLong: 52, sndMed: 40, sndLong: 52}
)

// labelView is LabelData turned into printable strings.
type labelView struct {
	Family                    string
	Small, OnePart            bool
	Courier, Service, Product string // Product: the short product mark, e.g. SF's 标快
	Hotline                   string
	WaybillID                 string
	OrderID, SortingCode, Bag string
	DestCity                  string // the receiver's city, short (EMS prints it large)
	SortSize, BagSize         string // "" or "m": smaller type for long values
	CodeMapping               string // SF's 映射码
	Receiver, Sender          partyView
	Goods, Remark, Weight     string
	Pieces, Insured, Payment  string
	MonthlyCard               string // the 月结 customer code, masked
	PiecesN                   int
	PrintTime                 string
	Barcode, SmallBarcode, QR template.HTML
}

// partyView is a sender or receiver as printed.
type partyView struct {
	Mark, Class                   string // "收"/"寄", "rcv"/"snd"
	Name, Phone, Company, Address string
	PostCode                      string // printed by EMS only
	Size                          string // CSS class shrinking long addresses: "", "m" or "s"
}

func newLabelView(d LabelData) (*labelView, error) {
	if err := checkLabelData(&d); err != nil {
		return nil, err
	}
	g := geomTwoPart
	switch {
	case d.Size == LabelSize76x130:
		g = geomSmall
	case d.PrintType == wxapi.PrintTypeOnePart:
		g = geomOnePart
	}
	v := &labelView{
		Family:      labelFamily(d.DeliveryID),
		Small:       d.Size == LabelSize76x130,
		OnePart:     d.Size == LabelSize76x130 || d.PrintType == wxapi.PrintTypeOnePart,
		Courier:     d.DeliveryName,
		Service:     d.ServiceName,
		Product:     strings.TrimPrefix(d.ServiceName, "顺丰"),
		Hotline:     hotlines[d.DeliveryID],
		WaybillID:   d.WaybillID,
		OrderID:     d.OrderID,
		SortingCode: d.SortingCode,
		Bag:         d.BagAddr,
		DestCity:    hubCity(d.Receiver),
		Receiver:    newParty("收", "rcv", d.Receiver, g.rcvMed, g.rcvLong),
		Sender:      newParty("寄", "snd", d.Sender, g.sndMed, g.sndLong),
		Goods:       goodsText(d.Goods),
		Remark:      d.Remark,
		Weight:      weightText(d.WeightKg),
		Pieces:      fmt.Sprintf("%d件", max(d.Pieces, 1)),
		PiecesN:     max(d.Pieces, 1),
		Insured:     "不保价",
		Payment:     payment(d.BizID),
		MonthlyCard: monthlyCard(d.BizID),
		PrintTime:   d.PrintTime.In(chinaTime).Format("2006-01-02 15:04"),
	}
	if c := shortCity(d.Receiver.City); c != "" && c != "市辖区" {
		v.DestCity = c
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
	switch v.Family {
	case familySF:
		v.CodeMapping = codeMapping(d.WaybillID)
	case familyEMS:
		v.Receiver.PostCode = postCode(d.Receiver)
		v.Sender.PostCode = postCode(d.Sender)
	}
	var err error
	if v.Barcode, err = code128SVG(d.WaybillID, g.barW, g.barH, "bc"); err != nil {
		return nil, fmt.Errorf("render label: %w", err)
	}
	if !v.OnePart {
		if v.SmallBarcode, err = code128SVG(d.WaybillID, g.smallW, g.smallH, "bc-s"); err != nil {
			return nil, fmt.Errorf("render label: %w", err)
		}
	}
	if v.QR, err = qrSVG(d.WaybillID, g.qr, "qr"); err != nil {
		return nil, fmt.Errorf("render label: %w", err)
	}
	return v, nil
}

// newParty formats a contact; addresses longer than medium or long runes
// get a smaller font so they stay inside their box.
func newParty(mark, class string, c wxapi.Contact, medium, long int) partyView {
	p := partyView{
		Mark:    mark,
		Class:   class,
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

// payment is how the freight is paid: cash biz ids (SF_CASH...) pay the
// courier at pick-up (现结), bound accounts are billed monthly (月结).
func payment(bizID string) string {
	switch {
	case bizID == "":
		return "寄付"
	case isCashBizID(bizID):
		return "寄付现结"
	}
	return "寄付月结"
}

// monthlyCard is the customer code a 月结 order is billed to, masked like
// a card number: it identifies the merchant's contract.
func monthlyCard(bizID string) string {
	if bizID == "" || isCashBizID(bizID) {
		return ""
	}
	if len(bizID) > 6 {
		return bizID[:3] + "****" + bizID[len(bizID)-3:]
	}
	return bizID
}

func isCashBizID(bizID string) bool { return strings.HasSuffix(bizID, "_CASH") }

// codeMapping is SF's 映射码 (codeMapping in waybill_data, e.g. "F7"): a
// letter and a digit the sorter reads at a glance.
func codeMapping(waybill string) string {
	h := fnv.New32a()
	h.Write([]byte(waybill))
	n := h.Sum32()
	return fmt.Sprintf("%c%d", sortLetters[n%uint32(len(sortLetters))], n/97%9+1)
}
