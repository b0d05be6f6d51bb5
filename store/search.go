package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search on a large history (a station keeps years of orders) must not scan
// the table. Every kind of query an operator types becomes an indexed range:
//   - order ids and waybill ids match from their start (a scanner gives the
//     whole id, a person types its beginning);
//   - phone numbers match from their end ("last four digits"), through the
//     reversed phone in phone_rev;
//   - receiver names match anywhere, through order_terms, which holds every
//     suffix of the name: a substring of the name is a prefix of one suffix.

// searchVersion is bumped when the terms change, so Open re-indexes.
const searchVersion = 1

// maxTermRunes bounds the suffixes kept per name.
const maxTermRunes = 24

// nameTerms returns the lower-cased suffixes of a receiver name.
func nameTerms(name string) []string {
	r := []rune(strings.ToLower(strings.TrimSpace(name)))
	if len(r) > maxTermRunes {
		r = r[:maxTermRunes]
	}
	var out []string
	for i := range r {
		if unicode.IsSpace(r[i]) {
			continue
		}
		out = append(out, string(r[i:]))
	}
	return out
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// phoneDigits keeps the digits of a phone, so "020-8888 8888" and
// "02088888888" search alike.
func phoneDigits(p string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, p)
}

// txExec is what indexing needs: a *sql.Tx or the *sql.DB.
type txExec interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// indexOrder (re)writes the search data of one order inside tx.
func indexOrder(ctx context.Context, tx txExec, rowID int64, name, phone string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM order_terms WHERE order_id = ?`, rowID); err != nil {
		return err
	}
	for _, term := range nameTerms(name) {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO order_terms (term, order_id) VALUES (?, ?)`, term, rowID); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE orders SET phone_rev = ?, search_v = ? WHERE id = ?`,
		reverse(phoneDigits(phone)), searchVersion, rowID)
	return err
}

// searchIndexedKey is the setting that records the search version every
// row has been indexed with, so that opening a history walks its rows once
// after an upgrade, not at every start: every writer of this schema
// indexes the rows it writes.
const searchIndexedKey = "search.indexed_version"

// indexUnsearchable indexes rows written before search existed (or by an
// older search version), in batches so a big history does not hold one
// long transaction, and records that it is done.
func (db *DB) indexUnsearchable(ctx context.Context) error {
	var done string
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, searchIndexedKey).Scan(&done)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("index history for search: %w", err)
	}
	if done == strconv.Itoa(searchVersion) {
		return nil
	}
	// Walk by id so each row is read once, however big the history.
	var last int64
	for {
		rows, err := db.sql.QueryContext(ctx, `SELECT id, receiver_name, receiver_phone FROM orders
			WHERE id > ? AND search_v != ? ORDER BY id LIMIT 2000`, last, searchVersion)
		if err != nil {
			return fmt.Errorf("index history for search: %w", err)
		}
		type pending struct {
			id          int64
			name, phone string
		}
		var batch []pending
		for rows.Next() {
			var p pending
			if err := rows.Scan(&p.id, &p.name, &p.phone); err != nil {
				rows.Close()
				return fmt.Errorf("index history for search: %w", err)
			}
			batch = append(batch, p)
		}
		rows.Close()
		if len(batch) == 0 {
			_, err := db.sql.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value`, searchIndexedKey, strconv.Itoa(searchVersion))
			if err != nil {
				return fmt.Errorf("index history for search: %w", err)
			}
			return nil
		}
		last = batch[len(batch)-1].id
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, p := range batch {
			if err := indexOrder(ctx, tx, p.id, p.name, p.phone); err != nil {
				tx.Rollback()
				return fmt.Errorf("index history for search: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("index history for search: %w", err)
		}
	}
}

// prefixHigh is the exclusive upper bound of the strings starting with a
// prefix under SQLite's BINARY collation (byte order): the prefix followed
// by the highest UTF-8 sequence.
func prefixHigh(prefix string) string { return prefix + string(utf8.MaxRune) }

// searchIDs is a subquery of the row ids matching q, each branch an index
// range; ListOrders sorts the (usually few) matches itself.
func searchIDs(q string) (string, []any) {
	var parts []string
	var args []any
	parts = append(parts, `SELECT id FROM orders WHERE order_id >= ? AND order_id < ?`,
		`SELECT id FROM orders WHERE waybill_id >= ? AND waybill_id < ?`)
	args = append(args, q, prefixHigh(q), q, prefixHigh(q))
	if d := phoneDigits(q); len(d) >= 3 && len(d) == len(q) {
		rev := reverse(d)
		parts = append(parts, `SELECT id FROM orders WHERE phone_rev >= ? AND phone_rev < ?`)
		args = append(args, rev, prefixHigh(rev))
	}
	t := strings.ToLower(q)
	parts = append(parts, `SELECT order_id FROM order_terms WHERE term >= ? AND term < ?`)
	args = append(args, t, prefixHigh(t))
	return strings.Join(parts, " UNION "), args
}
