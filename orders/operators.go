package orders

import (
	"context"
	"fmt"
	"strings"

	"waybilldesk/wxapi"
)

// Printer operators (打印员) are the WeChat users allowed to print this
// mini program's labels from WeChat's PC label software: getPrinter lists
// them, updatePrinter binds or unbinds one.

// Operators lists the printer operators' openids and the tag ids.
func (s *Service) Operators(ctx context.Context) (*wxapi.GetPrinterResponse, error) {
	resp, err := s.api.GetPrinter(ctx)
	if err != nil {
		return nil, fmt.Errorf("list printer operators: %w", err)
	}
	return resp, nil
}

// SetOperator binds (bind true) or unbinds a printer operator; tags is the
// platform apps' comma-separated tag id list, "" otherwise.
func (s *Service) SetOperator(ctx context.Context, openID string, bind bool, tags string) error {
	req := &wxapi.UpdatePrinterRequest{OpenID: strings.TrimSpace(openID), UpdateType: wxapi.PrinterUnbind,
		TagIDList: strings.ReplaceAll(strings.TrimSpace(tags), " ", "")}
	if bind {
		req.UpdateType = wxapi.PrinterBind
	}
	if err := s.api.UpdatePrinter(ctx, req); err != nil {
		return fmt.Errorf("%s printer operator %s: %w", req.UpdateType, req.OpenID, err)
	}
	s.audit(ctx, "operator-"+req.UpdateType, "", req.OpenID)
	return nil
}
