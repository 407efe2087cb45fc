package familylink

import (
	"math"
	"strconv"
	"strings"
)

// messages is the text of the pages in one language. Every string is neutral on purpose: a
// page seen over the family's shoulder must not say what it is for.
type messages struct {
	Name      string // the language named in itself, for the switch
	Dir       string // "ltr" or "rtl"
	Title     string
	Question  string
	OK        string
	Contact   string
	PIN       string
	WrongPIN  string
	Retry     string
	Thanks    string
	Close     string
	Gone      string
	Later     string
	Failed    string
	LangLabel string
}

// langs lists the supported languages in the order of the switch; the first is the default.
// Dutch is the default because the families are in the Amsterdam region.
var langs = []string{"nl", "en", "ar", "tr", "pl"}

// defaultLang is what a family gets when neither ?lang= nor Accept-Language names a
// supported language.
const defaultLang = "nl"

var texts = map[string]*messages{
	"nl": {
		Name: "Nederlands", Dir: "ltr", Title: "Bericht", Question: "Hoe gaat het?",
		OK: "Alles is goed", Contact: "Neem contact met me op",
		PIN: "Code", WrongPIN: "De code klopt niet.",
		Retry: "Probeer het opnieuw.", Thanks: "Bedankt. Uw antwoord is verstuurd.",
		Close: "U kunt deze pagina nu sluiten.", Gone: "Deze pagina is niet beschikbaar.",
		Later: "Probeer het later opnieuw.", Failed: "Er ging iets mis. Probeer het later opnieuw.",
		LangLabel: "Taal",
	},
	"en": {
		Name: "English", Dir: "ltr", Title: "Message", Question: "How are you?",
		OK: "All is well", Contact: "Please contact me",
		PIN: "Code", WrongPIN: "The code is not correct.",
		Retry: "Please try again.", Thanks: "Thank you. Your answer has been sent.",
		Close: "You can close this page now.", Gone: "This page is not available.",
		Later: "Please try again later.", Failed: "Something went wrong. Please try again later.",
		LangLabel: "Language",
	},
	"ar": {
		Name: "العربية", Dir: "rtl", Title: "رسالة", Question: "كيف حالك؟",
		OK: "كل شيء على ما يرام", Contact: "يرجى التواصل معي",
		PIN: "الرمز", WrongPIN: "الرمز غير صحيح.",
		Retry: "يرجى المحاولة مرة أخرى.", Thanks: "شكرًا. تم إرسال إجابتك.",
		Close: "يمكنك إغلاق هذه الصفحة الآن.", Gone: "هذه الصفحة غير متاحة.",
		Later: "يرجى المحاولة لاحقًا.", Failed: "حدث خطأ ما. يرجى المحاولة لاحقًا.",
		LangLabel: "اللغة",
	},
	"tr": {
		Name: "Türkçe", Dir: "ltr", Title: "Mesaj", Question: "Nasılsınız?",
		OK: "Her şey yolunda", Contact: "Benimle iletişime geçin",
		PIN: "Kod", WrongPIN: "Kod doğru değil.",
		Retry: "Lütfen tekrar deneyin.", Thanks: "Teşekkürler. Cevabınız gönderildi.",
		Close: "Bu sayfayı şimdi kapatabilirsiniz.", Gone: "Bu sayfa kullanılamıyor.",
		Later: "Lütfen daha sonra tekrar deneyin.", Failed: "Bir sorun oluştu. Lütfen daha sonra tekrar deneyin.",
		LangLabel: "Dil",
	},
	"pl": {
		Name: "Polski", Dir: "ltr", Title: "Wiadomość", Question: "Jak się masz?",
		OK: "Wszystko w porządku", Contact: "Proszę o kontakt",
		PIN: "Kod", WrongPIN: "Kod jest nieprawidłowy.",
		Retry: "Spróbuj ponownie.", Thanks: "Dziękujemy. Twoja odpowiedź została wysłana.",
		Close: "Możesz teraz zamknąć tę stronę.", Gone: "Ta strona jest niedostępna.",
		Later: "Spróbuj ponownie później.", Failed: "Coś poszło nie tak. Spróbuj ponownie później.",
		LangLabel: "Język",
	},
}

// supportedLang maps a language tag ("en", "EN-gb", "ar_MA") to a supported language, or ""
// when its primary subtag is not one of ours.
func supportedLang(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) != 2 {
		return ""
	}
	tag = strings.ToLower(tag)
	if _, ok := texts[tag]; ok {
		return tag
	}
	return ""
}

// Bounds on Accept-Language parsing, so that a hostile header costs little: browsers send a
// handful of entries, never kilobytes.
const (
	maxAcceptLanguageLen     = 1024
	maxAcceptLanguageEntries = 32
)

// parseAcceptLanguage picks the supported language with the highest q-value from an
// Accept-Language header (RFC 9110 §12.5.4), the earlier entry winning a tie; "" when none is
// acceptable. "*" is ignored: it accepts anything, so the default decides.
func parseAcceptLanguage(h string) string {
	if len(h) > maxAcceptLanguageLen {
		h = h[:maxAcceptLanguageLen]
	}
	best, bestQ := "", 0.0
	for i, entry := range strings.Split(h, ",") {
		if i >= maxAcceptLanguageEntries {
			break
		}
		tag, params, _ := strings.Cut(entry, ";")
		lang := supportedLang(tag)
		if lang == "" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(p, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 || math.IsNaN(f) {
				f = 0 // a q-value we cannot read does not make a language preferred
			}
			q = f
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// chooseLang applies the order of precedence: an explicit choice (?lang= or the form's hidden
// field) first, then the browser's Accept-Language, then Dutch.
func chooseLang(explicit, acceptLanguage string) string {
	if l := exactLang(explicit); l != "" {
		return l
	}
	if l := parseAcceptLanguage(acceptLanguage); l != "" {
		return l
	}
	return defaultLang
}

// exactLang accepts only one of our codes (any case) for ?lang=, which comes from our own
// links; anything else falls through to Accept-Language.
func exactLang(s string) string {
	if len(s) != 2 {
		return ""
	}
	s = strings.ToLower(s)
	if _, ok := texts[s]; ok {
		return s
	}
	return ""
}
