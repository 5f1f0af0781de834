package privacy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The sniffer log file (one Log), little-endian throughout:
//
//	offset  size          field
//	0       8             magic "BSNIFF\x00\x01" (bluesim sniffer log, version 1)
//	8       1             ID length, 1..16
//	9       1             metadata length, 0 or 4
//	10      2             zero
//	12      8             base, Unix ms (int64)
//	20      4             sniffers S
//	24      4             dictionary entries E
//	28      4             records R
//	32      E*(ID+meta)   dictionary, strictly increasing, every entry used
//	        S*4           records per sniffer (uint32), summing to R
//	        R*4           per record: dictionary index (uint32)
//	        R*4           per record: ms since base (uint32)
//	        R             per record: RSSI (int8)
//	        4             CRC-32C (Castagnoli) of every byte before it
//
// Records are in log order (sniffer, then time, dictionary index, RSSI), so
// one set of records has exactly one file.
const (
	logMagic      = "BSNIFF\x00\x01"
	logHeaderLen  = 32
	logTrailerLen = 4
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrLogFormat is wrapped by every error DecodeLog returns for malformed
// input.
var ErrLogFormat = errors.New("malformed sniffer log")

// WriteTo writes the log in its file format.
func (l *Log) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	h := crc32.New(crcTable)
	mw := io.MultiWriter(bw, h)
	var n int64
	put := func(b []byte) error {
		m, err := mw.Write(b)
		n += int64(m)
		return err
	}
	var hdr [logHeaderLen]byte
	copy(hdr[:], logMagic)
	hdr[8], hdr[9] = byte(l.idLen), byte(l.metaLen)
	binary.LittleEndian.PutUint64(hdr[12:], uint64(l.base))
	binary.LittleEndian.PutUint32(hdr[20:], uint32(l.Sniffers()))
	binary.LittleEndian.PutUint32(hdr[24:], uint32(l.Entries()))
	binary.LittleEndian.PutUint32(hdr[28:], uint32(l.Len()))
	if err := put(hdr[:]); err != nil {
		return n, err
	}
	if err := put(l.dict); err != nil {
		return n, err
	}
	var buf [4096]byte
	putU32 := func(vs []uint32) error {
		for len(vs) > 0 {
			k := min(len(vs), len(buf)/4)
			for i, v := range vs[:k] {
				binary.LittleEndian.PutUint32(buf[4*i:], v)
			}
			if err := put(buf[:4*k]); err != nil {
				return err
			}
			vs = vs[k:]
		}
		return nil
	}
	counts := make([]uint32, l.Sniffers())
	for s := range counts {
		counts[s] = l.snOff[s+1] - l.snOff[s]
	}
	for _, vs := range [][]uint32{counts, l.key, l.t} {
		if err := putU32(vs); err != nil {
			return n, err
		}
	}
	for rs := l.rssi; len(rs) > 0; {
		k := min(len(rs), len(buf))
		for i, v := range rs[:k] {
			buf[i] = byte(v)
		}
		if err := put(buf[:k]); err != nil {
			return n, err
		}
		rs = rs[k:]
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], h.Sum32())
	m, err := bw.Write(sum[:])
	n += int64(m)
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// MarshalBinary is the log's file as one byte slice.
func (l *Log) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	_, err := l.WriteTo(&b)
	return b.Bytes(), err
}

// ReadLog reads a whole log file from r.
func ReadLog(r io.Reader) (*Log, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the sniffer log: %w", err)
	}
	return DecodeLog(b)
}

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrLogFormat}, args...)...)
}

// DecodeLog decodes a log file, checking every field: the sizes against
// the input's length before anything is allocated, the dictionary's
// order, every index, the records' order within each sniffer, and the
// checksum. The log does not keep a reference to b.
func DecodeLog(b []byte) (*Log, error) {
	if len(b) < logHeaderLen+logTrailerLen {
		return nil, formatErr("%d bytes, shorter than the %d-byte header and checksum", len(b), logHeaderLen+logTrailerLen)
	}
	if string(b[:8]) != logMagic {
		return nil, formatErr("bytes 0-7 are %q, want the magic %q", b[:8], logMagic)
	}
	idLen, metaLen := int(b[8]), int(b[9])
	switch {
	case idLen < 1 || idLen > 16:
		return nil, formatErr("byte 8 (ID length) is %d, want 1 to 16", idLen)
	case metaLen != 0 && metaLen != MetaLen:
		return nil, formatErr("byte 9 (metadata length) is %d, want 0 or %d", metaLen, MetaLen)
	case b[10] != 0 || b[11] != 0:
		return nil, formatErr("bytes 10-11 are %#x %#x, want zero", b[10], b[11])
	}
	base := int64(binary.LittleEndian.Uint64(b[12:]))
	ns := uint64(binary.LittleEndian.Uint32(b[20:]))
	ne := uint64(binary.LittleEndian.Uint32(b[24:]))
	nr := uint64(binary.LittleEndian.Uint32(b[28:]))
	el := uint64(entryLen(idLen, metaLen))
	if want := logHeaderLen + ne*el + ns*4 + nr*9 + logTrailerLen; want != uint64(len(b)) {
		return nil, formatErr("the header declares %d sniffers, %d dictionary entries and %d records, which take %d bytes; the input has %d", ns, ne, nr, want, len(b))
	}
	if ns > math.MaxUint32-1 || nr > math.MaxUint32-1 || ne > math.MaxUint32-1 {
		return nil, formatErr("the header declares %d sniffers, %d entries and %d records; at most %d each", ns, ne, nr, uint32(math.MaxUint32-1))
	}
	if base > math.MaxInt64-MaxSpanMs {
		return nil, formatErr("base %d (Unix ms) leaves no room for the 32-bit offsets", base)
	}
	l := &Log{idLen: idLen, metaLen: metaLen, base: base}
	p := logHeaderLen
	l.dict = bytes.Clone(b[p : p+int(ne*el)])
	for k := 1; k < int(ne); k++ {
		prev, cur := l.dict[(k-1)*int(el):k*int(el)], l.dict[k*int(el):(k+1)*int(el)]
		if bytes.Compare(prev, cur) >= 0 {
			return nil, formatErr("dictionary entry %d (offset %d) is not after entry %d", k, p+k*int(el), k-1)
		}
	}
	p += int(ne * el)
	l.snOff = make([]uint32, ns+1)
	var total uint64
	for s := range int(ns) {
		total += uint64(binary.LittleEndian.Uint32(b[p+4*s:]))
		if total > nr {
			return nil, formatErr("the record counts of sniffers 0..%d (offset %d) add up to %d, more than the %d records", s, p+4*s, total, nr)
		}
		l.snOff[s+1] = uint32(total)
	}
	if total != nr {
		return nil, formatErr("the sniffers' record counts add up to %d, want the %d records", total, nr)
	}
	p += int(ns * 4)
	l.key = make([]uint32, nr)
	used := make([]bool, ne)
	for i := range l.key {
		k := binary.LittleEndian.Uint32(b[p+4*i:])
		if uint64(k) >= ne {
			return nil, formatErr("record %d (offset %d) names dictionary entry %d of %d", i, p+4*i, k, ne)
		}
		l.key[i], used[k] = k, true
	}
	for k, u := range used {
		if !u {
			return nil, formatErr("dictionary entry %d is used by no record", k)
		}
	}
	p += int(nr * 4)
	l.t = make([]uint32, nr)
	for i := range l.t {
		l.t[i] = binary.LittleEndian.Uint32(b[p+4*i:])
	}
	p += int(nr * 4)
	l.rssi = make([]int8, nr)
	for i := range l.rssi {
		l.rssi[i] = int8(b[p+i])
	}
	p += int(nr)
	for s := range int(ns) {
		lo, hi := l.SnifferRange(s)
		for i := lo + 1; i < hi; i++ {
			if c := compareRecords(l, i-1, i); c > 0 {
				return nil, formatErr("records %d and %d of sniffer %d are out of order (want time, dictionary index, RSSI increasing)", i-1, i, s)
			}
		}
	}
	if got, want := crc32.Checksum(b[:p], crcTable), binary.LittleEndian.Uint32(b[p:]); got != want {
		return nil, formatErr("checksum %#08x, but the content sums to %#08x", want, got)
	}
	l.buildPrefix()
	return l, nil
}

func compareRecords(l *Log, i, j int) int {
	switch {
	case l.t[i] != l.t[j]:
		return cmpU32(l.t[i], l.t[j])
	case l.key[i] != l.key[j]:
		return cmpU32(l.key[i], l.key[j])
	case l.rssi[i] < l.rssi[j]:
		return -1
	case l.rssi[i] > l.rssi[j]:
		return 1
	}
	return 0
}

func cmpU32(a, b uint32) int {
	if a < b {
		return -1
	}
	return 1
}
