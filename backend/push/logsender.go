package push

import (
	"context"

	"github.com/rs/zerolog"
)

// LogSender "delivers" by writing one log line per message: the sender of the embedded mode,
// where no Firebase credentials are configured. The line holds what a phone would show and the
// opaque reference, never the token itself.
type LogSender struct {
	Log zerolog.Logger
}

// Send logs each message and reports it delivered.
func (s LogSender) Send(_ context.Context, msgs []Message) ([]Result, error) {
	out := make([]Result, len(msgs))
	for i, m := range msgs {
		title, body := Text(m)
		s.Log.Info().Str("outbox_id", m.ID).Str("kind", string(m.Kind)).Str("ref", m.Ref).
			Bool("urgent", m.Urgent).Str("token_ref", TokenRef(m.Token)).
			Str("title", title).Str("body", body).Msg("push (log sender: no Firebase configured)")
		out[i] = Result{Outcome: Delivered}
	}
	return out, nil
}
