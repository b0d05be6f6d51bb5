package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/printing/queue"
	"waybilldesk/wxapi"
)

// Preferences keys of the order form: what the operator typed last time
// for things that rarely change at a packing station.
const (
	prefSender  = "order.sender"      // wxapi.Contact as JSON, saved after a successful order
	prefCourier = "order.delivery_id" // the courier of the last successful order
	prefBizID   = "order.biz_id"      // and its account
	prefSenders = "order.senders"     // the last senders used, []wxapi.Contact as JSON, newest first
	prefPrint   = "order.print"       // print the label right after placing
)

// maxSenders is how many senders the saved-sender picker keeps.
const maxSenders = 10

// NewOrderScreen is the "新建订单" tab: the order form, the place button and
// the label of the order just placed.
type NewOrderScreen struct {
	// Courier lists the usable couriers ("顺丰速运 SF"); Service and Account
	// follow the chosen courier. Quota shows the chosen account's label
	// stock. RefreshCouriers asks WeChat again (e.g. for the new quota).
	Courier         *widget.Select
	Service         *widget.Select
	Account         *widget.Select
	Quota           *widget.Label
	RefreshCouriers *widget.Button

	Sender   *ContactForm
	Receiver *ContactForm
	// Senders picks one of the senders used before (a shop with several
	// warehouses); choosing one fills the sender fields.
	Senders *widget.Select
	// PrintLabel prints the label on the courier's default printer right
	// after placing: place and print in one step. PrintStatus says how
	// that print went.
	PrintLabel  *widget.Check
	PrintStatus *widget.Label
	// SaveDraft keeps the order as a draft under its order number, to be
	// placed and printed when the parcel is scanned at the scan station.
	SaveDraft *widget.Button

	// Goods are the goods lines; AddGoods appends one.
	Goods    []*GoodsLine
	AddGoods *widget.Button

	Weight, Length, Width, Height, Packages *FormEntry

	Insured      *widget.Check
	InsuredValue *FormEntry // yuan, converted to fen exactly
	Remark       *FormEntry
	OrderID      *FormEntry // the shop's order number; empty = generated
	PickupNow    *widget.Check
	PickupTime   *FormEntry // "2026-11-23 15:00" when PickupNow is off

	// Place validates and places the order, then previews its label.
	Place       *widget.Button
	ClearButton *widget.Button
	Progress    *widget.ProgressBarInfinite
	// Message is the summary line: what is wrong, or the outcome.
	Message     *widget.Label
	CopyWaybill *widget.Button

	Preview *Preview
	Content fyne.CanvasObject

	// LastOrder is the order this form placed last, nil before.
	LastOrder *orders.Order

	m          *Main
	couriers   []orders.Courier // the usable couriers, in the Select's order
	courier    *orders.Courier  // the chosen one
	wantBiz    string           // account to keep when the courier list is refreshed
	wantSvc    int              // service type to keep, -1 for the first
	courierErr *widget.Label
	serviceErr *widget.Label
	accountErr *widget.Label
	goodsErr   *widget.Label
	goodsBox   *fyne.Container
	goodsIndex []int // request detail_list index -> Goods index (blank lines are skipped)
	busy       bool
	lastKey    string // the request last placed, to catch a double tap on Place
	// keptOrderID is the order number put into the form after an unknown
	// outcome: Place then checks that order with WeChat.
	keptOrderID string
	onPlaced    func(*orders.Order)
	senders     []wxapi.Contact // behind Senders' options
}

// ContactForm is the sender or the receiver block of the order form.
type ContactForm struct {
	Name, Mobile, Tel, Province, City, Area, Address *FormEntry
	prefix                                           string // "sender" or "receiver": the request's field path
	title                                            string
}

// GoodsLine is one goods line: name and count, with its remove button.
type GoodsLine struct {
	Name, Count *FormEntry
	Remove      *widget.Button
	row         fyne.CanvasObject
}

func newNewOrderScreen(m *Main) *NewOrderScreen {
	s := &NewOrderScreen{m: m, wantSvc: -1}
	s.courierErr, s.serviceErr, s.accountErr, s.goodsErr = newErrorLine(), newErrorLine(), newErrorLine(), newErrorLine()

	s.Courier = widget.NewSelect(nil, s.courierChosen)
	s.Courier.PlaceHolder = lang.L("Loading couriers…")
	s.Service = widget.NewSelect(nil, func(string) { s.serviceErr.Hide() })
	s.Service.PlaceHolder = lang.L("Choose a courier first")
	s.Account = widget.NewSelect(nil, func(string) { s.accountErr.Hide(); s.updateQuota() })
	s.Account.PlaceHolder = lang.L("Choose a courier first")
	s.Quota = widget.NewLabel("")
	s.Quota.SizeName = theme.SizeNameCaptionText
	s.RefreshCouriers = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { m.LoadCouriers(true) })

	s.Sender = newContactForm("sender", lang.L("Sender"))
	s.Receiver = newContactForm("receiver", lang.L("Receiver"))
	s.Senders = widget.NewSelect(nil, func(string) {
		if i := s.Senders.SelectedIndex(); i >= 0 && i < len(s.senders) {
			s.Sender.SetContact(s.senders[i])
		}
	})
	s.Senders.PlaceHolder = lang.L("Saved senders…")
	s.loadSender()

	s.goodsBox = container.NewVBox()
	s.AddGoods = widget.NewButtonWithIcon(lang.L("+ Add goods"), theme.ContentAddIcon(), func() { s.addGoodsLine() })
	s.addGoodsLine()

	s.Weight = s.numberEntry("0.5", "cargo.weight", func(r *wxapi.AddOrderRequest, v float64) { r.Cargo.Weight = v })
	s.Length = s.numberEntry(lang.L("L"), "cargo.space_x", func(r *wxapi.AddOrderRequest, v float64) { r.Cargo.SpaceX = v })
	s.Width = s.numberEntry(lang.L("W"), "cargo.space_y", func(r *wxapi.AddOrderRequest, v float64) { r.Cargo.SpaceY = v })
	s.Height = s.numberEntry(lang.L("H"), "cargo.space_z", func(r *wxapi.AddOrderRequest, v float64) { r.Cargo.SpaceZ = v })
	s.Packages = newFormEntry("1")
	s.Packages.onLeave = leaveCheck("cargo.count", func(r *wxapi.AddOrderRequest, t string) error {
		n, err := parseCount(t, 1)
		r.Cargo.Count = n
		return err
	})

	s.InsuredValue = newFormEntry(lang.L("declared value, yuan"))
	s.InsuredValue.onLeave = leaveCheck("insured.insured_value", func(r *wxapi.AddOrderRequest, t string) error {
		fen, err := parseYuan(t)
		r.Insured = wxapi.Insured{UseInsured: 1, InsuredValue: fen}
		return err
	})
	s.InsuredValue.Disable()
	s.Insured = widget.NewCheck(lang.L("Insure"), func(on bool) {
		s.InsuredValue.ClearError()
		if on {
			s.InsuredValue.Enable()
		} else {
			s.InsuredValue.Disable()
		}
	})

	s.Remark = newFormEntry(lang.L("printed on the label"))
	s.Remark.onLeave = leaveCheck("custom_remark", func(r *wxapi.AddOrderRequest, t string) error { r.CustomRemark = t; return nil })
	s.OrderID = newFormEntry(lang.L("shop order no.; empty = generated"))
	s.OrderID.onLeave = leaveCheck("order_id", func(r *wxapi.AddOrderRequest, t string) error {
		r.OrderID = strings.TrimSpace(t)
		return nil
	})

	s.PickupTime = newFormEntry("2026-11-23 15:00")
	s.PickupTime.onLeave = func(t string) string {
		if _, err := parsePickup(t, time.Local); err != nil && strings.TrimSpace(t) != "" {
			return err.Error()
		}
		return ""
	}
	s.PickupTime.Disable()
	s.PickupNow = widget.NewCheck(lang.L("Now"), func(now bool) {
		s.PickupTime.ClearError()
		if now {
			s.PickupTime.Disable()
		} else {
			s.PickupTime.Enable()
		}
	})
	s.PickupNow.SetChecked(true)

	s.Place = widget.NewButtonWithIcon(lang.L("Place & preview"), theme.ConfirmIcon(), s.place)
	s.Place.Importance = widget.HighImportance
	s.ClearButton = widget.NewButtonWithIcon(lang.L("Clear"), theme.ContentClearIcon(), s.ClearForm)
	s.PrintLabel = widget.NewCheck(lang.L("Print label"), func(on bool) {
		m.App.Preferences().SetBool(prefPrint, on)
		if !s.busy {
			s.Place.SetText(s.placeText())
		}
	})
	s.PrintLabel.SetChecked(m.App.Preferences().Bool(prefPrint))
	s.PrintStatus = widget.NewLabel("")
	s.PrintStatus.Wrapping = fyne.TextWrapWord
	s.PrintStatus.Hide()
	s.SaveDraft = widget.NewButtonWithIcon(lang.L("Save draft"), theme.DocumentSaveIcon(), s.saveDraft)
	s.Progress = widget.NewProgressBarInfinite()
	s.Progress.Hide()
	s.Message = widget.NewLabel("")
	s.Message.Wrapping = fyne.TextWrapWord
	s.Message.Hide()
	s.CopyWaybill = widget.NewButtonWithIcon(lang.L("Copy waybill ID"), theme.ContentCopyIcon(), func() {
		if s.LastOrder != nil {
			m.App.Clipboard().SetContent(s.LastOrder.WaybillID)
		}
	})
	s.CopyWaybill.Hide()

	s.Preview = newPreview(m, fyne.NewSize(270, 470))
	// The outcome line has its own copy button, right beside the waybill id.
	s.Preview.CopyWaybill.Hide()
	s.Content = s.layout()
	return s
}

// numberEntry is a decimal field whose value goes to one request field.
func (s *NewOrderScreen) numberEntry(placeholder, path string, set func(*wxapi.AddOrderRequest, float64)) *FormEntry {
	e := newFormEntry(placeholder)
	e.onLeave = leaveCheck(path, func(r *wxapi.AddOrderRequest, t string) error {
		v, err := parseDecimal(t)
		set(r, v)
		return err
	})
	return e
}

func newContactForm(prefix, title string) *ContactForm {
	c := &ContactForm{prefix: prefix, title: title,
		Name:     newFormEntry(lang.L("Name")),
		Mobile:   newFormEntry(lang.L("Mobile")),
		Tel:      newFormEntry(lang.L("Landline (optional)")),
		Province: newFormEntry(lang.L("Province")),
		City:     newFormEntry(lang.L("City")),
		Area:     newFormEntry(lang.L("District")),
		Address:  newFormEntry(lang.L("Street address")),
	}
	for name, e := range c.entries() {
		path := prefix + "." + name
		e.onLeave = leaveCheck(path, func(r *wxapi.AddOrderRequest, t string) error {
			p := &r.Receiver
			if prefix == "sender" {
				p = &r.Sender
			}
			setContactField(p, name, strings.TrimSpace(normalizePhone(name, t)))
			if name == "tel" {
				p.Mobile = "" // the tel rule is checked on its own
			}
			return nil
		})
	}
	return c
}

// entries maps the request's field names to the entries.
func (c *ContactForm) entries() map[string]*FormEntry {
	return map[string]*FormEntry{"name": c.Name, "mobile": c.Mobile, "tel": c.Tel,
		"province": c.Province, "city": c.City, "area": c.Area, "address": c.Address}
}

func setContactField(p *wxapi.Contact, name, v string) {
	switch name {
	case "name":
		p.Name = v
	case "mobile":
		p.Mobile = v
	case "tel":
		p.Tel = v
	case "province":
		p.Province = v
	case "city":
		p.City = v
	case "area":
		p.Area = v
	case "address":
		p.Address = v
	}
}

// Contact returns what is typed, trimmed.
func (c *ContactForm) Contact() wxapi.Contact {
	var p wxapi.Contact
	for name, e := range c.entries() {
		setContactField(&p, name, strings.TrimSpace(normalizePhone(name, e.Text)))
	}
	return p
}

// normalizePhone drops the spaces and dashes people type inside a mobile
// number ("138 1234 5678") and turns full-width digits into ASCII.
func normalizePhone(field, v string) string {
	if field != "mobile" {
		return v
	}
	return strings.NewReplacer(" ", "", "-", "").Replace(normalizeDigits(v))
}

// SetContact fills the fields.
func (c *ContactForm) SetContact(p wxapi.Contact) {
	c.Name.SetText(p.Name)
	c.Mobile.SetText(p.Mobile)
	c.Tel.SetText(p.Tel)
	c.Province.SetText(p.Province)
	c.City.SetText(p.City)
	c.Area.SetText(p.Area)
	c.Address.SetText(p.Address)
}

// rows are the contact's label/field pairs for a form layout.
func (c *ContactForm) rows() []fyne.CanvasObject {
	return []fyne.CanvasObject{
		fieldLabel(lang.L("Name")), c.Name.withError(),
		fieldLabel(lang.L("Phone")), container.NewGridWithColumns(2, c.Mobile.withError(), c.Tel.withError()),
		fieldLabel(lang.L("Region")), container.NewGridWithColumns(3, c.Province.withError(), c.City.withError(), c.Area.withError()),
		fieldLabel(lang.L("Address")), c.Address.withError(),
	}
}

func fieldLabel(text string) *widget.Label {
	return widget.NewLabel(text)
}

func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// formColumn is one column of label/field rows; a heading takes a row of
// its own. One form layout per column keeps all its fields aligned.
func formColumn(rows ...[]fyne.CanvasObject) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, r := range rows {
		objs = append(objs, r...)
	}
	return container.New(layout.NewFormLayout(), objs...)
}

func headingRow(text string) []fyne.CanvasObject {
	return []fyne.CanvasObject{heading(text), layout.NewSpacer()}
}

// layout arranges the form in two columns beside the label preview, with
// the buttons always visible under it. At 1100x760 it fits without
// scrolling; the scroll is there for many goods lines or a small screen.
func (s *NewOrderScreen) layout() fyne.CanvasObject {
	left := formColumn(
		[]fyne.CanvasObject{heading(s.Sender.title), s.Senders}, s.Sender.rows(),
		headingRow(s.Receiver.title), s.Receiver.rows(),
		headingRow(lang.L("Options")),
		[]fyne.CanvasObject{
			fieldLabel(lang.L("Remark")), s.Remark.withError(),
			fieldLabel(lang.L("Order no.")), s.OrderID.withError(),
		},
	)
	right := formColumn(
		headingRow(lang.L("Courier")),
		[]fyne.CanvasObject{
			fieldLabel(lang.L("Courier")), container.NewVBox(container.NewBorder(nil, nil, nil, s.RefreshCouriers, s.Courier), s.courierErr),
			fieldLabel(lang.L("Service")), container.NewVBox(s.Service, s.serviceErr),
			fieldLabel(lang.L("Account")), container.NewVBox(s.Account, s.Quota, s.accountErr),
		},
		headingRow(lang.L("Cargo")),
		[]fyne.CanvasObject{
			fieldLabel(lang.L("Goods")), container.NewVBox(s.goodsBox, s.goodsErr, container.NewHBox(s.AddGoods)),
			fieldLabel(lang.L("Weight kg")), container.NewGridWithColumns(2, s.Weight.withError(),
				container.NewBorder(nil, nil, fieldLabel(lang.L("Packages")), nil, s.Packages.withError())),
			fieldLabel(lang.L("L×W×H cm")), container.NewGridWithColumns(3, s.Length.withError(), s.Width.withError(), s.Height.withError()),
			fieldLabel(lang.L("Insurance")), container.NewBorder(nil, nil, s.Insured, nil, s.InsuredValue.withError()),
			fieldLabel(lang.L("Pick-up")), container.NewBorder(nil, nil, s.PickupNow, nil, s.PickupTime.withError()),
		},
	)
	form := container.NewVScroll(container.NewGridWithColumns(2, left, right))
	actions := container.NewVBox(
		s.Message,
		s.PrintStatus,
		container.NewHBox(s.Place, s.PrintLabel, s.SaveDraft, s.ClearButton, s.CopyWaybill, container.New(&fixedWidth{120}, s.Progress)),
	)
	preview := container.NewBorder(heading(lang.L("Label")), nil, nil, nil, s.Preview.Content)
	return container.NewBorder(nil, nil, nil, preview, container.NewBorder(nil, actions, nil, nil, form))
}

// addGoodsLine appends an empty goods line.
func (s *NewOrderScreen) addGoodsLine() *GoodsLine {
	g := &GoodsLine{Name: newFormEntry(lang.L("Goods name")), Count: newFormEntry("1")}
	g.Name.onLeave = leaveCheck("cargo.detail_list[0].name", func(r *wxapi.AddOrderRequest, t string) error {
		r.Cargo.DetailList[0].Name = strings.TrimSpace(t)
		return nil
	})
	g.Count.onLeave = leaveCheck("cargo.detail_list[0].count", func(r *wxapi.AddOrderRequest, t string) error {
		n, err := parseCount(t, 1)
		r.Cargo.DetailList[0].Count = n
		return err
	})
	g.Remove = widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() { s.removeGoodsLine(g) })
	g.row = container.NewBorder(nil, nil, nil,
		container.NewHBox(container.New(&fixedWidth{64}, g.Count.withError()), g.Remove),
		g.Name.withError())
	s.Goods = append(s.Goods, g)
	s.goodsBox.Add(g.row)
	s.goodsErr.Hide()
	s.updateRemoveButtons()
	return g
}

func (s *NewOrderScreen) removeGoodsLine(g *GoodsLine) {
	if len(s.Goods) <= 1 {
		return
	}
	for i, x := range s.Goods {
		if x == g {
			s.Goods = append(s.Goods[:i], s.Goods[i+1:]...)
			break
		}
	}
	s.goodsBox.Remove(g.row)
	s.updateRemoveButtons()
}

// updateRemoveButtons keeps the last line: an order needs one.
func (s *NewOrderScreen) updateRemoveButtons() {
	for _, g := range s.Goods {
		if len(s.Goods) > 1 {
			g.Remove.Enable()
		} else {
			g.Remove.Disable()
		}
	}
}

// --- couriers ---------------------------------------------------------------

// couriersLoading is called when a courier load starts.
func (s *NewOrderScreen) couriersLoading() {
	s.RefreshCouriers.Disable()
}

// setCouriers fills the courier picker with the usable couriers, keeping
// the chosen courier, service and account when they still exist (a
// refresh), or choosing the last courier used when nothing is chosen yet.
func (s *NewOrderScreen) setCouriers(list []orders.Courier, err error) {
	s.RefreshCouriers.Enable()
	s.Courier.PlaceHolder = lang.L("Choose a courier")
	if err != nil {
		showErrorLine(s.courierErr, lang.L("Could not load the courier list")+": "+failureText(err))
		s.Courier.Refresh()
		return
	}
	s.courierErr.Hide()
	// What is chosen now is read before the list is replaced: s.courier
	// points into the old list.
	id, biz, svc := "", "", -1
	if s.courier != nil {
		id, biz, svc = s.courier.DeliveryID, s.selectedBizID(), s.selectedServiceType()
	} else {
		p := s.m.App.Preferences()
		id, biz = p.String(prefCourier), p.String(prefBizID)
	}
	s.courier = nil
	s.couriers = nil
	var labels []string
	for _, c := range list {
		if c.Usable() {
			s.couriers = append(s.couriers, c)
			labels = append(labels, c.Label())
		}
	}
	s.Courier.SetOptions(labels)
	for _, c := range s.couriers {
		if c.DeliveryID == id {
			s.wantBiz, s.wantSvc = biz, svc
			s.Courier.SetSelected(c.Label())
			s.wantBiz, s.wantSvc = "", -1
			return
		}
	}
	s.Courier.ClearSelected()
}

// courierChosen fills the service and account pickers with the chosen
// courier's own (SF's services are not YTO's).
func (s *NewOrderScreen) courierChosen(label string) {
	s.courierErr.Hide()
	s.serviceErr.Hide()
	s.accountErr.Hide()
	s.courier = nil
	for i := range s.couriers {
		if s.couriers[i].Label() == label {
			s.courier = &s.couriers[i]
		}
	}
	if s.courier == nil {
		s.Service.SetOptions(nil)
		s.Service.ClearSelected()
		s.Account.SetOptions(nil)
		s.Account.ClearSelected()
		s.updateQuota()
		return
	}
	c := s.courier
	var services []string
	svcIndex := 0
	for i, t := range c.Services {
		services = append(services, serviceLabel(c.Services, i))
		if t.ServiceType == s.wantSvc {
			svcIndex = i
		}
	}
	fillSelect(s.Service, lang.L("Choose a service"), services, svcIndex)
	var accounts []string
	accIndex := 0
	for i, a := range c.Accounts {
		accounts = append(accounts, accountLabel(a))
		if a.BizID == s.wantBiz {
			accIndex = i
		}
	}
	fillSelect(s.Account, lang.L("Choose an account"), accounts, accIndex)
	s.updateQuota()
}

// fillSelect gives a picker its options and selects the one at want.
func fillSelect(sel *widget.Select, placeholder string, options []string, want int) {
	sel.PlaceHolder = placeholder
	sel.SetOptions(options)
	if len(options) > 0 {
		sel.SetSelectedIndex(want)
	} else {
		sel.ClearSelected()
	}
}

// serviceLabel is a service's name, with its type when two share a name.
func serviceLabel(all []wxapi.ServiceType, i int) string {
	for j, t := range all {
		if j != i && t.ServiceName == all[i].ServiceName {
			return fmt.Sprintf("%s (%d)", all[i].ServiceName, all[i].ServiceType)
		}
	}
	return all[i].ServiceName
}

// accountLabel names a biz_id in the account picker, with its quota or
// "cash" so the operator sees which one costs what.
func accountLabel(a orders.Account) string {
	name := a.BizID
	if a.Alias != "" {
		name = a.Alias + " " + a.BizID
	}
	switch {
	case a.Cash:
		return name + " · " + lang.L("cash")
	case a.HasQuota:
		return name + " · " + lang.L("balance {{.N}}", map[string]any{"N": a.Quota})
	}
	return name
}

func (s *NewOrderScreen) selectedAccount() (orders.Account, bool) {
	i := s.Account.SelectedIndex()
	if s.courier == nil || i < 0 || i >= len(s.courier.Accounts) {
		return orders.Account{}, false
	}
	return s.courier.Accounts[i], true
}

func (s *NewOrderScreen) selectedBizID() string {
	a, _ := s.selectedAccount()
	return a.BizID
}

func (s *NewOrderScreen) selectedServiceType() int {
	i := s.Service.SelectedIndex()
	if s.courier == nil || i < 0 || i >= len(s.courier.Services) {
		return -1
	}
	return s.courier.Services[i].ServiceType
}

// updateQuota shows what the chosen account has left.
func (s *NewOrderScreen) updateQuota() {
	a, ok := s.selectedAccount()
	switch {
	case !ok:
		s.Quota.SetText("")
	case a.Cash:
		s.Quota.SetText(lang.L("Cash: the courier collects the fee at pick-up"))
	case a.HasQuota:
		s.Quota.SetText(lang.L("E-waybill balance {{.N}}", map[string]any{"N": a.Quota}))
	default:
		s.Quota.SetText(lang.L("Contract account: no label stock to count"))
	}
}

// --- placing ----------------------------------------------------------------

// problem is a field the form could not even read (a weight of "abc").
type problem struct {
	entry *FormEntry
	msg   string
}

// request reads the form into an addOrder request. Problems are the fields
// that could not be read; the order's own rules are checked by Prepare.
// readForm clears the old errors and reads the form; fields that cannot be
// read are marked and counted in notDone's message, and ok is false.
func (s *NewOrderScreen) readForm(notDone func(n int) string) (req wxapi.AddOrderRequest, ok bool) {
	s.clearErrors()
	req, problems := s.request()
	for _, p := range problems {
		p.entry.SetError(p.msg)
	}
	if len(problems) > 0 {
		s.setMessage(widget.DangerImportance, notDone(len(problems)))
		return req, false
	}
	return req, true
}

func (s *NewOrderScreen) request() (wxapi.AddOrderRequest, []problem) {
	var r wxapi.AddOrderRequest
	var ps []problem
	bad := func(e *FormEntry, err error) {
		if err != nil {
			ps = append(ps, problem{e, err.Error()})
		}
	}
	r.AddSource = wxapi.AddSourceMiniProgram
	if s.courier != nil {
		r.DeliveryID = s.courier.DeliveryID
		if i := s.Service.SelectedIndex(); i >= 0 && i < len(s.courier.Services) {
			r.Service = wxapi.Service{ServiceType: s.courier.Services[i].ServiceType, ServiceName: s.courier.Services[i].ServiceName}
		}
		r.BizID = s.selectedBizID()
	}
	r.Sender = s.Sender.Contact()
	r.Receiver = s.Receiver.Contact()

	s.goodsIndex = s.goodsIndex[:0]
	r.Cargo.DetailList = []wxapi.CargoDetail{}
	for i, g := range s.Goods {
		name := strings.TrimSpace(g.Name.Text)
		if name == "" && strings.TrimSpace(g.Count.Text) == "" {
			continue // an untouched extra line
		}
		n, err := parseCount(g.Count.Text, 1)
		bad(g.Count, err)
		r.Cargo.DetailList = append(r.Cargo.DetailList, wxapi.CargoDetail{Name: name, Count: n})
		s.goodsIndex = append(s.goodsIndex, i)
	}
	var err error
	r.Cargo.Weight, err = parseDecimal(s.Weight.Text)
	bad(s.Weight, err)
	r.Cargo.SpaceX, err = parseDecimal(s.Length.Text)
	bad(s.Length, err)
	r.Cargo.SpaceY, err = parseDecimal(s.Width.Text)
	bad(s.Width, err)
	r.Cargo.SpaceZ, err = parseDecimal(s.Height.Text)
	bad(s.Height, err)
	r.Cargo.Count, err = parseCount(s.Packages.Text, 1)
	bad(s.Packages, err)
	if s.Insured.Checked {
		r.Insured.UseInsured = 1
		r.Insured.InsuredValue, err = parseYuan(s.InsuredValue.Text)
		bad(s.InsuredValue, err)
	}
	r.CustomRemark = strings.TrimSpace(s.Remark.Text)
	r.OrderID = strings.TrimSpace(s.OrderID.Text)
	if !s.PickupNow.Checked {
		r.ExpectTime, err = parsePickup(s.PickupTime.Text, time.Local)
		bad(s.PickupTime, err)
	}
	return r, ps
}

// placeResult is what placing brings back to the UI thread.
type placeResult struct {
	order *orders.Order // nil when nothing was written (a field refused)
}

// place runs when Place is tapped: read the form, stop at fields that
// cannot be read, then prepare and place on a goroutine.
func (s *NewOrderScreen) place() {
	if s.busy {
		return
	}
	req, ok := s.readForm(func(n int) string {
		return lang.L("Not placed: correct the {{.N}} field(s) marked in red.", map[string]any{"N": n})
	})
	if !ok {
		return
	}
	if s.m.s.Orders == nil {
		s.setMessage(widget.DangerImportance, lang.L("Not placed: the order service is not available."))
		return
	}
	// The same form placed twice in a row is almost always a double tap;
	// a typed order number is protected by WeChat itself.
	if key := requestKey(req); req.OrderID == "" && key == s.lastKey && s.LastOrder != nil {
		dialog.ShowConfirm(lang.L("Place again?"),
			lang.L("This order was just placed (waybill {{.Waybill}}). Place another one with the same data?", map[string]any{"Waybill": s.LastOrder.WaybillID}),
			func(ok bool) {
				if ok {
					s.submit(req, false)
				}
			}, s.m.Window)
		return
	}
	s.submit(req, false)
}

// requestKey identifies the order data, whatever its order id.
func requestKey(r wxapi.AddOrderRequest) string {
	r.OrderID = ""
	b, _ := json.Marshal(r)
	return string(b)
}

// submit places the order on a goroutine; force places it even when the
// same data is still unsettled under another order number.
func (s *NewOrderScreen) submit(req wxapi.AddOrderRequest, force bool) {
	s.setBusy(true)
	msg := lang.L("Placing the order…")
	if req.OrderID != "" && req.OrderID == s.keptOrderID {
		msg = lang.L("Already submitted: checking with WeChat…")
	}
	s.setMessage(widget.MediumImportance, msg)
	svc := s.m.s.Orders
	background(s.m.b, placeTimeout, func(ctx context.Context) (placeResult, error) {
		o, err := svc.PlaceWith(ctx, req, orders.PlaceOptions{Force: force})
		return placeResult{order: o}, err
	}, func(res placeResult, err error) {
		s.placed(req, res, err)
	})
}

func (s *NewOrderScreen) setBusy(busy bool) {
	s.busy = busy
	if busy {
		s.Place.Disable()
		s.Place.SetText(lang.L("Placing…"))
		s.Progress.Show()
		s.Progress.Start()
		return
	}
	s.Place.Enable()
	s.Place.SetText(s.placeText())
	s.Progress.Stop()
	s.Progress.Hide()
}

// placed shows the outcome of placing.
func (s *NewOrderScreen) placed(req wxapi.AddOrderRequest, res placeResult, err error) {
	s.setBusy(false)
	if res.order != nil && s.onPlaced != nil {
		// Place wrote or checked the order: the history changed.
		s.onPlaced(res.order)
	}
	var ve *wxapi.ValidationError
	var dup *orders.UnsettledDuplicateError
	switch {
	case err == nil:
		s.showPlaced(req, res.order, "")
		return
	case errors.As(err, &ve):
		s.showValidation(ve)
		return
	case errors.As(err, &dup):
		s.confirmDuplicate(req, dup)
		return
	case errors.Is(err, orders.ErrAlreadySubmitted) && res.order != nil && res.order.Status == orders.StatusPlaced:
		// A second tap after a lost answer: WeChat was asked instead, and
		// it has the waybill.
		s.showPlaced(req, res.order, lang.L("Already submitted: checked with WeChat instead of sending it again."))
		return
	case errors.Is(err, orders.ErrAlreadySubmitted) && res.order != nil:
		imp, text := checkedText(res.order)
		if res.order.Status == orders.StatusSubmitting {
			text = pendingText(err)
		}
		s.keepOrderID(res.order.OrderID)
		s.setMessage(imp, lang.L("Already submitted: checked with WeChat instead of sending it again.")+"\n"+text+
			"\n"+lang.L("Order no.")+" "+res.order.OrderID)
		return
	}
	imp, head := widget.DangerImportance, lang.L("Not placed")
	if errors.Is(err, orders.ErrUnknownOutcome) {
		// Not a failure: WeChat may have issued the waybill. The form
		// keeps the order number, so tapping Place again checks with
		// WeChat instead of placing a second order.
		imp, head = widget.WarningImportance, lang.L("Outcome unknown")
		if res.order != nil {
			s.keepOrderID(res.order.OrderID)
		}
	}
	msg := head + ": " + failureText(err)
	if res.order != nil {
		msg += "\n" + lang.L("Order no.") + " " + res.order.OrderID
	}
	s.setMessage(imp, msg)
}

// keepOrderID puts the order number WeChat was asked about into the form,
// so the next tap on Place checks that order instead of making another.
func (s *NewOrderScreen) keepOrderID(id string) {
	s.keptOrderID = id
	s.OrderID.SetText(id)
}

// confirmDuplicate asks before placing data that is still unsettled under
// another order number: both could get a waybill.
func (s *NewOrderScreen) confirmDuplicate(req wxapi.AddOrderRequest, dup *orders.UnsettledDuplicateError) {
	s.setMessage(widget.WarningImportance, lang.L("Not placed: order {{.Order}} with the same data is still waiting for WeChat's answer.",
		map[string]any{"Order": dup.OrderID}))
	dialog.ShowConfirm(lang.L("Same order still unsettled"),
		lang.L("Order {{.Order}} with exactly this data was sent at {{.Time}} and WeChat has not confirmed it yet. Placing it again may give the parcel two waybills: look it up in Orders (Check with WeChat) first. Place a second order anyway?",
			map[string]any{"Order": dup.OrderID, "Time": dup.Created.Local().Format("15:04:05")}),
		func(ok bool) {
			if ok {
				s.submit(req, true)
			}
		}, s.m.Window)
}

// showPlaced shows a placed order: its waybill, the label, and the print
// when Print label is on. note, when set, says how it was settled.
func (s *NewOrderScreen) showPlaced(req wxapi.AddOrderRequest, o *orders.Order, note string) {
	s.LastOrder = o
	s.lastKey = requestKey(req)
	if s.keptOrderID != "" && strings.TrimSpace(s.OrderID.Text) == s.keptOrderID {
		// The kept number is settled: the next parcel gets a new one.
		s.OrderID.SetText("")
	}
	s.keptOrderID = ""
	s.rememberSender(req)
	text := lang.L("Placed. Waybill {{.Waybill}}", map[string]any{"Waybill": o.WaybillID}) +
		"  (" + lang.L("Order no.") + " " + o.OrderID + ")"
	if note != "" {
		text = note + "\n" + text
	}
	s.setMessage(widget.SuccessImportance, text)
	s.CopyWaybill.Show()
	s.Preview.Show(o)
	if s.PrintLabel.Checked {
		s.printPlaced(o)
	}
	// A franchise account just used one label: show the new balance.
	if a, ok := s.selectedAccount(); ok && a.HasQuota {
		s.m.LoadCouriers(true)
	}
}

// showValidation puts a refused field's message at the field and in the
// summary line, with the field path for support.
func (s *NewOrderScreen) showValidation(ve *wxapi.ValidationError) {
	msg := fieldMessage(ve.Reason)
	title := s.showFieldError(ve.Field, msg)
	s.setMessage(widget.DangerImportance, lang.L("Not placed. Correct {{.Field}}: {{.Message}}",
		map[string]any{"Field": title, "Message": msg})+"  ["+ve.Field+"]")
}

func (s *NewOrderScreen) setMessage(imp widget.Importance, text string) {
	showMessage(s.Message, imp, text)
}

// clearErrors hides every field error and the summary.
func (s *NewOrderScreen) clearErrors() {
	for _, e := range s.allEntries() {
		e.ClearError()
	}
	for _, l := range []*widget.Label{s.courierErr, s.serviceErr, s.accountErr, s.goodsErr} {
		l.Hide()
	}
	s.Message.Hide()
	s.PrintStatus.Hide()
	s.CopyWaybill.Hide()
}

func (s *NewOrderScreen) allEntries() []*FormEntry {
	out := []*FormEntry{s.Weight, s.Length, s.Width, s.Height, s.Packages, s.InsuredValue, s.Remark, s.OrderID, s.PickupTime}
	for _, c := range []*ContactForm{s.Sender, s.Receiver} {
		for _, e := range c.entries() {
			out = append(out, e)
		}
	}
	for _, g := range s.Goods {
		out = append(out, g.Name, g.Count)
	}
	return out
}

// ClearForm empties the receiver and the parcel for the next order; the
// sender and the courier stay, as they rarely change between orders.
func (s *NewOrderScreen) ClearForm() {
	s.Receiver.SetContact(wxapi.Contact{})
	for len(s.Goods) > 1 {
		s.removeGoodsLine(s.Goods[len(s.Goods)-1])
	}
	s.Goods[0].Name.SetText("")
	s.Goods[0].Count.SetText("")
	for _, e := range []*FormEntry{s.Weight, s.Length, s.Width, s.Height, s.Packages, s.InsuredValue, s.Remark, s.OrderID, s.PickupTime} {
		e.SetText("")
	}
	s.Insured.SetChecked(false)
	s.PickupNow.SetChecked(true)
	s.clearErrors()
}

// fieldPathRe matches an indexed goods field, e.g. cargo.detail_list[2].name.
var fieldPathRe = regexp.MustCompile(`^(cargo|shop)\.detail_list\[(\d+)\]\.(\w+)$`)

// target finds where a request field is shown: an entry, or an error line
// under a picker. title names the field for the summary line.
func (s *NewOrderScreen) target(path string) (title string, entry *FormEntry, line *widget.Label) {
	switch path {
	case "delivery_id":
		return lang.L("Courier"), nil, s.courierErr
	case "service.service_type", "service.service_name":
		return lang.L("Service"), nil, s.serviceErr
	case "biz_id":
		return lang.L("Account"), nil, s.accountErr
	case "cargo.weight":
		return lang.L("Weight kg"), s.Weight, nil
	case "cargo.space_x":
		return lang.L("Length cm"), s.Length, nil
	case "cargo.space_y":
		return lang.L("Width cm"), s.Width, nil
	case "cargo.space_z":
		return lang.L("Height cm"), s.Height, nil
	case "cargo.count":
		return lang.L("Packages"), s.Packages, nil
	case "insured.insured_value", "insured.use_insured":
		return lang.L("Insurance"), s.InsuredValue, nil
	case "custom_remark":
		return lang.L("Remark"), s.Remark, nil
	case "order_id":
		return lang.L("Order no."), s.OrderID, nil
	case "expect_time":
		return lang.L("Pick-up"), s.PickupTime, nil
	}
	for _, c := range []*ContactForm{s.Sender, s.Receiver} {
		if name, ok := strings.CutPrefix(path, c.prefix+"."); ok {
			title = c.title + " " + contactFieldTitle(name)
			return title, c.entries()[name], nil
		}
	}
	if m := fieldPathRe.FindStringSubmatch(path); m != nil {
		i, _ := strconv.Atoi(m[2])
		if i < len(s.goodsIndex) && s.goodsIndex[i] < len(s.Goods) {
			g := s.Goods[s.goodsIndex[i]]
			title = lang.L("Goods") + " " + strconv.Itoa(s.goodsIndex[i]+1)
			if m[3] == "count" {
				return title + " " + lang.L("count"), g.Count, nil
			}
			return title + " " + lang.L("Name"), g.Name, nil
		}
	}
	if strings.HasPrefix(path, "cargo.detail_list") || strings.HasPrefix(path, "shop.") {
		return lang.L("Goods"), nil, s.goodsErr
	}
	return path, nil, nil
}

func contactFieldTitle(name string) string {
	switch name {
	case "name":
		return lang.L("Name")
	case "mobile":
		return lang.L("Mobile")
	case "tel":
		return lang.L("Landline")
	case "province":
		return lang.L("Province")
	case "city":
		return lang.L("City")
	case "area":
		return lang.L("District")
	case "address":
		return lang.L("Street address")
	}
	return name
}

// showFieldError shows msg at the field a request path names and returns
// the field's title.
func (s *NewOrderScreen) showFieldError(path, msg string) string {
	title, e, line := s.target(path)
	switch {
	case e != nil:
		e.SetError(msg)
	case line != nil:
		showErrorLine(line, msg)
	}
	return title
}

// FieldError returns the error shown at the field a request path names
// ("receiver.mobile", "cargo.weight", "delivery_id"), "" when none.
func (s *NewOrderScreen) FieldError(path string) string {
	_, e, line := s.target(path)
	switch {
	case e != nil:
		return e.ErrorText()
	case line != nil && line.Visible():
		return line.Text
	}
	return ""
}

// rememberSender keeps the sender and courier of a successful order for
// the next run.
func (s *NewOrderScreen) rememberSender(req wxapi.AddOrderRequest) {
	p := s.m.App.Preferences()
	if b, err := json.Marshal(req.Sender); err == nil {
		p.SetString(prefSender, string(b))
	}
	list := []wxapi.Contact{req.Sender}
	for _, c := range s.senders {
		if c != req.Sender && len(list) < maxSenders {
			list = append(list, c)
		}
	}
	if b, err := json.Marshal(list); err == nil {
		p.SetString(prefSenders, string(b))
	}
	s.setSenders(list)
	p.SetString(prefCourier, req.DeliveryID)
	p.SetString(prefBizID, req.BizID)
}

func (s *NewOrderScreen) loadSender() {
	var list []wxapi.Contact
	if raw := s.m.App.Preferences().String(prefSenders); raw != "" {
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			fyne.LogError("saved senders unreadable; starting without", err)
		}
	}
	s.setSenders(list)
	raw := s.m.App.Preferences().String(prefSender)
	if raw == "" {
		return
	}
	var c wxapi.Contact
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		fyne.LogError("stored sender unreadable; starting empty", err)
		return
	}
	s.Sender.SetContact(c)
}

// placeText is the Place button's words: it prints too when Print label
// is on.
func (s *NewOrderScreen) placeText() string {
	if s.PrintLabel != nil && s.PrintLabel.Checked {
		return lang.L("Place & print")
	}
	return lang.L("Place & preview")
}

// setSenders fills the saved-sender picker.
func (s *NewOrderScreen) setSenders(list []wxapi.Contact) {
	s.senders = list
	var opts []string
	for _, c := range list {
		opts = append(opts, strings.TrimSpace(fmt.Sprintf("%s %s · %s%s %s", c.Name, orders.MaskPhone(c.Phone()), c.City, c.Area, c.Address)))
	}
	s.Senders.SetOptions(opts)
	s.Senders.ClearSelected()
}

// printPlaced prints the label of the order just placed on its courier's
// default printer: place and print in one step.
func (s *NewOrderScreen) printPlaced(o *orders.Order) {
	q := s.m.s.Printing
	if q == nil {
		return
	}
	s.PrintStatus.Importance = widget.MediumImportance
	s.PrintStatus.SetText(lang.L("Sending the label to the printer…"))
	s.PrintStatus.Show()
	courier := s.m.courierName(o.DeliveryID)
	background(s.m.b, printTimeout, func(ctx context.Context) (queue.Job, error) {
		j, err := q.Submit(ctx, queue.Request{Order: o.OrderID})
		if err != nil {
			return j, err
		}
		return q.Wait(ctx, j.ID)
	}, func(j queue.Job, err error) {
		switch {
		case err != nil:
			s.PrintStatus.Importance = widget.DangerImportance
			s.PrintStatus.SetText(lang.L("Not printed") + ": " + printFailureText(err, courier))
		case j.State == queue.StateFailed:
			s.PrintStatus.Importance = widget.DangerImportance
			s.PrintStatus.SetText(lang.L("Not printed") + ": " + j.Reason)
		default:
			s.PrintStatus.Importance = widget.SuccessImportance
			s.PrintStatus.SetText(lang.L("Printed on {{.Printer}} (job {{.Job}}).", map[string]any{"Printer": j.Printer, "Job": j.ID}))
		}
	})
}

// saveDraft keeps the form as a draft: checked like an order, placed when
// its number is scanned at the scan station.
func (s *NewOrderScreen) saveDraft() {
	if s.busy || s.m.s.Orders == nil {
		return
	}
	req, ok := s.readForm(func(n int) string {
		return lang.L("Not saved: correct the {{.N}} field(s) marked in red.", map[string]any{"N": n})
	})
	if !ok {
		return
	}
	svc := s.m.s.Orders
	s.setBusy(true)
	background(s.m.b, placeTimeout, func(ctx context.Context) (*wxapi.AddOrderRequest, error) {
		return svc.SaveDraft(ctx, req)
	}, func(r *wxapi.AddOrderRequest, err error) {
		s.setBusy(false)
		var ve *wxapi.ValidationError
		switch {
		case errors.As(err, &ve):
			s.showValidation(ve)
			s.setMessage(widget.DangerImportance, strings.Replace(s.Message.Text, lang.L("Not placed"), lang.L("Not saved"), 1))
		case err != nil:
			s.setMessage(widget.DangerImportance, lang.L("Not saved")+": "+failureText(err))
		default:
			s.setMessage(widget.SuccessImportance, lang.L("Draft {{.Order}} saved: scan this number at the scan station to place it and print its label.", map[string]any{"Order": r.OrderID}))
			s.rememberSender(req)
		}
	})
}

// stop is called when the window closes.
func (s *NewOrderScreen) stop() {}

// --- cheap checks on leaving a field -----------------------------------------

// probeRequest is an order that passes wxapi's rules. A field is checked on
// its own by putting its value into a copy and seeing whether the rules
// then name that field: the rules stay in one place, wxapi.
func probeRequest() wxapi.AddOrderRequest {
	c := wxapi.Contact{Name: "张三", Mobile: "13800000000", Province: "广东省", City: "广州市", Area: "天河区", Address: "体育西路 1 号"}
	return wxapi.AddOrderRequest{OrderID: "probe", DeliveryID: "probe", BizID: "probe", Sender: c, Receiver: c,
		Cargo:   wxapi.Cargo{Count: 1, Weight: 1, DetailList: []wxapi.CargoDetail{{Name: "probe", Count: 1}}},
		Shop:    wxapi.Shop{WxaPath: "/", DetailList: []wxapi.ShopGoods{{GoodsName: "probe"}}},
		Service: wxapi.Service{ServiceName: "probe"}}
}

// leaveCheck builds a FormEntry.onLeave: set puts the typed text into the
// probe (returning a parse error), then wxapi's rules run. An empty field is
// not flagged on leaving: the operator may fill it later; Place checks it.
func leaveCheck(path string, set func(r *wxapi.AddOrderRequest, text string) error) func(string) string {
	return func(text string) string {
		if strings.TrimSpace(text) == "" {
			return ""
		}
		r := probeRequest()
		if err := set(&r, text); err != nil {
			return err.Error()
		}
		var ve *wxapi.ValidationError
		if err := r.Validate(); errors.As(err, &ve) && ve.Field == path {
			return fieldMessage(ve.Reason)
		}
		return ""
	}
}
