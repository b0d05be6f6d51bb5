package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/printing"
	"waybilldesk/settings"
	"waybilldesk/wxapi"
)

// tokenModes are the token mode picker's choices.
var tokenModes = []struct{ label, value string }{
	{"Stable token (recommended)", settings.TokenStable},
	{"Classic token", settings.TokenClassic},
}

// noticeFamilies are the buyer-notice kinds.
var noticeFamilies = []struct{ label, value string }{
	{"Logistics messages (follow_waybill)", orders.FamilyFollow},
	{"Tracking plug-in (trace_waybill)", orders.FamilyTrace},
}

// languageNames are the language picker's choices, in Languages' order;
// each is written in its own language.
var languageNames = []string{"中文", "English"}

// SettingsScreen is the "设置" tab: the mini program's AppID and AppSecret
// (the secret goes to the system keyring, never to the history), the
// token mode, the message push (callback URL, push token, EncodingAESKey
// in the keyring, and a receiver on this machine), the sandbox switch and
// speed, buyer notices, the UI language, the data folder, and backups.
// WeChat and sandbox settings apply at the next start (the sandbox pushes
// to the callback URL from then on); the receiver and buyer notices at
// once.
type SettingsScreen struct {
	AppID     *FormEntry
	Secret    *FormEntry // password field; empty keeps the stored secret
	SecretRow *widget.Label
	TokenMode *widget.Select
	Callback  *FormEntry
	// PushToken is the message-push Token; AESKey the EncodingAESKey of
	// safe mode (password field, kept in the keyring; empty keeps the
	// stored one), AESKeyRow says whether one is stored and ForgetAESKey
	// removes it.
	PushToken    *FormEntry
	AESKey       *FormEntry
	AESKeyRow    *widget.Label
	ForgetAESKey *widget.Button
	// ReceivePushes runs the push receiver in the desk, on PushListen;
	// PushStatus says what it does (listening, last push, errors).
	ReceivePushes *widget.Check
	PushListen    *FormEntry
	PushStatus    *widget.Label
	Sandbox       *widget.Check
	Speed         *FormEntry
	// LabelTabs is how many labels render at the same time (empty:
	// automatic) and LabelHosts the hosts labels may load from, one per
	// line; they apply at the next start.
	LabelTabs  *FormEntry
	LabelHosts *FormEntry
	// Save stores the settings above (the secrets in the keyring) and
	// starts or stops the push receiver; SaveRendering, beside the label
	// rendering fields, does the same.
	Save          *widget.Button
	SaveRendering *widget.Button

	Notices      *widget.Check
	NoticeFamily *widget.Select
	GoodsImage   *FormEntry
	SaveNotices  *widget.Button

	Language *widget.Select
	DataDir  *FormEntry
	// ChooseDir opens a folder picker; SaveDir keeps the typed folder.
	ChooseDir *widget.Button
	SaveDir   *widget.Button

	BackupNow *widget.Button
	Restore   *widget.Button

	// Message is the outcome of the last action.
	Message *widget.Label
	Content fyne.CanvasObject

	m      *Main
	loaded bool
	busy   bool
}

func newSettingsScreen(m *Main) *SettingsScreen {
	s := &SettingsScreen{m: m}
	s.AppID = newFormEntry("wx0123456789abcdef")
	s.Secret = newFormEntry(lang.L("32 characters; empty keeps the stored one"))
	s.Secret.Password = true
	s.SecretRow = widget.NewLabel("")
	s.SecretRow.SizeName = theme.SizeNameCaptionText
	s.SecretRow.Wrapping = fyne.TextWrapWord
	var modes []string
	for _, t := range tokenModes {
		modes = append(modes, lang.L(t.label))
	}
	s.TokenMode = widget.NewSelect(modes, nil)
	s.TokenMode.SetSelectedIndex(0)
	s.Callback = newFormEntry("https://desk.example.com/wechat/push")
	s.PushToken = newFormEntry(lang.L("3–32 letters or digits, as in the mini program's console"))
	s.AESKey = newFormEntry(lang.L("43 characters for safe mode; empty keeps the stored one"))
	s.AESKey.Password = true
	s.AESKeyRow = widget.NewLabel("")
	s.AESKeyRow.SizeName = theme.SizeNameCaptionText
	s.AESKeyRow.Wrapping = fyne.TextWrapWord
	s.ForgetAESKey = widget.NewButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), s.forgetAESKey)
	s.ForgetAESKey.Hide()
	s.ReceivePushes = widget.NewCheck(lang.L("Receive pushes on this machine"), nil)
	s.PushListen = newFormEntry(settings.DefaultPushListen)
	s.PushStatus = widget.NewLabel(lang.L("Not receiving pushes on this machine."))
	s.PushStatus.Wrapping = fyne.TextWrapWord
	if m.s.Pushes == nil {
		s.ReceivePushes.Disable()
		s.PushListen.Disable()
	}
	s.Sandbox = widget.NewCheck(lang.L("Always use the sandbox, even with an AppID"), nil)
	s.Speed = newFormEntry("1")
	s.Speed.onLeave = func(t string) string {
		if _, err := parseDecimal(t); err != nil {
			return err.Error()
		}
		return ""
	}
	s.LabelTabs = newFormEntry(lang.L("Automatic: {{.N}}", map[string]any{"N": printing.DefaultTabs()}))
	s.LabelTabs.onLeave = func(t string) string {
		if _, err := parseCount(t, 0); err != nil {
			return err.Error()
		}
		return ""
	}
	s.LabelHosts = newFormEntry(lang.L("None: labels load nothing from the network"))
	s.LabelHosts.MultiLine = true
	s.LabelHosts.SetMinRowsVisible(2)
	s.Save = widget.NewButtonWithIcon(lang.L("Save"), theme.DocumentSaveIcon(), s.save)
	s.Save.Importance = widget.HighImportance
	s.SaveRendering = widget.NewButtonWithIcon(lang.L("Save"), theme.DocumentSaveIcon(), s.save)

	s.Notices = widget.NewCheck(lang.L("Notify buyers through WeChat when a parcel moves"), nil)
	var fams []string
	for _, f := range noticeFamilies {
		fams = append(fams, lang.L(f.label))
	}
	s.NoticeFamily = widget.NewSelect(fams, nil)
	s.NoticeFamily.SetSelectedIndex(0)
	s.GoodsImage = newFormEntry("https://shop.example.com/logo.png")
	s.SaveNotices = widget.NewButtonWithIcon(lang.L("Save buyer notices"), theme.DocumentSaveIcon(), s.saveNotices)

	s.Language = widget.NewSelect(languageNames, nil)
	for i, l := range Languages {
		if l == Language() {
			s.Language.SetSelectedIndex(i)
		}
	}
	s.Language.OnChanged = func(string) { s.languageChosen() }
	s.DataDir = newFormEntry("")
	s.ChooseDir = widget.NewButtonWithIcon(lang.L("Choose…"), theme.FolderOpenIcon(), s.chooseDir)
	s.SaveDir = widget.NewButtonWithIcon(lang.L("Use this folder"), theme.DocumentSaveIcon(), func() { s.saveDir(s.DataDir.Text) })
	s.BackupNow = widget.NewButtonWithIcon(lang.L("Back up now"), theme.DownloadIcon(), s.backup)
	s.Restore = widget.NewButtonWithIcon(lang.L("Restore a backup…"), theme.HistoryIcon(), func() {
		if m.s.Restore != nil {
			m.s.Restore()
		}
	})
	if m.s.Restore == nil {
		s.Restore.Hide()
	}
	s.Message = widget.NewLabel("")
	s.Message.Wrapping = fyne.TextWrapWord
	s.Message.Hide()

	wechat := formColumn(
		headingRow(lang.L("WeChat mini program")),
		[]fyne.CanvasObject{
			fieldLabel("AppID"), s.AppID.withError(),
			fieldLabel("AppSecret"), container.NewVBox(s.Secret.withError(), s.SecretRow),
			fieldLabel(lang.L("Token")), s.TokenMode,
			fieldLabel(lang.L("Callback URL")), s.Callback.withError(),
			fieldLabel(lang.L("Push token")), s.PushToken.withError(),
			fieldLabel("EncodingAESKey"), container.NewVBox(s.AESKey.withError(),
				container.NewBorder(nil, nil, nil, s.ForgetAESKey, s.AESKeyRow)),
		},
		headingRow(lang.L("Receive pushes")),
		[]fyne.CanvasObject{
			fieldLabel(""), s.ReceivePushes,
			fieldLabel(lang.L("Listen on")), s.PushListen.withError(),
			fieldLabel(""), s.PushStatus,
		},
		headingRow(lang.L("Sandbox")),
		[]fyne.CanvasObject{
			fieldLabel(""), s.Sandbox,
			fieldLabel(lang.L("Sandbox speed ×")), s.Speed.withError(),
			fieldLabel(""), container.NewHBox(s.Save),
		},
	)
	desk := formColumn(
		headingRow(lang.L("Buyer notices")),
		[]fyne.CanvasObject{
			fieldLabel(""), s.Notices,
			fieldLabel(lang.L("Kind")), s.NoticeFamily,
			fieldLabel(lang.L("Goods picture URL")), s.GoodsImage.withError(),
			fieldLabel(""), container.NewHBox(s.SaveNotices),
		},
		headingRow(lang.L("Label rendering")),
		[]fyne.CanvasObject{
			fieldLabel(lang.L("Labels at once")), s.LabelTabs.withError(),
			fieldLabel(lang.L("Allowed hosts")), container.NewVBox(s.LabelHosts.withError(), hint(lang.L(
				"One host or host:port per line, for logos or fonts a template fetches; anything else a label asks for is blocked."))),
			fieldLabel(""), container.NewHBox(s.SaveRendering),
		},
		headingRow(lang.L("This desk")),
		[]fyne.CanvasObject{
			fieldLabel(lang.L("Language")), s.Language,
			fieldLabel(lang.L("Data folder")), container.NewBorder(nil, nil, nil, container.NewHBox(s.ChooseDir, s.SaveDir), s.DataDir.withError()),
			fieldLabel(lang.L("Backups")), container.NewHBox(s.BackupNow, s.Restore),
		},
	)
	s.Content = container.NewBorder(nil, s.Message, nil, nil,
		container.NewVScroll(container.NewGridWithColumns(2, wechat, desk)))
	return s
}

// hint is a caption under a field that says what it is for.
func hint(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameCaptionText
	l.Wrapping = fyne.TextWrapWord
	return l
}

// settingsView is what the screen loads.
type settingsView struct {
	st       settings.Settings
	hasSec   bool
	secErr   error
	hasKey   bool
	keyErr   error
	notices  orders.NoticeSettings
	dataDir  string
	dataPath string
}

// selected loads the settings the first time the tab is shown.
func (s *SettingsScreen) selected() {
	if !s.loaded {
		s.load()
	}
}

func (s *SettingsScreen) load() {
	st, svc := s.m.s.Settings, s.m.s.Orders
	if st == nil || svc == nil {
		return
	}
	s.loaded = true
	background(s.m.b, localTimeout, func(ctx context.Context) (settingsView, error) {
		var v settingsView
		var err error
		if v.st, err = st.Load(ctx); err != nil {
			return v, err
		}
		if v.notices, err = svc.Notices(ctx); err != nil {
			return v, err
		}
		if v.st.AppID != "" {
			v.hasSec, v.secErr = st.HasSecret(ctx, v.st.AppID)
		}
		if v.st.PushToken != "" {
			v.hasKey, v.keyErr = st.HasAESKey(ctx)
		}
		v.dataDir, _ = settings.DataDir()
		v.dataPath = st.DataPath()
		return v, nil
	}, func(v settingsView, err error) {
		if err != nil {
			s.say(widget.DangerImportance, lang.L("Could not read the settings")+": "+err.Error())
			return
		}
		s.AppID.SetText(v.st.AppID)
		for i, t := range tokenModes {
			if t.value == v.st.TokenMode {
				s.TokenMode.SetSelectedIndex(i)
			}
		}
		s.Callback.SetText(v.st.CallbackURL)
		s.PushToken.SetText(v.st.PushToken)
		s.ReceivePushes.SetChecked(v.st.ReceivePushes)
		s.PushListen.SetText(v.st.PushListen)
		s.showAESKey(v.hasKey, v.keyErr)
		s.Sandbox.SetChecked(v.st.Sandbox)
		speed := v.st.SandboxSpeed
		if speed < 1 {
			speed = 1
		}
		s.Speed.SetText(strconv.FormatFloat(speed, 'f', -1, 64))
		s.LabelTabs.SetText("")
		if v.st.LabelTabs > 0 {
			s.LabelTabs.SetText(strconv.Itoa(v.st.LabelTabs))
		}
		s.LabelHosts.SetText(strings.Join(v.st.LabelHosts, "\n"))
		s.showSecret(v.st.AppID, v.hasSec, v.secErr)
		s.Notices.SetChecked(v.notices.Enabled)
		for i, f := range noticeFamilies {
			if f.value == v.notices.Family {
				s.NoticeFamily.SetSelectedIndex(i)
			}
		}
		s.GoodsImage.SetText(v.notices.GoodsImgURL)
		dir := v.dataDir
		if dir == "" {
			dir = parentDir(v.dataPath)
		}
		s.DataDir.SetText(dir)
	})
}

func parentDir(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i > 0 {
		return path[:i]
	}
	return path
}

// showSecret says where the secret is, never what it is.
func (s *SettingsScreen) showSecret(appID string, has bool, err error) {
	s.SecretRow.Importance = widget.MediumImportance
	switch {
	case errors.Is(err, settings.ErrNoKeyring):
		s.SecretRow.Importance = widget.DangerImportance
		s.SecretRow.SetText(settings.ErrNoKeyring.Error())
	case err != nil:
		s.SecretRow.Importance = widget.DangerImportance
		s.SecretRow.SetText(err.Error())
	case has:
		s.SecretRow.SetText(lang.L("Stored in the system keyring."))
	case appID != "":
		s.SecretRow.Importance = widget.WarningImportance
		s.SecretRow.SetText(lang.L("Not stored yet: type it above and save."))
	default:
		s.SecretRow.SetText(lang.L("Kept in the system keyring, never in the history."))
	}
}

// showAESKey says whether an EncodingAESKey is stored, never what it is.
func (s *SettingsScreen) showAESKey(has bool, err error) {
	s.AESKeyRow.Importance = widget.MediumImportance
	s.ForgetAESKey.Hide()
	switch {
	case err != nil:
		s.AESKeyRow.Importance = widget.DangerImportance
		s.AESKeyRow.SetText(err.Error())
	case has:
		s.AESKeyRow.SetText(lang.L("Stored in the system keyring: pushes are in safe mode."))
		s.ForgetAESKey.Show()
	default:
		s.AESKeyRow.SetText(lang.L("None: pushes are in plaintext mode, checked by the push token."))
	}
}

// showPushStatus says what the push receiver does.
func (s *SettingsScreen) showPushStatus(st orders.PushStatus) {
	text, imp := pushStatusText(st)
	s.PushStatus.Importance = imp
	s.PushStatus.SetText(text)
}

// pushStatusText words the receiver's status: where it listens, the last
// push and the last error.
func pushStatusText(st orders.PushStatus) (string, widget.Importance) {
	if st.Addr == "" {
		if st.Error != "" {
			return lang.L("Not receiving pushes") + ": " + st.Error, widget.DangerImportance
		}
		return lang.L("Not receiving pushes on this machine."), widget.MediumImportance
	}
	imp := widget.SuccessImportance
	text := lang.L("Listening on http://{{.Addr}}/", map[string]any{"Addr": st.Addr})
	if st.SafeMode {
		text += " (" + lang.L("safe mode") + ")"
	}
	if st.Received == 0 {
		text += " · " + lang.L("no push yet")
	} else {
		text += " · " + lang.L("{{.N}} push(es), the last at {{.Time}}", map[string]any{"N": st.Received, "Time": st.LastAt.Local().Format("15:04:05")})
		switch {
		case st.LastWaybill != "" && st.LastOrderID == "":
			text += " (" + lang.L("waybill {{.Waybill}}, not in this history", map[string]any{"Waybill": st.LastWaybill}) + ")"
		case st.LastOrderID != "":
			text += " (" + lang.L("waybill") + " " + st.LastWaybill + " → " + stageText(st.LastStage) + ")"
		}
	}
	if st.Error != "" {
		imp = widget.WarningImportance
		text += "\n" + lang.L("Last error at {{.Time}}: {{.Error}}", map[string]any{"Time": st.ErrorAt.Local().Format("15:04:05"), "Error": st.Error})
	}
	return text, imp
}

func (s *SettingsScreen) say(imp widget.Importance, text string) {
	showMessage(s.Message, imp, text)
}

// fieldFor is where a settings error is shown.
func (s *SettingsScreen) fieldFor(field string) *FormEntry {
	switch field {
	case "appid":
		return s.AppID
	case "secret":
		return s.Secret
	case "callback_url":
		return s.Callback
	case "push_token":
		return s.PushToken
	case "push_listen":
		return s.PushListen
	case "aes_key":
		return s.AESKey
	case "sandbox_speed":
		return s.Speed
	case "label_tabs":
		return s.LabelTabs
	case "label_hosts":
		return s.LabelHosts
	case "goods_img_url":
		return s.GoodsImage
	case "data_dir":
		return s.DataDir
	}
	return nil
}

// showError puts an error at its field, or in the message line.
func (s *SettingsScreen) showError(head string, err error) {
	var fe *settings.FieldError
	if errors.As(err, &fe) {
		if e := s.fieldFor(fe.Field); e != nil {
			e.SetError(fe.Reason)
		}
	}
	if errors.Is(err, settings.ErrNoKeyring) {
		// Marked at what was being put in the keyring.
		if strings.TrimSpace(s.AESKey.Text) != "" && strings.TrimSpace(s.Secret.Text) == "" {
			s.AESKey.SetError(settings.ErrNoKeyring.Error())
		} else {
			s.Secret.SetError(settings.ErrNoKeyring.Error())
		}
	}
	s.say(widget.DangerImportance, head+": "+err.Error())
}

// save stores the WeChat and sandbox settings, and the secret when one
// was typed.
func (s *SettingsScreen) save() {
	st := s.m.s.Settings
	if st == nil || s.busy {
		return
	}
	for _, e := range []*FormEntry{s.AppID, s.Secret, s.Callback, s.PushToken, s.AESKey, s.PushListen, s.Speed, s.LabelTabs, s.LabelHosts} {
		e.ClearError()
	}
	in := settings.Settings{AppID: strings.TrimSpace(s.AppID.Text), CallbackURL: strings.TrimSpace(s.Callback.Text), Sandbox: s.Sandbox.Checked,
		PushToken: strings.TrimSpace(s.PushToken.Text), ReceivePushes: s.ReceivePushes.Checked, PushListen: strings.TrimSpace(s.PushListen.Text),
		LabelHosts: []string{s.LabelHosts.Text}} // Save reads one host per line, or separated by commas or spaces
	if i := s.TokenMode.SelectedIndex(); i >= 0 {
		in.TokenMode = tokenModes[i].value
	}
	speed, err := parseDecimal(s.Speed.Text)
	if err != nil {
		s.Speed.SetError(err.Error())
		return
	}
	in.SandboxSpeed = speed
	if in.LabelTabs, err = parseCount(s.LabelTabs.Text, 0); err != nil {
		s.LabelTabs.SetError(err.Error())
		return
	}
	secret, aesKey := strings.TrimSpace(s.Secret.Text), strings.TrimSpace(s.AESKey.Text)
	pushes := s.m.s.Pushes
	s.busy = true
	s.Save.Disable()
	s.SaveRendering.Disable()
	type saved struct {
		has, hasKey    bool
		secErr, keyErr error
		push           orders.PushStatus
		pushErr        error // the receiver could not start
	}
	background(s.m.b, saveTimeout, func(ctx context.Context) (saved, error) {
		if err := st.Save(ctx, in); err != nil {
			return saved{}, err
		}
		if secret != "" {
			if err := st.SetSecret(ctx, in.AppID, secret); err != nil {
				return saved{}, err
			}
		}
		if aesKey != "" {
			if err := st.SetAESKey(ctx, aesKey); err != nil {
				return saved{}, err
			}
		}
		var r saved
		if in.AppID != "" {
			r.has, r.secErr = st.HasSecret(ctx, in.AppID)
		}
		if in.PushToken != "" {
			r.hasKey, r.keyErr = st.HasAESKey(ctx)
		}
		if pushes != nil {
			r.push, r.pushErr = pushes.ApplyPushSettings(ctx)
		}
		return r, nil
	}, func(r saved, err error) {
		s.busy = false
		s.Save.Enable()
		s.SaveRendering.Enable()
		if err != nil {
			s.showError(lang.L("Not saved"), err)
			return
		}
		s.Secret.SetText("")
		s.AESKey.SetText("")
		s.showSecret(in.AppID, r.has, r.secErr)
		s.showAESKey(r.hasKey, r.keyErr)
		if pushes != nil {
			s.showPushStatus(r.push)
		}
		if r.pushErr != nil {
			s.PushListen.SetError(r.pushErr.Error())
			s.say(widget.WarningImportance, lang.L("Saved, but pushes are not received on this machine")+": "+r.pushErr.Error())
			return
		}
		s.say(widget.SuccessImportance, lang.L("Saved. Restart Waybill Desk to apply the AppID, AppSecret, token, sandbox and label rendering settings."))
	})
}

// forgetAESKey removes the stored EncodingAESKey: pushes go back to
// plaintext mode, for the receiver at once.
func (s *SettingsScreen) forgetAESKey() {
	st, pushes := s.m.s.Settings, s.m.s.Pushes
	if st == nil || s.busy {
		return
	}
	s.busy = true
	type forgot struct {
		push    orders.PushStatus
		pushErr error
	}
	background(s.m.b, saveTimeout, func(ctx context.Context) (forgot, error) {
		var f forgot
		if err := st.SetAESKey(ctx, ""); err != nil {
			return f, err
		}
		if pushes != nil {
			f.push, f.pushErr = pushes.ApplyPushSettings(ctx)
		}
		return f, nil
	}, func(f forgot, err error) {
		s.busy = false
		if err != nil {
			s.showError(lang.L("Not removed"), err)
			return
		}
		s.showAESKey(false, nil)
		if pushes != nil {
			s.showPushStatus(f.push)
		}
		s.say(widget.SuccessImportance, lang.L("EncodingAESKey removed from the keyring: pushes are in plaintext mode."))
	})
}

// saveNotices stores the buyer-notice settings; they apply to the next
// order placed.
func (s *SettingsScreen) saveNotices() {
	svc := s.m.s.Orders
	if svc == nil {
		return
	}
	s.GoodsImage.ClearError()
	n := orders.NoticeSettings{Enabled: s.Notices.Checked, GoodsImgURL: strings.TrimSpace(s.GoodsImage.Text)}
	if i := s.NoticeFamily.SelectedIndex(); i >= 0 {
		n.Family = noticeFamilies[i].value
	}
	background(s.m.b, localTimeout, func(ctx context.Context) (orders.NoticeSettings, error) {
		cur, err := svc.Notices(ctx)
		if err != nil {
			return n, err
		}
		n.OrderDetailPath = cur.OrderDetailPath
		return n, svc.SetNotices(ctx, n)
	}, func(_ orders.NoticeSettings, err error) {
		if err != nil {
			var ve *wxapi.ValidationError
			if errors.As(err, &ve) && ve.Field == "goods_img_url" {
				s.GoodsImage.SetError(lang.L("Required when notices are on: WeChat shows a picture on every goods card"))
			}
			s.say(widget.DangerImportance, lang.L("Not saved")+": "+err.Error())
			return
		}
		if n.Enabled {
			s.say(widget.SuccessImportance, lang.L("Buyer notices are on: every order placed from now on is registered with WeChat."))
		} else {
			s.say(widget.SuccessImportance, lang.L("Buyer notices are off."))
		}
	})
}

// languageChosen keeps the language for the next start.
func (s *SettingsScreen) languageChosen() {
	i := s.Language.SelectedIndex()
	if i < 0 || i >= len(Languages) {
		return
	}
	s.m.App.Preferences().SetString(PrefLanguage, Languages[i])
	s.say(widget.SuccessImportance, lang.L("Language saved: restart Waybill Desk to apply it.")+" / Restart to apply.")
}

// chooseDir picks the data folder with the system's folder dialog.
func (s *SettingsScreen) chooseDir() {
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		s.DataDir.SetText(u.Path())
		s.saveDir(u.Path())
	}, s.m.Window)
}

// saveDir keeps the data folder for the next start.
func (s *SettingsScreen) saveDir(dir string) {
	s.DataDir.ClearError()
	dir = strings.TrimSpace(dir)
	background(s.m.b, localTimeout, func(ctx context.Context) (string, error) {
		if dir == parentDir(s.m.s.DataPath) {
			dir = "" // the folder in use: nothing to remember
		}
		return dir, settings.SetDataDir(dir)
	}, func(_ string, err error) {
		if err != nil {
			s.showError(lang.L("Not saved"), err)
			return
		}
		s.say(widget.SuccessImportance, lang.L("Data folder saved: restart Waybill Desk to use it. The history is not moved: restore a backup there to take it along."))
	})
}

// backup writes a copy of the history into the backups folder.
func (s *SettingsScreen) backup() {
	up := s.m.s.Upkeep
	if up == nil {
		return
	}
	s.BackupNow.Disable()
	s.say(widget.MediumImportance, lang.L("Writing the backup…"))
	background(s.m.b, backupTimeout, func(ctx context.Context) (string, error) {
		return up.BackupNow(ctx)
	}, func(path string, err error) {
		s.BackupNow.Enable()
		if err != nil {
			s.say(widget.DangerImportance, lang.L("Backup failed")+": "+err.Error())
			return
		}
		s.say(widget.SuccessImportance, lang.L("Backup written")+": "+path)
	})
}
