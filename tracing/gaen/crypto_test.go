package gaen

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// Test vectors from protocols.md 2.1 (EN TestVectors.java).
const (
	vecTEK      = "75c734c6dd1a782de7a965da5eb93125"
	vecRPIK     = "185ad91db69ec7dd048960f1f3ba6175"
	vecAEMK     = "d57c46af7a1d83965b9bed8bd152936a"
	vecSeconds  = 1585785600
	vecENIN     = 2642976
	vecMetadata = "40080000"
)

var vecRPIs = []struct {
	j        uint32
	rpi, aem string
}{
	{0, "8be6cd371c5c891604bfbe49df845096", "72033874"},
	{1, "3c9a1de5dd6b02afa7fded7b570b3e56", "c29211b1"},
	{2, "243ffe9a3b08bded3094bac8630bb8ad", "6adfad03"},
	{143, "f431b62ecf443102ce4ed0407de54bd4", "1215e57e"},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func vecKey(t testing.TB) TEK {
	k, err := ParseTEK(vecTEK)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVectorsKeys(t *testing.T) {
	if got := ENIntervalNumber(time.Unix(vecSeconds, 0)); got != vecENIN {
		t.Errorf("ENIN = %d, want %d", got, vecENIN)
	}
	if got := RollingStart(vecENIN + 143); got != vecENIN {
		t.Errorf("RollingStart = %d, want %d", got, vecENIN)
	}
	k := vecKey(t)
	rpik, aemk := DeriveRPIK(k), DeriveAEMK(k)
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"RPIK", rpik[:], vecRPIK},
		{"AEMK", aemk[:], vecAEMK},
	} {
		if hex.EncodeToString(tc.got) != tc.want {
			t.Errorf("%s = %x, want %s", tc.name, tc.got, tc.want)
		}
	}
	fr, fa := hkdf16((*[16]byte)(&k), "EN-RPIK"), hkdf16((*[16]byte)(&k), "EN-AEMK")
	if fr != rpik || fa != aemk {
		t.Errorf("fast HKDF gives %x/%x, want %x/%x", fr, fa, rpik, aemk)
	}
	md := Metadata{Version: VersionV10, TxPower: 8}.Bytes()
	if hex.EncodeToString(md[:]) != vecMetadata {
		t.Errorf("metadata = %x, want %s", md, vecMetadata)
	}
}

func TestVectorsRPIAndAEM(t *testing.T) {
	k := vecKey(t)
	rpik, aemk := DeriveRPIK(k), DeriveAEMK(k)
	md, err := ParseAEM(vecMetadata)
	if err != nil {
		t.Fatal(err)
	}
	d, err := DeviceFromTEK(k[:], time.Unix(vecSeconds, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range vecRPIs {
		rpi := RPI(rpik, vecENIN+tc.j)
		if got := rpi.Hex(16); got != tc.rpi {
			t.Errorf("RPI%d = %s, want %s", tc.j, got, tc.rpi)
		}
		aem := CryptAEM(aemk, rpi, md)
		if got := hex.EncodeToString(aem[:]); got != tc.aem {
			t.Errorf("AEM%d = %s, want %s", tc.j, got, tc.aem)
		}
		if back := CryptAEM(aemk, rpi, aem); back != md {
			t.Errorf("AEM%d decrypts to %x, want %x", tc.j, back, md)
		}
		at := IntervalTime(vecENIN + tc.j).Add(599 * time.Second)
		id, aem2, err := d.AdvertAt(at, d.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		if id != rpi || aem2 != aem {
			t.Errorf("device at %v: %x %x, want %x %x", at, id, aem2, rpi, aem)
		}
	}
}

func TestFastHKDFMatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var k [16]byte
		for i := range k {
			k[i] = byte(r.Uint32())
		}
		for _, info := range []string{"EN-RPIK", "EN-AEMK", "", "x"} {
			want, err := hkdf.Key(sha256.New, k[:], nil, info, 16)
			if err != nil {
				t.Fatal(err)
			}
			if got := hkdf16(&k, info); !bytes.Equal(got[:], want) {
				t.Fatalf("hkdf16(%x, %q) = %x, want %x", k, info, got, want)
			}
		}
	}
}

func TestParsers(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr error
		ok      bool
	}{
		{vecTEK, nil, true},
		{"0x" + vecTEK, nil, true},
		{"75C734C6DD1A782DE7A965DA5EB93125", nil, true},
		{vecTEK[:30], tracing.ErrKeyLength, false},
		{vecTEK + "00", tracing.ErrKeyLength, false},
		{"zz" + vecTEK[2:], nil, false},
		{"", tracing.ErrKeyLength, false},
		{"abc", nil, false},
	} {
		_, err := ParseTEK(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseTEK(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
		}
		if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
			t.Errorf("ParseTEK(%q) err = %v, want %v", tc.in, err, tc.wantErr)
		}
	}
	if _, err := ParseRPI(vecRPIs[0].rpi); err != nil {
		t.Error(err)
	}
	if _, err := ParseRPI(vecTEK[:8]); !errors.Is(err, tracing.ErrKeyLength) {
		t.Errorf("short RPI: %v", err)
	}
	if _, err := ParseAEM("0102"); !errors.Is(err, tracing.ErrKeyLength) {
		t.Errorf("short AEM: %v", err)
	}
}

func TestMetadata(t *testing.T) {
	for _, tc := range []struct {
		version byte
		tx      int
		want    string
		conf    uint8
		ok      bool
	}{
		{0x40, 8, "40080000", 0, true},
		{0x40, -20, "40ec0000", 0, true},
		{0x5c, -5, "5cfb0000", 3, true},
		{0x54, 127, "547f0000", 1, true},
		{0x40, 128, "", 0, false},
		{0x40, -128, "", 0, false},
		{0x80, 0, "", 0, false},
		{0x00, 0, "", 0, false},
	} {
		m, err := NewMetadata(tc.version, tc.tx)
		if (err == nil) != tc.ok {
			t.Errorf("NewMetadata(%#x, %d) err = %v", tc.version, tc.tx, err)
			continue
		}
		if !tc.ok {
			continue
		}
		b := m.Bytes()
		if got := hex.EncodeToString(b[:]); got != tc.want {
			t.Errorf("NewMetadata(%#x, %d).Bytes() = %s, want %s", tc.version, tc.tx, got, tc.want)
		}
		if m.CalibrationConfidence != tc.conf {
			t.Errorf("confidence %d, want %d", m.CalibrationConfidence, tc.conf)
		}
		back, err := ParseMetadata(b)
		if err != nil || back != m {
			t.Errorf("ParseMetadata(%x) = %+v, %v; want %+v", b, back, err, m)
		}
	}
}

func FuzzParseTEK(f *testing.F) {
	for _, s := range []string{vecTEK, "0x" + vecTEK, "", "0x", "zz", vecTEK[:31]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseTEK(s)
		if err != nil {
			return
		}
		back, err := ParseTEK(k.String())
		if err != nil || back != k {
			t.Fatalf("round trip %q -> %v -> %v (%v)", s, k, back, err)
		}
	})
}

func FuzzParseRPIAndAEM(f *testing.F) {
	f.Add(vecRPIs[0].rpi, vecMetadata)
	f.Add("", "")
	f.Add("0x00", "ffffffff")
	f.Fuzz(func(t *testing.T, rpi, aem string) {
		if id, err := ParseRPI(rpi); err == nil {
			if back, err := ParseRPI(id.Hex(16)); err != nil || back != id {
				t.Fatalf("RPI round trip %q", rpi)
			}
		}
		if m, err := ParseAEM(aem); err == nil {
			if md, err := ParseMetadata(m); err == nil {
				if md.Bytes()[1] != m[1] {
					t.Fatalf("TX power lost: %x -> %+v", m, md)
				}
			}
		}
	})
}

func FuzzTEKFromBytes(f *testing.F) {
	f.Add(mustHex(f, vecTEK))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := TEKFromBytes(b)
		if (err == nil) != (len(b) == KeyLen) {
			t.Fatalf("TEKFromBytes(%d bytes) err = %v", len(b), err)
		}
		if err == nil && !bytes.Equal(k[:], b) {
			t.Fatal("copy differs")
		}
		if _, err := DeviceFromTEK(b, time.Unix(vecSeconds, 0)); (err == nil) != (len(b) == KeyLen) {
			t.Fatalf("DeviceFromTEK(%d bytes) err = %v", len(b), err)
		}
	})
}
