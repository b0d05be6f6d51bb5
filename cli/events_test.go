package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

const (
	evToken  = "pushtoken"
	evAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	evAppID  = "wxb11529c136998cb6"
)

// secretFile writes a secret to a file of the test, with a trailing newline
// as editors and `echo` leave one.
func secretFile(t *testing.T, name, secret string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// server is a `waybilldesk` server command running in the test.
type server struct {
	addr      string
	out, errb syncBuffer
	cancel    context.CancelFunc
	done      chan int
}

// startServer runs args (which must hold --listen ADDR) until stop.
func startServer(t *testing.T, addr string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{addr: addr, cancel: cancel, done: make(chan int, 1)}
	go func() { s.done <- Main(ctx, args, &s.out, &s.errb, nil) }()
	t.Cleanup(cancel)
	waitListening(t, addr)
	return s
}

// stop interrupts the server and checks it exits 0.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	if code := <-s.done; code != 0 {
		t.Fatalf("exit %d: %s", code, s.errb.String())
	}
}

// sendPush posts body to u with the query q and returns status and answer.
func sendPush(t *testing.T, u string, q url.Values, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(u+"?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// plainPush is the query of a plaintext push, signed only in the URL.
func plainPush(token, ts, nonce string) url.Values {
	return url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {wxapi.Signature(token, ts, nonce)}}
}

// sealedPush encrypts body as safe mode does; msgSig, when set, replaces
// the right msg_signature (a forgery).
func sealedPush(t *testing.T, c *wxapi.PushCrypto, ts, nonce string, body []byte, msgSig string) (url.Values, []byte) {
	t.Helper()
	enc, err := c.Encrypt(body)
	if err != nil {
		t.Fatal(err)
	}
	if msgSig == "" {
		msgSig = wxapi.Signature(c.Token, ts, nonce, enc)
	}
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "encrypt_type": {"aes"},
		"signature": {wxapi.Signature(c.Token, ts, nonce)}, "msg_signature": {msgSig}}
	return q, []byte("<xml><ToUserName>gh_x</ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
}

// TestEventsServe runs the push receiver as a user would, its Token and
// EncodingAESKey in files: the plaintext downgrade is refused, a forged
// push does not burn its nonce, a replay and a large body are refused,
// the URL check is answered as text.
func TestEventsServe(t *testing.T) {
	addr := freeAddr(t)
	s := startServer(t, addr, "--appid", evAppID, "--db", filepath.Join(t.TempDir(), "h.db"), "events", "serve",
		"--listen", addr, "--token-file", secretFile(t, "token", evToken), "--aes-key-file", secretFile(t, "key", evAESKey), "--apply=false")
	u := "http://" + addr + "/"
	body, _ := os.ReadFile(filepath.Join("..", "wxapi", "testdata", "fixtures", "add_express_path.event.xml"))
	crypto, _ := wxapi.NewPushCrypto(evToken, evAESKey, evAppID, "")
	now := strconv.FormatInt(time.Now().Unix(), 10)

	if code, answer := sendPush(t, u, plainPush(evToken, now, "1"), body); code != http.StatusForbidden || !strings.Contains(answer, "encrypted") {
		t.Fatalf("plaintext push to safe mode: %d %q", code, answer)
	}
	forged, envelope := sealedPush(t, crypto, now, "2", body, strings.Repeat("0", 40))
	if code, _ := sendPush(t, u, forged, envelope); code != http.StatusUnauthorized {
		t.Fatalf("forged push: %d", code)
	}
	q, envelope := sealedPush(t, crypto, now, "2", body, "")
	if code, answer := sendPush(t, u, q, envelope); code != 200 {
		t.Fatalf("genuine push after a forged one with its nonce: %d %q", code, answer)
	}
	if code, answer := sendPush(t, u, q, envelope); code != http.StatusUnauthorized || !strings.Contains(answer, "already used") {
		t.Fatalf("replay: %d %q", code, answer)
	}
	q, _ = sealedPush(t, crypto, now, "3", body, "")
	if code, answer := sendPush(t, u, q, bytes.Repeat([]byte(" "), 2<<20)); code != http.StatusRequestEntityTooLarge || !strings.Contains(answer, "too large") {
		t.Fatalf("2 MB push: %d %.100q", code, answer)
	}
	resp, err := http.Get(u + "?" + url.Values{"timestamp": {now}, "nonce": {"4"}, "signature": {wxapi.Signature(evToken, now, "4")},
		"echostr": {"4375120948345356249"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	echo, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(echo) != "4375120948345356249" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("URL check: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), echo)
	}
	s.stop(t)

	lines := strings.Split(strings.TrimSpace(s.out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("printed %d event lines, want 1:\n%s", len(lines), s.out.String())
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil || ev["WayBillId"] != "123456789" || ev["Event"] != "add_express_path" {
		t.Fatalf("event line %q", lines[0])
	}
	logs := s.errb.String()
	if !strings.Contains(logs, "safe mode: encrypted messages only") || !strings.Contains(logs, "plaintext message refused") {
		t.Errorf("start line or refusal not logged: %s", logs)
	}
	if strings.Contains(logs, evToken) || strings.Contains(logs, evAESKey) {
		t.Errorf("a secret in the logs: %s", logs)
	}
}

// TestEventsServeCompat: compatible mode, from --compat with the secrets in
// the environment, takes plaintext pushes too and says so when it starts.
func TestEventsServeCompat(t *testing.T) {
	t.Setenv(envPushToken, evToken)
	t.Setenv(envAESKey, evAESKey)
	addr := freeAddr(t)
	s := startServer(t, addr, "--appid", evAppID, "--db", filepath.Join(t.TempDir(), "h.db"), "events", "serve",
		"--listen", addr, "--compat", "--apply=false")
	body, _ := os.ReadFile(filepath.Join("..", "wxapi", "testdata", "fixtures", "add_express_path.event.xml"))
	now := strconv.FormatInt(time.Now().Unix(), 10)
	if code, answer := sendPush(t, "http://"+addr+"/", plainPush(evToken, now, "1"), body); code != 200 {
		t.Fatalf("plaintext push in compatible mode: %d %q", code, answer)
	}
	crypto, _ := wxapi.NewPushCrypto(evToken, evAESKey, evAppID, "")
	q, envelope := sealedPush(t, crypto, now, "2", body, "")
	if code, answer := sendPush(t, "http://"+addr+"/", q, envelope); code != 200 {
		t.Fatalf("encrypted push in compatible mode: %d %q", code, answer)
	}
	s.stop(t)
	if n := strings.Count(strings.TrimSpace(s.out.String()), "\n") + 1; n != 2 {
		t.Fatalf("%d events printed: %s", n, s.out.String())
	}
	if logs := s.errb.String(); !strings.Contains(logs, "COMPATIBLE mode") || !strings.Contains(logs, "compatible mode: plaintext pushes") {
		t.Errorf("compatible mode not announced: %s", logs)
	}
}

// TestServerSecretsFromFiles: every way a secret file or flag can be
// wrong is a clear error before anything listens.
func TestServerSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n\t\n"), 0o600)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, bytes.Repeat([]byte("k"), 5000), 0o600)
	missing := filepath.Join(dir, "missing")
	token := secretFile(t, "token", evToken)
	db := filepath.Join(dir, "h.db")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"token and token file", []string{"events", "serve", "--token", "x", "--token-file", token}, 2, "give --token or --token-file, not both"},
		{"missing token file", []string{"events", "serve", "--token-file", missing}, 1, "--token-file: open " + missing},
		{"empty token file", []string{"courier", "serve", "--token-file", empty}, 1, "is empty"},
		{"oversized token file", []string{"events", "serve", "--token-file", big}, 1, "larger than 4096 bytes"},
		{"a directory", []string{"events", "serve", "--token-file", dir}, 1, "--token-file: read"},
		{"missing key file", []string{"--appid", evAppID, "courier", "serve", "--token-file", token, "--aes-key-file", missing}, 1, "--aes-key-file"},
		{"missing scan token file", []string{"courier", "serve", "--token-file", token, "--scan-token-file", missing}, 1, "--scan-token-file"},
		{"no token at all", []string{"courier", "serve"}, 2, "--token-file F, env WAYBILLDESK_PUSH_TOKEN or --token"},
		{"compat without a key", []string{"events", "serve", "--token-file", token, "--compat"}, 2, "--compat needs an EncodingAESKey"},
		{"key without an AppID", []string{"events", "serve", "--token-file", token, "--aes-key-file", secretFile(t, "k", evAESKey)}, 2, "needs --appid"},
		{"secret and secret file", []string{"--secret", "s", "--secret-file", token, "version"}, 2, "give --secret or --secret-file, not both"},
		{"secret file after the command", []string{"--secret", "s", "couriers", "--secret-file", token}, 2, "not both"},
		{"missing secret file", []string{"--secret-file", missing, "couriers"}, 1, "--secret-file: open"},
	} {
		_, errOut, code := run(t, append([]string{"--db", db}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d %s", tc.name, code, errOut)
		}
		if strings.Contains(errOut, evToken) || strings.Contains(errOut, "kkkk") {
			t.Errorf("%s: the secret is in the error: %s", tc.name, errOut)
		}
	}
}

// TestSecretFileReachesWeChat: --secret-file, trimmed, is the AppSecret
// sent for the access_token, and wins over WAYBILLDESK_SECRET.
func TestSecretFileReachesWeChat(t *testing.T) {
	t.Setenv("WAYBILLDESK_SECRET", "from-the-environment")
	secrets := make(chan string, 4)
	wc := newTokenRecorder(t, secrets)
	file := secretFile(t, "appsecret", "  s3cret-from-file ")
	flags := []string{"--db", filepath.Join(t.TempDir(), "h.db"), "--api-base", wc, "--appid", "wxfile"}
	if _, errOut, code := run(t, append(flags, "--secret-file", file, "courier", "userquery", "--phone", "13800138000")...); code != 0 {
		t.Fatalf("userquery: exit %d %s", code, errOut)
	}
	if got := <-secrets; got != "s3cret-from-file" {
		t.Fatalf("AppSecret sent: %q", got)
	}
	// Without a file the environment still serves.
	if _, errOut, code := run(t, append(flags, "courier", "userquery", "--phone", "13800138000")...); code != 0 {
		t.Fatalf("userquery: exit %d %s", code, errOut)
	}
	if got := <-secrets; got != "from-the-environment" {
		t.Fatalf("AppSecret sent: %q", got)
	}
}

// newTokenRecorder is a WeChat that records the AppSecret of each
// access_token request and answers userquery.
func newTokenRecorder(t *testing.T, secrets chan<- string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wxapi.PathStableToken:
			var req wxapi.StableTokenRequest
			json.NewDecoder(r.Body).Decode(&req)
			secrets <- req.Secret
			io.WriteString(w, `{"access_token":"T","expires_in":7200}`)
		case wxapi.PathToken:
			secrets <- r.URL.Query().Get("secret")
			io.WriteString(w, `{"access_token":"T","expires_in":7200}`)
		default:
			io.WriteString(w, `{"errcode":0,"exist":1}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
