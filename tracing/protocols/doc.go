// Package protocols is the table of the protocols the simulator can run:
// each entry is a tracing.Simulated from the protocol's own package, and
// the simulator and the scenario loader find a protocol here by the name a
// scenario arm gives (arms[].protocol). Nothing else in bluesim names a
// protocol: the engine obeys what the entry says about its radio, its
// phones, how they record and how its rule decides, and the scenario's
// rule block decodes into the entry's own rule struct.
//
// # Adding a protocol
//
// A fifth protocol touches its own package and this table alone. In its
// package (say tracing/opentrace), implement tracing.Simulated and a rule
// struct with yaml tags and doc comments:
//
//	package opentrace
//
//	func Simulated() tracing.Simulated { return simulated{} }
//
//	type simulated struct{}
//
//	func (simulated) Name() string               { return "opentrace" }
//	func (simulated) Protocol() tracing.Protocol { return Protocol{} } // IDs, uploads, matching
//	func (simulated) Radio() tracing.Radio {
//		return tracing.Radio{Schedules: radio.Bluezone, InApp: true,
//			Record: tracing.Recording{Mode: tracing.RecordScan}}
//	}
//	func (simulated) NewPhone(entropy io.Reader, start time.Time, _ tracing.PhoneSetup) (tracing.Phone, error) {
//		return NewDevice(entropy, start) // a tracing.Device with an Advert method
//	}
//	func (simulated) DefaultRule() tracing.RuleParams { return RuleParams{MinRSSI: -75} }
//
//	// RuleParams is an arm's rule block for protocol opentrace.
//	type RuleParams struct {
//		// MinRSSI is the weakest RSSI (dBm) that counts as a contact.
//		MinRSSI int `yaml:"min_rssi"`
//	}
//
//	func (p RuleParams) Validate() error {
//		l := check.New("")
//		l.IntBetween("min_rssi", p.MinRSSI, -127, 0)
//		return l.Err()
//	}
//	func (p RuleParams) NewRule() (tracing.Rule, error) { ... }
//
// then add opentrace.Simulated() to the table in protocols.go (or call
// Register from a program of your own), and run `go generate ./scenarios`
// so that `bluesim scenarios --show` prints the rule's doc comments.
// Scenarios can then say `protocol: opentrace` with `rule: {min_rssi: -70}`.
package protocols // import "github.com/bluesim/bluesim/tracing/protocols"
