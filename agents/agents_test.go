package agents

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/bluesim/bluesim/radio"
)

func build(t *testing.T, n int, seed uint64) *Population {
	t.Helper()
	p, err := Build(Default(n), radio.DefaultParams(), seed)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildDeterministic(t *testing.T) {
	a, b := build(t, 3000, 5), build(t, 3000, 5)
	if !reflect.DeepEqual(a.People, b.People) || !reflect.DeepEqual(a.Sites, b.Sites) {
		t.Fatal("same seed, different populations")
	}
	c := build(t, 3000, 6)
	if reflect.DeepEqual(a.People, c.People) {
		t.Fatal("different seeds, same population")
	}
	if !reflect.DeepEqual(a.Stays(nil, 3, false), b.Stays(nil, 3, false)) {
		t.Fatal("same seed, different stays")
	}
}

func TestPopulationShape(t *testing.T) {
	pop := build(t, 20000, 1)
	p := pop.Params
	if len(pop.People) != p.Size {
		t.Fatalf("%d people, want %d", len(pop.People), p.Size)
	}
	if hh := float64(p.Size) / float64(pop.Households); math.Abs(hh-p.HouseholdSize) > 0.15 {
		t.Errorf("mean household size %.2f, want about %.1f", hh, p.HouseholdSize)
	}
	var bands [9]int
	var pupils, workers, phones int
	for i := range pop.People {
		pp := &pop.People[i]
		bands[ageBand(int(pp.Age))]++
		if pp.Has(FlagPupil) {
			pupils++
			if int(pp.Age) < p.SchoolAgeMin || int(pp.Age) > p.SchoolAgeMax {
				t.Fatalf("pupil aged %d", pp.Age)
			}
			if pop.Sites[pp.DaySite].Kind != School {
				t.Fatal("pupil's day site is not a school")
			}
		}
		if pp.Has(FlagWorker) {
			workers++
			if pp.Age < 15 || pp.Age > 64 {
				t.Fatalf("worker aged %d", pp.Age)
			}
		}
		if pp.Has(FlagPhone) {
			phones++
		}
	}
	// 0-14 share against the census 24.3 % (the head of each household is
	// an adult, which shifts the pyramid a little).
	young := float64(bands[0]) + 0.5*float64(bands[1])
	if share := young / float64(p.Size); share < 0.19 || share > 0.29 {
		t.Errorf("0-14 share about %.3f, want near 0.243", share)
	}
	if pupils == 0 || workers == 0 {
		t.Fatalf("pupils %d workers %d", pupils, workers)
	}
	if pop.Ownership < 0.6 || pop.Ownership > 0.9 {
		t.Errorf("smartphone ownership %.2f, want about 0.8", pop.Ownership)
	}
	ios := 0
	for i := range pop.People {
		if pop.People[i].OS == radio.IOS {
			ios++
		}
	}
	if f := float64(ios) / float64(p.Size); math.Abs(f-p.Phones.IOSShare) > 0.02 {
		t.Errorf("iOS share %.3f, want %.2f", f, p.Phones.IOSShare)
	}
}

// StaysOf over consecutive person ranges, concatenated, is Stays.
func TestStaysOfRangesConcatenate(t *testing.T) {
	pop := build(t, 1500, 5)
	for _, weekend := range []bool{false, true} {
		want := pop.Stays(nil, 3, weekend)
		for _, cuts := range [][]int{{0, 1500}, {0, 1, 700, 701, 1500}, {0, 333, 1000, 1499, 1500}, {-5, 10, 2000}} {
			var got []Stay
			for i := 0; i+1 < len(cuts); i++ {
				got = pop.StaysOf(got, 3, weekend, cuts[i], cuts[i+1])
			}
			if !slices.Equal(got, want) {
				t.Fatalf("weekend=%v cuts %v: %d stays, Stays has %d", weekend, cuts, len(got), len(want))
			}
		}
		if got := pop.StaysOf(nil, 3, weekend, 900, 900); len(got) != 0 {
			t.Fatalf("empty range gave %d stays", len(got))
		}
	}
}

func TestStaysConsistent(t *testing.T) {
	pop := build(t, 4000, 3)
	for _, weekend := range []bool{false, true} {
		st := pop.Stays(nil, 2, weekend)
		last := int32(-1)
		end := 0
		covered := 0
		kinds := map[Kind]int{}
		for _, s := range st {
			if s.Person != last {
				if last >= 0 && end != MinutesPerDay {
					t.Fatalf("person %d's day ends at %d", last, end)
				}
				if s.Person < last {
					t.Fatal("stays not in person order")
				}
				last, end = s.Person, 0
			}
			if int(s.Start) < end || s.End <= s.Start || int(s.End) > MinutesPerDay {
				t.Fatalf("person %d: stay %d-%d after %d", s.Person, s.Start, s.End, end)
			}
			end = int(s.End)
			covered += int(s.End - s.Start)
			site := &pop.Sites[s.Site]
			kinds[site.Kind]++
			if int32(s.Room) >= site.Rooms {
				t.Fatalf("room %d of %d", s.Room, site.Rooms)
			}
			if !s.Free() {
				pos := site.SeatPos(int(s.Room), int(s.Seat))
				if pos.X < 0 || pos.Y < 0 || pos.X > float32(site.Rooms)*site.RoomW+1 {
					t.Fatalf("seat outside site: %+v", pos)
				}
			}
		}
		if covered < len(pop.People)*MinutesPerDay*9/10 {
			t.Errorf("stays cover %d person-minutes of %d", covered, len(pop.People)*MinutesPerDay)
		}
		want := []Kind{Home, Market, Cafe}
		if !weekend {
			want = append(want, School, Work, Bus)
		}
		for _, k := range want {
			if kinds[k] == 0 {
				t.Errorf("weekend=%v: no stays at %v", weekend, k)
			}
		}
		if weekend && (kinds[School] > 0 || kinds[Work] > 0) {
			t.Errorf("school or work at the weekend")
		}
	}
}

func TestFreePosInsideRoom(t *testing.T) {
	s := Site{Kind: Market, Rooms: 1, RoomW: 60, RoomD: 60, Aisle: 3}
	h := Site{Kind: Home, Rooms: 10, RoomW: 4, RoomD: 14}
	for i := range 1000 {
		u1, u2 := Uniform(1, uint64(i)), Uniform(2, uint64(i))
		p := s.FreePos(0, u1, u2)
		if p.X < 0 || p.X > 60 || p.Y < -0.6 || p.Y > 60.6 {
			t.Fatalf("market position %+v", p)
		}
		q := h.FreePos(3, u1, u2)
		if q.X < 12 || q.X > 16 || q.Y < 0 || q.Y > 14 {
			t.Fatalf("home position %+v outside room 3", q)
		}
	}
	if Walls(2, 5) != 3 || Walls(5, 2) != 3 || Walls(4, 4) != 0 {
		t.Fatal("walls")
	}
}

func TestActivityRates(t *testing.T) {
	pop := build(t, 20000, 9)
	off, killed, android := 0, 0, 0
	for i := range pop.People {
		a := pop.ActivityOn(i, 4)
		if a.BluetoothOff {
			off++
		}
		if pop.People[i].OS == radio.Android {
			android++
			if a.Killed {
				killed++
			}
		} else if a.Killed {
			t.Fatal("battery saver killed an iPhone app")
		}
	}
	ph := pop.Params.Phones
	if f := float64(off) / float64(len(pop.People)); math.Abs(f-ph.BluetoothOff) > 0.01 {
		t.Errorf("bluetooth off %.3f, want %.2f", f, ph.BluetoothOff)
	}
	if f := float64(killed) / float64(android); math.Abs(f-ph.BatterySaverKill) > 0.015 {
		t.Errorf("killed %.3f, want %.2f", f, ph.BatterySaverKill)
	}
}

func TestValidate(t *testing.T) {
	bad := []func(*Params){
		func(p *Params) { p.Size = 1 },
		func(p *Params) { p.HouseholdSize = 0.5 },
		func(p *Params) { p.AgeShares = []float64{1} },
		func(p *Params) { p.AgeShares[0] = 0.9 },
		func(p *Params) { p.ApartmentShare = 2 },
		func(p *Params) { p.WorkplaceSizes = nil },
		func(p *Params) { p.Phones.OwnershipByAge = nil },
		func(p *Params) { p.Phones.IOSShare = math.NaN() },
		func(p *Params) { p.Phones.Carriage = []float64{1} },
		func(p *Params) { p.SchoolAgeMax = 2 },
	}
	for i, f := range bad {
		p := Default(100)
		f(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("case %d: no error", i)
		}
		if _, err := Build(p, radio.DefaultParams(), 1); err == nil {
			t.Errorf("case %d: Build accepted it", i)
		}
	}
	if err := Default(100).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestStreamsIndependent(t *testing.T) {
	a := Stream(1, SubPhones, 2, 3).Uint64()
	if a != Stream(1, SubPhones, 2, 3).Uint64() {
		t.Fatal("stream not reproducible")
	}
	for _, o := range [][4]uint64{{2, SubPhones, 2, 3}, {1, SubSchedule, 2, 3}, {1, SubPhones, 3, 3}, {1, SubPhones, 2, 4}} {
		if Stream(o[0], o[1], o[2], o[3]).Uint64() == a {
			t.Fatalf("key %v collides", o)
		}
	}
	sum, sq := 0.0, 0.0
	for i := range 20000 {
		z := Normal(uint64(i))
		sum += z
		sq += z * z
	}
	if m, v := sum/20000, sq/20000; math.Abs(m) > 0.03 || math.Abs(v-1) > 0.05 {
		t.Fatalf("Normal mean %.3f var %.3f", m, v)
	}
}

func TestModelsShareOffsets(t *testing.T) {
	pop := build(t, 5000, 2)
	byModel := map[uint16]radio.DeviceOffsets{}
	for i := range pop.People {
		pp := &pop.People[i]
		if o, ok := byModel[pp.Model]; ok && o != pp.Offsets {
			t.Fatalf("model %d has two offsets", pp.Model)
		}
		byModel[pp.Model] = pp.Offsets
		if (pp.OS == radio.IOS) != (pp.Model>>15 == 1) {
			t.Fatalf("person %d: OS %v with model %#x", i, pp.OS, pp.Model)
		}
	}
	if len(byModel) < 50 {
		t.Fatalf("only %d models in use", len(byModel))
	}
	var sum, sq float64
	for _, o := range byModel {
		sum += float64(o.TX)
		sq += float64(o.TX) * float64(o.TX)
	}
	n := float64(len(byModel))
	if sd := math.Sqrt(sq/n - (sum/n)*(sum/n)); sd < 5 || sd > 11 {
		t.Errorf("TX offset SD over models %.1f dB, want about 8", sd)
	}
}
