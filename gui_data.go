package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/cli"
	"waybilldesk/desk"
	"waybilldesk/diag"
	"waybilldesk/store"
	"waybilldesk/ui"
)

// tr picks the English or Chinese text of this file's few labels by the UI
// language, without going through ui's translation files (which the screens
// own) and without Fyne logging a "translation failure" for each.
func tr(en, zh string) string {
	if ui.Language() == "zh" {
		return zh
	}
	return en
}

// dataMenu is the window's "Data" menu: back up and restore the history,
// and copy the diagnostics support asks for. It lives beside the window
// set-up because restoring needs the desk itself (the history must be
// closed and the program started again), which the screens never hold.
func dataMenu(a fyne.App, w fyne.Window, d *desk.Desk) *fyne.Menu {
	return fyne.NewMenu(tr("Data", "数据"),
		fyne.NewMenuItem(tr("Back up history…", "备份历史记录…"), func() { backupDialog(w, d) }),
		fyne.NewMenuItem(tr("Restore history…", "恢复历史记录…"), func() { restoreDialog(a, w, d) }),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem(tr("Copy diagnostics", "复制诊断信息"), func() { copyDiagnostics(a, w, d) }),
	)
}

// backupDialog asks where to save a copy of the history and writes it.
func backupDialog(w fyne.Window, d *desk.Desk) {
	save := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		path := wc.URI().Path()
		wc.Close() // Backup writes beside it and renames over it
		bar, done := progressDialog(w, tr("Backing up the history…", "正在备份历史记录…"))
		go func() {
			err := d.DB.BackupWithProgress(context.Background(), path, func(n, total int64) {
				fyne.Do(func() { bar.SetValue(float64(n) / float64(total)) })
			})
			fyne.Do(func() {
				done()
				if err != nil {
					dialog.ShowError(err, w)
					return
				}
				dialog.ShowInformation(tr("Backup written", "备份已保存"), path, w)
			})
		}()
	}, w)
	save.SetFileName("waybilldesk-" + time.Now().Format("20060102-1504") + ".db")
	save.SetFilter(storage.NewExtensionFileFilter([]string{".db"}))
	save.Show()
}

// restoreDialog picks a backup (starting in the automatic backups folder),
// checks it, asks for confirmation, then closes the history, restores and
// starts the program again on the restored history.
func restoreDialog(a fyne.App, w fyne.Window, d *desk.Desk) {
	open := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		from := rc.URI().Path()
		rc.Close()
		info, err := store.Verify(context.Background(), from)
		if err != nil {
			dialog.ShowError(fmt.Errorf("%s: %w", from, err), w)
			return
		}
		msg := fmt.Sprintf(tr("Replace the history with %s (%d orders)?\nThe current history is kept beside it, and Waybill Desk restarts.", "用 %s（%d 个订单）替换历史记录？\n当前历史记录会保留在旁边，面单台随后重新启动。"), filepath.Base(from), info.Orders)
		dialog.ShowConfirm(tr("Restore history", "恢复历史记录"), msg, func(ok bool) {
			if ok {
				restoreAndRestart(a, w, d, from)
			}
		}, w)
	}, w)
	if dir, err := storage.ListerForURI(storage.NewFileURI(store.BackupDir(d.DB.Path()))); err == nil {
		open.SetLocation(dir)
	}
	open.SetFilter(storage.NewExtensionFileFilter([]string{".db"}))
	open.Show()
}

// progressDialog shows a bar under title until done is called: a copy of
// a station's history takes minutes.
func progressDialog(w fyne.Window, title string) (*widget.ProgressBar, func()) {
	bar := widget.NewProgressBar()
	d := dialog.NewCustomWithoutButtons(title, container.NewPadded(bar), w)
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
	return bar, d.Hide
}

// restoreAndRestart closes the history (Restore needs it closed), restores
// from, and starts a new instance of the program before quitting this one,
// because every service holds the old database.
func restoreAndRestart(a fyne.App, w fyne.Window, d *desk.Desk, from string) {
	path := d.DB.Path()
	if err := d.DB.Close(); err != nil {
		slog.Warn("close the history for a restore", "err", err)
	}
	bar, done := progressDialog(w, tr("Restoring the history…", "正在恢复历史记录…"))
	bar.TextFormatter = func() string { return tr("checking the backup…", "正在检查备份…") }
	go func() {
		res, err := store.Restore(context.Background(), path, from, func(n, total int64) {
			fyne.Do(func() {
				bar.TextFormatter = nil
				bar.SetValue(float64(n) / float64(total))
			})
		})
		fyne.Do(func() {
			done()
			if err != nil {
				slog.Error("restore failed", "from", from, "err", err)
				dialog.ShowError(fmt.Errorf("%w\n%s", err, tr("Waybill Desk closes now; start it again.", "面单台即将关闭，请重新启动。")), w)
				w.SetOnClosed(a.Quit)
				return
			}
			slog.Info("history restored", "from", from, "kept", res.KeptAt, "orders", res.Orders)
			if exe, err := os.Executable(); err == nil {
				cmd := exec.Command(exe, os.Args[1:]...)
				if err := cmd.Start(); err != nil {
					slog.Error("restart after restore", "err", err)
				}
			}
			a.Quit()
		})
	}()
}

// copyDiagnostics puts the diagnostics report on the clipboard and shows
// it, so it can also be read or selected by hand.
func copyDiagnostics(a fyne.App, w fyne.Window, d *desk.Desk) {
	go func() {
		text := diag.Collect(context.Background(), diag.FromConfig(cli.Version, d.Config, 0)).String()
		fyne.Do(func() {
			a.Clipboard().SetContent(text)
			entry := widget.NewMultiLineEntry()
			entry.SetText(text)
			entry.TextStyle = fyne.TextStyle{Monospace: true}
			scroll := container.NewScroll(entry)
			scroll.SetMinSize(fyne.NewSize(720, 420))
			dialog.NewCustom(tr("Diagnostics copied to the clipboard", "诊断信息已复制到剪贴板"), tr("Close", "关闭"), scroll, w).Show()
		})
	}()
}
