package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The data folder (where the history, its backups, the logs and the
// sandbox state live) must be known before the history is opened, so it
// cannot be a setting inside the history. A chosen folder is written as
// one line to DataDirFile in the user's config folder; without it the
// default folder is used.

// appFolder is the folder name under the user's config folder (desk.AppName).
const appFolder = "waybilldesk"

// DataDirFile is the file that names a chosen data folder:
// <user config dir>/waybilldesk/datadir.txt.
func DataDirFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config folder: %w", err)
	}
	return filepath.Join(dir, appFolder, "datadir.txt"), nil
}

// DataDir returns the data folder chosen in Settings, or "" when the
// default is used.
func DataDir() (string, error) {
	f, err := DataDirFile()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(f)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the data folder setting: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// SetDataDir chooses the data folder used from the next start; "" goes
// back to the default. The folder is created; an existing history there
// is used as it is (nothing is moved: copy or restore one first).
func SetDataDir(dir string) error {
	f, err := DataDirFile()
	if err != nil {
		return err
	}
	dir = strings.TrimSpace(dir)
	if dir == "" {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reset the data folder: %w", err)
		}
		return nil
	}
	if !filepath.IsAbs(dir) {
		return &FieldError{"data_dir", fmt.Sprintf("%q is not an absolute path", dir)}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the data folder: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
		return fmt.Errorf("save the data folder: %w", err)
	}
	if err := os.WriteFile(f, []byte(dir+"\n"), 0o600); err != nil {
		return fmt.Errorf("save the data folder: %w", err)
	}
	return nil
}
