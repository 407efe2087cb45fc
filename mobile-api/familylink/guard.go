package familylink

import (
	"strings"
	"sync"
	"time"
)

// formLedger remembers the form tokens this replica has seen spent. It is not what makes a
// form token answer once (issue 13, point 6): the database is, where the spend commits with
// the answer on every replica (household.Service.FamilyAnswer). The ledger keeps a purpose
// the database cannot serve: formPass decides whether a rate-limited post may pass without
// any database work (that refusal must cost a map lookup), and a replay this replica has
// seen is refused before the database too. A token spent on another replica is not in it;
// such a post is let through and then refused by the database, with the same page. An entry
// is needed only until its token expires, so the ledger is swept of expired entries when it
// is full.
type formLedger struct {
	mu   sync.Mutex
	max  int
	used map[string]time.Time // MAC part of the form token → expiry
}

func newFormLedger(max int) *formLedger {
	return &formLedger{max: max, used: make(map[string]time.Time)}
}

// formLedgerKey is the MAC part of a form token: it alone identifies the token.
func formLedgerKey(ft string) string {
	return ft[strings.LastIndexByte(ft, '.')+1:]
}

// seen reports whether ft has answered already.
func (f *formLedger) seen(ft string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.used[formLedgerKey(ft)]
	return ok
}

// use marks ft as spent (the database said so) and reports whether it was new here. Only
// verified tokens reach it, so the ledger holds at most what this replica saw within
// FormTokenTTL.
func (f *formLedger) use(ft string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := formLedgerKey(ft)
	if _, ok := f.used[k]; ok {
		return false
	}
	if len(f.used) >= f.max {
		for key, exp := range f.used {
			if now.After(exp) {
				delete(f.used, key)
			}
		}
		// Still full of live tokens: forget one. At worst that one token could answer a
		// second time; refusing fresh tokens instead would keep families out.
		if len(f.used) >= f.max {
			for key := range f.used {
				delete(f.used, key)
				break
			}
		}
	}
	f.used[k] = now.Add(FormTokenTTL + formTokenSkew)
	return true
}

// BlockAlert configures when refused requests for one link count as someone keeping the
// family out (issue 13, point 2): Refusals refused requests within Window raise one urgent
// alert to the care team, and at most one per link every Every.
type BlockAlert struct {
	Refusals int
	Window   time.Duration
	Every    time.Duration
}

// DefaultBlockAlert is Config.BlockAlert's default. A family that mistypes a few times is
// refused a handful of times at most; thirty refusals in ten minutes is a flood.
var DefaultBlockAlert = BlockAlert{Refusals: 30, Window: 10 * time.Minute, Every: time.Hour}

// blockWatch counts refused requests per link token hash, in memory and bounded like the
// limiters, and says when one link's refusals reach the alert threshold.
type blockWatch struct {
	cfg     BlockAlert
	max     int
	mu      sync.Mutex
	entries map[string]*blockEntry
}

type blockEntry struct {
	windowStart time.Time
	refused     int
	alertedAt   time.Time
}

func newBlockWatch(cfg BlockAlert, max int) *blockWatch {
	return &blockWatch{cfg: cfg, max: max, entries: make(map[string]*blockEntry)}
}

// refused counts one refusal for tokenHash at now and reports whether it is the one that
// should raise an alert.
func (b *blockWatch) refused(tokenHash string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[tokenHash]
	if e == nil {
		if len(b.entries) >= b.max {
			for k, old := range b.entries {
				if now.Sub(old.windowStart) > b.cfg.Window && now.Sub(old.alertedAt) > b.cfg.Every {
					delete(b.entries, k)
				}
			}
			if len(b.entries) >= b.max {
				for k := range b.entries {
					delete(b.entries, k)
					break
				}
			}
		}
		e = &blockEntry{windowStart: now}
		b.entries[tokenHash] = e
	}
	if now.Sub(e.windowStart) > b.cfg.Window {
		e.windowStart, e.refused = now, 0
	}
	e.refused++
	if e.refused < b.cfg.Refusals || (!e.alertedAt.IsZero() && now.Sub(e.alertedAt) < b.cfg.Every) {
		return false
	}
	e.alertedAt = now
	return true
}
