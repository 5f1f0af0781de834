package gaen

import "crypto/sha256"

// HKDF-SHA256 for the matcher's hot path. It computes exactly what
// crypto/hkdf.Key(sha256.New, tek, nil, info, 16) computes (the tests check
// this on the published vectors and on random keys) but with four
// sha256.Sum256 calls over stack buffers instead of two hmac.New, so a key
// costs no allocation and about half the time (loadtest.md 2.3 measured
// 2,330 ns and 18 allocations for the standard call).
//
// With salt nil, HKDF's extract key is 32 zero bytes, so its HMAC pads are
// the constant ipad/opad blocks; T(1) of expand is HMAC(PRK, info || 0x01).

const sha256Block = 64

// hkdf16 returns the first 16 bytes of HKDF-SHA256(ikm, salt=nil, info).
// info must be at most 31 bytes (ours are 7).
func hkdf16(ikm *[KeyLen]byte, info string) [KeyLen]byte {
	var buf [sha256Block + 32]byte
	// Extract: PRK = HMAC(zeros32, ikm).
	for i := range sha256Block {
		buf[i] = 0x36
	}
	copy(buf[sha256Block:], ikm[:])
	inner := sha256.Sum256(buf[:sha256Block+KeyLen])
	for i := range sha256Block {
		buf[i] = 0x5c
	}
	copy(buf[sha256Block:], inner[:])
	prk := sha256.Sum256(buf[:sha256Block+32])
	// Expand: T(1) = HMAC(PRK, info || 0x01).
	for i := range sha256Block {
		buf[i] = 0x36
	}
	for i := range prk {
		buf[i] ^= prk[i]
	}
	n := copy(buf[sha256Block:], info)
	buf[sha256Block+n] = 1
	inner = sha256.Sum256(buf[:sha256Block+n+1])
	for i := range sha256Block {
		buf[i] = 0x5c
	}
	for i := range prk {
		buf[i] ^= prk[i]
	}
	copy(buf[sha256Block:], inner[:])
	t1 := sha256.Sum256(buf[:sha256Block+32])
	var out [KeyLen]byte
	copy(out[:], t1[:KeyLen])
	return out
}
