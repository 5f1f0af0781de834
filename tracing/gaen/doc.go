// Package gaen is the Google/Apple Exposure Notification protocol (crypto
// specification v1.2, Bluetooth specification v1.2) as the phones run it:
// temporary exposure keys (TEKs), rolling proximity identifiers (RPIs) and
// associated encrypted metadata (AEM) derived with the real HKDF-SHA256 and
// AES-128 constructions, the phone-side matcher with the reference's
// ±2 h clock-drift tolerance, attenuation from decrypted TX power,
// ExposureWindows with ScanInstances, and risk scoring v1 and v2 with
// presets for the decision rules that deployed apps used.
//
// Facts and test vectors come from shared/reference/protocols.md section 2;
// the deployed decision rules from shared/reference/radio.md section 3.2;
// the matcher's shape and cost from shared/reference/loadtest.md section 2.
//
// The package stands alone: it imports tracing for the protocol contract and
// nothing from the simulator.
package gaen // import "github.com/bluesim/bluesim/tracing/gaen"
