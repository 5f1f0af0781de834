package agents

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/radio"
)

// Kind is a venue type.
type Kind uint8

// Venue types.
const (
	Home Kind = iota
	School
	Work
	Market
	Cafe
	Bus
	// Tram, Queue and Room are the venues of experiment set-ups
	// (Experiment); a synthesised town has none.
	Tram
	Queue
	Room
	NumKinds
)

var kindNames = [...]string{"home", "school", "work", "market", "cafe", "bus", "tram", "queue", "room"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Kinds lists every venue type in order.
func Kinds() []Kind { return []Kind{Home, School, Work, Market, Cafe, Bus, Tram, Queue, Room} }

// ParseKind parses a venue type's name ("home", ..., "room").
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if s == n {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown venue kind %q (want one of %s)", s, strings.Join(kindNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler (YAML, JSON).
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (YAML, JSON).
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err == nil {
		*k = v
	}
	return err
}

// Site is a building or place: Rooms rooms of RoomW x RoomD metres side by
// side along x, one wall between neighbours (a row of tube houses, one floor
// of an apartment block, a school's classrooms, an office building's
// offices). Markets, cafés and buses have one room. Positions are in site
// coordinates, so the distance and the walls between any two people in the
// same site are known.
type Site struct {
	Kind  Kind
	Env   radio.Environment
	Rooms int32
	// RoomW and RoomD are a room's width (along the row) and depth.
	RoomW, RoomD float32
	// Pitch is the spacing of seats (desks, beds, bus seats, café tables).
	Pitch float32
	// Aisle, when positive, snaps free movement to aisles this far apart
	// (market stalls line the aisles).
	Aisle float32
	// Area and Cluster are the census area (Population.Areas) and the
	// commune-sized cluster (Population.Clusters) the site is in; 0 in a
	// town, which has neither.
	Area, Cluster int32
	// X and Y are the site's position in metres on its province's plane
	// (see Area.X), or on the town's plane for a synthetic town (a
	// deterministic layout that draws nothing: see layOutTown in
	// plane.go). Rooms and seats are laid out from there in site
	// coordinates; the engine's contacts never read it (people meet
	// inside a site), the adversary's sniffers do.
	X, Y float32
	// Layout, when not nil, places the seats and bodies by hand (an
	// experiment's venue): SeatPos reads it, and PeopleBetween counts its
	// bodies instead of estimating them from the density.
	Layout *Layout
}

// Person flags.
const (
	FlagPhone   uint8 = 1 << iota // owns a smartphone
	FlagPupil                     // attends school
	FlagWorker                    // works outside the home
	FlagShopper                   // does the household's market trip
)

// Person is one agent. It is a small value struct; the population holds a
// slice of them indexed by agent number.
type Person struct {
	Age      uint8
	Flags    uint8
	OS       radio.OS
	Carriage radio.Carriage
	// Household is the household number; HomeSite and HomeRoom its home.
	Household int32
	HomeSite  int32
	HomeRoom  int16
	// Bed is the person's fixed sleeping position in the home.
	Bed int16
	// DaySite, DayRoom and DaySeat are the school class or workplace desk
	// (DaySite -1 if none).
	DaySite int32
	DayRoom int16
	DaySeat int16
	// BusSite and BusSeat are the commuter bus (BusSite -1 if none).
	BusSite int32
	BusSeat int16
	// Market is the market site the household uses.
	Market int32
	// InstallU is the person's one install draw: installed at adoption a
	// when InstallU < a / ownership (see Installed).
	InstallU float32
	// Model is the phone model (iPhone models have bit 15 set).
	Model uint16
	// Offsets are the phone model's radio offsets.
	Offsets radio.DeviceOffsets
}

// Has reports whether all flags f are set.
func (p *Person) Has(f uint8) bool { return p.Flags&f == f }

// Population is a synthesised town.
type Population struct {
	Params  Params
	Seed    uint64
	People  []Person
	Sites   []Site
	Cafes   []int32 // site numbers of cafés
	Markets []int32 // site numbers of markets
	// Households is the number of households.
	Households int
	// Ownership is the share of the population owning a smartphone.
	Ownership float64
	// Areas are the census areas of a geographic population (nil for a
	// town), Clusters its commune-sized clusters.
	Areas    []Area
	Clusters []Cluster
	// travel is the day-trip plan of a multi-province area (nil: none).
	travel *travelPlan
	// IndexDay, when not nil, fixes who is an index case: person i on day
	// IndexDay[i] (-1: never), in place of the scenario's diagnosis draws.
	// An experiment makes every handset an index case on its session's
	// day.
	IndexDay []int16
	// sessions, when not nil, are the stays of each day (an experiment's
	// schedule), in place of the synthesised schedules.
	sessions [][]Stay
}

// Validate reports every parameter out of range, each as a *check.Error
// naming its scenario key ("population.house_width_m"). These are the
// limits Build holds the parameters to, and the only place they are
// written down: the scenario validator calls this method.
func (p Params) Validate() error {
	l := check.New("population")
	// Below two people there is nobody to meet; the upper bound keeps
	// person and site numbers well inside int32.
	if !p.Geographic() {
		l.IntBetween("size", p.Size, 2, 50_000_000)
	}
	p.Geography.validate(l, &p)
	l.Between("household_size", p.HouseholdSize, 1, 20)
	l.Shares("age_shares", p.AgeShares, 9)
	l.Fraction("apartment_share", p.ApartmentShare)
	l.IntBetween("flats_per_floor", p.FlatsPerFloor, 1, 100)
	l.Between("house_width_m", p.HouseWidthM, 2, 30)
	l.IntBetween("school_age_min", p.SchoolAgeMin, 3, 25)
	l.IntBetween("school_age_max", p.SchoolAgeMax, 3, 25)
	if p.SchoolAgeMax < p.SchoolAgeMin {
		l.Add("school_age_max", "must be at least school_age_min (%d), got %d", p.SchoolAgeMin, p.SchoolAgeMax)
	}
	l.Fraction("school_attendance", p.SchoolAttendance)
	l.IntBetween("class_size", p.ClassSize, 1, 200)
	l.Fraction("employment_rate", p.EmploymentRate)
	if len(p.WorkplaceSizes) == 0 {
		l.Add("workplace_sizes", "needs at least one size class")
	}
	sum := 0.0
	for i, w := range p.WorkplaceSizes {
		f := check.Index("workplace_sizes", i)
		l.IntBetween(f+".size", w.Size, 1, 10000)
		l.Fraction(f+".share", w.Share)
		sum += w.Share
	}
	if len(p.WorkplaceSizes) > 0 && math.Abs(sum-1) > 1e-3 {
		l.Add("workplace_sizes", "shares must sum to 1, got %v", check.RoundSig(sum, 6))
	}
	l.Fraction("bus_share", p.BusShare)
	l.IntBetween("bus_capacity", p.BusCapacity, 1, 200)
	l.Between("bus_minutes", p.BusMinutes, 1, 240)
	if p.BusRides != 0 && p.BusRides != 1 && (p.BusRides%2 != 0 || p.BusRides > 8) {
		l.Add("bus_rides", "want 0, 1, 2, 4, 6 or 8 rides a day (beyond 2, round trips at midday), got %d", p.BusRides)
	}
	l.Fraction("market_daily", p.MarketDaily)
	l.Between("market_minutes", p.MarketMinutes, 1, 240)
	l.IntBetween("people_per_market", p.PeoplePerMarket, 10, 1<<30)
	l.Fraction("cafe_daily", p.CafeDaily)
	l.Fraction("cafe_weekend", p.CafeWeekend)
	l.Between("cafe_minutes", p.CafeMinutes, 1, 240)
	l.IntBetween("people_per_cafe", p.PeoplePerCafe, 10, 1<<30)
	l.Fraction("visit_neighbours", p.VisitNeighbours)

	ph := p.Phones
	const g = "phones."
	if len(ph.OwnershipByAge) != 9 {
		l.Add(g+"ownership_by_age", "want 9 values (one per ten-year age band), got %d", len(ph.OwnershipByAge))
	}
	for i, x := range ph.OwnershipByAge {
		l.Fraction(check.Index(g+"ownership_by_age", i), x)
	}
	l.Fraction(g+"ios_share", ph.IOSShare)
	l.Shares(g+"carriage", ph.Carriage, 5)
	l.IntBetween(g+"models", ph.Models, 1, 30000)
	l.Fraction(g+"bluetooth_off", ph.BluetoothOff)
	l.Fraction(g+"battery_saver_kill", ph.BatterySaverKill)
	l.Fraction(g+"foreground", ph.Foreground)
	ph.CarriageByActivity.validate(l, g+"carriage_by_activity")
	return l.Err()
}

// Build synthesises the population. Radio parameters give the spread of
// the phone models' offsets.
func Build(p Params, rp radio.Params, seed uint64) (*Population, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	model, err := radio.NewModel(rp)
	if err != nil {
		return nil, err
	}
	pop := &Population{Params: p, Seed: seed, People: make([]Person, 0, p.Size)}
	if p.Geographic() {
		if err := pop.buildGeo(model); err != nil {
			return nil, err
		}
		return pop, nil
	}
	pop.buildHouseholds()
	pop.assignSchools()
	pop.assignWork()
	pop.assignBuses()
	pop.buildPlaces()
	pop.drawPhones(model)
	pop.layOutTown()
	return pop, nil
}

func (pop *Population) addSite(s Site) int32 {
	pop.Sites = append(pop.Sites, s)
	return int32(len(pop.Sites) - 1)
}

func ageBand(age int) int { return min(age/10, 8) }

// drawAge draws an age from the pyramid restricted to [lo, hi].
func drawAge(r *rand.Rand, shares []float64, lo, hi int) int {
	for {
		u := r.Float64()
		b := 0
		for b < 8 && u >= shares[b] {
			u -= shares[b]
			b++
		}
		width := 10
		if b == 8 {
			width = 20 // 80-99
		}
		age := b*10 + r.IntN(width)
		if age >= lo && age <= hi {
			return age
		}
	}
}

// buildHouseholds draws household sizes (1 + Poisson(mean-1)), ages (the
// head is an adult, the others follow the pyramid less the heads, so the
// census shares hold) and homes: rows of ten tube houses, or floors of an
// apartment block.
func (pop *Population) buildHouseholds() {
	p := pop.Params
	r := Stream(pop.Seed, SubHouseholds, 0, 0)
	const rowLen = 10
	var rowSite int32 = -1
	var rowUsed int32
	var flatSite int32 = -1
	var flatUsed int32
	// Heads are adults (20+), so the other members are drawn from a
	// pyramid with the heads' share taken out, which keeps the overall age
	// shares at AgeShares.
	var adult float64
	for b := 2; b < 9; b++ {
		adult += p.AgeShares[b]
	}
	members := make([]float64, 9)
	var tot float64
	for b := range members {
		v := p.AgeShares[b]
		if b >= 2 && adult > 0 {
			v -= p.AgeShares[b] / adult / p.HouseholdSize
		}
		members[b] = max(0, v)
		tot += members[b]
	}
	for b := range members {
		members[b] /= tot
	}
	hh := int32(0)
	for len(pop.People) < p.Size {
		size := 1 + poisson(r, p.HouseholdSize-1)
		size = min(size, p.Size-len(pop.People))
		var site int32
		var room int16
		if r.Float64() < p.ApartmentShare {
			if flatSite < 0 || flatUsed == int32(p.FlatsPerFloor) {
				flatSite = pop.addSite(Site{Kind: Home, Env: radio.Indoor, Rooms: int32(p.FlatsPerFloor),
					RoomW: 8, RoomD: 9, Pitch: 1.8})
				flatUsed = 0
			}
			site, room = flatSite, int16(flatUsed)
			flatUsed++
		} else {
			if rowSite < 0 || rowUsed == rowLen {
				rowSite = pop.addSite(Site{Kind: Home, Env: radio.Indoor, Rooms: rowLen,
					RoomW: float32(p.HouseWidthM), RoomD: 14, Pitch: 1.8})
				rowUsed = 0
			}
			site, room = rowSite, int16(rowUsed)
			rowUsed++
		}
		for m := range size {
			var age int
			if m == 0 {
				age = drawAge(r, p.AgeShares, 20, 99)
			} else {
				age = drawAge(r, members, 0, 99)
			}
			pop.People = append(pop.People, Person{
				Age: uint8(age), Household: hh, HomeSite: site, HomeRoom: room, Bed: int16(m),
				DaySite: -1, BusSite: -1,
			})
		}
		hh++
	}
	pop.Households = int(hh)
	// The shopper is the oldest non-worker adult, chosen after work is
	// assigned; see assignWork.
}

func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	l := math.Exp(-mean)
	k, prod := 0, r.Float64()
	for prod > l && k < 100 {
		k++
		prod *= r.Float64()
	}
	return k
}

// assignSchools groups enrolled children by age into classes of ClassSize
// and packs classes into schools of up to 30 classrooms (8 x 9 m, desks
// 1.2 m apart).
func (pop *Population) assignSchools() {
	p := pop.Params
	r := Stream(pop.Seed, SubSchools, 0, 0)
	byAge := make([][]int32, p.SchoolAgeMax+1)
	for i := range pop.People {
		a := int(pop.People[i].Age)
		if a >= p.SchoolAgeMin && a <= p.SchoolAgeMax && r.Float64() < p.SchoolAttendance {
			byAge[a] = append(byAge[a], int32(i))
		}
	}
	const classesPerSchool = 30
	var site int32 = -1
	var used int32
	for a := p.SchoolAgeMin; a <= p.SchoolAgeMax; a++ {
		kids := byAge[a]
		for start := 0; start < len(kids); start += p.ClassSize {
			end := min(start+p.ClassSize, len(kids))
			if site < 0 || used == classesPerSchool {
				site = pop.addSite(Site{Kind: School, Env: radio.Indoor, Rooms: classesPerSchool,
					RoomW: 8, RoomD: 9, Pitch: 1.2})
				used = 0
			}
			for s, k := range kids[start:end] {
				pp := &pop.People[k]
				pp.Flags |= FlagPupil
				pp.DaySite, pp.DayRoom, pp.DaySeat = site, int16(used), int16(s)
			}
			used++
		}
	}
}

// assignWork employs adults 20-64 (and out-of-school 15-19 year olds) with
// EmploymentRate and places them in workplaces drawn from the size
// distribution. Small workplaces share office buildings of ten rooms.
func (pop *Population) assignWork() {
	p := pop.Params
	r := Stream(pop.Seed, SubWork, 0, 0)
	var workers []int32
	for i := range pop.People {
		pp := &pop.People[i]
		if pp.Age >= 15 && pp.Age <= 64 && !pp.Has(FlagPupil) && r.Float64() < p.EmploymentRate {
			workers = append(workers, int32(i))
		}
	}
	r.Shuffle(len(workers), func(i, j int) { workers[i], workers[j] = workers[j], workers[i] })
	total := 0.0
	for _, w := range p.WorkplaceSizes {
		total += w.Share
	}
	var small int32 = -1
	var smallUsed int32
	for len(workers) > 0 {
		u := r.Float64() * total
		c := 0
		for c < len(p.WorkplaceSizes)-1 && u >= p.WorkplaceSizes[c].Share {
			u -= p.WorkplaceSizes[c].Share
			c++
		}
		size := min(p.WorkplaceSizes[c].Size, len(workers))
		side := float32(math.Ceil(math.Sqrt(float64(size)))) * 1.5
		var site int32
		var room int16
		if size <= 20 {
			if small < 0 || smallUsed == 10 || pop.Sites[small].RoomW < side {
				small = pop.addSite(Site{Kind: Work, Env: radio.Indoor, Rooms: 10,
					RoomW: max(side, 8), RoomD: max(side, 8), Pitch: 1.5})
				smallUsed = 0
			}
			site, room = small, int16(smallUsed)
			smallUsed++
		} else {
			site = pop.addSite(Site{Kind: Work, Env: radio.Indoor, Rooms: 1, RoomW: side, RoomD: side, Pitch: 1.5})
		}
		for s, w := range workers[:size] {
			pp := &pop.People[w]
			pp.Flags |= FlagWorker
			pp.DaySite, pp.DayRoom, pp.DaySeat = site, room, int16(s)
		}
		workers = workers[size:]
	}
	pop.assignShoppers()
}

// assignShoppers makes one adult per household the shopper: the oldest
// adult who does not work, else the oldest adult.
func (pop *Population) assignShoppers() {
	best := make([]int32, pop.Households)
	for i := range best {
		best[i] = -1
	}
	score := func(pp *Person) int {
		s := int(pp.Age)
		if !pp.Has(FlagWorker) {
			s += 1000
		}
		return s
	}
	for i := range pop.People {
		pp := &pop.People[i]
		if pp.Age < 18 {
			continue
		}
		h := pp.Household
		if best[h] < 0 || score(pp) > score(&pop.People[best[h]]) {
			best[h] = int32(i)
		}
	}
	for _, b := range best {
		if b >= 0 {
			pop.People[b].Flags |= FlagShopper
		}
	}
}

// assignBuses puts BusShare of pupils and workers on commuter buses; riders
// of the same purpose fill buses of BusCapacity seats (four abreast, 0.8 m
// rows) in turn.
func (pop *Population) assignBuses() {
	p := pop.Params
	r := Stream(pop.Seed, SubWork, 1, 0)
	for _, flag := range []uint8{FlagPupil, FlagWorker} {
		var site int32 = -1
		seat := 0
		for i := range pop.People {
			pp := &pop.People[i]
			if !pp.Has(flag) || r.Float64() >= p.BusShare {
				continue
			}
			if site < 0 || seat == p.BusCapacity {
				rows := float32((p.BusCapacity + 3) / 4)
				site = pop.addSite(Site{Kind: Bus, Env: radio.Vehicle, Rooms: 1, RoomW: 2.4, RoomD: rows * 0.8, Pitch: 0.6})
				seat = 0
			}
			pp.BusSite, pp.BusSeat = site, int16(seat)
			seat++
		}
	}
}

// buildPlaces creates markets (outdoor, 60 x 60 m, aisles 3 m apart) and
// cafés (10 x 8 m, tables of four 2.5 m apart, half of them on the
// pavement outdoors, as is common in Vietnam).
func (pop *Population) buildPlaces() {
	p := pop.Params
	nm := max(1, (p.Size+p.PeoplePerMarket-1)/p.PeoplePerMarket)
	for range nm {
		side := float32(math.Sqrt(float64(p.PeoplePerMarket) * 0.7))
		pop.Markets = append(pop.Markets, pop.addSite(Site{Kind: Market, Env: radio.Outdoor, Rooms: 1,
			RoomW: side, RoomD: side, Aisle: 3}))
	}
	nc := max(1, p.Size/p.PeoplePerCafe)
	for c := range nc {
		env := radio.Indoor
		if c%2 == 1 {
			env = radio.Outdoor
		}
		pop.Cafes = append(pop.Cafes, pop.addSite(Site{Kind: Cafe, Env: env, Rooms: 1, RoomW: 10, RoomD: 8, Pitch: 2.5}))
	}
	for i := range pop.People {
		pp := &pop.People[i]
		pp.Market = pop.Markets[int(pp.Household)%nm]
	}
}

// drawPhones draws smartphone ownership by age, OS, carriage, phone model
// and the install draw, each from the person's own phone stream so that
// changing one parameter leaves the others' draws unchanged. A model's
// radio offsets come from radio.Model.ModelOffsets, shared by every phone
// of that model.
func (pop *Population) drawPhones(m *radio.Model) {
	ph := pop.Params.Phones
	owners := 0
	var src rand.PCG
	r := rand.New(&src)
	iosModels := max(1, ph.Models/5)
	for i := range pop.People {
		pp := &pop.People[i]
		SeedPCG(&src, pop.Seed, SubPhones, uint64(i), 0)
		own := r.Float64()
		ios := r.Float64()
		carry := r.Float64()
		um := r.Float64()
		if own < ph.OwnershipByAge[ageBand(int(pp.Age))] {
			pp.Flags |= FlagPhone
			owners++
		}
		if ios < ph.IOSShare {
			pp.OS = radio.IOS
			pp.Model = 1<<15 | uint16(float64(iosModels)*um*um)
		} else {
			pp.Model = uint16(float64(ph.Models) * um * um)
		}
		c := 0
		for c < 4 && carry >= ph.Carriage[c] {
			carry -= ph.Carriage[c]
			c++
		}
		pp.Carriage = radio.Carriage(c)
		pp.Offsets = m.ModelOffsets(pop.Seed, uint64(pp.Model))
		// The install draw has its own key: nesting across adoption levels
		// depends only on it.
		pp.InstallU = float32(Uniform(pop.Seed, SubInstall, uint64(i)))
	}
	pop.Ownership = float64(owners) / float64(len(pop.People))
}

// Installed reports whether person i has the app at population adoption a
// (a fraction of the whole population): smartphone owners install with
// probability a / Ownership, decided by the person's single draw, so a
// person who has the app at a has it at every higher adoption.
//
// In a geographic population the share is the person's area's: owners
// install with probability a / (the area's ownership), so every area has
// a share a of its people with the app.
func (pop *Population) Installed(i int, a float64) bool {
	pp := &pop.People[i]
	own := pop.Ownership
	if pop.Areas != nil {
		own = pop.Areas[pop.Sites[pp.HomeSite].Area].Ownership
	}
	if !pp.Has(FlagPhone) || own == 0 {
		return false
	}
	return float64(pp.InstallU) < a/own
}

// InstalledByArea is Installed with an adoption per area: for a person of
// area k, byArea[k]·f where byArea[k] is not NaN (f is an install ramp's
// progress, 1 at its end), and a elsewhere (a is already the day's
// adoption). A nil byArea is Installed(i, a).
func (pop *Population) InstalledByArea(i int, a float64, byArea []float64, f float64) bool {
	if byArea != nil && pop.Areas != nil {
		if v := byArea[pop.Sites[pop.People[i].HomeSite].Area]; !math.IsNaN(v) {
			return pop.Installed(i, v*f)
		}
	}
	return pop.Installed(i, a)
}

// AreaOf returns the area of person i's home (0 in a town).
func (pop *Population) AreaOf(i int) int { return int(pop.Sites[pop.People[i].HomeSite].Area) }
