// Package batch imports orders from files and exports the history.
//
// An import reads a CSV, XLSX or JSON Lines file, maps its columns to
// addOrder fields (the column map of docs/import.md, which knows the order
// exports of Taobao/Tmall, Pinduoduo, Douyin, Youzan and WeChat Shop), and
// builds one wxapi.AddOrderRequest per order through orders.Service.Prepare,
// so WeChat's own rules apply before anything is sent. The Preview is a
// Plan: every row's request, or its errors with row and column. Run places
// the valid orders with a few workers under a rate limit, in file order as
// far as the results and the OnPlaced hook are concerned, and can be paused,
// resumed and cancelled.
//
// Every order gets a deterministic order_id: the shop's order number when
// the file has one, otherwise one derived from the row's content (see
// ContentOrderID). Together with orders.Service writing each order as
// "submitting" before addOrder, this makes an import safe to repeat: rows
// already placed are skipped, rows left submitting by a crash are
// reconciled before anything is sent again, and the rest is placed.
package batch
