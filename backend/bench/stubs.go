package bench

import "context"

// The scenarios below are not built yet; they record n/a so a run says so.

func (r *runner) runRoundTrip(context.Context) error {
	r.na(ScenarioRoundTrip, "-", "-", "", "not built yet")
	return nil
}

func (r *runner) runStreams(context.Context) error {
	r.na(ScenarioStreams, "-", "-", "", "not built yet")
	return nil
}

func (r *runner) runDetect(context.Context) error {
	r.na(ScenarioDetect, "-", "-", "", "not built yet")
	return nil
}

func (r *runner) runFanout(context.Context) error {
	r.na(ScenarioFanout, "-", "-", "", "not built yet")
	return nil
}
