package desk

import (
	"context"

	"waybilldesk/settings"
)

// applySettings completes cfg from the settings saved in the window (in
// the history: the AppID, token mode, sandbox switch and speed, callback
// URL and push token, the label renderer's tabs and allowed hosts) and the
// AppSecret in the system keyring; flags and environment variables win.
// When the stored AppID's secret cannot be read, SecretErr says why and
// the desk runs on the sandbox.
func (d *Desk) applySettings(ctx context.Context, cfg Config) Config {
	got, err := d.Settings.Fill(ctx, settings.Startup{AppID: cfg.AppID, Secret: cfg.Secret, TokenMode: cfg.TokenMode,
		CallbackURL: cfg.CallbackURL, PushToken: cfg.PushToken, Sandbox: cfg.Sandbox, SandboxSpeed: cfg.SandboxSpeed,
		LabelTabs: cfg.RenderTabs, LabelHosts: cfg.RenderHosts})
	if err != nil {
		cfg.Logger.Warn("stored settings not read; using the command line's", "err", err)
		return cfg
	}
	if got.SecretErr != nil {
		d.SecretErr = got.SecretErr
		cfg.Logger.Warn("no AppSecret for the stored AppID: running on the sandbox", "appid", got.AppID, "err", got.SecretErr)
	}
	cfg.AppID, cfg.Secret, cfg.TokenMode = got.AppID, got.Secret, got.TokenMode
	cfg.Sandbox, cfg.SandboxSpeed = got.Sandbox, got.SandboxSpeed
	cfg.CallbackURL, cfg.PushToken = got.CallbackURL, got.PushToken
	cfg.RenderTabs, cfg.RenderHosts = got.LabelTabs, got.LabelHosts
	return cfg
}
