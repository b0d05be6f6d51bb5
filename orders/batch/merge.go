package batch

import (
	"fmt"
	"strings"
)

// mergeOrders joins rows that share a shop order number into the first of
// them: Douyin and Youzan export one row per product, and one order ships
// as one parcel with several goods lines. Rows that share a number but not
// the receiver are an error on the later row: one order cannot go to two
// addresses.
func mergeOrders(drafts []*draft) {
	first := map[string]*draft{}
	for _, d := range drafts {
		if d.shopID == "" {
			continue
		}
		lead, ok := first[d.shopID]
		if !ok {
			first[d.shopID] = d
			continue
		}
		if len(d.errs) == 0 && len(lead.errs) == 0 && !sameReceiver(lead, d) {
			d.errs = append(d.errs, RowError{Row: d.row, Field: string(FieldOrderID), Message: fmt.Sprintf(
				"order %s is also on row %d with another receiver: one order number cannot ship to two addresses", d.shopID, lead.row)})
			if src, ok := d.src["order_id"]; ok && src.col >= 0 {
				d.errs[len(d.errs)-1].Column = columnLetter(src.col)
			}
			continue
		}
		d.mergedInto = lead.row
		lead.members = append(lead.members, d)
		lr, dr := &lead.req, &d.req
		lr.Cargo.DetailList = append(lr.Cargo.DetailList, dr.Cargo.DetailList...)
		if lead.weightGiven && d.weightGiven {
			lr.Cargo.Weight += dr.Cargo.Weight
		}
		if dr.Insured.UseInsured == 1 {
			lr.Insured.UseInsured = 1
			lr.Insured.InsuredValue += dr.Insured.InsuredValue
		}
		if dr.CustomRemark != "" && !strings.Contains(lr.CustomRemark, dr.CustomRemark) {
			lr.CustomRemark = strings.TrimPrefix(lr.CustomRemark+"；"+dr.CustomRemark, "；")
		}
	}
}

func sameReceiver(a, b *draft) bool {
	x, y := a.req.Receiver, b.req.Receiver
	return x.Name == y.Name && x.Mobile == y.Mobile && x.Tel == y.Tel && x.Province == y.Province &&
		x.City == y.City && x.Area == y.Area && x.Address == y.Address
}

// groupErrors tells whether a merged order has an error on any of its rows.
func (d *draft) groupErrors() bool {
	if len(d.errs) > 0 {
		return true
	}
	for _, m := range d.members {
		if len(m.errs) > 0 {
			return true
		}
	}
	return false
}
