package sandbox

import (
	"context"

	"waybilldesk/wxapi"
)

// deliveryRoutes registers the courier and account listings.
func (s *Sandbox) deliveryRoutes(t map[string]route) {
	t[wxapi.PathGetAllDelivery] = route{token: true, handle: s.handleGetAllDelivery}
	t[wxapi.PathGetAllAccount] = route{token: true, handle: s.handleGetAllAccount}
}

type getAllDeliveryReply struct {
	status
	wxapi.GetAllDeliveryResponse
}

// handleGetAllDelivery serves GET /cgi-bin/express/business/delivery/getall.
func (s *Sandbox) handleGetAllDelivery(ctx context.Context, _ *call) (any, error) {
	cs, err := s.db.couriers(ctx)
	if err != nil {
		return nil, err
	}
	data := make([]wxapi.Delivery, len(cs))
	for i, c := range cs {
		data[i] = c.Delivery
	}
	return getAllDeliveryReply{statusOK, wxapi.GetAllDeliveryResponse{Count: len(data), Data: data}}, nil
}

type getAllAccountReply struct {
	status
	wxapi.GetAllAccountResponse
}

// handleGetAllAccount serves GET /cgi-bin/express/business/account/getall.
func (s *Sandbox) handleGetAllAccount(ctx context.Context, _ *call) (any, error) {
	list, err := s.db.accounts(ctx)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []wxapi.Account{}
	}
	return getAllAccountReply{statusOK, wxapi.GetAllAccountResponse{Count: len(list), List: list}}, nil
}
