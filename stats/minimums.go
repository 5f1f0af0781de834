package stats

import "fmt"

// MinIndexCases is the fewest index cases that must contribute to a share
// (have at least one pair in its denominator) for the share and its
// interval to be reported. Below it the interval's own spread estimate is
// too unreliable for the interval to mean what it says (the calibration
// check, `bluesim calibrate`, measures how often intervals hold), and the
// share itself rests on too few independent people to be read as a
// property of the app rather than of those few households.
const MinIndexCases = 10

// Shortfall says why a share to which clusters index cases contribute
// cannot be estimated, or "" when it can: "only 3 index cases with close
// contacts; need 10: raise population.size or days". with says which
// index cases count ("with close contacts"); enlarge what to raise.
func Shortfall(clusters int, with, enlarge string) string {
	if clusters >= MinIndexCases {
		return ""
	}
	var n string
	switch clusters {
	case 0:
		n = "no index case"
	case 1:
		n = "only 1 index case"
	default:
		n = fmt.Sprintf("only %d index cases", clusters)
	}
	return fmt.Sprintf("%s %s; need %d: raise %s", n, with, MinIndexCases, enlarge)
}
