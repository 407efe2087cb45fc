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
// malformed, expired, revoked) answers with one neutral page and one status, so the page
// tells nothing about a link's state. Guessing is bounded twice: rate limits per link and
// client address and per address, and a lock after a few wrong PINs (counted over the link's
// life, whatever answers come between) that raises an urgent alert.
//
// What a person at the screen, or a stranger who knows the link, must never be able to do
// (issue 13; docs/familylink.md lists each property with its test): tell a duress answer or
// a locked link from the ordinary page, by content or by time (every answer path does the
// same work before the answer floor, one transaction of one shape; alerts are raised after
// it, off the request); switch
// the duress PIN off (it works on a locked link); keep the family out (the per-link limit
// is keyed by address too, a fresh form token answers through a limited address, and
// sustained refusals alert the care team); or answer twice with one form (form tokens
// answer once on every replica: the spend commits in the database with the answer).
// The page sets no cookie, loads nothing from elsewhere and needs no JavaScript, so it works
// on old and cheap phones and leaves as little trace as a web page can.
//
// Logs carry neutral events and the link id at most: never the token, the PIN, the
// household or the answer.
package familylink
