package ui

import (
	"embed"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// The UI strings are written in English in the code (lang.L("New order"))
// and translated by the JSON files in translations/: zh.json gives the
// Chinese text, en.json the English one (identity, so a key is never
// "missing" whichever language is chosen).
//
//go:embed translations/*.json
var translations embed.FS

// PrefLanguage is the Preferences key that keeps the chosen UI language.
const PrefLanguage = "language"

// DefaultLanguage is the UI language when none was chosen: the operators
// are Chinese merchants and packing stations.
const DefaultLanguage = "zh"

// Languages lists the UI languages SetLanguage accepts.
var Languages = []string{"zh", "en"}

// language is the code last passed to SetLanguage; it decides whether an
// English reason needs repeating after a Chinese message.
var language = DefaultLanguage

// fyneLocales are the locales Fyne ships translations for (its
// lang/translations/base.*.json). Fyne's lang package picks the system
// locale (or the closest of these) and has no public setter, and it returns
// the untranslated key when the matched locale lacks a message rather than
// falling back. So the chosen language's messages are registered under
// every locale the matcher could pick: these, "en" (the bundle's default)
// and the system locale itself. Our keys then resolve to the chosen
// language whatever the system says; Fyne's own keys are overridden only
// for the few dialog words our JSON also carries.
var fyneLocales = []string{"en", "cs", "de", "el", "es", "fr", "pl", "pt", "pt-BR", "ru", "sv", "ta", "uk", "zh-Hans"}

// SetLanguage makes lang.L answer in the language with that code ("zh" or
// "en"; "" means DefaultLanguage). Call it before building widgets: text
// already shown keeps its language, so switching needs a new window (the
// app restarts it). It may be called more than once in a process; the last
// call wins.
func SetLanguage(code string) error {
	code = strings.ToLower(strings.TrimSpace(code))
	if code == "" {
		code = DefaultLanguage
	}
	data, err := translations.ReadFile("translations/" + code + ".json")
	if err != nil {
		return fmt.Errorf("set language %q: no translation (have %s)", code, strings.Join(Languages, ", "))
	}
	for _, t := range fyneLocales {
		if err := lang.AddTranslationsForLocale(data, fyne.Locale(t)); err != nil {
			return fmt.Errorf("set language %q for locale %s: %w", code, t, err)
		}
	}
	// The system locale may be one Fyne has no file for (zh-CN, en-GB, ...):
	// the matcher could prefer it once anything is registered under it. A
	// locale the bundle cannot take (no plural rule) is skipped: then the
	// matcher cannot pick it either.
	if sys := lang.SystemLocale(); sys != "" {
		for _, t := range []fyne.Locale{sys, fyne.Locale(sys.LanguageString())} {
			if err := lang.AddTranslationsForLocale(data, t); err != nil {
				fyne.LogError("language "+code+" not registered for system locale "+t.String(), err)
			}
		}
	}
	language = code
	return nil
}

// Language returns the code of the UI language in use.
func Language() string { return language }

// languageFrom reads the stored choice, falling back to DefaultLanguage
// when the stored code is unknown (e.g. written by a newer version).
func languageFrom(p fyne.Preferences) string {
	code := p.StringWithFallback(PrefLanguage, DefaultLanguage)
	for _, l := range Languages {
		if l == code {
			return code
		}
	}
	return DefaultLanguage
}
