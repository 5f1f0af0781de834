package privacy

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"fmt"
	"io"
	"slices"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// ReadGAENExport reads one signed GAEN export file (the zip the key server
// lists in index.txt and every phone downloads), verifies its signature
// with the health authority's public key pub as a phone does
// (gaen.ReadExportZip), and returns its keys, first releases and
// revisions alike (a revised key is the same TEK again and is returned
// once).
func ReadGAENExport(r io.ReaderAt, size int64, pub *ecdsa.PublicKey) ([]tracing.PublishedKey, error) {
	b, err := gaen.ReadExportZip(r, size, pub)
	if err != nil {
		return nil, err
	}
	keys, err := gaen.ExportKeysToPublished(append(slices.Clip(b.Keys), b.RevisedKeys...))
	if err != nil {
		return nil, err
	}
	return uniqueKeys(keys), nil
}

// ReadBluezoneF0List decodes the F0 list the key server serves to
// Bluezone phones (GET /v1/bluezone/f0: {"data": [{"daily_key", ...}]})
// with the protocol's strict decoder.
func ReadBluezoneF0List(b []byte) ([]tracing.PublishedKey, error) {
	l, err := bluezone.DecodeF0List(b)
	if err != nil {
		return nil, fmt.Errorf("bluezone F0 list: %w", err)
	}
	return l.PublishedKeys()
}

// ReadDP3TExposed decodes the DP-3T backend's list of published keys
// (dp3t.ExposedOverview) for protocol p.
func ReadDP3TExposed(b []byte, p *dp3t.Protocol) ([]tracing.PublishedKey, error) {
	o, err := dp3t.DecodeExposedOverview(b)
	if err != nil {
		return nil, fmt.Errorf("dp3t exposed list: %w", err)
	}
	return o.PublishedKeys(p)
}

// uniqueKeys drops repeats of the same key bytes and start, keeping the
// first; the order is otherwise kept.
func uniqueKeys(keys []tracing.PublishedKey) []tracing.PublishedKey {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(bytes.Compare(keys[a].Key, keys[b].Key), cmp.Compare(keys[a].Start, keys[b].Start))
	})
	drop := make([]bool, len(keys))
	for i := 1; i < len(idx); i++ {
		a, b := keys[idx[i-1]], keys[idx[i]]
		if bytes.Equal(a.Key, b.Key) && a.Start == b.Start {
			drop[idx[i]] = true
		}
	}
	out := keys[:0]
	for i, k := range keys {
		if !drop[i] {
			out = append(out, k)
		}
	}
	return out
}
