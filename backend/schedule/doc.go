// Package schedule computes when a household's safety check-in is due.
//
// It is pure computation: no I/O, no goroutines and no wall clock. Every
// function takes the instants it needs from the caller, so the scheduler,
// the API and the tests all get the same answer for the same input, and a
// replica whose clock is a little off cannot change what is due. The one
// exception is the lazy, one-time load of the default Europe/Amsterdam zone
// from the tz database (the veilig binary embeds it with time/tzdata, so
// this never depends on the host).
//
// # Recurrence rules
//
// A [Rule] is parsed from a small, documented subset of RFC 5545 RRULE:
//
//	FREQ=DAILY;INTERVAL=N              every N days, N in 1..366
//	FREQ=WEEKLY;INTERVAL=N;BYDAY=MO,TH on the chosen weekdays, every N weeks, N in 1..52
//
// Keys may come in any order and INTERVAL defaults to 1, as in RFC 5545.
// Keys and values are upper case, without spaces or an "RRULE:" prefix.
// BYDAY is required for WEEKLY (a check-in plan names its days explicitly
// rather than inheriting them from the start date) and refused for DAILY.
// COUNT and UNTIL are NOT supported: a schedule ends on a civil
// [Schedule.EndDate], which is what a care team agrees on ("until the
// review on 1 June"), and a count would silently shift its end whenever the
// schedule is paused or edited. Every other RRULE key (BYMONTH, WKST, ...)
// is refused too. Unknown keys, duplicated keys and bad values are errors
// that name the problem; nothing is silently ignored, because an ignored
// key would give a family fewer checks than the team believes it planned.
// [ParseRule] and [Rule.String] round-trip: String renders the canonical
// form (FREQ, INTERVAL, BYDAY with days in Monday..Sunday order).
//
// # Occurrences are civil dates
//
// Occurrences are computed on civil dates in the schedule's own zone
// ([Schedule.Location], Europe/Amsterdam when nil, because the care teams
// plan in Amsterdam time), and only then turned into an instant at
// [Schedule.LocalTime]. "Every 2 days" counts calendar days from
// [Schedule.StartDate], never 48-hour steps, and "every 2 weeks" counts
// ISO weeks (Monday to Sunday) from the week that contains StartDate. So
// "every day at 18:00" stays 18:00 local across the summer-time changes in
// March and October, while its UTC offset changes.
//
// # Summer time
//
// The local time is converted to an instant explicitly, not with
// [time.Date], whose documentation does not guarantee which of the two
// zones it picks around a transition (in practice it picks the later,
// winter-time instant for a repeated hour):
//
//   - A local time that does not exist (spring forward; 02:30 on 2027-03-28
//     in Europe/Amsterdam) moves forward by the length of the gap: 03:30
//     CEST. The check still happens that day, as soon after the planned
//     time as the clock allows, never earlier than planned.
//   - A local time that exists twice (fall back; 02:30 on 2027-10-31) takes
//     the FIRST instant: 02:30 CEST = 00:30 UTC. Choosing the first means
//     the check is never an hour later than the people involved expect, and
//     the occurrence has exactly one instant, hence one key.
//
// # Windows, grace and overdue
//
// A schedule may have a window (LocalTime 18:00, WindowEnd 20:00). The
// occurrence is due at the window START: that is when the check can
// happen and when the app starts showing it. [OverdueAt] is due + Grace;
// choose a Grace that covers the window if reminders should wait until it
// has closed. Grace must be shorter than the shortest time between two
// occurrences ([ShortestGap]: the fewest days between two occurrence dates,
// less the hour a spring-forward change takes): with more, the next check
// would be due before the current one is overdue, so the planned next-due
// instant would lie in the past. [Schedule.Validate] refuses it. When the window's start falls in a spring-forward gap, the
// whole window moves forward with it and keeps its planned length (02:30-03:15
// on 2027-03-28 in Europe/Amsterdam is 03:30-04:15 CEST), so a window never
// ends before it starts. Windows may not cross midnight, so each occurrence belongs to
// exactly one civil date.
//
// # Start, end and pause
//
// StartDate and EndDate are inclusive civil dates in the schedule's zone.
// A paused schedule has no next due occurrence. Resuming is just setting
// Paused back to false and asking [NextDue] with the resume instant: the
// occurrences that fell in the pause are NOT due afterwards, because
// pausing is a decision of the care team (the family is in a shelter, in
// hospital, on holiday), not a failure to check; a burst of overdue
// reminders on resume would be noise that hides real misses.
//
// # Occurrence identity
//
// [OccurrenceKey] names one occurrence of one schedule. The scheduler's
// outbox makes (schedule, occurrence, step) unique, so every due check is
// noticed exactly once however many replicas race to claim it.
package schedule
