package agents

import (
	"math/rand/v2"
)

// MinutesPerDay is the length of a simulated day.
const MinutesPerDay = 1440

// Stay is one person's time at one place: [Start, End) in minutes of the
// day. Seat >= 0 is a fixed position (desk, bed, bus seat, café seat) for
// the whole stay; Seat < 0 means free movement, re-drawn every pose epoch.
type Stay struct {
	Person     int32
	Site       int32
	Room       int16
	Seat       int16
	Start, End int16
}

// Free reports whether the person moves freely during the stay.
func (s Stay) Free() bool { return s.Seat < 0 }

// Stays appends every person's stays for day (0-based) to dst, in person
// order and, for each person, in time order. weekend selects the weekend
// schedule. Draws come from the (seed, schedule, person, day) stream.
//
// Weekday: sleep at home (fixed bed) to 06:00, free at home, then school
// 07:00-16:30 or work 08:00-17:00 (by bus when assigned one), the
// household shopper's morning market trip, an after-work café visit, an
// evening visit to the next-door neighbours, sleep from 22:00. Weekend: no
// school or work; market, café and visits more likely. A bus commuter
// rides Params.BusRides times a weekday; stays at venue types switched
// off (Params.Venues) are left out. An experiment's stays are its
// sessions (BuildExperiment).
func (pop *Population) Stays(dst []Stay, day int, weekend bool) []Stay {
	return pop.StaysOf(dst, day, weekend, 0, len(pop.People))
}

// StaysOf appends the stays of people from..to-1 only, exactly as Stays
// lists them: Stays is StaysOf over everyone, and the concatenation of
// StaysOf over consecutive person ranges is Stays, so ranges can be built
// in parallel (each person's draws come from the person's own stream). An
// experiment's sessions come whole with the range that starts at person 0.
func (pop *Population) StaysOf(dst []Stay, day int, weekend bool, from, to int) []Stay {
	if pop.sessions != nil {
		// An experiment: the day's sessions.
		if from <= 0 && to > from && day >= 0 && day < len(pop.sessions) {
			dst = append(dst, pop.sessions[day]...)
		}
		return dst
	}
	p := pop.Params
	n0 := len(dst)
	var src rand.PCG
	r := rand.New(&src)
	from, to = max(from, 0), min(to, len(pop.People))
	for i := from; i < to; i++ {
		pp := &pop.People[i]
		SeedPCG(&src, pop.Seed, SubSchedule, uint64(i), uint64(day))
		// Draw everything up front so the stream's use does not depend on
		// which branch runs.
		uMarket, uCafe, uVisit := r.Float64(), r.Float64(), r.Float64()
		marketStart := 360 + r.IntN(120)
		marketLen := int(p.MarketMinutes * (0.5 + r.Float64()))
		cafe := pop.drawCafe(r, i)
		cafeSeat := r.IntN(cafeSeats(&pop.Sites[cafe]))
		cafeLen := int(p.CafeMinutes * (0.5 + r.Float64()))
		cafeStart := 17*60 + 30 + r.IntN(60)
		if weekend {
			cafeStart = 7*60 + r.IntN(180)
			marketStart = 360 + r.IntN(240)
		}
		// Visits go to the same next-door neighbour household every day
		// (the household's own stream decides who visits whom).
		visitStart := 19*60 + r.IntN(30)
		visitLen := 45 + r.IntN(45)
		jitter := r.IntN(20)
		if pop.travel != nil {
			if tr, ok := pop.tripOn(i, day); ok {
				dst = pop.tripStays(dst, i, tr)
				continue
			}
		}

		home := func(from, to int, seat int16) {
			if to > from {
				dst = append(dst, Stay{Person: int32(i), Site: pp.HomeSite, Room: pp.HomeRoom, Seat: seat,
					Start: int16(from), End: int16(to)})
			}
		}
		at := func(site int32, room int16, seat int16, from, to int) {
			if to > from {
				dst = append(dst, Stay{Person: int32(i), Site: site, Room: room, Seat: seat,
					Start: int16(from), End: int16(to)})
			}
		}
		bus := int(p.BusMinutes)
		t := 0
		home(0, 360, pp.Bed)
		t = 360
		// Daytime anchor (school or work) on weekdays.
		dayFrom, dayTo := -1, -1
		if !weekend && pp.DaySite >= 0 {
			if pp.Has(FlagPupil) {
				dayFrom, dayTo = 7*60, 16*60+30
			} else {
				dayFrom, dayTo = 8*60, 17*60
			}
			dayFrom += jitter / 4
		}
		if pp.Has(FlagShopper) && uMarket < p.MarketDaily && (dayFrom < 0 || marketStart+marketLen+10 < dayFrom-bus) {
			home(t, marketStart, -1)
			at(pp.Market, 0, -1, marketStart, marketStart+marketLen)
			t = marketStart + marketLen
		}
		if dayFrom >= 0 {
			rides := 0
			if pp.BusSite >= 0 {
				rides = p.BusRides
			}
			leave := dayFrom
			if rides >= 1 {
				leave = dayFrom - bus
			}
			home(t, max(t, leave-5), -1)
			if rides >= 1 {
				at(pp.BusSite, 0, pp.BusSeat, leave, dayFrom)
			}
			// Rides beyond two are round trips at midday: out on the bus,
			// ten minutes elsewhere, back on the same bus, while they fit
			// in the day.
			from := dayFrom
			for trip, out := 0, 12*60; trip < (rides-2)/2 && out+2*bus+10 <= dayTo; trip, out = trip+1, out+2*bus+30 {
				at(pp.DaySite, pp.DayRoom, pp.DaySeat, from, out)
				at(pp.BusSite, 0, pp.BusSeat, out, out+bus)
				at(pp.BusSite, 0, pp.BusSeat, out+bus+10, out+2*bus+10)
				from = out + 2*bus + 10
			}
			at(pp.DaySite, pp.DayRoom, pp.DaySeat, from, dayTo)
			t = dayTo
			if rides >= 2 {
				// Evening runs carry the same riders (same bus, same seat).
				at(pp.BusSite, 0, pp.BusSeat, dayTo+10, dayTo+10+bus)
				t = dayTo + 10 + bus
			} else {
				t = dayTo + 15
			}
		}
		cafeP := p.CafeDaily
		if weekend {
			cafeP = p.CafeWeekend
		}
		if pp.Age >= 18 && uCafe < cafeP && cafeStart >= t+5 && cafeStart+cafeLen < visitStart {
			home(t, cafeStart-5, -1)
			at(cafe, 0, int16(cafeSeat), cafeStart, cafeStart+cafeLen)
			t = cafeStart + cafeLen + 5
		}
		room := pp.HomeRoom
		rooms := pop.Sites[pp.HomeSite].Rooms
		if uVisit < p.VisitNeighbours && rooms > 1 && visitStart > t {
			neighbour := room + 1
			if int32(neighbour) >= rooms {
				neighbour = room - 1
			}
			home(t, visitStart, -1)
			at(pp.HomeSite, neighbour, -1, visitStart, visitStart+visitLen)
			t = visitStart + visitLen
		}
		home(t, 22*60, -1)
		home(max(t, 22*60), MinutesPerDay, pp.Bed)
	}
	return pop.dropOff(dst, n0)
}

// home is a helper signature used above; free movement at home has seat -1.
func cafeSeats(s *Site) int {
	perRow := max(1, int(s.RoomW/s.Pitch))
	rows := max(1, int(s.RoomD/s.Pitch))
	return perRow * rows * 4
}

// Activity is a phone's app state on one day, drawn per (person, day) from
// counter-based keys so every arm sees the same day (common random numbers).
type Activity struct {
	// BluetoothOff: Bluetooth is off all day; the phone neither advertises
	// nor scans.
	BluetoothOff bool
	// Killed: an Android battery saver killed a non-GAEN app for the day.
	Killed bool
	// ForegroundU is a uniform draw; the app is in the foreground in a
	// stretch of time when a per-window draw falls below Phones.Foreground.
	ForegroundU float64
}

// ActivityOn returns person i's phone activity on day.
func (pop *Population) ActivityOn(i, day int) Activity {
	ph := pop.Params.Phones
	pp := &pop.People[i]
	a := Activity{
		BluetoothOff: Uniform(pop.Seed, SubActivity, uint64(i), uint64(day), 0) < ph.BluetoothOff,
		ForegroundU:  Uniform(pop.Seed, SubActivity, uint64(i), uint64(day), 2),
	}
	if pp.OS == 0 { // radio.Android
		a.Killed = Uniform(pop.Seed, SubActivity, uint64(i), uint64(day), 1) < ph.BatterySaverKill
	}
	return a
}
