package orders

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"waybilldesk/wxapi"
)

// Franchise (加盟) couriers sell e-waybill labels in advance; an account
// with none left cannot place orders. The desk checks before placing and
// warns when the stock runs low.

const quotaThresholdKey = "quota_warn_below"

// DefaultQuotaThreshold is the label count under which an account is
// reported low until the shop sets its own.
const DefaultQuotaThreshold = 50

// QuotaAccount is a franchise account's label stock.
type QuotaAccount struct {
	DeliveryID  string
	CourierName string
	BizID       string
	Alias       string
	Quota       int
	Updated     time.Time
	Low         bool // below the threshold
}

// QuotaThreshold returns the low-stock threshold.
func (s *Service) QuotaThreshold(ctx context.Context) (int, error) {
	v, err := s.db.Setting(ctx, quotaThresholdKey)
	if err != nil || v == "" {
		return DefaultQuotaThreshold, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return DefaultQuotaThreshold, fmt.Errorf("setting %s: %w", quotaThresholdKey, err)
	}
	return n, nil
}

// SetQuotaThreshold stores the low-stock threshold.
func (s *Service) SetQuotaThreshold(ctx context.Context, n int) error {
	if n < 0 {
		return &wxapi.ValidationError{Field: "quota_threshold", Reason: "must not be negative"}
	}
	return s.db.SetSetting(ctx, quotaThresholdKey, strconv.Itoa(n))
}

// Quotas lists every franchise account's stock; with refresh each is asked
// fresh with getQuota (getAllAccount's number may be stale).
func (s *Service) Quotas(ctx context.Context, refresh bool) ([]QuotaAccount, error) {
	couriers, err := s.Couriers(ctx, refresh)
	if err != nil {
		return nil, err
	}
	threshold, err := s.QuotaThreshold(ctx)
	if err != nil {
		return nil, err
	}
	var out []QuotaAccount
	for _, c := range couriers {
		for _, a := range c.Accounts {
			if !a.HasQuota {
				continue
			}
			q := QuotaAccount{DeliveryID: c.DeliveryID, CourierName: c.Name, BizID: a.BizID, Alias: a.Alias, Quota: a.Quota, Updated: a.Updated}
			if refresh {
				resp, err := s.api.GetQuota(ctx, &wxapi.GetQuotaRequest{DeliveryID: c.DeliveryID, BizID: a.BizID})
				if err != nil {
					return nil, fmt.Errorf("quota of %s %s: %w", c.DeliveryID, a.BizID, err)
				}
				q.Quota, q.Updated = resp.QuotaNum, s.now()
				s.setCachedQuota(c.DeliveryID, a.BizID, q.Quota)
			}
			q.Low = q.Quota < threshold
			out = append(out, q)
		}
	}
	return out, nil
}

// checkQuota refuses an order on a franchise account that has no labels
// left. A cached zero is confirmed with getQuota first, so a top-up made
// meanwhile is not refused.
func (s *Service) checkQuota(ctx context.Context, c Courier, bizID string) error {
	for _, a := range c.Accounts {
		if a.BizID != bizID || !a.HasQuota || a.Quota > 0 {
			continue
		}
		resp, err := s.api.GetQuota(ctx, &wxapi.GetQuotaRequest{DeliveryID: c.DeliveryID, BizID: bizID})
		if err != nil {
			return nil // let WeChat decide; its answer is the truth
		}
		s.setCachedQuota(c.DeliveryID, bizID, resp.QuotaNum)
		if resp.QuotaNum <= 0 {
			return &wxapi.ValidationError{Field: "biz_id",
				Reason: fmt.Sprintf("account %s of %s has no e-waybill labels left (电子面单余额为 0): top it up with the courier", bizID, c.Label())}
		}
	}
	return nil
}

// setCachedQuota updates the cached courier list so the form shows the
// stock without asking WeChat again.
func (s *Service) setCachedQuota(deliveryID, bizID string, n int) {
	s.couriers.mu.Lock()
	defer s.couriers.mu.Unlock()
	for i := range s.couriers.list {
		c := &s.couriers.list[i]
		if c.DeliveryID != deliveryID {
			continue
		}
		for j := range c.Accounts {
			if c.Accounts[j].BizID == bizID && c.Accounts[j].HasQuota {
				c.Accounts[j].Quota = n
				c.Accounts[j].Updated = s.now()
			}
		}
	}
}

// spendCachedQuota counts one label used after an order was placed.
func (s *Service) spendCachedQuota(deliveryID, bizID string) {
	s.couriers.mu.Lock()
	defer s.couriers.mu.Unlock()
	for i := range s.couriers.list {
		c := &s.couriers.list[i]
		for j := range c.Accounts {
			if c.DeliveryID == deliveryID && c.Accounts[j].BizID == bizID && c.Accounts[j].HasQuota && c.Accounts[j].Quota > 0 {
				c.Accounts[j].Quota--
			}
		}
	}
}
