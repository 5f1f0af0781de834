package agents

// Params are the population parameters of a scenario. Defaults (see
// Default) describe a Vietnamese town; where a figure comes from the 2019
// Vietnam Population and Housing Census (General Statistics Office,
// "Completed results of the 2019 Viet Nam population and housing census",
// 2020) or from shared/reference/radio.md the comment says so, otherwise it
// is a documented assumption.
type Params struct {
	// Size is the number of people.
	Size int `yaml:"size"`
	// HouseholdSize is the mean number of people per household. Census 2019:
	// 3.5 persons per household nationally.
	HouseholdSize float64 `yaml:"household_size"`
	// AgeShares are the shares of the population in ten-year age bands
	// 0-9, 10-19, ..., 70-79, 80+ (nine values, summing to 1). Default
	// fitted to the census 2019 broad groups: 0-14 24.3 %, 15-64 68.0 %,
	// 65+ 7.7 % (the split inside each group is an assumption).
	AgeShares []float64 `yaml:"age_shares"`
	// ApartmentShare is the share of households living in apartment blocks,
	// where neighbouring flats sit behind one wall. Assumption for a
	// provincial town (census 2019: 34.4 % of people live in urban areas,
	// and most urban Vietnamese live in tube houses, not blocks).
	ApartmentShare float64 `yaml:"apartment_share"`
	// FlatsPerFloor is the number of flats on one floor of a block; flats on
	// a floor are placed side by side, one wall apart.
	FlatsPerFloor int `yaml:"flats_per_floor"`
	// HouseWidthM is the frontage of a tube house or flat in metres; homes
	// are laid out in rows so neighbours are this far apart, behind a wall.
	HouseWidthM float64 `yaml:"house_width_m"`
	// SchoolAgeMin and SchoolAgeMax bound the ages that attend school
	// (Vietnam: primary from 6, upper secondary to 17).
	SchoolAgeMin int `yaml:"school_age_min"`
	SchoolAgeMax int `yaml:"school_age_max"`
	// SchoolAttendance is the share of school-age children enrolled.
	// Assumption close to the census net enrolment rates (primary ~99 %,
	// upper secondary ~70 %).
	SchoolAttendance float64 `yaml:"school_attendance"`
	// ClassSize is the number of pupils per class (assumption: Vietnamese
	// classes commonly hold 35-45 pupils).
	ClassSize int `yaml:"class_size"`
	// EmploymentRate is the share of people aged 20-64 who work outside the
	// home. Assumption near the 2019 labour-force participation rate
	// (about 76 % of people 15+).
	EmploymentRate float64 `yaml:"employment_rate"`
	// WorkplaceSizes is the distribution of workplace sizes (people per
	// workplace) as a list of size classes with shares.
	WorkplaceSizes []SizeShare `yaml:"workplace_sizes"`
	// BusShare is the share of workers and pupils who commute by bus (the
	// rest walk or ride a motorbike, which makes no contacts). Assumption.
	BusShare float64 `yaml:"bus_share"`
	// BusCapacity is the number of seats per bus run.
	BusCapacity int `yaml:"bus_capacity"`
	// BusMinutes is the mean one-way bus ride in minutes.
	BusMinutes float64 `yaml:"bus_minutes"`
	// BusRides is how many bus rides a bus commuter takes on a weekday: 2
	// (to school or work and back), 1 (the morning ride only), 0 (none),
	// or 4, 6 or 8: the extra rides are round trips out of school or work
	// and back at midday (an errand, a client visit), on the same bus.
	BusRides int `yaml:"bus_rides"`
	// MarketDaily is the probability that a household shopper goes to the
	// market on a given day (wet markets are visited daily in Vietnam;
	// assumption 0.7).
	MarketDaily float64 `yaml:"market_daily"`
	// MarketMinutes is the mean market visit in minutes.
	MarketMinutes float64 `yaml:"market_minutes"`
	// PeoplePerMarket sets how many markets the town has (one per this many
	// people).
	PeoplePerMarket int `yaml:"people_per_market"`
	// CafeDaily is the probability that an adult visits a café or
	// restaurant on a weekday (weekend days use CafeWeekend).
	CafeDaily   float64 `yaml:"cafe_daily"`
	CafeWeekend float64 `yaml:"cafe_weekend"`
	// CafeMinutes is the mean café or restaurant visit in minutes.
	CafeMinutes float64 `yaml:"cafe_minutes"`
	// PeoplePerCafe sets how many cafés and restaurants there are.
	PeoplePerCafe int `yaml:"people_per_cafe"`
	// VisitNeighbours is the probability that a household visits a
	// neighbour's home in the evening on a given day.
	VisitNeighbours float64 `yaml:"visit_neighbours"`
	// Phones are the phone and app-behaviour parameters.
	Phones Phones `yaml:"phones"`
	// Venues switches venue types on and off: stays at a venue type that
	// is off are not simulated (everything on by default).
	Venues Venues `yaml:"venues"`
	// Geography: the census area, its scale and what differs between
	// urban and rural areas (unused for a synthetic town).
	Geography `yaml:",inline"`
}

// SizeShare is one class of a size distribution.
type SizeShare struct {
	// Size is the number of people in a unit of this class.
	Size int `yaml:"size"`
	// Share is the share of workers who work in units of this class.
	Share float64 `yaml:"share"`
}

// Phones are the phone parameters: who owns a smartphone, which OS and
// where it is carried, and how reliably the app runs each day.
type Phones struct {
	// OwnershipByAge is the probability of owning a smartphone in the same
	// nine ten-year bands as AgeShares. Default: OpenABM-Covid19
	// app_users_fraction (OFCOM), radio.md §4 and §5
	// `smartphone_ownership_by_age`. (Vietnam had 76.8 M smartphone users
	// for 97 M people in 2020, radio.md §4, close to the 0.79 this gives.)
	OwnershipByAge []float64 `yaml:"ownership_by_age"`
	// IOSShare is the share of smartphones that are iPhones. Assumption for
	// Vietnam 2020 (web-traffic market shares put iOS near one third).
	IOSShare float64 `yaml:"ios_share"`
	// Carriage is the share of phones carried in the hand, front pocket,
	// back pocket, shirt pocket and bag, in that order (the first five of
	// radio.Carriages). Assumption.
	Carriage []float64 `yaml:"carriage"`
	// Models is the number of distinct Android phone models; iPhones come
	// from a fifth as many. Every phone of a model shares its radio
	// offsets (radio.Model.ModelOffsets), as the GAEN calibration table
	// lists them per model; popular models are more common (a person's
	// model is floor(n·u²) for a uniform u). Assumption.
	Models int `yaml:"models"`
	// BluetoothOff is the daily probability that a phone's Bluetooth is off
	// all day (assumption).
	BluetoothOff float64 `yaml:"bluetooth_off"`
	// BatterySaverKill is the daily probability that an Android OEM battery
	// saver kills a non-GAEN app's service for the day (OpenTrace "Trial
	// Methodologies", radio.md §2.3; value an assumption). GAEN runs in the
	// OS and is not killed.
	BatterySaverKill float64 `yaml:"battery_saver_kill"`
	// Foreground is the share of waking time a non-GAEN app is in the
	// foreground on an iPhone, the only time it can advertise and scan
	// freely (radio.md §2.4; value an assumption).
	Foreground float64 `yaml:"foreground"`
	// CarriageByActivity, when enabled, draws where the phone is for
	// every stay from shares by activity (in bed, at home, on the bus, at
	// a desk, at the market or café) instead of using Carriage for the
	// whole run (ActivityCarriage has the shares' sources).
	CarriageByActivity ActivityCarriage `yaml:"carriage_by_activity"`
}

// Default returns the Vietnamese-town defaults for size people.
func Default(size int) Params {
	return Params{
		Size:          size,
		Geography:     defaultGeography(),
		HouseholdSize: 3.5,
		// 0-9, 10-19, 20-29, 30-39, 40-49, 50-59, 60-69, 70-79, 80+.
		AgeShares:        []float64{0.166, 0.147, 0.155, 0.160, 0.134, 0.116, 0.074, 0.030, 0.018},
		ApartmentShare:   0.15,
		FlatsPerFloor:    8,
		HouseWidthM:      4,
		SchoolAgeMin:     6,
		SchoolAgeMax:     17,
		SchoolAttendance: 0.9,
		ClassSize:        40,
		EmploymentRate:   0.75,
		WorkplaceSizes: []SizeShare{
			{Size: 4, Share: 0.35},
			{Size: 15, Share: 0.25},
			{Size: 60, Share: 0.2},
			{Size: 300, Share: 0.2},
		},
		BusShare:        0.1,
		BusCapacity:     40,
		BusMinutes:      25,
		BusRides:        2,
		MarketDaily:     0.7,
		MarketMinutes:   40,
		PeoplePerMarket: 5000,
		CafeDaily:       0.3,
		CafeWeekend:     0.5,
		CafeMinutes:     50,
		PeoplePerCafe:   150,
		VisitNeighbours: 0.15,
		Venues:          AllVenues(),
		Phones: Phones{
			OwnershipByAge:     []float64{0.09, 0.80, 0.97, 0.96, 0.94, 0.86, 0.70, 0.48, 0.32},
			IOSShare:           0.33,
			Carriage:           []float64{0.25, 0.35, 0.15, 0.05, 0.20},
			Models:             200,
			BluetoothOff:       0.05,
			BatterySaverKill:   0.1,
			Foreground:         0.1,
			CarriageByActivity: DefaultActivityCarriage(),
		},
	}
}
