package keyserver

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bluesim/bluesim/tracing/bluezone"
)

// Report types a verification token may claim (the verification server's
// "reportType" claim), mapped to export report types.
var reportTypes = map[string]int32{
	"":           1, // no claim: a confirmed test, the reference's default
	"confirmed":  1,
	"likely":     2,
	"selfreport": 3,
	"negative":   -1, // refused: nothing to publish
}

// VerificationClaims are the claims of a health authority's verification
// token (the ES256 JWT in verificationPayload), as the GAEN verification
// server issues them: the standard claims (iss, aud, exp, jti), the report
// type, the symptom onset interval and tekmac, the HMAC of the keys that
// binds the token to one upload.
type VerificationClaims struct {
	ReportType           string `json:"reportType,omitempty"`
	SymptomOnsetInterval int32  `json:"symptomOnsetInterval,omitempty"`
	SignedMAC            string `json:"tekmac"`
	jwt.RegisteredClaims
}

// KeysHMAC is tekmac: HMAC-SHA256 under secret of the keys' cleartext,
// each key as "<base64 key>.<rollingStartNumber>.<rollingPeriod>", sorted,
// joined by ",". The verification server computes the same on the phone's
// behalf, so a token authorises exactly one set of keys.
func KeysHMAC(secret []byte, keys []ExposureKeyJSON) []byte {
	parts := make([]string, len(keys))
	for i, k := range keys {
		period := k.IntervalCount
		if period == 0 {
			period = 144
		}
		parts[i] = fmt.Sprintf("%s.%d.%d", k.Key, k.IntervalNumber, period)
	}
	slices.Sort(parts)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strings.Join(parts, ",")))
	return m.Sum(nil)
}

// F0HMAC is tekmac for an F0 publish: the entries as
// "<daily_key>.<time_start>.<time_end>.<max>", sorted, joined by ",".
func F0HMAC(secret []byte, entries []bluezone.F0Entry) []byte {
	parts := make([]string, len(entries))
	for i, e := range entries {
		parts[i] = fmt.Sprintf("%s.%d.%d.%d", strings.ToLower(e.DailyKey), e.TimeStart, e.TimeEnd, e.Max)
	}
	slices.Sort(parts)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strings.Join(parts, ",")))
	return m.Sum(nil)
}

// TokenSigner issues verification tokens, standing in for a health
// authority's verification server (tests and the load generator use it).
type TokenSigner struct {
	Key              *ecdsa.PrivateKey
	Issuer, Audience string
	// TTL is how long a token is valid (default 15 minutes).
	TTL time.Duration
}

// Sign returns a signed token with claims c; it fills iss, aud, iat and
// exp (from now) when c leaves them empty. c.ID (jti) should be unique.
func (s TokenSigner) Sign(c VerificationClaims, now time.Time) (string, error) {
	if s.Key == nil {
		return "", fmt.Errorf("keyserver: token signer has no key")
	}
	ttl := s.TTL
	if ttl == 0 {
		ttl = 15 * time.Minute
	}
	if c.Issuer == "" {
		c.Issuer = s.Issuer
	}
	if len(c.Audience) == 0 && s.Audience != "" {
		c.Audience = jwt.ClaimStrings{s.Audience}
	}
	if c.IssuedAt == nil {
		c.IssuedAt = jwt.NewNumericDate(now)
	}
	if c.ExpiresAt == nil {
		c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, c).SignedString(s.Key)
	if err != nil {
		return "", fmt.Errorf("keyserver: signing token: %w", err)
	}
	return tok, nil
}

// SignUpload fills req's verificationPayload and hmacKey for its keys:
// a fresh HMAC secret and a token carrying their tekmac and jti id.
func (s TokenSigner) SignUpload(req *PublishRequest, id string, hmacSecret []byte, now time.Time) error {
	req.HMACKey = base64.StdEncoding.EncodeToString(hmacSecret)
	c := VerificationClaims{SignedMAC: base64.StdEncoding.EncodeToString(KeysHMAC(hmacSecret, req.Keys))}
	c.ID = id
	tok, err := s.Sign(c, now)
	if err != nil {
		return err
	}
	req.VerificationPayload = tok
	return nil
}

// SignF0 fills req's verificationPayload and hmacKey for its entries.
func (s TokenSigner) SignF0(req *F0PublishRequest, id string, hmacSecret []byte, now time.Time) error {
	req.HMACKey = base64.StdEncoding.EncodeToString(hmacSecret)
	c := VerificationClaims{SignedMAC: base64.StdEncoding.EncodeToString(F0HMAC(hmacSecret, req.Data))}
	c.ID = id
	tok, err := s.Sign(c, now)
	if err != nil {
		return err
	}
	req.VerificationPayload = tok
	return nil
}

// TokenRules are what a verification token must satisfy: an ES256
// signature under Key, iss Issuer and aud Audience (when not empty), an
// expiry (checked with Leeway of clock skew), an issue time, and a
// lifetime exp − iat of at most MaxLifetime (when positive).
type TokenRules struct {
	Key              *ecdsa.PublicKey
	Issuer, Audience string
	Leeway           time.Duration
	MaxLifetime      time.Duration
}

// VerifiedToken is what the server keeps of a verified token.
type VerifiedToken struct {
	// ID identifies the token for replay protection: "jti:" and its jti,
	// or "mac:" and its tekmac when it has none.
	ID string
	// Expires is the token's exp.
	Expires time.Time
	// ReportType is the export report type the token claims; -1 for a
	// negative test.
	ReportType int32
	// Onset is the symptom onset interval the token claims (0: none).
	Onset int32
}

// TokenError is a token that failed verification, with the error code to
// answer.
type TokenError struct {
	Code string
	Err  error
}

func (e *TokenError) Error() string { return e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// VerifyToken checks the verification token raw against rules at now, and
// that its tekmac equals mac(secret), where secret is the request's
// base64 hmacKey and mac computes the HMAC over the uploaded keys or
// entries. Errors are *TokenError.
func VerifyToken(raw string, rules TokenRules, now time.Time, mac func(secret []byte) []byte, hmacKeyB64 string) (VerifiedToken, error) {
	if raw == "" {
		return VerifiedToken{}, &TokenError{CodeMissingToken, fmt.Errorf("verificationPayload is empty: a health authority's verification token is required")}
	}
	if rules.Key == nil {
		return VerifiedToken{}, &TokenError{CodeBadToken, fmt.Errorf("no verification key configured")}
	}
	var c VerificationClaims
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(rules.Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	}
	if rules.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(rules.Issuer))
	}
	if rules.Audience != "" {
		opts = append(opts, jwt.WithAudience(rules.Audience))
	}
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return rules.Key, nil }, opts...)
	if err != nil {
		return VerifiedToken{}, &TokenError{CodeBadToken, fmt.Errorf("verification token: %w", err)}
	}
	if c.IssuedAt == nil {
		return VerifiedToken{}, &TokenError{CodeBadToken, fmt.Errorf("verification token: no iat (issued-at) claim")}
	}
	if life := c.ExpiresAt.Sub(c.IssuedAt.Time); rules.MaxLifetime > 0 && life > rules.MaxLifetime {
		return VerifiedToken{}, &TokenError{CodeBadToken, fmt.Errorf("verification token is valid for %v (iat to exp), at most %v", life, rules.MaxLifetime)}
	}
	secret, err := base64.StdEncoding.DecodeString(hmacKeyB64)
	if err != nil || len(secret) == 0 {
		return VerifiedToken{}, &TokenError{CodeTokenMismatch, fmt.Errorf("hmacKey must be non-empty base64")}
	}
	want, err := base64.StdEncoding.DecodeString(c.SignedMAC)
	if err != nil || !hmac.Equal(want, mac(secret)) {
		return VerifiedToken{}, &TokenError{CodeTokenMismatch, fmt.Errorf("the token's tekmac does not match the uploaded keys")}
	}
	rt, ok := reportTypes[c.ReportType]
	if !ok {
		return VerifiedToken{}, &TokenError{CodeBadToken, fmt.Errorf("verification token: unknown reportType %q", c.ReportType)}
	}
	// The jti identifies the token; a token without one is identified by
	// its tekmac, which is unique to the keys and the random HMAC secret.
	id := "jti:" + c.ID
	if c.ID == "" {
		id = "mac:" + c.SignedMAC
	}
	return VerifiedToken{ID: id, Expires: c.ExpiresAt.Time, ReportType: rt, Onset: c.SymptomOnsetInterval}, nil
}

// verifyToken checks a request's token with the server's rules.
func (s *Server) verifyToken(raw string, now time.Time, mac func([]byte) []byte, hmacKeyB64 string) (verifiedToken, error) {
	t, err := VerifyToken(raw, s.tokenRules(), now, mac, hmacKeyB64)
	if err != nil {
		return verifiedToken{}, err
	}
	return verifiedToken{id: t.ID, expires: t.Expires, reportType: t.ReportType, onset: t.Onset}, nil
}

func (s *Server) tokenRules() TokenRules {
	return TokenRules{Key: s.cfg.VerificationKey, Issuer: s.cfg.Issuer, Audience: s.cfg.Audience, Leeway: s.cfg.TokenLeeway, MaxLifetime: s.cfg.MaxTokenLifetime}
}

// verifiedToken is the server's view of a VerifiedToken.
type verifiedToken struct {
	id         string
	expires    time.Time
	reportType int32
	onset      int32
}
