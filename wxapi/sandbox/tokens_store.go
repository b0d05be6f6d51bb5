package sandbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Token kinds: the two token endpoints keep separate tokens and never
// invalidate each other's.
const (
	tokenStable  = "stable"  // POST /cgi-bin/stable_token
	tokenClassic = "classic" // GET /cgi-bin/token
)

// classicGrace is how long a /cgi-bin/token token keeps working after a newer
// one was issued (WeChat: "about 5 minutes").
const classicGrace = 5 * time.Minute

// tokenKeep is how long dead tokens stay in the table, so a late caller still
// gets 42001/40001 for a token it really had instead of a bare "unknown".
const tokenKeep = 24 * time.Hour

// newToken returns a random token shaped like WeChat's (URL-safe, well over
// the 32 characters WeChat's shortest tokens have; callers reserve 512).
func newToken() (string, error) {
	var b [48]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return "SBX_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// issuedToken is a token handed out and its remaining life.
type issuedToken struct {
	Token     string
	ExpiresIn int // seconds
}

// tokenLife is how long a token is announced to live (expires_in) and how
// long it really works; they differ only under the token-ttl fault.
type tokenLife struct {
	announced, real time.Duration
}

// stableToken implements stable_token: in normal mode the newest live token
// is returned again until it enters its last rotation window (5 minutes
// before expiry, or half the life for short test TTLs); force revokes every
// stable token and issues a new one. Tokens live on the wall clock.
func (st *store) stableToken(ctx context.Context, force bool, life tokenLife) (issuedToken, error) {
	var out issuedToken
	err := st.inTx(ctx, func(tx *sql.Tx) error {
		now := st.wall()
		nowMS := now.UnixMilli()
		if force {
			if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_ms = ?
				WHERE kind = ? AND revoked_ms IS NULL`, nowMS, tokenStable); err != nil {
				return fmt.Errorf("revoke stable tokens: %w", err)
			}
		} else {
			var tok string
			var created int64
			err := tx.QueryRowContext(ctx, `SELECT token, created_ms FROM tokens
				WHERE kind = ? AND revoked_ms IS NULL AND expires_ms > ?
				ORDER BY created_ms DESC LIMIT 1`, tokenStable, nowMS).Scan(&tok, &created)
			switch {
			case err == nil:
				// expires_in keeps counting down the announced life, even
				// when the token-ttl fault will end it sooner.
				left := time.UnixMilli(created).Add(life.announced).Sub(now)
				if left > rotationMargin(life.announced) {
					out = issuedToken{Token: tok, ExpiresIn: int(left / time.Second)}
					return nil
				}
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("find stable token: %w", err)
			}
		}
		var err error
		out, err = insertToken(ctx, tx, tokenStable, now, life)
		return err
	})
	return out, err
}

// classicToken implements /cgi-bin/token: every call issues a new token and
// the earlier ones stop working classicGrace later.
func (st *store) classicToken(ctx context.Context, life tokenLife) (issuedToken, error) {
	var out issuedToken
	err := st.inTx(ctx, func(tx *sql.Tx) error {
		now := st.wall()
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_ms = ?
			WHERE kind = ? AND revoked_ms IS NULL`, now.Add(classicGrace).UnixMilli(), tokenClassic); err != nil {
			return fmt.Errorf("supersede classic tokens: %w", err)
		}
		var err error
		out, err = insertToken(ctx, tx, tokenClassic, now, life)
		return err
	})
	return out, err
}

func rotationMargin(ttl time.Duration) time.Duration {
	return min(5*time.Minute, ttl/2)
}

func insertToken(ctx context.Context, tx *sql.Tx, kind string, now time.Time, life tokenLife) (issuedToken, error) {
	tok, err := newToken()
	if err != nil {
		return issuedToken{}, err
	}
	lasts := life.announced
	if life.real > 0 && life.real < lasts {
		lasts = life.real
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (token, kind, created_ms, expires_ms)
		VALUES (?, ?, ?, ?)`, tok, kind, now.UnixMilli(), now.Add(lasts).UnixMilli()); err != nil {
		return issuedToken{}, fmt.Errorf("store %s token: %w", kind, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE expires_ms < ? AND (revoked_ms IS NULL OR revoked_ms < ?)`,
		now.Add(-tokenKeep).UnixMilli(), now.Add(-tokenKeep).UnixMilli()); err != nil {
		return issuedToken{}, fmt.Errorf("purge old tokens: %w", err)
	}
	return issuedToken{Token: tok, ExpiresIn: int(life.announced / time.Second)}, nil
}

// tokenState is what the sandbox knows about a presented token.
type tokenState int

const (
	tokenValid   tokenState = iota
	tokenUnknown            // never issued (or long purged): 40001
	tokenRevoked            // superseded by a newer token: 40001
	tokenExpired            // past its lifetime: 42001
)

func (st *store) checkToken(ctx context.Context, token string) (tokenState, error) {
	var exp int64
	var revoked sql.NullInt64
	err := st.db.QueryRowContext(ctx, `SELECT expires_ms, revoked_ms FROM tokens WHERE token = ?`, token).
		Scan(&exp, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return tokenUnknown, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up token: %w", err)
	}
	now := st.wall().UnixMilli()
	// Whichever ended the token first decides the answer.
	if revoked.Valid && now >= revoked.Int64 && revoked.Int64 < exp {
		return tokenRevoked, nil
	}
	if now >= exp {
		return tokenExpired, nil
	}
	return tokenValid, nil
}
