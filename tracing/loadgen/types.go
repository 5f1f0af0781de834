package loadgen

import "github.com/bluesim/bluesim/tracing"

// PublishedKey is a key as tracing publishes it.
type PublishedKey = tracing.PublishedKey

// ExposureKey is one key a simulated publish uploads.
type ExposureKey struct {
	Key       [16]byte
	Published PublishedKey
}
