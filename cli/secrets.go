package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"waybilldesk/internal/capped"
)

// Secrets (the AppSecret, the message-push Token, the EncodingAESKey) can
// come from a file or the environment as well as a flag: a flag's value is
// visible to every user of the machine in `ps`.

// maxSecretFile caps a secret file: tokens and keys are tens of bytes, so
// anything bigger is the wrong file (or /dev/zero) and is not read on.
const maxSecretFile = 4 << 10

// Environment variables of the secrets of `events serve` and `courier serve`.
const (
	envPushToken   = "WAYBILLDESK_PUSH_TOKEN"
	envAESKey      = "WAYBILLDESK_AES_KEY"
	envPreviousKey = "WAYBILLDESK_PREVIOUS_AES_KEY"
	envScanToken   = "WAYBILLDESK_SCAN_TOKEN"
)

// secretOption is one secret of a command: --NAME, --NAME-file, or an
// environment variable when neither flag is given.
type secretOption struct {
	name, env   string
	value, file string
}

// bindSecret binds --name and --name-file to fs for the secret described
// by what; env (may be "") is read when neither is given.
func bindSecret(fs *flag.FlagSet, name, env, what string) *secretOption {
	s := &secretOption{name: name, env: env}
	also := ""
	if env != "" {
		also = ", or env " + env
	}
	fs.StringVar(&s.value, name, "", what+" (visible in ps: prefer --"+name+"-file"+also+")")
	fs.StringVar(&s.file, name+"-file", "", "file holding "+what+" (read once, surrounding spaces trimmed)")
	return s
}

// get returns the secret: from the flag or the file (giving both is an
// error), else from the environment, else "".
func (s *secretOption) get() (string, error) {
	switch {
	case s.value != "" && s.file != "":
		return "", usagef("give --%s or --%s-file, not both", s.name, s.name)
	case s.file != "":
		return readSecretFile(s.file, "--"+s.name+"-file")
	case s.value != "":
		return s.value, nil
	case s.env != "":
		return strings.TrimSpace(os.Getenv(s.env)), nil
	}
	return "", nil
}

// readSecretFile reads a secret from path, at most maxSecretFile bytes,
// trimmed. A missing, unreadable, empty or oversized file is an error
// naming the flag, never the content.
func readSecretFile(path, flagName string) (string, error) {
	b, err := capped.ReadFile(path, maxSecretFile)
	if errors.Is(err, capped.ErrTooLarge) {
		return "", fmt.Errorf("%s: %s is larger than %d bytes: it should hold only the secret", flagName, path, maxSecretFile)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", flagName, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s: %s is empty", flagName, path)
	}
	return v, nil
}

// resolveSecret sets the AppSecret from --secret-file when it is given:
// it wins over WAYBILLDESK_SECRET, and --secret with it is an error. fs is
// the flag set just parsed (the global one, then the sub-command's).
func (e *env) resolveSecret(fs *flag.FlagSet) error {
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "secret" {
			e.secretGiven = true
		}
	})
	if e.secretFile == "" {
		return nil
	}
	if e.secretGiven {
		return usagef("give --secret or --secret-file, not both")
	}
	v, err := readSecretFile(e.secretFile, "--secret-file")
	if err != nil {
		return err
	}
	e.cfg.Secret = v
	return nil
}

// errNoToken is the error of a server started without its Token.
var errNoToken = errors.New("the message-push Token is required: --token-file F, env " + envPushToken + " or --token")
