// Package keyringtest gives tests a real Secret Service: a private D-Bus
// session bus and a gnome-keyring-daemon on it with a fresh login keyring
// in a temporary home, so the settings are tested against the keyring the
// desk uses on Linux rather than a map. Start it from TestMain, before
// anything talks to D-Bus (the session bus address is read once).
package keyringtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zalando/go-keyring"
)

// Keyring is a running private Secret Service.
type Keyring struct {
	dir    string
	bus    *exec.Cmd
	daemon *exec.Cmd
	oldBus string
	hadBus bool
}

// password unlocks the throw-away login keyring; gnome-keyring does not
// create a login keyring for an empty one.
const password = "waybilldesk-test"

// Start starts dbus-daemon and gnome-keyring-daemon and points this
// process at them (DBUS_SESSION_BUS_ADDRESS). It returns an error when
// they are not installed (Debian: dbus, gnome-keyring) or do not come up;
// callers then fall back to keyring.MockInit and say so.
func Start() (*Keyring, error) {
	for _, b := range []string{"dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(b); err != nil {
			return nil, fmt.Errorf("keyringtest: %s not installed: %w", b, err)
		}
	}
	dir, err := os.MkdirTemp("", "keyringtest")
	if err != nil {
		return nil, err
	}
	k := &Keyring{dir: dir}
	k.oldBus, k.hadBus = os.LookupEnv("DBUS_SESSION_BUS_ADDRESS")
	if err := k.start(); err != nil {
		k.Stop()
		return nil, err
	}
	return k, nil
}

func (k *Keyring) start() error {
	// A bus of our own without service activation: a lookup made before
	// our daemon owns org.freedesktop.secrets must fail and be retried, not
	// start a second, locked keyring daemon from the system's service files.
	conf := filepath.Join(k.dir, "session.conf")
	if err := os.WriteFile(conf, []byte(busConfig(filepath.Join(k.dir, "bus"))), 0o600); err != nil {
		return err
	}
	k.bus = exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	k.bus.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := k.bus.StdoutPipe()
	if err != nil {
		return err
	}
	if err := k.bus.Start(); err != nil {
		return fmt.Errorf("keyringtest: start dbus-daemon: %w", err)
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	var busAddr string
	select {
	case busAddr = <-addr:
	case <-time.After(5 * time.Second):
		return errors.New("keyringtest: dbus-daemon printed no address")
	}
	if busAddr == "" {
		return errors.New("keyringtest: dbus-daemon printed no address")
	}
	home := filepath.Join(k.dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	k.daemon = exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	k.daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	k.daemon.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+busAddr, "HOME="+home,
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_RUNTIME_DIR="+k.dir, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	k.daemon.Stdin = strings.NewReader(password)
	if err := k.daemon.Start(); err != nil {
		return fmt.Errorf("keyringtest: start gnome-keyring-daemon: %w", err)
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", busAddr)
	// Ready when a lookup answers "not found" rather than failing.
	deadline := time.Now().Add(10 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		_, last = keyring.Get("waybilldesk-keyringtest", "probe")
		if errors.Is(last, keyring.ErrNotFound) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("keyringtest: the Secret Service did not come up: %v", last)
}

func busConfig(sock string) string {
	return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=` + sock + `</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`
}

// Stop ends the two daemons (by their process ids) and removes the
// temporary home.
func (k *Keyring) Stop() {
	for _, c := range []*exec.Cmd{k.daemon, k.bus} {
		if c != nil && c.Process != nil {
			_ = c.Process.Kill()
			_, _ = c.Process.Wait()
		}
	}
	if k.hadBus {
		os.Setenv("DBUS_SESSION_BUS_ADDRESS", k.oldBus)
	} else {
		os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
	}
	os.RemoveAll(k.dir)
}
