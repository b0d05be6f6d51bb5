package batch

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
)

// ContentOrderID is the order_id of a row without a shop order number:
// "IMP" and 16 base32 characters (80 bits) of a hash of the row's mapped
// values and of how many identical rows came before it in the file.
//
// It depends on the row alone, not on the file: re-importing the file, a
// copy cut off by a crash, the same rows re-exported as XLSX instead of GBK
// CSV, or the file after fixing another row, gives every unchanged row its
// old order_id, which the history then shows as already placed. A hash of
// the whole file would give a cut-off copy new ids and ship its rows twice.
// The price: a row identical in every mapped value to one placed before
// (the same receiver, goods and remark) is taken for it; give such rows an
// order_id to ship them again.
func ContentOrderID(content string, occurrence int) string {
	sum := sha256.Sum256([]byte("waybilldesk/import/v1\x00" + content + "\x00" + strconv.Itoa(occurrence)))
	return "IMP" + base32.StdEncoding.EncodeToString(sum[:])[:16]
}
