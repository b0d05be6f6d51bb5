package sandbox

import (
	"context"
	"fmt"
	"net/http"
)

// Admin endpoints of the courier side: gateway couriers, bound phones and
// the path notices WeChat accepted.

func (s *Sandbox) adminGetGateways(w http.ResponseWriter, _ *http.Request) {
	list := s.Gateways()
	writeJSON(w, map[string]any{"count": len(list), "gateways": list})
}

func (s *Sandbox) adminAddGateway(w http.ResponseWriter, r *http.Request) {
	var o GatewayOptions
	if err := readAdmin(r, &o); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	v, err := s.AddGateway(o)
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, v)
}

// SetPhoneBound binds a phone to WeChat's express service (bound true) or
// unbinds it, overriding the default rule (phones ending in an even digit
// are bound); POST /sandbox/bound_phones and --bound-phone call it.
func (s *Sandbox) SetPhoneBound(ctx context.Context, phone string, bound bool) error {
	digits, err := normalizePhone(phone)
	if err != nil {
		return fmt.Errorf("sandbox: phone %s: %w", maskPhone(phone), err)
	}
	if err := s.db.setPhoneBound(ctx, digits, bound); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.log.Info("sandbox phone binding set", "phone", maskPhone(digits), "bound", bound)
	return nil
}

// boundPhonesRule documents the default for GET /sandbox/bound_phones.
const boundPhonesRule = "phones not listed here are bound when their last digit is even"

func (s *Sandbox) adminGetBoundPhones(w http.ResponseWriter, r *http.Request) {
	list, err := s.db.phoneSettings(r.Context())
	if err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"rule": boundPhonesRule, "phones": list})
}

func (s *Sandbox) adminSetBoundPhone(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone string `json:"phone"`
		Bound *bool  `json:"bound"` // default true
	}
	if err := readAdmin(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	bound := req.Bound == nil || *req.Bound
	if err := s.SetPhoneBound(r.Context(), req.Phone, bound); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, map[string]any{"phone": maskPhone(req.Phone), "bound": bound})
}

// CourierNotices lists the path notices WeChat accepted from gateway
// couriers, of one waybill when waybill is not empty.
func (s *Sandbox) CourierNotices(ctx context.Context, waybill string) ([]CourierNotice, error) {
	list, err := s.db.courierNotices(ctx, waybill)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return list, nil
}

func (s *Sandbox) adminCourierNotices(w http.ResponseWriter, r *http.Request) {
	list, err := s.CourierNotices(r.Context(), r.URL.Query().Get("waybill_id"))
	if err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"count": len(list), "notices": list})
}
