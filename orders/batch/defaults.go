package batch

import (
	"context"
	"fmt"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// Settings keys (the settings table the GUI and the command line share)
// that hold what shop exports lack. docs/import.md documents their JSON.
const (
	// SettingDefaultSender holds the sender as a JSON wxapi.Contact.
	SettingDefaultSender = "default_sender"
	// SettingDefaultCourier holds a JSON CourierDefault.
	SettingDefaultCourier = "default_courier"
	// SettingDefaultParcel holds a JSON ParcelDefault.
	SettingDefaultParcel = "default_parcel"
)

// CourierDefault is the courier, account and service used for rows that
// name none. ServiceType is a pointer because 0 is a real service type.
type CourierDefault struct {
	DeliveryID  string `json:"delivery_id"`
	BizID       string `json:"biz_id,omitempty"`
	ServiceType *int   `json:"service_type,omitempty"`
}

// ParcelDefault is the weight and size used for rows that give none.
type ParcelDefault struct {
	WeightKg float64 `json:"weight_kg,omitempty"`
	LengthCm float64 `json:"length_cm,omitempty"`
	WidthCm  float64 `json:"width_cm,omitempty"`
	HeightCm float64 `json:"height_cm,omitempty"`
}

// Defaults fill what a row does not give.
type Defaults struct {
	Sender  *wxapi.Contact
	Courier CourierDefault
	Parcel  ParcelDefault
}

// LoadDefaults reads the defaults stored in the settings table.
func LoadDefaults(ctx context.Context, db *store.DB) (Defaults, error) {
	var d Defaults
	var sender wxapi.Contact
	found, err := db.SettingJSON(ctx, SettingDefaultSender, &sender)
	if err != nil {
		return d, fmt.Errorf("import defaults: %w", err)
	}
	if found {
		d.Sender = &sender
	}
	if _, err := db.SettingJSON(ctx, SettingDefaultCourier, &d.Courier); err != nil {
		return d, fmt.Errorf("import defaults: %w", err)
	}
	if _, err := db.SettingJSON(ctx, SettingDefaultParcel, &d.Parcel); err != nil {
		return d, fmt.Errorf("import defaults: %w", err)
	}
	return d, nil
}

// Over returns d with every value that o sets replacing d's: o holds the
// command line's flags, d the stored settings. A different courier in o
// drops d's account and service, which belong to d's courier.
func (d Defaults) Over(o Defaults) Defaults {
	if o.Sender != nil {
		d.Sender = o.Sender
	}
	if o.Courier.DeliveryID != "" && o.Courier.DeliveryID != d.Courier.DeliveryID {
		d.Courier = CourierDefault{DeliveryID: o.Courier.DeliveryID}
	}
	if o.Courier.BizID != "" {
		d.Courier.BizID = o.Courier.BizID
	}
	if o.Courier.ServiceType != nil {
		d.Courier.ServiceType = o.Courier.ServiceType
	}
	for _, p := range []struct{ dst, src *float64 }{
		{&d.Parcel.WeightKg, &o.Parcel.WeightKg}, {&d.Parcel.LengthCm, &o.Parcel.LengthCm},
		{&d.Parcel.WidthCm, &o.Parcel.WidthCm}, {&d.Parcel.HeightCm, &o.Parcel.HeightCm},
	} {
		if *p.src > 0 {
			*p.dst = *p.src
		}
	}
	return d
}
