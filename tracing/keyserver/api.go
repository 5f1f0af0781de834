package keyserver

import (
	"encoding/base64"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
)

// The JSON of the publish API, as the GAEN reference server's
// pkg/api/v1/exposure_types.go defines it (shared/reference/loadtest.md
// §1.1).

// ExposureKeyJSON is one key in a publish request.
type ExposureKeyJSON struct {
	Key              string `json:"key"` // base64 of the 16-byte TEK
	IntervalNumber   int32  `json:"rollingStartNumber"`
	IntervalCount    int32  `json:"rollingPeriod"` // 0 means 144
	TransmissionRisk int    `json:"transmissionRisk"`
}

// PublishRequest is the body of POST /v1/publish.
type PublishRequest struct {
	Keys                 []ExposureKeyJSON `json:"temporaryExposureKeys"`
	HealthAuthorityID    string            `json:"healthAuthorityID"`
	VerificationPayload  string            `json:"verificationPayload"`
	HMACKey              string            `json:"hmacKey"`
	SymptomOnsetInterval int32             `json:"symptomOnsetInterval,omitempty"`
	Traveler             bool              `json:"traveler,omitempty"`
	// RevisionToken is the token an earlier answer gave: the keys it
	// names may have their status revised by this upload.
	RevisionToken string `json:"revisionToken,omitempty"`
	Padding       string `json:"padding,omitempty"`
}

// PublishResponse is the body of every answer to POST /v1/publish, real,
// chaff or error, so the three look alike on the wire.
type PublishResponse struct {
	// RevisionToken names this upload's keys: send it with a later upload
	// to revise their status.
	RevisionToken     string `json:"revisionToken,omitempty"`
	InsertedExposures int    `json:"insertedExposures"`
	Error             string `json:"error,omitempty"`
	Code              string `json:"code,omitempty"`
	Padding           string `json:"padding,omitempty"`
	// Warnings name the keys that were not inserted (already stored) or
	// were revised, and why.
	Warnings []string `json:"warnings,omitempty"`
}

// ErrorResponse is the body of an error from any other endpoint.
type ErrorResponse struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// F0PublishRequest is the body of POST /v1/bluezone/f0: the F0 entries a
// health authority publishes, authorised like a GAEN upload (the same
// healthAuthorityID and verification token). HMACKey keys the token's
// tekmac over the entries (see F0HMAC). Entries decode with
// tracing/bluezone's strict decoder.
type F0PublishRequest struct {
	Data                []bluezone.F0Entry `json:"data"`
	HealthAuthorityID   string             `json:"healthAuthorityID"`
	VerificationPayload string             `json:"verificationPayload"`
	HMACKey             string             `json:"hmacKey"`
}

// F0PublishResponse answers an F0 publish.
type F0PublishResponse struct {
	Inserted int `json:"inserted"`
	// Warnings name the entries whose daily key was already stored.
	Warnings []string `json:"warnings,omitempty"`
}

// NextSinceHeader carries, on GET /v1/bluezone/f0, the cursor to poll with
// next (?since=value). The body is exactly the pushed InfoF list
// {"data": [...]} (protocols.md §1.5 step 2), which
// bluezone.DecodeF0List reads.
const NextSinceHeader = "X-Next-Since"

// Error codes in JSON error bodies.
const (
	CodeBadMethod         = "method_not_allowed"
	CodeTooLarge          = "request_too_large"
	CodeUnparsable        = "unparsable_request"
	CodeNoKeys            = "no_keys"
	CodeTooManyKeys       = "too_many_keys"
	CodeBadKey            = "bad_key"
	CodeUnknownAuthority  = "unknown_health_authority"
	CodeMissingToken      = "missing_verification_token"
	CodeBadToken          = "verification_failed"
	CodeTokenMismatch     = "token_does_not_match_keys"
	CodeReplay            = "token_already_used"
	CodeBadRevisionToken  = "invalid_revision_token"
	CodeNotFound          = "not_found"
	CodeBadQuery          = "bad_query"
	CodeInternal          = "internal_error"
	CodeUnavailable       = "unavailable"
	CodeNegativeDiagnosis = "negative_diagnosis"
)

// ExposureKeysJSON converts published GAEN keys (as tracing/gaen's Device
// uploads them) to the publish request's key form.
func ExposureKeysJSON(keys []tracing.PublishedKey, transmissionRisk int) []ExposureKeyJSON {
	out := make([]ExposureKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = ExposureKeyJSON{
			Key:              base64.StdEncoding.EncodeToString(k.Key),
			IntervalNumber:   int32(k.Start / 600),
			IntervalCount:    int32(k.Slots),
			TransmissionRisk: transmissionRisk,
		}
	}
	return out
}
