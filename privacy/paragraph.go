package privacy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// protocolPhrase says what each protocol broadcasts, for a non-specialist.
var protocolPhrase = map[string]string{
	"bluezone-v1": "Bluezone v1, whose phones broadcast one fixed ID for good",
	"bluezone":    "Bluezone, whose phones change ID every 15 minutes but publish a whole day's IDs in one key on diagnosis",
	"gaen":        "Google/Apple exposure notification, whose phones change ID and Bluetooth address together every 10 minutes and publish one key per day",
	"dp3t":        "DP-3T, whose phones change ID every 15 minutes and publish one key covering every day from the first contagious one",
}

// Paragraph is a short reading of the arms' results for someone who is not
// a specialist: what a network of sniffers learns under each protocol,
// generated from the numbers.
func Paragraph(rs ...Result) string {
	if len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	if rs[0].Sniffers == 1 {
		b.WriteString("Suppose someone puts one Bluetooth sniffer in town: a cheap receiver that logs every " +
			"contact-tracing ID it hears, where and when.")
	} else {
		fmt.Fprintf(&b, "Suppose someone puts %s Bluetooth sniffers around town: cheap receivers that log every "+
			"contact-tracing ID they hear, where and when.", count(rs[0].Sniffers))
	}
	for _, r := range rs {
		b.WriteString(" ")
		b.WriteString(armParagraph(r))
	}
	if s := ordering(rs); s != "" {
		b.WriteString(" ")
		b.WriteString(s)
	}
	return b.String()
}

func armParagraph(r Result) string {
	var b strings.Builder
	name := protocolPhrase[r.Protocol]
	if name == "" {
		name = r.Protocol
	}
	fmt.Fprintf(&b, "With %s", name)
	if ok(r.InRange.Value) {
		fmt.Fprintf(&b, ", %s of the app's users passed a sniffer", in100(r.InRange.Value))
	}
	b.WriteString(". ")
	if r.Sightings == 0 {
		b.WriteString("The sniffers heard nothing.")
		return b.String()
	}
	fmt.Fprintf(&b, "By chaining IDs together, the eavesdropper put %s of what it heard into trails of an hour or more",
		in100(r.LinkedTime.Value))
	if ok(r.MeanTrackMinutes) {
		fmt.Fprintf(&b, " (a trail lasted %s on average)", duration(r.MeanTrackMinutes))
	}
	b.WriteString(".")
	if r.MultiDay.Value >= 0.005 {
		fmt.Fprintf(&b, " With no help from anyone, %s of the sightings were tied to the same phone on another day.", in100(r.MultiDay.Value))
	}
	switch {
	case r.Uploaders == 0:
		b.WriteString(" Nobody shared keys after a positive test, so the published keys revealed no one.")
	default:
		fmt.Fprintf(&b, " Of the %s people who shared their keys after a positive test, the published keys let the eavesdropper "+
			"retrace the movements of %s (%s%s) and point to the home of %s (%s%s).",
			count(r.Uploaders), count(r.UploadersTraced), in100(r.Traced.Value), ci(r.Traced),
			count(r.HomesIdentified), in100(r.Homes.Value), ci(r.Homes))
		if ok(r.KeyRevealedMinutes) && ok(r.SlotRevealedMinutes) && r.KeyRevealedMinutes > r.SlotRevealedMinutes+1 {
			fmt.Fprintf(&b, " One published key revealed %s of a person's movements; had each short-lived ID been published on its own, "+
				"the eavesdropper could have joined them into only %s.", duration(r.KeyRevealedMinutes), duration(r.SlotRevealedMinutes))
		}
	}
	return b.String()
}

// ordering compares the linkability of a fixed-ID arm with the rotating ones.
func ordering(rs []Result) string {
	var fixed *Result
	worst := -1.0
	for i := range rs {
		if rs[i].Protocol == "bluezone-v1" {
			fixed = &rs[i]
		} else if v := rs[i].LinkedTime.Value; ok(v) {
			worst = math.Max(worst, v)
		}
	}
	if fixed == nil || worst < 0 || !ok(fixed.LinkedTime.Value) {
		return ""
	}
	return fmt.Sprintf("A fixed ID is the easiest to follow: Bluezone v1 left %s of sightings in hour-long trails, "+
		"against at most %s for the protocols that change their IDs.", in100(fixed.LinkedTime.Value), in100(worst))
}

func ok(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// in100 writes a share as "N in 100", with one decimal below 1 in 100.
func in100(v float64) string {
	if !ok(v) {
		return "an unknown share"
	}
	p := 100 * v
	if p > 0 && p < 1 {
		return strconv.FormatFloat(p, 'f', 1, 64) + " in 100"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + " in 100"
}

func ci(s Share) string {
	if !ok(s.Low) || !ok(s.High) {
		return ""
	}
	return fmt.Sprintf(", 95 %% interval %.0f to %.0f", 100*s.Low, 100*s.High)
}

func count(n int64) string {
	t := strconv.FormatInt(n, 10)
	for i := len(t) - 3; i > 0 && t[i-1] != '-'; i -= 3 {
		t = t[:i] + "," + t[i:]
	}
	return t
}

// duration writes minutes as minutes, hours or days.
func duration(min float64) string {
	switch {
	case min < 90:
		return strconv.FormatFloat(min, 'f', 0, 64) + " minutes"
	case min < 48*60:
		return strconv.FormatFloat(min/60, 'f', 1, 64) + " hours"
	default:
		return strconv.FormatFloat(min/1440, 'f', 1, 64) + " days"
	}
}
