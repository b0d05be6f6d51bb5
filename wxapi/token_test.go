package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHundredCallsAcrossExpiryRefreshOnce: the cached token expires, then
// 100 calls arrive at once; exactly one of them fetches a new token.
func TestHundredCallsAcrossExpiryRefreshOnce(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { w.Write([]byte(`{"count":0,"list":[]}`)) })
	c := f.client(Options{})
	src := c.tokens.(*CredentialTokens)
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	src.now = func() time.Time { return time.Unix(clock.Load(), 0) }
	if _, err := c.GetAllAccount(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Add(7200) // past expires_in
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetAllAccount(context.Background()); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 || src.Fetches() != 2 || f.tokenCalls.Load() != 2 {
		t.Fatalf("failed %d, fetches %d, token calls %d; want 0, 2, 2", failed.Load(), src.Fetches(), f.tokenCalls.Load())
	}
}

func TestTokenIsRefreshedBeforeItExpires(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { w.Write([]byte(`{"count":0,"list":[]}`)) })
	c := f.client(Options{})
	src := c.tokens.(*CredentialTokens)
	now := time.Now()
	src.now = func() time.Time { return now }
	c.GetAllAccount(context.Background())
	now = now.Add(7200*time.Second - refreshMargin + time.Second) // inside the safety margin
	c.GetAllAccount(context.Background())
	if src.Fetches() != 2 {
		t.Fatalf("%d fetches; the token was used inside its safety margin", src.Fetches())
	}
}

func TestTokenFetchErrorReachesEveryWaiter(t *testing.T) {
	f := newFake(t, nil)
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		json.NewEncoder(w).Encode(map[string]any{"errcode": 40125, "errmsg": "invalid appsecret rid: 1"})
	})
	c := f.client(Options{})
	var wg sync.WaitGroup
	var codes sync.Map
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := c.GetAllAccount(context.Background())
			codes.Store(i, Code(err))
		}(i)
	}
	wg.Wait()
	codes.Range(func(k, v any) bool {
		if v.(int) != CodeInvalidSecret {
			t.Errorf("caller %v got errcode %v, want 40125", k, v)
		}
		return true
	})
}

func TestFuncTokensForThirdParty(t *testing.T) {
	var fetched []string
	var calls atomic.Int32
	f := newFake(t, nil)
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Query().Get("access_token") != "AUTHORIZER-2" {
			w.Write([]byte(`{"errcode":42001,"errmsg":"access_token expired"}`))
			return
		}
		w.Write([]byte(`{"count":0,"list":[]}`))
	})
	src := &FuncTokens{Fetch: func(_ context.Context, rejected string) (string, error) {
		fetched = append(fetched, rejected)
		return "AUTHORIZER-" + string(rune('1'+len(fetched)-1)), nil
	}}
	c := New(Options{BaseURL: f.URL, Tokens: src})
	if _, err := c.GetAllAccount(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(fetched) != 2 || fetched[1] != "AUTHORIZER-1" || calls.Load() != 2 {
		t.Fatalf("fetches %v, calls %d", fetched, calls.Load())
	}
	failing := &FuncTokens{Fetch: func(context.Context, string) (string, error) { return "", errors.New("platform down") }}
	if _, err := New(Options{BaseURL: f.URL, Tokens: failing}).GetAllAccount(context.Background()); err == nil {
		t.Fatal("no error when the platform has no token")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 45, 0, time.UTC)
	if d := (&Error{Code: CodeMinuteQuota}).RetryAfter(now); d != 15*time.Second {
		t.Errorf("45011 retry after %v", d)
	}
	if d := (&Error{Code: CodeDailyQuota}).RetryAfter(now); d != 0 || (&Error{Code: CodeDailyQuota}).Retryable() {
		t.Errorf("45009 is retryable")
	}
	if !(&Error{Code: CodeBusy}).Retryable() || (&Error{Code: CodeOrderRepeated}).Retryable() {
		t.Error("retryable classification wrong")
	}
}
