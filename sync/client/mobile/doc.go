// Package mobile is the phone replica as an SDK for Android and iOS apps: the face of
// package client that gobind (gomobile bind) turns into a Java/Kotlin and an
// Objective-C/Swift library. docs/mobile.md gives the bind commands and Kotlin and Swift
// examples.
//
// # Only types gobind binds
//
// Every exported function, method, field and interface here uses only what gobind supports:
// string, bool, int/int64, []byte, error, pointers to this package's structs, and this
// package's interfaces (which the app may implement natively: TokenSource, Listener).
// Structured reads (a household's plan, its conflicts, its schedules) are returned as JSON
// strings whose shape is documented on each method, so that no Go type leaks into the app.
// CI runs gobind for Java and Objective-C on this package and fails when it skips a symbol,
// and compiles the Java with javac (scripts/mobile-bind.sh, run by .ci/run), so a Go change
// that a phone cannot call fails before an app team sees it.
//
// # What it wires
//
// A Replica is a client.Replica on an encrypted SQLite file (clientsqlite, opened with the
// app's key), synced over Connect (clientconnect) with a bearer token that the app's
// TokenSource supplies on every sync, so a refreshed token is used at once. Subscribe keeps
// a SyncService/Subscribe stream open while the app is in the foreground and syncs on every
// poke; HandlePush does the same for an FCM data message. Listener hears of every sync.
//
// # Locked, erased
//
// Lock closes the file and drops the replica from memory: nothing of a household stays in
// the process until Unlock is given the key again. Erase closes and deletes the file (sign
// out, a revoked device, a lost-phone wipe); the Replica is useless afterwards. Every other
// method of a locked or erased Replica returns ErrLocked or ErrErased.
//
// # Schedules on the phone
//
// UpcomingJSON computes the next check-ins of a household with package backend/schedule, the
// pure computation the server's scheduler uses (civil dates in the schedule's zone, summer
// time included), from the phone's clock: a phone offline for a week still shows the right
// next visit. That package does no I/O and imports nothing of ours, which is why a phone
// library may use it; the time zone database is embedded (time/tzdata), because neither an
// Android nor an iOS process can rely on finding one on disk.
//
// It must never log or return household data in an error: errors name what failed, not
// what was in it.
package mobile
