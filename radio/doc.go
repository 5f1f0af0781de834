// Package radio models what a phone's BLE scanner really hears: path loss by
// environment, shadowing, per-channel offsets, fast fading, body and
// carriage losses, people and walls in between, per-model TX and RX offsets
// with or without GAEN calibration, receiver sensitivity, and the
// advertising and scanning schedules of each platform and protocol.
//
// Every default comes from shared/reference/radio.md; the comment next to
// each default names the row it comes from. The package imports nothing
// else from bluesim, so an engineer can feed it a distance trace directly.
package radio // import "github.com/bluesim/bluesim/radio"
