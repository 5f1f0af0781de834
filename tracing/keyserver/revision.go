package keyserver

import (
	"crypto/aes"
	"crypto/cipher"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/bluesim/bluesim/internal/atomicfile"
)

// RevisionKeyLen is the length of the AES-256 key that seals revision
// tokens.
const RevisionKeyLen = 32

// Revision tokens (loadtest.md §1.1: PublishResponse.revisionToken). The
// server hands one back with every accepted upload; it names the upload's
// keys, sealed with AES-256-GCM under a key only the server holds, so that
// a later upload carrying it may revise the status of those keys (a likely
// diagnosis confirmed by a test, or revoked). Its plaintext is always
// padded to MaxKeysPerUpload keys, so every token has the same length and
// chaff can answer with random bytes of that length.
const (
	revisionVersion = 1
	revisionEntry   = KeyLen + 4 + 4 // key, rolling start, rolling period
	revisionPlain   = 2 + MaxKeysPerUpload*revisionEntry
	revisionNonce   = 12
	revisionSealed  = 1 + revisionNonce + revisionPlain + 16
)

var revisionAAD = []byte("bluesim revision token v1")

// revisionKey is one key a revision token names.
type revisionKey struct {
	key           [KeyLen]byte
	start, period int32
}

func revisionAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// sealRevisionToken returns the token for keys (at most MaxKeysPerUpload).
func sealRevisionToken(secret []byte, keys []Exposure) (string, error) {
	aead, err := revisionAEAD(secret)
	if err != nil {
		return "", err
	}
	plain := make([]byte, revisionPlain)
	plain[0] = revisionVersion
	plain[1] = byte(min(len(keys), MaxKeysPerUpload))
	for i, k := range keys[:plain[1]] {
		p := plain[2+i*revisionEntry:]
		copy(p, k.Key[:])
		binary.BigEndian.PutUint32(p[KeyLen:], uint32(k.RollingStart))
		binary.BigEndian.PutUint32(p[KeyLen+4:], uint32(k.RollingPeriod))
	}
	out := make([]byte, 1+revisionNonce, revisionSealed)
	out[0] = revisionVersion
	if _, err := crand.Read(out[1:]); err != nil {
		return "", err
	}
	out = aead.Seal(out, out[1:1+revisionNonce], plain, revisionAAD)
	return base64.StdEncoding.EncodeToString(out), nil
}

// fakeRevisionToken is random bytes of a real token's length, for chaff.
func fakeRevisionToken(r *rand.Rand) string {
	b := make([]byte, revisionSealed)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[0] = revisionVersion
	return base64.StdEncoding.EncodeToString(b)
}

var errRevisionToken = errors.New("revisionToken is not a token this server issued (or its key changed)")

// openRevisionToken returns the keys a token names.
func openRevisionToken(secret []byte, tok string) ([]revisionKey, error) {
	if base64.StdEncoding.DecodedLen(len(tok)) > 2*revisionSealed {
		return nil, errRevisionToken
	}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || len(raw) != revisionSealed || raw[0] != revisionVersion {
		return nil, errRevisionToken
	}
	aead, err := revisionAEAD(secret)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, raw[1:1+revisionNonce], raw[1+revisionNonce:], revisionAAD)
	if err != nil || len(plain) != revisionPlain || plain[0] != revisionVersion || int(plain[1]) > MaxKeysPerUpload {
		return nil, errRevisionToken
	}
	out := make([]revisionKey, plain[1])
	for i := range out {
		p := plain[2+i*revisionEntry:]
		copy(out[i].key[:], p)
		out[i].start = int32(binary.BigEndian.Uint32(p[KeyLen:]))
		out[i].period = int32(binary.BigEndian.Uint32(p[KeyLen+4:]))
	}
	return out, nil
}

// RevisionKeyFile is the file in the data directory that holds the
// revision-token key when none is given.
const RevisionKeyFile = "revision-token.key"

// LoadRevisionKey reads a revision-token key file: 64 hex digits.
func LoadRevisionKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseRevisionKey(b)
}

// ParseRevisionKey parses a revision-token key: 64 hex digits (32 bytes),
// surrounding white space ignored.
func ParseRevisionKey(b []byte) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != RevisionKeyLen {
		return nil, fmt.Errorf("revision key: want %d hex digits (%d bytes)", 2*RevisionKeyLen, RevisionKeyLen)
	}
	return k, nil
}

// EnsureRevisionKey loads dir's revision-token key, generating it (mode
// 0600) when missing, so that tokens stay valid across restarts.
func EnsureRevisionKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, RevisionKeyFile)
	k, err := LoadRevisionKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		if err != nil {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return k, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	k = make([]byte, RevisionKeyLen)
	if _, err := crand.Read(k); err != nil {
		return nil, err
	}
	return k, atomicfile.WriteBytes(path, []byte(hex.EncodeToString(k)+"\n"), atomicfile.Private)
}
