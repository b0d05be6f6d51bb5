package sandbox

import (
	"context"
	"strings"

	"waybilldesk/wxapi"
)

// accountRoutes registers bindAccount and getQuota.
func (s *Sandbox) accountRoutes(t map[string]route) {
	t[wxapi.PathBindAccount] = route{post: true, token: true, handle: s.handleBindAccount}
	t[wxapi.PathGetQuota] = route{post: true, token: true, handle: s.handleGetQuota}
}

// handleBindAccount serves POST /cgi-bin/express/business/account/bind.
// A wrong password (the word "wrong", or none for a franchise courier)
// gives 9300531; EMS binds go to review and answer 9300532, the account
// showing status_code 1 until emsReviewTime later on the sandbox clock.
func (s *Sandbox) handleBindAccount(ctx context.Context, c *call) (any, error) {
	var req wxapi.BindAccountRequest
	if err := decodeBody(c, &req, codeInvalidArgs); err != nil {
		return nil, err
	}
	if e := requireFields(codeInvalidArgs, "type", req.Type, "biz_id", req.BizID, "delivery_id", req.DeliveryID); e != nil {
		return nil, e
	}
	if req.Type != wxapi.BindTypeBind && req.Type != wxapi.BindTypeUnbind {
		return nil, wxErrf(codeInvalidArgs, "type must be bind or unbind")
	}
	cr, ok, err := s.db.courier(ctx, req.DeliveryID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, wxErrf(codeBadDelivery, "%q", req.DeliveryID)
	}
	if req.Type == wxapi.BindTypeUnbind {
		if err := s.db.unbindAccount(ctx, req.DeliveryID, req.BizID); err != nil {
			return nil, err
		}
		s.log.Info("sandbox account unbound", "delivery_id", req.DeliveryID, "biz_id", req.BizID)
		return statusOK, nil
	}
	reviewing, err := s.db.bindAccount(ctx, &req, cr)
	if err != nil {
		return nil, err
	}
	s.log.Info("sandbox account bound", "delivery_id", req.DeliveryID, "biz_id", req.BizID, "review", reviewing)
	if reviewing {
		return nil, wxErr(codeBindReviewing)
	}
	return statusOK, nil
}

type getQuotaReply struct {
	status
	wxapi.GetQuotaResponse
}

// handleGetQuota serves POST /cgi-bin/express/business/quota/get: the label
// stock of a bound franchise (加盟) account.
func (s *Sandbox) handleGetQuota(ctx context.Context, c *call) (any, error) {
	var req wxapi.GetQuotaRequest
	if err := decodeBody(c, &req, codeInvalidArgs); err != nil {
		return nil, err
	}
	if e := requireFields(codeInvalidArgs, "delivery_id", req.DeliveryID, "biz_id", req.BizID); e != nil {
		return nil, e
	}
	cr, ok, err := s.db.courier(ctx, req.DeliveryID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, wxErrf(codeBadDelivery, "%q", req.DeliveryID)
	}
	acct, err := s.db.account(ctx, req.DeliveryID, req.BizID)
	if err != nil {
		return nil, err
	}
	if acct == nil || !acct.Usable() {
		return nil, courierErr(courierBizIDError, "bizId check error")
	}
	if cr.CanGetQuota != 1 {
		// Direct couriers keep no label stock (can_get_quota 0).
		return nil, courierErr(courierFreeText, cr.DeliveryName+"为直营快递，无电子面单余额")
	}
	return getQuotaReply{statusOK, wxapi.GetQuotaResponse{QuotaNum: acct.QuotaNum}}, nil
}

// requireFields checks name/value pairs and answers code naming the first
// blank one.
func requireFields(code int, pairs ...string) *apiError {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return wxErrf(code, "%s is required", pairs[i])
		}
	}
	return nil
}
