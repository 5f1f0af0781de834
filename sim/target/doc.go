// Package target finds the smallest install rate (adoption) at which a
// protocol arm meets a goal such as coverage>=0.5, averted>=0.2 or r_eff<1:
// the number a health ministry asks for when it sets an install target.
//
// The search is generic: it takes an evaluation function
// f(ctx, adoption, replicate) returning one replicate's metric, so that
// tests can drive it with synthetic functions and the CLI with simulation
// runs. It bisects over adoption between 0 and a maximum (for a scenario,
// the smartphone ownership share: only owners can install, and the
// scenario loader rejects adoption above it). At each probed adoption it
// evaluates every replicate; replicate r must use the same random numbers
// at every adoption (common random numbers, scenarios.ReplicateSeed), so
// that differences between adoptions are not replicate noise.
//
// It gives two answers. The conservative one: a goal counts as met at an
// adoption only when a one-sided confidence bound of the replicate mean
// meets it (the lower bound for >= and >, the upper bound for <= and <,
// from Student's t with n−1 degrees of freedom; with a single replicate
// the point value decides). It depends on the replicate count as much as
// on the scenario. The mean one: where the mean curve meets the goal, by
// a second bisection on the mean over the same points, with a bootstrap
// interval for that adoption (Crossing): for shares, each draw resamples
// every replicate's index cases, the same people at every adoption; for
// the epidemic's outcomes, the replicates. Config.Precision adds
// replicates until that interval is narrow enough, or a maximum is
// reached, and Outcome.Notes say plainly what could not be answered.
// Bisection assumes that meeting the goal is monotone in adoption; Search
// checks the means at the probed points against that and reports any
// violation as a warning rather than hiding it.
//
// Metrics are looked up by name (Metrics lists them): the detection
// metrics of every run, and the epidemic layer's (attack rate, infections
// averted, effective reproduction number), which need the layer on and
// are refused, never stood in for, without it. A new outcome of
// sim.Result plugs in by adding one entry to the registry.
package target
