package household

import "context"

// SetPushHook sets the hook Push runs inside its transaction after its access records were
// appended, for the test's duration.
func SetPushHook(t interface{ Cleanup(func()) }, hook func(ctx context.Context)) {
	pushHook = hook
	t.Cleanup(func() { pushHook = nil })
}
