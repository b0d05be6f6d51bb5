package orders

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"waybilldesk/wxapi"
)

// Account is a biz_id an order can be placed on: a bound courier account or
// the courier's cash (现付) id.
type Account struct {
	BizID string
	Alias string
	Cash  bool // the courier's cash_biz_id: no contract, pay on pick-up
	// Quota is the number of labels left; meaningful when HasQuota.
	Quota    int
	HasQuota bool
	Updated  time.Time // when Quota was last refreshed
}

// Label is how the account is shown in a picker.
func (a Account) Label() string {
	name := a.BizID
	if a.Alias != "" {
		name = a.Alias + " (" + a.BizID + ")"
	}
	switch {
	case a.Cash:
		return name + " · 现付 cash"
	case a.HasQuota:
		return fmt.Sprintf("%s · 余额 %d", name, a.Quota)
	}
	return name
}

// Courier is a courier the shop can ship with: WeChat's courier list merged
// with the accounts bound to the mini program.
type Courier struct {
	DeliveryID string
	Name       string
	Services   []wxapi.ServiceType
	Accounts   []Account
}

// Usable reports whether an order can be placed with the courier now.
func (c Courier) Usable() bool { return len(c.Accounts) > 0 }

// Label is how the courier is shown in a picker, e.g. "顺丰速运 SF".
func (c Courier) Label() string { return c.Name + " " + c.DeliveryID }

// Service returns the courier's service with that id.
func (c Courier) Service(serviceType int) (wxapi.ServiceType, bool) {
	for _, s := range c.Services {
		if s.ServiceType == serviceType {
			return s, true
		}
	}
	return wxapi.ServiceType{}, false
}

// courierCache keeps the merged courier list for a while: it changes only
// when an account is bound, and the order form asks for it often.
type courierCache struct {
	mu      sync.Mutex
	list    []Courier
	fetched time.Time
}

const courierTTL = 10 * time.Minute

// Couriers lists the couriers, usable ones (with a bound account or cash
// id) first. The list is cached for ten minutes; refresh forces a fetch.
func (s *Service) Couriers(ctx context.Context, refresh bool) ([]Courier, error) {
	s.couriers.mu.Lock()
	defer s.couriers.mu.Unlock()
	if !refresh && s.couriers.list != nil && s.now().Sub(s.couriers.fetched) < courierTTL {
		return copyCouriers(s.couriers.list), nil
	}
	deliveries, err := s.api.GetAllDelivery(ctx)
	if err != nil {
		return nil, fmt.Errorf("list couriers: %w", err)
	}
	accounts, err := s.api.GetAllAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("list courier accounts: %w", err)
	}
	list := mergeCouriers(deliveries.Data, accounts.List)
	s.couriers.list, s.couriers.fetched = list, s.now()
	return copyCouriers(list), nil
}

// copyCouriers gives callers their own copy: the cache's quota numbers
// change in place as orders are placed.
func copyCouriers(in []Courier) []Courier {
	out := make([]Courier, len(in))
	for i, c := range in {
		c.Services = append([]wxapi.ServiceType(nil), c.Services...)
		c.Accounts = append([]Account(nil), c.Accounts...)
		out[i] = c
	}
	return out
}

func mergeCouriers(deliveries []wxapi.Delivery, accounts []wxapi.Account) []Courier {
	byID := map[string]*Courier{}
	var order []string
	quota := map[string]bool{}
	for _, d := range deliveries {
		c := &Courier{DeliveryID: d.DeliveryID, Name: d.DeliveryName, Services: d.ServiceType}
		quota[d.DeliveryID] = d.CanGetQuota == 1
		if d.CanUseCash == 1 && d.CashBizID != "" {
			c.Accounts = append(c.Accounts, Account{BizID: d.CashBizID, Cash: true})
		}
		byID[d.DeliveryID] = c
		order = append(order, d.DeliveryID)
	}
	for _, a := range accounts {
		if !a.Usable() {
			continue
		}
		c, ok := byID[a.DeliveryID]
		if !ok {
			// An account on a courier the list does not name (the sandbox's
			// TEST courier): its services come with the account.
			c = &Courier{DeliveryID: a.DeliveryID, Name: a.DeliveryID, Services: a.ServiceType}
			byID[a.DeliveryID] = c
			order = append(order, a.DeliveryID)
		}
		acc := Account{BizID: a.BizID, Alias: a.Alias, Quota: a.QuotaNum, HasQuota: quota[a.DeliveryID]}
		if a.QuotaUpdateTime > 0 {
			acc.Updated = time.Unix(a.QuotaUpdateTime, 0)
		}
		c.Accounts = append(c.Accounts, acc)
	}
	out := make([]Courier, 0, len(order))
	for _, id := range order {
		c := byID[id]
		// Bound accounts come before the cash id: a contract price is cheaper.
		sort.SliceStable(c.Accounts, func(i, j int) bool { return !c.Accounts[i].Cash && c.Accounts[j].Cash })
		out = append(out, *c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Usable() && !out[j].Usable() })
	return out
}

// courier finds a courier by id in the cached list.
func (s *Service) courier(ctx context.Context, deliveryID string) (Courier, bool, error) {
	list, err := s.Couriers(ctx, false)
	if err != nil {
		return Courier{}, false, err
	}
	for _, c := range list {
		if c.DeliveryID == deliveryID {
			return c, true, nil
		}
	}
	return Courier{}, false, nil
}
