// Package privacy is the adversary of bluesim's privacy study: a network
// of passive BLE sniffers and the attacks it runs on what they log and on
// the keys the key server publishes. It reads only sniffer logs and
// key-server exports, never the simulator's agent numbers.
package privacy // import "github.com/bluesim/bluesim/privacy"
