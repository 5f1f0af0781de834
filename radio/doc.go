// Package radio models what a phone's BLE scanner really hears: path loss by
// environment, shadowing, per-channel offsets, fast fading, body and
// carriage losses, people and walls in between, per-model TX and RX offsets
// with or without GAEN calibration, receiver sensitivity, and the
// advertising and scanning schedules of each platform and protocol.
//
// Every default comes from shared/reference/radio.md (app schedules from
// protocols.md); the comment next to each default names the row it comes
// from. The package imports nothing else from bluesim, so an engineer can
// feed it a distance trace directly.
//
// # Model
//
// Per received packet k on advertising channel c (radio.md §1.1):
//
//	RSSI_k = P1m + ΔTx + ΔRx − 10·n_env·log10(d) − L_body,tx − L_body,rx
//	         − people·person_between_db − walls·wall_loss_db
//	         − vehicle_loss_db (in vehicles only)
//	         + X_pose + X_ch[c] + F_k,        kept if RSSI_k > rx_sensitivity_dbm
//	attenuation_k = (P1m + atten_1m_db) − (RSSI_k − correction)
//
// X_pose ~ N(0, sigma_pose_db) (in vehicles also sigma_vehicle_extra_db) is
// drawn per (pair, pose epoch) and is reciprocal; X_ch ~ N(0,
// sigma_channel_db) per channel and pose; F_k is Rician fading with the
// environment's K, in dB and centred so that P1m is the mean per-packet
// RSSI in dB (the quantity radio.md's fits measure). The correction is the
// calibrated part of both ends' device offsets: all but the residual for
// calibrated (GAEN) phones, nothing for uncalibrated ones (Bluezone), so the
// pair offset left in the attenuation has SD gaen_residual_calib_sd_db or
// √(tx² + rx²).
//
// # Using it
//
// Build a Model once with NewModel(DefaultParams()) (or the scenario's
// Params), give each phone a Schedule (Model.NewSchedule) and device
// offsets (Model.ModelOffsets or DrawDeviceOffsets), list each phone's scan
// windows with Schedule.AppendWindows, and for every (advertiser, scanner,
// window) call Model.Scan, ScanInto (per-packet RSSIs), Records (Bluezone's
// 5-second sighting records) or Strongest (the strongest of those records
// per bucket of clock time, what an app that keeps one record a minute
// stores). Model.Trace does all of that for two phones and a distance
// trace.
//
// A simulator that scans many windows of one link (one pair, one stay,
// one hour) prepares it once with Model.Prepare: the PreparedLink's Scan
// and Strongest give bit for bit what the per-window calls give, with the
// per-link work (schedules, mean RSSI, pair hash, calibration, the iOS
// rule's gate) done once and the pose draw kept while windows share a
// pose epoch. NewWindowKeys does the scanner's half of WindowKey once.
// The per-window calls are the reference the prepared path is tested
// against (prepared_test.go).
//
// Params.Ideal (YAML `ideal: true`) is the ideal radio, for checking a
// pipeline against ground truth: X_pose, X_ch, F_k and the device offsets
// are all zero, so every packet's RSSI is the deterministic mean above and
// a packet is heard exactly when that mean clears sensitivity.
//
// # Randomness and approximations
//
// Every draw is a pure function of a StreamKey (seed, pair, pose epoch,
// window) through counter-based splitmix64 streams, so reports do not depend
// on call order or goroutine. The documented approximations are:
//
//   - One packet per advertising event: a scanner listens on one channel at
//     a time and hears at most one of the event's three copies; it steps
//     through the channels from event to event from a per-window start.
//   - Fading is read from a 4096-cell inverse-CDF table (cell centres,
//     within 0.01 dB of exact in the bulk); the deepest cell is drawn from
//     the linear foot of the power CDF where the foot covers it (small K,
//     the defaults), otherwise from a second 4096-entry quantile table of
//     that cell, so that every K from −30 to 40 dB gives finite fades.
//     Normals use a
//     4096-cell table with linear interpolation and the exact inverse in
//     the outer cells (|z| > 3.5). Tests check the moments against
//     radio.md §1.4's table.
//   - The fast path for short windows (≤ 64 packets, summary only) computes
//     the same packets as the general loop and the same report up to the
//     order of a floating-point sum; it exploits that the fading table is
//     increasing in its cell index. Long windows (Bluezone) loop over the
//     packets: cost grows with the packets, about ten nanoseconds each.
//     Records reads only the packets that can make a record: it jumps from
//     a record to the first event bluezone_record_s later, and skips a
//     window no packet can clear sensitivity in; its records equal the
//     packet loop's exactly. Strongest walks the same packets and folds
//     each record into its bucket as it is made, so what it keeps equals
//     KeepStrongest over Records exactly (the same draws: an exact path,
//     not a sample); its statistical equivalence check against that
//     reference is in strongest_equiv_test.go.
//   - A backgrounded iPhone running a non-GAEN app is found by another
//     backgrounded iPhone with probability ios_bg_bg_detect_prob per scan
//     window; Bluezone's GATT read of an iPhone succeeds whenever one of its
//     adverts is heard.
//   - Per-phone schedules have a fixed period and a random phase (GAEN's
//     210–300 s period is drawn once per phone), so windows in any time
//     range are found in O(1) without stepping from time zero.
package radio // import "github.com/bluesim/bluesim/radio"
