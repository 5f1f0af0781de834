package privacy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// MetaLenOf is the metadata length a Log of the protocol keeps beside each
// ID (NewBuilder's metaLen): MetaLen for GAEN, whose phones send an
// encrypted AEM with every RPI, else 0.
func MetaLenOf(info tracing.Info) int {
	if info.Name == "gaen" {
		return MetaLen
	}
	return 0
}

// Export is a key server's publication of a run's uploads in the
// protocol's real format, as the phones (and so the adversary) download
// it.
type Export struct {
	// Format names it: "gaen-export-zip", "bluezone-f0-json",
	// "dp3t-exposed-json", or "upload-keys" for bluezone-v1, which had no
	// published format (the Device.Upload keys as they are).
	Format string
	// Bytes is the file (nil for upload-keys).
	Bytes []byte
	// Keys are the keys read back from Bytes with this package's readers
	// (ReadGAENExport verifying the signature, ReadBluezoneF0List,
	// ReadDP3TExposed): what the attacks get.
	Keys []tracing.PublishedKey
}

// Publish writes keys, the uploads of a run from start to end, in proto's
// published format and reads them back as the adversary does. A GAEN
// export is signed with the P-256 key gaen.SignatureKeyFromSeed derives
// from signingSeed (the run's own key: a simulation has no health
// authority), region "452" (Vietnam's mobile country code) and verified
// with its public half.
func Publish(proto tracing.Protocol, keys []tracing.PublishedKey, start, end time.Time, signingSeed []byte) (*Export, error) {
	info := proto.Info()
	switch info.Name {
	case "gaen":
		priv, err := gaen.SignatureKeyFromSeed(signingSeed)
		if err != nil {
			return nil, err
		}
		eks, err := gaen.ExportKeysFromPublished(keys)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		batch := gaen.ExportBatch{StartTimestamp: uint64(start.Unix()), EndTimestamp: uint64(end.Unix()),
			Region: "452", BatchNum: 1, BatchSize: 1, Keys: eks}
		if err := gaen.WriteExportZip(&buf, batch, gaen.ExportSigner{Key: priv, KeyVersion: "v1", KeyID: "452"}); err != nil {
			return nil, err
		}
		got, err := ReadGAENExport(bytes.NewReader(buf.Bytes()), int64(buf.Len()), &priv.PublicKey)
		return &Export{Format: "gaen-export-zip", Bytes: buf.Bytes(), Keys: got}, err
	case "bluezone":
		l := bluezone.F0List{Data: []bluezone.F0Entry{}}
		for _, k := range keys {
			e, err := bluezone.F0EntryFromKey(k)
			if err != nil {
				return nil, err
			}
			l.Data = append(l.Data, e)
		}
		b, err := json.Marshal(l)
		if err != nil {
			return nil, err
		}
		got, err := ReadBluezoneF0List(b)
		return &Export{Format: "bluezone-f0-json", Bytes: b, Keys: got}, err
	case "dp3t":
		p, ok := proto.(*dp3t.Protocol)
		if !ok {
			return nil, fmt.Errorf("privacy: dp3t protocol of type %T, want *dp3t.Protocol", proto)
		}
		o, err := dp3t.NewExposedOverview(keys, end.UnixMilli())
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		got, err := ReadDP3TExposed(b, p)
		return &Export{Format: "dp3t-exposed-json", Bytes: b, Keys: got}, err
	}
	// bluezone-v1 had no published format.
	return &Export{Format: "upload-keys", Keys: keys}, nil
}
