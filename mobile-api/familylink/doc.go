// Package familylink is the family check-in link: a household answers "all is well" or
// "please contact me" from a web page reached through a link, with no app and no account.
//
// Threat model, in short. The person who is a danger to the family may hold the phone, read
// its history, or stand behind the person answering. So the page is discreet: it carries no
// names, no organization, no words such as "safety" or "violence", only a neutral question
// and two buttons. A family can be given a duress PIN: entering it with either button tells
// the care team "not safe" while the screen, the response bytes (apart from per-request
// nonces), the headers and the status are the same as for "all is well". The link token is
// the only credential; it is never stored (only its hash), never echoed into a page, never
// logged, and it leaves the page through no Referer. Every way a link can fail (unknown,
// malformed, expired, revoked, locked) answers with one neutral page and one status, so the
// page tells nothing about a link's state. Guessing is bounded twice: per link and per
// client address rate limits, and a lock after a few wrong PINs that raises an urgent alert.
// The page sets no cookie, loads nothing from elsewhere and needs no JavaScript, so it works
// on old and cheap phones and leaves as little trace as a web page can.
//
// Logs carry neutral events and the link id at most: never the token, the PIN, the
// household or the answer.
package familylink
