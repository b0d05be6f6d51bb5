package orders

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// A draft is an order that is ready but not sent: typed at the desk, or
// imported from a shop export in the morning, and placed when its parcel
// is packed and its order number (the shop's trade number) is scanned at
// the packing station. Drafts are kept in the settings table under
// "draft:<order_id>" as the prepared addOrder body; placing one turns it
// into an order of the history and removes the draft.

const draftPrefix = "draft:"

// ErrNoDraft means there is no draft with that order id.
var ErrNoDraft = errors.New("no draft with that order number")

// SaveDraft checks the order as Place would (Prepare) and keeps it as a
// draft under its order id, which it returns with the request. An order
// id already in the history is refused.
func (s *Service) SaveDraft(ctx context.Context, req wxapi.AddOrderRequest) (*wxapi.AddOrderRequest, error) {
	r, err := s.Prepare(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("save draft: %w", err)
	}
	if _, err := s.db.Order(ctx, r.OrderID); err == nil {
		return nil, fmt.Errorf("save draft %s: the order number is already in the history", r.OrderID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("save draft %s: %w", r.OrderID, err)
	}
	if err := s.db.SetSettingJSON(ctx, draftPrefix+r.OrderID, r); err != nil {
		return nil, fmt.Errorf("save draft %s: %w", r.OrderID, err)
	}
	s.audit(ctx, "draft", r.OrderID, r.DeliveryID)
	return r, nil
}

// Draft returns the draft with that order id, or ErrNoDraft.
func (s *Service) Draft(ctx context.Context, orderID string) (*wxapi.AddOrderRequest, error) {
	orderID = strings.TrimSpace(orderID)
	var r wxapi.AddOrderRequest
	found, err := s.db.SettingJSON(ctx, draftPrefix+orderID, &r)
	if err != nil {
		return nil, fmt.Errorf("draft %s: %w", orderID, err)
	}
	if !found || orderID == "" {
		return nil, fmt.Errorf("draft %s: %w", orderID, ErrNoDraft)
	}
	return &r, nil
}

// DeleteDraft removes a draft.
func (s *Service) DeleteDraft(ctx context.Context, orderID string) error {
	return s.db.SetSetting(ctx, draftPrefix+strings.TrimSpace(orderID), "")
}

// PlaceDraft places a draft. Once the order is in the history (placed,
// refused, or with its outcome unknown) the draft is removed: the history
// holds it from then on. A draft refused before anything was written (a
// courier no longer bound) is kept.
func (s *Service) PlaceDraft(ctx context.Context, orderID string) (*Order, error) {
	r, err := s.Draft(ctx, orderID)
	if err != nil {
		return nil, err
	}
	o, err := s.Place(ctx, *r)
	if _, gerr := s.db.Order(ctx, r.OrderID); gerr == nil {
		if derr := s.DeleteDraft(ctx, r.OrderID); derr != nil {
			s.log.Warn("draft placed but not removed", "order_id", r.OrderID, "err", derr)
		}
	}
	return o, err
}
