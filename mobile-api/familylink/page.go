package familylink

import (
	"bytes"
	"html/template"
	"strings"
)

// Colours of the page. They are named here, not only in the CSS, so that a test can check
// every text/background pair against WCAG's 4.5:1.
const (
	colorText       = "#1a1a1a" // body text on colorBackground
	colorBackground = "#ffffff"
	colorButton     = "#1d4f91" // button background, white text; also link colour
	colorButtonText = "#ffffff"
	colorButtonDark = "#143a6b" // hover
	colorNotice     = "#8a1c1c" // the wrong-code message on colorBackground
	colorBorder     = "#4a4a4a" // the PIN field's border (3:1 is enough for a control edge)
	colorFocus      = "#000000" // focus ring, offset onto the white background
)

// pageCSS is the inline style sheet, allowed by the per-request CSP nonce. Targets are at
// least 48px high (WCAG asks 44) because the page is answered on phones, perhaps in a hurry;
// font sizes are at least 16px so that iOS does not zoom into the PIN field.
var pageCSS = template.CSS(strings.NewReplacer(
	"TEXT", colorText, "BG", colorBackground, "BTNTXT", colorButtonText, "BTNDARK", colorButtonDark,
	"BTN", colorButton, "NOTICE", colorNotice, "BORDER", colorBorder, "FOCUS", colorFocus,
).Replace(`*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:1.125rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Arabic",Tahoma,sans-serif;color:TEXT;background:BG}
main{max-width:32rem;margin:0 auto;padding:1.5rem 1rem 1rem}
h1{font-size:1.5rem;line-height:1.3;margin:0 0 1.25rem}
p{margin:0 0 1rem}
.notice{padding:.75rem 1rem;border:2px solid NOTICE;border-radius:6px;color:NOTICE;font-weight:600}
label{display:block;font-weight:600;margin:0 0 .25rem}
#pin{display:block;width:100%;min-height:48px;margin:0 0 1.5rem;padding:.5rem .75rem;font-size:1.25rem;color:TEXT;background:BG;border:2px solid BORDER;border-radius:6px}
button{display:block;width:100%;min-height:56px;margin:0 0 1rem;padding:.75rem 1rem;font:inherit;font-weight:600;color:BTNTXT;background:BTN;border:2px solid BTN;border-radius:8px;cursor:pointer}
button:hover{background:BTNDARK;border-color:BTNDARK}
a:focus,button:focus,#pin:focus{outline:3px solid FOCUS;outline-offset:3px}
nav{max-width:32rem;margin:0 auto;padding:0 1rem 1.5rem}
ul{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:0;padding:0}
nav a{display:inline-block;min-height:44px;min-width:44px;padding:.6rem .75rem;color:BTN;text-decoration:underline}
nav a[aria-current]{font-weight:700;text-decoration:none}
`))

// Kinds of page. There are only three, and the thank-you page has no variant: whatever the
// answer, it is the same bytes.
const (
	kindForm    = "form"
	kindThanks  = "thanks"
	kindMessage = "message"
)

// page is everything a page shows. It holds no token, no household and no answer: what is
// not here cannot leak into the response.
type page struct {
	Kind      string
	Lang      string
	T         *messages
	Nonce     string
	CSS       template.CSS
	Notice    string // form: a neutral message above the buttons; message: the message
	FormToken string
	PIN       bool
	Langs     []langLink
}

// langLink is one entry of the language switch.
type langLink struct {
	Code, Name, Dir string
	Current         bool
}

// The form has no action attribute, so it posts to the page's own URL without the page
// having to contain the token. Language links are relative ("?lang=en") for the same reason.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}" dir="{{.T.Dir}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<meta name="referrer" content="no-referrer">
<title>{{.T.Title}}</title>
<style nonce="{{.Nonce}}">
{{.CSS}}</style>
</head>
<body>
<main>
{{- if eq .Kind "form"}}
<form method="post" autocomplete="off">
<h1>{{.T.Question}}</h1>
{{- if .Notice}}
<p class="notice" role="alert" id="notice">{{.Notice}}</p>
{{- end}}
<input type="hidden" name="ft" value="{{.FormToken}}">
<input type="hidden" name="lang" value="{{.Lang}}">
{{- if .PIN}}
<label for="pin">{{.T.PIN}}</label>
<input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="16"{{if .Notice}} aria-describedby="notice"{{end}}>
{{- end}}
<button type="submit" name="answer" value="ok">{{.T.OK}}</button>
<button type="submit" name="answer" value="contact">{{.T.Contact}}</button>
</form>
{{- else if eq .Kind "thanks"}}
<h1>{{.T.Thanks}}</h1>
<p>{{.T.Close}}</p>
{{- else}}
<h1>{{.Notice}}</h1>
{{- end}}
</main>
{{- if .Langs}}
<nav aria-label="{{.T.LangLabel}}">
<ul>
{{- range .Langs}}
<li><a href="?lang={{.Code}}" hreflang="{{.Code}}" lang="{{.Code}}" dir="{{.Dir}}"{{if .Current}} aria-current="true"{{end}}>{{.Name}}</a></li>
{{- end}}
</ul>
</nav>
{{- end}}
</body>
</html>
`))

// render executes the page template. The language switch is on every page but the
// thank-you page: from there, a link back would only lead to the form again.
func render(p page) ([]byte, error) {
	p.T = texts[p.Lang]
	p.CSS = pageCSS
	if p.Kind != kindThanks {
		for _, code := range langs {
			t := texts[code]
			p.Langs = append(p.Langs, langLink{Code: code, Name: t.Name, Dir: t.Dir, Current: code == p.Lang})
		}
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
