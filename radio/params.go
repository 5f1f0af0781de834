package radio

import (
	"errors"
	"fmt"
	"math"
)

// BodyLoss is the body and carriage loss in dB at one end of a link, per
// carriage position (radio.md §1.7; defaults §5 `body_loss_db`).
type BodyLoss struct {
	Hand        float64 `yaml:"hand"`
	FrontPocket float64 `yaml:"front_pocket"`
	BackPocket  float64 `yaml:"back_pocket"`
	ShirtPocket float64 `yaml:"shirt_pocket"`
	Bag         float64 `yaml:"bag"`
	// Table is a phone put down on a table, desk or bedside shelf: no body
	// at that end of the link.
	Table float64 `yaml:"table"`
}

// Of returns the loss for carriage c (0 for an unknown carriage).
func (b BodyLoss) Of(c Carriage) float64 {
	switch c {
	case Hand:
		return b.Hand
	case FrontPocket:
		return b.FrontPocket
	case BackPocket:
		return b.BackPocket
	case ShirtPocket:
		return b.ShirtPocket
	case Bag:
		return b.Bag
	case Table:
		return b.Table
	}
	return 0
}

// Params are every radio and schedule parameter of the simulator. The
// scenario loader embeds them under the YAML key `radio:`; DefaultParams
// gives the values of radio.md §5 (and protocols.md for the app schedules),
// each cited next to its assignment.
type Params struct {
	// Propagation (radio.md §1).

	// P1mDBm is the mean raw RSSI at 1 m, line of sight, phones in hand,
	// before device offsets.
	P1mDBm float64 `yaml:"p1m_dbm"`
	// Atten1mDB is the GAEN calibrated attenuation at 1 m, line of sight;
	// with P1mDBm it fixes the reference TX level (P1mDBm + Atten1mDB) that
	// the attenuation is computed against.
	Atten1mDB float64 `yaml:"atten_1m_db"`
	// NOutdoor, NIndoor and NVehicle are the path-loss exponents.
	NOutdoor float64 `yaml:"n_outdoor"`
	NIndoor  float64 `yaml:"n_indoor"`
	NVehicle float64 `yaml:"n_vehicle"`
	// VehicleLossDB is an extra loss on every link inside a vehicle: seats,
	// seated bodies and the metal shell take the direct path, so the
	// level sits below the line-of-sight law at every distance.
	VehicleLossDB float64 `yaml:"vehicle_loss_db"`
	// SigmaPoseDB is the slow shadowing SD per encounter and pose
	// (orientation included).
	SigmaPoseDB float64 `yaml:"sigma_pose_db"`
	// SigmaVehicleExtraDB is extra slow shadowing in vehicles (seat
	// occupants, metal reflections), added in quadrature to SigmaPoseDB.
	SigmaVehicleExtraDB float64 `yaml:"sigma_vehicle_extra_db"`
	// SigmaChannelDB is the per-channel offset SD, per pose.
	SigmaChannelDB float64 `yaml:"sigma_channel_db"`
	// RicianK*DB are the per-packet Rician K factors by environment.
	RicianKOutdoorDB float64 `yaml:"rician_k_outdoor_db"`
	RicianKIndoorDB  float64 `yaml:"rician_k_indoor_db"`
	RicianKVehicleDB float64 `yaml:"rician_k_vehicle_db"`
	// BodyLossDB is the loss at each end by carriage.
	BodyLossDB BodyLoss `yaml:"body_loss_db"`
	// PersonBetweenDB is the loss per person standing between the phones.
	PersonBetweenDB float64 `yaml:"person_between_db"`
	// WallLossDB is the loss per wall between the phones.
	WallLossDB float64 `yaml:"wall_loss_db"`
	// DevTXOffsetSDDB and DevRXOffsetSDDB are the spread of the per-model
	// TX and RX offsets (uncalibrated apps see all of it).
	DevTXOffsetSDDB float64 `yaml:"dev_tx_offset_sd_db"`
	DevRXOffsetSDDB float64 `yaml:"dev_rx_offset_sd_db"`
	// GAENResidualCalibSDDB is the SD of the pair offset left after GAEN's
	// per-model calibration (split equally between TX and RX).
	GAENResidualCalibSDDB float64 `yaml:"gaen_residual_calib_sd_db"`
	// RxSensitivityDBm: packets at or below it are not received.
	RxSensitivityDBm float64 `yaml:"rx_sensitivity_dbm"`
	// PoseEpochS is how long one pose (orientation, hand position) lasts
	// inside an encounter; slow shadowing and channel offsets are redrawn
	// per pose epoch. Used by Trace; simulators pass their own epoch.
	PoseEpochS float64 `yaml:"pose_epoch_s"`

	// Advertising and scanning (radio.md §2, protocols.md §1.3, §2.2).

	// AdvIntervalMs is the nominal GAEN advertising interval; each phone
	// draws its own interval uniformly in [AdvIntervalMinMs,
	// AdvIntervalMaxMs]. iOS Bluezone adverts use AdvIntervalMs.
	AdvIntervalMs    float64 `yaml:"adv_interval_ms"`
	AdvIntervalMinMs float64 `yaml:"adv_interval_min_ms"`
	AdvIntervalMaxMs float64 `yaml:"adv_interval_max_ms"`
	// GAENScanPeriodMinS and GAENScanPeriodMaxS bound each phone's scan
	// period; GAENScanWindowS is the scan length.
	GAENScanPeriodMinS float64 `yaml:"gaen_scan_period_min_s"`
	GAENScanPeriodMaxS float64 `yaml:"gaen_scan_period_max_s"`
	GAENScanWindowS    float64 `yaml:"gaen_scan_window_s"`
	// GAENCalibrated says whether GAEN links use calibrated mode.
	GAENCalibrated bool `yaml:"gaen_calibrated"`

	// Bluezone on Android: advertising on/off, background scan on/off,
	// foreground ("full" mode) on/off, advertising interval and scan mode.
	BluezoneAdvOnS        float64 `yaml:"bluezone_adv_on_s"`
	BluezoneAdvOffS       float64 `yaml:"bluezone_adv_off_s"`
	BluezoneAdvIntervalMs float64 `yaml:"bluezone_adv_interval_ms"`
	BluezoneBgScanOnS     float64 `yaml:"bluezone_bg_scan_on_s"`
	BluezoneBgScanOffS    float64 `yaml:"bluezone_bg_scan_off_s"`
	BluezoneFgOnS         float64 `yaml:"bluezone_fg_on_s"`
	BluezoneFgOffS        float64 `yaml:"bluezone_fg_off_s"`
	// BluezoneScanMode is the Android scan mode inside a Bluezone scan:
	// "low_power", "balanced" or "low_latency".
	BluezoneScanMode string `yaml:"bluezone_scan_mode"`
	// BluezoneRecordS: one sighting record per peer per this many seconds.
	BluezoneRecordS float64 `yaml:"bluezone_record_s"`
	// BluezoneIOSScanChunkS cuts iOS Bluezone's continuous scanning into
	// windows of this length so that a simulator samples it like the others.
	// A window holds one pose, so keep it at most pose_epoch_s; shorter
	// windows cost time and change nothing (the default was 30 s: at 60 s
	// the town's outputs moved by less than 1/70 of their seed-to-seed
	// spread, and iOS scanners have half the windows).
	BluezoneIOSScanChunkS float64 `yaml:"bluezone_ios_scan_chunk_s"`
	// BluezoneCalibrated says whether Bluezone links use calibrated mode.
	BluezoneCalibrated bool `yaml:"bluezone_calibrated"`
	// IOSBgBgDetectProb is the probability that a backgrounded iPhone hears
	// another backgrounded iPhone in one scan window (non-GAEN apps).
	IOSBgBgDetectProb float64 `yaml:"ios_bg_bg_detect_prob"`
	// AndroidScanTimeoutMin: a continuous Android scan is downgraded to
	// opportunistic after this long; applied only when
	// AndroidScanTimeout is set.
	AndroidScanTimeoutMin float64 `yaml:"android_scan_timeout_min"`
	AndroidScanTimeout    bool    `yaml:"android_scan_timeout"`

	// Ideal is the ideal radio, for checking the pipeline: no noise. It
	// switches off per-packet fading, slow shadowing, channel offsets and
	// device offsets (and so the calibration residual), so that a packet's
	// RSSI is the log-distance mean of its environment less the body,
	// person and wall losses: a deterministic function of the link. The
	// schedules, receiver sensitivity and the iOS background rule still
	// apply. The noise parameters above are still validated but unused.
	Ideal bool `yaml:"ideal"`
}

// DefaultParams returns the defaults of radio.md §5 (app schedules from
// protocols.md §1.3 and §2.2).
func DefaultParams() Params {
	return Params{
		P1mDBm:    -60,  // radio.md §5 `p1m_dbm` (§1.2 TU Berlin fits, PACT −53, OpenTrace)
		Atten1mDB: 50,   // radio.md §5 `atten_1m_db` (§1.3 CWA mapping 55 dB ≈ 1.5 m)
		NOutdoor:  1.8,  // radio.md §5 `n_outdoor` (§1.3 outdoor park median 1.7)
		NIndoor:   1.5,  // radio.md §5 `n_indoor` (§1.3 indoor 0.8–1.6)
		NVehicle:  0.36, // radio.md §1.3 tram fit: slope 3.6 dB/decade, n ≈ 0.36 (§5 `n_vehicle` rounds to 0.4)
		// Fitted to the Dublin tram band means (radio.md §1.3: 63.2 / 64.1 /
		// 65.9 / 66.4 dB at ≤1 / 1–2 / 2–3 / >3 m): with n_vehicle 0.36,
		// GAEN-calibrated pairs of random models and each phone carried as
		// population.phones.carriage's default shares, the radio alone
		// falls 3.3 dB short of the measured means on average over the
		// four bands (TestTramBandMeans). The tram paper does not say how
		// the handsets were carried, so the carriage mix is an assumption;
		// Leith & Farrell's bus study (§1.4: ±10 dB from the seat
		// occupants) is the physical reason for a loss of this size.
		VehicleLossDB:       3.3,
		SigmaPoseDB:         4,   // radio.md §5 `sigma_pose_db` (§1.4, §1.6)
		SigmaVehicleExtraDB: 6,   // radio.md §5 `sigma_vehicle_extra_db` (§1.4 tram residual 5.9)
		SigmaChannelDB:      3.3, // radio.md §5 `sigma_channel_db` (§1.5)
		RicianKOutdoorDB:    5,   // radio.md §5 `rician_K_db` default 5
		RicianKIndoorDB:     5,   // radio.md §5 `rician_K_db` default 5 (§1.4 indoor K 6.3–14.7 omni, 2.7–5 directional)
		RicianKVehicleDB:    0,   // radio.md §5 `rician_K_db` range "0 (NLOS/vehicle)"
		BodyLossDB: BodyLoss{ // radio.md §5 `body_loss_db` (§1.7 table)
			Hand:        0,
			FrontPocket: 4,
			ShirtPocket: 8,
			Bag:         8,
			BackPocket:  15,
			Table:       0, // [assumption] no body at that end; PACT (§1.7) measured no phone on a table
		},
		PersonBetweenDB:       6,    // radio.md §5 `person_between_db` (§1.7 CWA "twice as large")
		WallLossDB:            6,    // radio.md §5 `wall_loss_db` [assumption] (§1.8)
		DevTXOffsetSDDB:       8.1,  // radio.md §1.2 GAEN `tx` SD 8.1 (§5 `dev_tx_offset_sd_db` rounds to 8)
		DevRXOffsetSDDB:       5.4,  // radio.md §5 `dev_rx_offset_sd_db` (§1.2 `rssi_correction` SD)
		GAENResidualCalibSDDB: 3,    // radio.md §5 `gaen_residual_calib_sd_db` [assumption]
		RxSensitivityDBm:      -100, // radio.md §5 `rx_sensitivity_dbm` (§2.5) [assumption]
		PoseEpochS:            60,   // [assumption] no source for how long a pose lasts; §1.6 only gives its spread

		AdvIntervalMs:      250,  // radio.md §5 `adv_interval_ms` (§2.1 CWA 250 ms, BALANCED)
		AdvIntervalMinMs:   200,  // radio.md §2.1 EN BT spec "200-270 milliseconds"
		AdvIntervalMaxMs:   270,  // radio.md §2.1 EN BT spec "200-270 milliseconds"
		GAENScanPeriodMinS: 210,  // protocols.md §2.2 scanIntervalSeconds 300 − random 0..90 (radio.md §5 range 180–300)
		GAENScanPeriodMaxS: 300,  // radio.md §5 `gaen_scan_period_s` 300; protocols.md §2.2
		GAENScanWindowS:    4,    // radio.md §5 `gaen_scan_window_s`; protocols.md §2.2 scanTimeSeconds 4
		GAENCalibrated:     true, // radio.md §1.2 "GAEN removes most of it"

		BluezoneAdvOnS:        15,            // protocols.md §1.3 BroadcastBleRun 15 000 ms (radio.md §2.3)
		BluezoneAdvOffS:       15,            // protocols.md §1.3 BroadcastBleSleep 15 000 ms
		BluezoneAdvIntervalMs: 100,           // radio.md §2.1 ADVERTISE_MODE_LOW_LATENCY 100 ms; protocols.md §1.3
		BluezoneBgScanOnS:     40,            // protocols.md §1.3 ScanBleRun 40 000 ms (radio.md §5 row gives v1's 35 s / 85 s)
		BluezoneBgScanOffS:    260,           // protocols.md §1.3 ScanBleSleep 260 000 ms
		BluezoneFgOnS:         150,           // protocols.md §1.3 DEFAULT_FULL_DURATION (2*60+30) s
		BluezoneFgOffS:        5,             // protocols.md §1.3 "then OFF 5 s"
		BluezoneScanMode:      "low_latency", // protocols.md §1.3 SCAN_MODE_LOW_LATENCY
		BluezoneRecordS:       5,             // protocols.md §1.4 TIME_DELAY_INSERT = 5000
		BluezoneIOSScanChunkS: 60,            // [assumption] batching only: iOS scans continuously (protocols.md §1.3); one window per pose epoch
		BluezoneCalibrated:    false,         // radio.md §1.2 Bluezone advertises no TX power, no calibration
		IOSBgBgDetectProb:     0,             // radio.md §5 `ios_bg_bg_detect_prob` (§2.4)
		AndroidScanTimeoutMin: 30,            // radio.md §5 `android_scan_timeout_min` (§2.3 AOSP SCAN_TIMEOUT_MS)
		AndroidScanTimeout:    false,         // off: no default schedule scans that long
	}
}

// ScanMode is an Android BLE scan mode; inside a scan the radio listens
// Window out of every Interval (radio.md §2.3, AOSP ScanManager).
type ScanMode uint8

// Android scan modes.
const (
	LowPower ScanMode = iota
	Balanced
	LowLatency
)

var scanModeNames = [...]string{"low_power", "balanced", "low_latency"}

// scanModeDuty holds (window ms, interval ms) per mode: radio.md §2.3
// "LOW_POWER scans 512 ms every 5120 ms; BALANCED 1024 ms every 4096 ms;
// LOW_LATENCY 4096 ms every 4096 ms".
var scanModeDuty = [...][2]float64{{512, 5120}, {1024, 4096}, {4096, 4096}}

func (m ScanMode) String() string {
	if int(m) < len(scanModeNames) {
		return scanModeNames[m]
	}
	return fmt.Sprintf("ScanMode(%d)", m)
}

// WindowMs and IntervalMs give the mode's duty cycle.
func (m ScanMode) WindowMs() float64 { return scanModeDuty[m%3][0] }

// IntervalMs is the period of the mode's duty cycle.
func (m ScanMode) IntervalMs() float64 { return scanModeDuty[m%3][1] }

// Duty is the fraction of time the radio listens.
func (m ScanMode) Duty() float64 { return m.WindowMs() / m.IntervalMs() }

// ParseScanMode parses "low_power", "balanced" or "low_latency".
func ParseScanMode(s string) (ScanMode, error) {
	for i, n := range scanModeNames {
		if s == n {
			return ScanMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown scan mode %q (want low_power, balanced or low_latency)", s)
}

// Validate reports every parameter that is out of its physical range, by
// YAML key.
func (p Params) Validate() error {
	var errs []error
	check := func(ok bool, key string, v any, want string) {
		if !ok {
			errs = append(errs, fmt.Errorf("radio.%s = %v: want %s", key, v, want))
		}
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	nonneg := func(key string, x float64) { check(finite(x) && x >= 0, key, x, "a finite number >= 0") }
	positive := func(key string, x float64) { check(finite(x) && x > 0, key, x, "a finite number > 0") }

	check(finite(p.P1mDBm) && p.P1mDBm > -130 && p.P1mDBm < 20, "p1m_dbm", p.P1mDBm, "-130 < x < 20")
	check(finite(p.Atten1mDB) && p.Atten1mDB >= 0 && p.Atten1mDB < 150, "atten_1m_db", p.Atten1mDB, "0 <= x < 150")
	for _, e := range []struct {
		k string
		v float64
	}{{"n_outdoor", p.NOutdoor}, {"n_indoor", p.NIndoor}, {"n_vehicle", p.NVehicle}} {
		check(finite(e.v) && e.v >= 0 && e.v <= 10, e.k, e.v, "0 <= x <= 10")
	}
	nonneg("sigma_pose_db", p.SigmaPoseDB)
	nonneg("sigma_vehicle_extra_db", p.SigmaVehicleExtraDB)
	nonneg("sigma_channel_db", p.SigmaChannelDB)
	for _, e := range []struct {
		k string
		v float64
	}{{"rician_k_outdoor_db", p.RicianKOutdoorDB}, {"rician_k_indoor_db", p.RicianKIndoorDB}, {"rician_k_vehicle_db", p.RicianKVehicleDB}} {
		// Rayleigh is K = −∞ dB; below −30 dB it is indistinguishable.
		check(finite(e.v) && e.v >= -30 && e.v <= 40, e.k, e.v, "-30 <= x <= 40")
	}
	nonneg("body_loss_db.hand", p.BodyLossDB.Hand)
	nonneg("body_loss_db.front_pocket", p.BodyLossDB.FrontPocket)
	nonneg("body_loss_db.back_pocket", p.BodyLossDB.BackPocket)
	nonneg("body_loss_db.shirt_pocket", p.BodyLossDB.ShirtPocket)
	nonneg("body_loss_db.bag", p.BodyLossDB.Bag)
	nonneg("body_loss_db.table", p.BodyLossDB.Table)
	check(finite(p.VehicleLossDB) && p.VehicleLossDB >= 0 && p.VehicleLossDB <= 60, "vehicle_loss_db", p.VehicleLossDB, "0 <= x <= 60")
	nonneg("person_between_db", p.PersonBetweenDB)
	nonneg("wall_loss_db", p.WallLossDB)
	nonneg("dev_tx_offset_sd_db", p.DevTXOffsetSDDB)
	nonneg("dev_rx_offset_sd_db", p.DevRXOffsetSDDB)
	nonneg("gaen_residual_calib_sd_db", p.GAENResidualCalibSDDB)
	check(finite(p.RxSensitivityDBm) && p.RxSensitivityDBm > -150 && p.RxSensitivityDBm < 0,
		"rx_sensitivity_dbm", p.RxSensitivityDBm, "-150 < x < 0")
	positive("pose_epoch_s", p.PoseEpochS)

	positive("adv_interval_ms", p.AdvIntervalMs)
	positive("adv_interval_min_ms", p.AdvIntervalMinMs)
	check(finite(p.AdvIntervalMaxMs) && p.AdvIntervalMaxMs >= p.AdvIntervalMinMs, "adv_interval_max_ms",
		p.AdvIntervalMaxMs, "a finite number >= adv_interval_min_ms")
	positive("gaen_scan_window_s", p.GAENScanWindowS)
	check(finite(p.GAENScanPeriodMinS) && p.GAENScanPeriodMinS >= p.GAENScanWindowS, "gaen_scan_period_min_s",
		p.GAENScanPeriodMinS, "a finite number >= gaen_scan_window_s")
	check(finite(p.GAENScanPeriodMaxS) && p.GAENScanPeriodMaxS >= p.GAENScanPeriodMinS, "gaen_scan_period_max_s",
		p.GAENScanPeriodMaxS, "a finite number >= gaen_scan_period_min_s")

	positive("bluezone_adv_on_s", p.BluezoneAdvOnS)
	nonneg("bluezone_adv_off_s", p.BluezoneAdvOffS)
	positive("bluezone_adv_interval_ms", p.BluezoneAdvIntervalMs)
	positive("bluezone_bg_scan_on_s", p.BluezoneBgScanOnS)
	nonneg("bluezone_bg_scan_off_s", p.BluezoneBgScanOffS)
	positive("bluezone_fg_on_s", p.BluezoneFgOnS)
	nonneg("bluezone_fg_off_s", p.BluezoneFgOffS)
	if _, err := ParseScanMode(p.BluezoneScanMode); err != nil {
		errs = append(errs, fmt.Errorf("radio.bluezone_scan_mode: %w", err))
	}
	positive("bluezone_record_s", p.BluezoneRecordS)
	positive("bluezone_ios_scan_chunk_s", p.BluezoneIOSScanChunkS)
	check(finite(p.IOSBgBgDetectProb) && p.IOSBgBgDetectProb >= 0 && p.IOSBgBgDetectProb <= 1,
		"ios_bg_bg_detect_prob", p.IOSBgBgDetectProb, "0 <= x <= 1")
	positive("android_scan_timeout_min", p.AndroidScanTimeoutMin)
	// Ideal needs no check of its own: it only zeroes the noise terms, and
	// those are still checked above so that turning it off again gives a
	// valid model.
	return errors.Join(errs...)
}
