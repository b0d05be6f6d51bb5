package batch

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"waybilldesk/orders"
	"waybilldesk/wxapi"
)

// draft is one row turned into an addOrder body, before WeChat's rules are
// checked by orders.Service.Prepare.
type draft struct {
	row     int
	shopID  string // the shop's order number, "" when the file has none
	content string // the row's mapped values, for ContentOrderID
	req     wxapi.AddOrderRequest
	errs    []RowError
	src     sources
	// weightGiven: the weight came from the row, so merged rows add up.
	weightGiven bool
	jsonl       bool     // a JSON line: errors name JSON paths, not columns
	mergedInto  int      // the row this one's goods were added to
	members     []*draft // rows merged into this one
}

// builder turns the records of a tabular file into drafts.
type builder struct {
	l        *layout
	csv      bool
	dflt     Defaults
	couriers []orders.Courier
	loc      *time.Location
	now      time.Time
}

// Where defaults come from, as told to the user.
const (
	fromSender  = "the sender (--sender or setting default_sender)"
	fromCourier = "the courier (--delivery-id or setting default_courier)"
	fromService = "the service (--service-type or setting default_courier)"
	fromBizID   = "the courier account (--biz-id or setting default_courier)"
	fromParcel  = "the parcel (--weight or setting default_parcel)"
)

type rowBuild struct {
	b   *builder
	rec record
	d   *draft
}

func (r *rowBuild) cell(f Field) (cell, bool) {
	i, ok := r.b.l.cols[f]
	if !ok {
		return cell{}, false
	}
	if i >= len(r.rec.cells) {
		return cell{}, true
	}
	return r.rec.cells[i], true
}

func (r *rowBuild) text(f Field) string {
	c, _ := r.cell(f)
	return cleanText(c.text)
}

func (r *rowBuild) has(f Field) bool { _, ok := r.b.l.cols[f]; return ok }

// fail records an error at a field's column.
func (r *rowBuild) fail(f Field, format string, args ...any) {
	e := RowError{Row: r.rec.row, Field: string(f), Message: fmt.Sprintf(format, args...)}
	if i, ok := r.b.l.cols[f]; ok {
		e.Column, e.Header = columnLetter(i), r.b.l.headers[i]
	}
	r.d.errs = append(r.d.errs, e)
}

func (r *rowBuild) from(path string, f Field) {
	if i, ok := r.b.l.cols[f]; ok {
		r.d.src[path] = source{col: i, field: f, header: r.b.l.headers[i]}
	}
}

func (r *rowBuild) fromDefault(path, what string) { r.d.src[path] = source{col: -1, dflt: what} }

// build reads one data row. Every problem of the row is collected, not
// only the first, so one look at the preview fixes the row.
func (b *builder) build(rec record) *draft {
	r := &rowBuild{b: b, rec: rec, d: &draft{row: rec.row, src: sources{}}}
	r.d.content = b.content(rec)
	if b.csv {
		if need := b.l.lastHeader() + 1; len(rec.cells) < need {
			r.d.errs = append(r.d.errs, RowError{Row: rec.row, Message: fmt.Sprintf(
				"the row has %d of the header's %d columns: the file looks cut off here, or a value holds an unquoted line break", len(rec.cells), need)})
			return r.d
		}
	}
	req := &r.d.req
	req.AddSource = wxapi.AddSourceMiniProgram
	if c, ok := r.cell(FieldOrderID); ok {
		id, err := parseID(c)
		if err != nil {
			r.fail(FieldOrderID, "%v", err)
		}
		r.d.shopID = id
		r.from("order_id", FieldOrderID)
	}
	req.Receiver.Name = r.text(FieldReceiverName)
	r.from("receiver.name", FieldReceiverName)
	if req.Receiver.Name == "" {
		r.fail(FieldReceiverName, "the receiver's name is empty")
	}
	r.phones()
	r.address()
	r.goods()
	r.parcel()
	r.courier()
	if c, ok := r.cell(FieldInsured); ok {
		fen, given, err := parseFen(c)
		switch {
		case err != nil:
			r.fail(FieldInsured, "%v", err)
		case given && fen > 0:
			req.Insured = wxapi.Insured{UseInsured: 1, InsuredValue: fen}
		}
		r.from("insured", FieldInsured)
	}
	req.CustomRemark = r.text(FieldRemark)
	r.from("custom_remark", FieldRemark)
	if c, ok := r.cell(FieldPickupTime); ok {
		t, given, err := parseTime(c, b.loc)
		switch {
		case err != nil:
			r.fail(FieldPickupTime, "%v", err)
		case given && t.Before(b.now):
			r.fail(FieldPickupTime, "%s is in the past: the courier cannot come then", t.Format("2006-01-02 15:04"))
		case given:
			req.ExpectTime = t.Unix()
		}
		r.from("expect_time", FieldPickupTime)
	}
	req.OpenID = r.text(FieldOpenID)
	r.from("openid", FieldOpenID)
	req.TransID = r.text(FieldTransID)
	r.from("trans_id", FieldTransID)
	if b.dflt.Sender != nil {
		req.Sender = *b.dflt.Sender
	}
	r.fromDefault("sender", fromSender)
	return r.d
}

func (r *rowBuild) phones() {
	rc := &r.d.req.Receiver
	if c, ok := r.cell(FieldReceiverMobile); ok {
		mobile, tel, err := parsePhone(c)
		if err != nil {
			r.fail(FieldReceiverMobile, "%v", err)
		}
		rc.Mobile, rc.Tel = mobile, tel
		r.from("receiver.mobile", FieldReceiverMobile)
		r.from("receiver.tel", FieldReceiverMobile)
	}
	if c, ok := r.cell(FieldReceiverTel); ok {
		mobile, tel, err := parsePhone(c)
		if err != nil {
			r.fail(FieldReceiverTel, "%v", err)
		}
		// Any number in the landline column is a second number for the
		// courier to call, mobile or not.
		if second := mobile + tel; second != "" && rc.Tel == "" { // one of the two is empty
			rc.Tel = second
			r.from("receiver.tel", FieldReceiverTel)
		}
	}
	if rc.Mobile == "" && rc.Tel == "" && !r.failed(FieldReceiverMobile) && !r.failed(FieldReceiverTel) {
		f := FieldReceiverMobile
		if !r.has(f) && r.has(FieldReceiverTel) {
			f = FieldReceiverTel
		}
		r.fail(f, "the receiver's phone number is empty: a mobile or a landline number is required")
	}
}

func (r *rowBuild) failed(f Field) bool {
	for _, e := range r.d.errs {
		if e.Field == string(f) {
			return true
		}
	}
	return false
}

// address fills the receiver's province, city, area and street from their
// own columns, from one full-address column split by SplitAddress, or from
// both (own columns win).
func (r *rowBuild) address() {
	rc := &r.d.req.Receiver
	prov, city, area := r.text(FieldProvince), r.text(FieldCity), r.text(FieldArea)
	street, detail, full := r.text(FieldStreet), r.text(FieldAddress), r.text(FieldFullAddress)
	provF, cityF, areaF, detailF := FieldProvince, FieldCity, FieldArea, FieldAddress
	if full != "" && (prov == "" || city == "" || area == "" || detail == "") {
		split, err := SplitAddress(full)
		if err != nil && (prov == "" || city == "" || area == "") {
			r.fail(FieldFullAddress, "%v", err)
			return
		}
		if prov == "" {
			prov, provF = split.Province, FieldFullAddress
		}
		if city == "" {
			city, cityF = split.City, FieldFullAddress
		}
		if area == "" {
			area, areaF = split.Area, FieldFullAddress
		}
		if detail == "" {
			detail, detailF = split.Detail, FieldFullAddress
			if err != nil {
				// Province, city and area have their own columns: the full
				// address is their words and the street.
				detail = stripPrefixes(full, prov, city, area)
			}
		}
	}
	r.from("receiver.province", provF)
	r.from("receiver.city", cityF)
	r.from("receiver.area", areaF)
	r.from("receiver.address", detailF)
	p, ok := findProvince(prov)
	switch {
	case prov == "":
		r.fail(provF, "the province is empty")
	case !ok:
		r.fail(provF, "%q is not a province of China (省, 自治区 or 直辖市)", prov)
	}
	if ok {
		rc.Province = p.full
		if p.municipality {
			city = municipalityCity(p, city)
		}
	}
	rc.City = city
	if city == "" {
		r.fail(cityF, "the city is empty")
	}
	rc.Area = area
	noDistrict := isNoDistrictCity(rc.Province, city)
	switch {
	case area == "" && noDistrict:
		r.fail(areaF, "%s is a city of %s without districts (省直辖县级市/不设区的市): give its town or subdistrict (镇/街道) as the area", city, rc.Province)
	case area == "":
		r.fail(areaF, "the district or county (区/县) is empty")
	case !hasAnySuffix(area, areaSuffixes) && !(noDistrict && hasAnySuffix(area, townSuffixes)):
		r.fail(areaF, "%q is not a district or county (区, 县, 县级市 or 旗)", area)
	}
	if street != "" && !strings.HasPrefix(detail, street) {
		detail = street + detail
	}
	rc.Address = detail
	if detail == "" {
		r.fail(detailF, "the street address is empty")
	}
}

// stripPrefixes removes the province, city and area words from the front
// of a full address, in that order, each when present.
func stripPrefixes(full string, words ...string) string {
	s := strings.TrimSpace(full)
	for _, w := range words {
		if w != "" {
			s = strings.TrimSpace(strings.TrimPrefix(s, w))
		}
	}
	return s
}

// maxGoodsNameBytes is WeChat's limit on cargo.detail_list[].name.
const maxGoodsNameBytes = 128

func (r *rowBuild) goods() {
	name := r.text(FieldGoodsName)
	r.from("cargo.detail_list", FieldGoodsName)
	r.from("shop", FieldGoodsName)
	if name == "" {
		r.fail(FieldGoodsName, "the goods name is empty: the courier needs to know what the parcel holds")
	}
	count := 1
	if c, ok := r.cell(FieldGoodsCount); ok {
		n, given, err := parseCount(c)
		if err != nil {
			r.fail(FieldGoodsCount, "%v", err)
		}
		if given {
			count = n
		}
		r.from("cargo.detail_list.count", FieldGoodsCount)
	}
	// Shop titles are long on purpose; the name only tells the courier what
	// is inside, so it is cut to WeChat's limit rather than refused.
	r.d.req.Cargo.DetailList = []wxapi.CargoDetail{{Name: truncateBytes(name, maxGoodsNameBytes), Count: count}}
}

func (r *rowBuild) parcel() {
	cg := &r.d.req.Cargo
	dp := r.b.dflt.Parcel
	for _, m := range []struct {
		f    Field
		path string
		dst  *float64
		dflt float64
		kg   bool
	}{
		{FieldWeight, "cargo.weight", &cg.Weight, dp.WeightKg, true},
		{FieldLength, "cargo.space_x", &cg.SpaceX, dp.LengthCm, false},
		{FieldWidth, "cargo.space_y", &cg.SpaceY, dp.WidthCm, false},
		{FieldHeight, "cargo.space_z", &cg.SpaceZ, dp.HeightCm, false},
	} {
		units, unitName := cmUnits, "cm"
		if m.kg {
			units, unitName = kgUnits, "kg"
		}
		v, given := 0.0, false
		if c, ok := r.cell(m.f); ok {
			var err error
			if v, given, err = parseDecimal(c, units, unitName); err != nil {
				r.fail(m.f, "%v", err)
				continue
			}
		}
		if given {
			*m.dst = v
			r.from(m.path, m.f)
			if m.kg {
				r.d.weightGiven = true
			}
			continue
		}
		*m.dst = m.dflt
		r.fromDefault(m.path, fromParcel)
		if m.kg && m.dflt <= 0 {
			r.fail(m.f, "no weight: the row gives none and there is no default (give --weight KG or set default_parcel)")
		}
	}
}

// content is the row's mapped values in a fixed order: what identifies a
// row without an order number, whatever the file's encoding, format or
// column order.
func (b *builder) content(rec record) string {
	var sb strings.Builder
	for _, spec := range fieldSpecs {
		i, ok := b.l.cols[spec.Field]
		if !ok || i >= len(rec.cells) {
			continue
		}
		if v := cleanText(rec.cells[i].text); v != "" {
			sb.WriteString(string(spec.Field))
			sb.WriteByte('=')
			sb.WriteString(v)
			sb.WriteByte('\x1f')
		}
	}
	return sb.String()
}

// lastHeader is the index of the last named header column.
func (l *layout) lastHeader() int {
	last := 0
	for i, h := range l.headers {
		if strings.TrimSpace(h) != "" {
			last = i
		}
	}
	return last
}

func truncateBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
