package wxapi

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Message-push security (消息推送, safe mode): signatures over the sorted
// token/timestamp/nonce[/Encrypt], and AES-256-CBC with IV = key[:16],
// PKCS#7 padding to 32-byte blocks, and the plaintext layout
// random(16) | msg_len (4 bytes, big-endian) | msg | appid.

// Errors of message-push verification; each means "reject the push".
var (
	ErrBadSignature = errors.New("message push: signature does not match")
	ErrBadAESKey    = errors.New("message push: EncodingAESKey must be 43 characters of [A-Za-z0-9]")
	ErrBadCipher    = errors.New("message push: ciphertext is malformed")
	ErrWrongAppID   = errors.New("message push: message is for another AppID")
	ErrStale        = errors.New("message push: timestamp outside the accepted window (replay?)")
)

// Signature is hex(sha1(concat(sort(parts)))): the URL signature with
// (token, timestamp, nonce) and msg_signature with the Encrypt value added.
func Signature(parts ...string) string {
	s := append([]string(nil), parts...)
	sort.Strings(s)
	sum := sha1.Sum([]byte(strings.Join(s, "")))
	return hex.EncodeToString(sum[:])
}

// signatureEqual compares in constant time so a forger learns nothing from timing.
func signatureEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(a)), []byte(strings.ToLower(b))) == 1
}

// PushCrypto encrypts and decrypts safe-mode messages of one mini program.
type PushCrypto struct {
	Token string
	AppID string
	key   []byte
	prev  []byte // the previous EncodingAESKey's key, tried when the current fails
}

// NewPushCrypto checks the EncodingAESKey (43 characters) and returns the
// crypto for token and appID. previousKey, when not empty, is the key used
// before the last rotation; messages sealed with it are still accepted.
func NewPushCrypto(token, encodingAESKey, appID, previousKey string) (*PushCrypto, error) {
	key, err := decodeAESKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	p := &PushCrypto{Token: token, AppID: appID, key: key}
	if previousKey != "" {
		if p.prev, err = decodeAESKey(previousKey); err != nil {
			return nil, fmt.Errorf("previous key: %w", err)
		}
	}
	return p, nil
}

func decodeAESKey(k string) ([]byte, error) {
	if len(k) != 43 {
		return nil, ErrBadAESKey
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return nil, ErrBadAESKey
		}
	}
	key, err := base64.StdEncoding.DecodeString(k + "=")
	if err != nil || len(key) != 32 {
		return nil, ErrBadAESKey
	}
	return key, nil
}

// blockSize32 is the PKCS#7 block size WeChat pads to (not AES's 16).
const blockSize32 = 32

// Encrypt seals msg with a fresh random prefix and returns the base64
// Encrypt value.
func (p *PushCrypto) Encrypt(msg []byte) (string, error) {
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return "", err
	}
	return p.encryptWith(random, msg)
}

func (p *PushCrypto) encryptWith(random, msg []byte) (string, error) {
	var plain bytes.Buffer
	plain.Write(random)
	binary.Write(&plain, binary.BigEndian, uint32(len(msg)))
	plain.Write(msg)
	plain.WriteString(p.AppID)
	pad := blockSize32 - plain.Len()%blockSize32
	plain.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	block, err := aes.NewCipher(p.key)
	if err != nil {
		return "", err
	}
	out := make([]byte, plain.Len())
	cipher.NewCBCEncrypter(block, p.key[:16]).CryptBlocks(out, plain.Bytes())
	return base64.StdEncoding.EncodeToString(out), nil
}

// Decrypt opens a base64 Encrypt value and returns the message, after
// checking the padding, the length and the trailing AppID. An empty AppID
// on p skips the AppID check (WeCom-style receivers use other ids).
func (p *PushCrypto) Decrypt(encrypt string) ([]byte, error) {
	msg, err := p.decryptWith(p.key, encrypt)
	if err != nil && p.prev != nil && !errors.Is(err, ErrWrongAppID) {
		if m, perr := p.decryptWith(p.prev, encrypt); perr == nil {
			return m, nil
		}
	}
	return msg, err
}

func (p *PushCrypto) decryptWith(key []byte, encrypt string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil || len(raw) == 0 || len(raw)%aes.BlockSize != 0 {
		return nil, ErrBadCipher
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(plain, raw)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > blockSize32 || pad > len(plain) {
		return nil, ErrBadCipher
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, ErrBadCipher
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, ErrBadCipher
	}
	n := int(binary.BigEndian.Uint32(plain[16:20]))
	if n > len(plain)-20 {
		return nil, ErrBadCipher
	}
	msg, appID := plain[20:20+n], string(plain[20+n:])
	if p.AppID != "" && appID != p.AppID {
		return nil, ErrWrongAppID
	}
	return msg, nil
}

// SafeMode reports whether p holds an EncodingAESKey, so that messages
// can be encrypted and decrypted.
func (p *PushCrypto) SafeMode() bool { return p != nil && p.key != nil }

// VerifyURL checks the URL signature of a push or of the echostr check.
func (p *PushCrypto) VerifyURL(signature, timestamp, nonce string) error {
	if !signatureEqual(signature, Signature(p.Token, timestamp, nonce)) {
		return ErrBadSignature
	}
	return nil
}

// Open verifies msg_signature over the Encrypt value and decrypts it.
func (p *PushCrypto) Open(msgSignature, timestamp, nonce, encrypt string) ([]byte, error) {
	if !signatureEqual(msgSignature, Signature(p.Token, timestamp, nonce, encrypt)) {
		return nil, ErrBadSignature
	}
	return p.Decrypt(encrypt)
}

// SealedReply is an encrypted reply body with its own signature.
type SealedReply struct {
	Encrypt      string `json:"Encrypt" xml:"Encrypt"`
	MsgSignature string `json:"MsgSignature" xml:"MsgSignature"`
	TimeStamp    int64  `json:"TimeStamp" xml:"TimeStamp"`
	Nonce        string `json:"Nonce" xml:"Nonce"`
}

// Seal encrypts a reply and signs it for the given timestamp and nonce.
func (p *PushCrypto) Seal(reply []byte, timestamp int64, nonce string) (*SealedReply, error) {
	enc, err := p.Encrypt(reply)
	if err != nil {
		return nil, err
	}
	return &SealedReply{Encrypt: enc, TimeStamp: timestamp, Nonce: nonce,
		MsgSignature: Signature(p.Token, fmt.Sprint(timestamp), nonce, enc)}, nil
}
