package privacy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/bluesim/bluesim/tracing"
)

// Truth is the ground truth the scoring needs, supplied by whoever ran the
// world (the simulator), never seen by the attacks. Labels in it are
// opaque: renumbering them changes no result.
type Truth struct {
	// AppUsers is the number of people running the arm's app;
	// AppUsersInRange how many of them came within range of at least one
	// sniffer (a sniffer heard them, or could have at the distance).
	AppUsers, AppUsersInRange int64
	// Keys gives, per published key, who uploaded it and where they live.
	// A key the adversary saw without an entry here (a server's padding
	// key) is traced but not scored.
	Keys []KeyTruth
	// Owner, if set, says which phone broadcast an ID (any opaque label),
	// to score the linking attack's bridges: a bridge is right when both
	// its IDs have the same owner (an ID it does not know makes it wrong).
	// Without it link precision is undefined (NaN).
	Owner func(id tracing.ID) (owner uint64, ok bool)
}

// KeyTruth is the ground truth of one published key.
type KeyTruth struct {
	// Key is the published key's bytes, as in the export.
	Key []byte
	// Uploader labels the person who uploaded it (opaque).
	Uploader uint64
	// Home is where the uploader lives, on the town plane.
	Home Point
}

// Input is everything one protocol arm's analysis takes.
type Input struct {
	// Protocol is the arm's protocol (its Expand recomputes the IDs).
	Protocol tracing.Protocol
	// Sniffers is the network (Place), Log what it heard.
	Sniffers []Sniffer
	Log      *Log
	// Keys are the keys published during the run, read from the key
	// server's exports (ReadGAENExport, ReadBluezoneF0List,
	// ReadDP3TExposed, or Device.Upload's for bluezone-v1, which had no
	// published format).
	Keys []tracing.PublishedKey
	// Truth scores the attacks.
	Truth Truth
	// Params are the attacks' thresholds (DefaultParams).
	Params Params
}

// Analysis is one arm's attacks and their scores.
type Analysis struct {
	Result  Result
	Linking *Linking
	Tracing *Tracing
	// Uploaders are the scored uploaders, in order of their labels.
	Uploaders []UploaderScore
}

// UploaderScore is one uploader's outcome.
type UploaderScore struct {
	Uploader uint64
	// Keys are the indices of the uploader's published keys.
	Keys []int
	// Traced: one of its keys was reconstructed.
	Traced bool
	// Home is the attack's home sniffer (-1: none), TrueHome the sniffer
	// nearest the uploader's real home; HomeFound whether the home
	// sniffer stands within Trace.HomeRadiusM of the real home (where the
	// network is denser than that, the nearest sniffer or one about as
	// near).
	Home, TrueHome int
	HomeFound      bool
	// Minutes is the longest span one of its keys reveals; SlotMinutes
	// the longest a per-slot publication would (see Tracing.SlotMinutes).
	Minutes, SlotMinutes float64
	// the same in ms, summed exactly whatever the uploaders' order
	spanMs, slotMs int64
}

// Result is one protocol arm's privacy outcome, ready for summary.json's
// arms[].privacy object and the privacy table. Every share has its count
// and denominator beside it and a 95 % Wilson interval; an undefined share
// (denominator 0) is NaN, written as null. See Keys for every field's
// meaning.
type Result struct {
	Protocol                    string
	Sniffers                    int64
	AppUsers, AppUsersInRange   int64
	InRange                     Share
	Sightings, IDsHeard, Tracks int64
	Bridges                     int64
	LinkPrecision               Share
	LinkedSightings             int64
	LinkedTime                  Share
	MeanTrackMinutes            float64
	MultiDaySightings           int64
	MultiDay                    Share
	PublishedKeys               int64
	IDsRecomputed               int64
	Uploaders                   int64
	UploadersTraced             int64
	Traced                      Share
	HomesIdentified             int64
	Homes                       Share
	HomesNearest                int64
	HomesNearestShare           Share
	KeyRevealedMinutes          float64
	SlotRevealedMinutes         float64
}

// Share is a proportion K/N with its 95 % Wilson score interval.
type Share struct {
	K, N             int64
	Value, Low, High float64
}

// z975 is the standard normal quantile for a two-sided 95 % interval.
var z975 = distuv.UnitNormal.Quantile(0.975)

// NewShare is K/N with its Wilson interval (Wilson 1927), which unlike
// the normal approximation stays inside [0, 1] and behaves at K = 0 and
// K = N. N = 0 (or K outside 0..N) gives NaN throughout.
func NewShare(k, n int64) Share {
	s := Share{K: k, N: n, Value: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if n <= 0 || k < 0 || k > n {
		return s
	}
	p, nf, z := float64(k)/float64(n), float64(n), z975
	den := 1 + z*z/nf
	center := (p + z*z/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	s.Value = p
	s.Low, s.High = math.Max(0, center-half), math.Min(1, center+half)
	// At the ends the closed form is exact; rounding must not move it.
	if k == 0 {
		s.Low = 0
	}
	if k == n {
		s.High = 1
	}
	return s
}

// Analyze runs both attacks on one arm and scores them against the truth.
func Analyze(in Input) (*Analysis, error) {
	if in.Protocol == nil {
		return nil, fmt.Errorf("privacy: no protocol")
	}
	info := in.Protocol.Info()
	ln, err := Link(in.Log, in.Sniffers, info, in.Params)
	if err != nil {
		return nil, err
	}
	tr, err := Trace(in.Log, in.Sniffers, in.Protocol, in.Keys, in.Params)
	if err != nil {
		return nil, err
	}
	if in.Truth.AppUsers < 0 || in.Truth.AppUsersInRange < 0 || in.Truth.AppUsersInRange > in.Truth.AppUsers {
		return nil, fmt.Errorf("privacy: truth: %d app users in range of %d: want 0 <= in range <= app users", in.Truth.AppUsersInRange, in.Truth.AppUsers)
	}
	a := &Analysis{Linking: ln, Tracing: tr}
	r := &a.Result
	r.Protocol = info.Name
	r.Sniffers = int64(len(in.Sniffers))
	r.AppUsers, r.AppUsersInRange = in.Truth.AppUsers, in.Truth.AppUsersInRange
	r.InRange = NewShare(r.AppUsersInRange, r.AppUsers)
	r.Sightings, r.IDsHeard, r.Tracks = ln.Records, int64(in.Log.Entries()), int64(len(ln.Tracks))
	r.Bridges = int64(len(ln.Bridges))
	r.LinkPrecision = NewShare(0, 0)
	if own := in.Truth.Owner; own != nil {
		var good int64
		for _, b := range ln.Bridges {
			fa, oka := own(entryID(in.Log, b.From))
			fb, okb := own(entryID(in.Log, b.To))
			if oka && okb && fa == fb {
				good++
			}
		}
		r.LinkPrecision = NewShare(good, r.Bridges)
	}
	r.LinkedSightings = ln.LongRecords
	r.LinkedTime = NewShare(ln.LongRecords, ln.Records)
	r.MeanTrackMinutes = ln.MeanTrackMinutes()
	r.MultiDaySightings = ln.MultiDayRecords
	r.MultiDay = NewShare(ln.MultiDayRecords, ln.Records)
	r.PublishedKeys = int64(len(in.Keys))
	r.IDsRecomputed = tr.IDsRecomputed

	// Uploaders: group the published keys by the truth's label.
	truth := map[string]*KeyTruth{}
	for i := range in.Truth.Keys {
		kt := &in.Truth.Keys[i]
		if prev, dup := truth[string(kt.Key)]; dup && (prev.Uploader != kt.Uploader || prev.Home != kt.Home) {
			return nil, fmt.Errorf("privacy: truth: key %x is given twice, for different uploaders", kt.Key)
		}
		truth[string(kt.Key)] = kt
	}
	byUp := map[uint64]*UploaderScore{}
	for i, k := range in.Keys {
		kt, ok := truth[string(k.Key)]
		if !ok {
			continue
		}
		u := byUp[kt.Uploader]
		if u == nil {
			u = &UploaderScore{Uploader: kt.Uploader, Home: -1, TrueHome: Nearest(in.Sniffers, kt.Home)}
			byUp[kt.Uploader] = u
		}
		u.Keys = append(u.Keys, i)
	}
	var minutes, slot, nmin int64
	for _, u := range byUp {
		// Pool the night sightings of the uploader's keys: one Bluezone or
		// DP-3T key covers every day already; for GAEN this credits the
		// adversary with grouping an upload's TEKs, which the export hides
		// but the shared home sniffer of consecutive days gives away.
		night := map[uint32]SnifferCount{}
		for _, ki := range u.Keys {
			kt := &tr.Keys[ki]
			u.Traced = u.Traced || kt.Reconstructed
			for _, c := range kt.Night {
				n := night[c.Sniffer]
				n.Sniffer, n.Count, n.Signal = c.Sniffer, n.Count+c.Count, n.Signal+c.Signal
				night[c.Sniffer] = n
			}
			if kt.Reconstructed {
				sm, err := tr.slotSpan(kt, ln)
				if err != nil {
					return nil, err
				}
				u.spanMs, u.slotMs = max(u.spanMs, kt.End-kt.First), max(u.slotMs, sm)
			}
		}
		counts := make([]SnifferCount, 0, len(night))
		for _, c := range night {
			counts = append(counts, c)
		}
		slices.SortFunc(counts, func(a, b SnifferCount) int { return cmp.Compare(a.Sniffer, b.Sniffer) })
		u.Minutes, u.SlotMinutes = float64(u.spanMs)/60_000, float64(u.slotMs)/60_000
		u.Home = home(counts)
		u.HomeFound = u.Home >= 0 &&
			in.Sniffers[u.Home].Pos.Dist(truth[string(in.Keys[u.Keys[0]].Key)].Home) <= in.Params.Trace.HomeRadiusM
		a.Uploaders = append(a.Uploaders, *u)
	}
	slices.SortFunc(a.Uploaders, func(x, y UploaderScore) int { return cmp.Compare(x.Uploader, y.Uploader) })
	for _, u := range a.Uploaders {
		r.Uploaders++
		if u.Traced {
			r.UploadersTraced++
			minutes += u.spanMs
			slot += u.slotMs
			nmin++
		}
		if u.HomeFound {
			r.HomesIdentified++
		}
		if u.Home >= 0 && u.Home == u.TrueHome {
			r.HomesNearest++
		}
	}
	r.Traced = NewShare(r.UploadersTraced, r.Uploaders)
	r.Homes = NewShare(r.HomesIdentified, r.Uploaders)
	r.HomesNearestShare = NewShare(r.HomesNearest, r.Uploaders)
	r.KeyRevealedMinutes, r.SlotRevealedMinutes = math.NaN(), math.NaN()
	if nmin > 0 {
		r.KeyRevealedMinutes = float64(minutes) / 60_000 / float64(nmin)
		r.SlotRevealedMinutes = float64(slot) / 60_000 / float64(nmin)
	}
	return a, nil
}

func entryID(l *Log, k int) tracing.ID {
	id, _ := l.Entry(k)
	return id
}

// field is one summary key: its name under "privacy.", what it means, and
// its value in a Result.
type field struct {
	name, doc string
	get       func(*Result) any
}

func shareFields(name, doc string, get func(*Result) Share) []field {
	return []field{
		{name, doc, func(r *Result) any { return get(r).Value }},
		{name + "_ci_low", "lower end of the 95 % Wilson interval of " + name, func(r *Result) any { return get(r).Low }},
		{name + "_ci_high", "upper end of the 95 % Wilson interval of " + name, func(r *Result) any { return get(r).High }},
	}
}

var fields = slices.Concat(
	[]field{
		{"protocol", "the arm's protocol (bluezone-v1, bluezone, gaen, dp3t)", func(r *Result) any { return r.Protocol }},
		{"sniffers", "number of sniffers in the adversary's network", func(r *Result) any { return r.Sniffers }},
		{"app_users", "people running the arm's app", func(r *Result) any { return r.AppUsers }},
		{"app_users_in_range", "app users who came within range of at least one sniffer", func(r *Result) any { return r.AppUsersInRange }},
	},
	shareFields("in_range_share", "app_users_in_range / app_users", func(r *Result) Share { return r.InRange }),
	[]field{
		{"sightings", "records the sniffers logged (one per ID heard per 10-s window)", func(r *Result) any { return r.Sightings }},
		{"ids_heard", "distinct broadcast IDs the sniffers heard", func(r *Result) any { return r.IDsHeard }},
		{"tracks", "chains of IDs the linking attack built", func(r *Result) any { return r.Tracks }},
		{"bridges", "ID rotations the linking attack bridged", func(r *Result) any { return r.Bridges }},
	},
	shareFields("link_precision", "share of bridges joining two IDs of the same phone (null without that ground truth)", func(r *Result) Share { return r.LinkPrecision }),
	[]field{
		{"linked_sightings", "sightings in tracks spanning at least an hour", func(r *Result) any { return r.LinkedSightings }},
	},
	shareFields("linked_time_share", "linked_sightings / sightings: the share of sniffed time that falls in tracks of at least an hour", func(r *Result) Share { return r.LinkedTime }),
	[]field{
		{"mean_track_minutes", "mean span of a track, first sighting to end of last (minutes)", func(r *Result) any { return r.MeanTrackMinutes }},
		{"multi_day_sightings", "sightings in tracks seen on more than one local day (without any upload)", func(r *Result) any { return r.MultiDaySightings }},
	},
	shareFields("multi_day_share", "multi_day_sightings / sightings", func(r *Result) Share { return r.MultiDay }),
	[]field{
		{"published_keys", "keys the key server published during the run", func(r *Result) any { return r.PublishedKeys }},
		{"ids_recomputed", "broadcast IDs the adversary recomputed from them", func(r *Result) any { return r.IDsRecomputed }},
		{"uploaders", "people whose published keys the ground truth names", func(r *Result) any { return r.Uploaders }},
		{"uploaders_traced", "uploaders with a key matching at least min_sightings (5) sightings", func(r *Result) any { return r.UploadersTraced }},
	},
	shareFields("traced_share", "uploaders_traced / uploaders", func(r *Result) Share { return r.Traced }),
	[]field{
		{"homes_identified", "uploaders whose home sniffer (the strongest night-time signal, 21:00-06:00 local: sightings weighted by RSSI) stands within trace.home_radius_m (100 m) of their real home", func(r *Result) any { return r.HomesIdentified }},
	},
	shareFields("home_share", "homes_identified / uploaders", func(r *Result) Share { return r.Homes }),
	[]field{
		{"homes_nearest", "uploaders whose home sniffer is the sniffer nearest their real home (the issue's definition; where the nearest sniffer is far away, it counts homes that home_share does not)", func(r *Result) any { return r.HomesNearest }},
	},
	shareFields("home_nearest_share", "homes_nearest / uploaders", func(r *Result) Share { return r.HomesNearestShare }),
	[]field{
		{"key_revealed_minutes", "mean over traced uploaders of the span one published key reveals (minutes)", func(r *Result) any { return r.KeyRevealedMinutes }},
		{"slot_revealed_minutes", "the same had each rotation slot's ID been published on its own, linked only by the linking attack (minutes)", func(r *Result) any { return r.SlotRevealedMinutes }},
	},
)

// KeyDoc is one documented summary key.
type KeyDoc struct {
	Key, Doc string
}

// Keys documents every field of a Result by its summary.json key
// ("privacy.linked_time_share", ...), in output order.
func Keys() []KeyDoc {
	out := make([]KeyDoc, len(fields))
	for i, f := range fields {
		out[i] = KeyDoc{"privacy." + f.name, f.doc}
	}
	return out
}

// Field is one named value of a Result.
type Field struct {
	Name  string
	Value any // string, int64 or float64 (NaN when undefined)
}

// Fields lists the result's values by their names under "privacy.", in
// the order of Keys.
func (r Result) Fields() []Field {
	out := make([]Field, len(fields))
	for i, f := range fields {
		out[i] = Field{f.name, f.get(&r)}
	}
	return out
}

// MarshalJSON writes the result as the object that goes under an arm's
// "privacy" key: every field of Keys in order, plain JSON numbers, NaN as
// null.
func (r Result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range r.Fields() {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(f.Name)
		b.Write(name)
		b.WriteByte(':')
		if v, ok := f.Value.(float64); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			b.WriteString("null")
			continue
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
