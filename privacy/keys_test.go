package privacy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
	"github.com/bluesim/bluesim/tracing/gaen"
)

func TestReadGAENExport(t *testing.T) {
	priv, err := gaen.SignatureKeyFromSeed([]byte("health authority"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := gaen.SignatureKeyFromSeed([]byte("someone else"))
	keys := upload(t, gaenPhone(t, 1), hm(0, 0), hm(1, 0))
	eks, err := gaen.ExportKeysFromPublished(keys)
	if err != nil {
		t.Fatal(err)
	}
	revised := eks[0]
	revised.ReportType = gaen.ReportRevoked
	var buf bytes.Buffer
	batch := gaen.ExportBatch{StartTimestamp: uint64(t0 / 1000), EndTimestamp: uint64(t0/1000 + 3600), Region: "452", BatchNum: 1, BatchSize: 1,
		Keys: eks, RevisedKeys: []gaen.ExportKey{revised}}
	if err := gaen.WriteExportZip(&buf, batch, gaen.ExportSigner{Key: priv}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadGAENExport(bytes.NewReader(buf.Bytes()), int64(buf.Len()), &priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !bytes.Equal(got[0].Key, keys[0].Key) || got[0].Start != keys[0].Start || got[0].Slots != 144 {
		t.Fatalf("read %+v, want the one TEK %+v once", got, keys[0])
	}
	if _, err := ReadGAENExport(bytes.NewReader(buf.Bytes()), int64(buf.Len()), &other.PublicKey); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("an export signed by someone else: %v", err)
	}
}

func TestReadBluezoneAndDP3T(t *testing.T) {
	p, _ := bluezone.New(bluezone.DefaultParams())
	dev, err := p.DeviceFromDailyKey(make([]byte, 32), time.UnixMilli(t0))
	if err != nil {
		t.Fatal(err)
	}
	keys := upload(t, dev, t0, t0+dayMs)
	e, err := bluezone.F0EntryFromKey(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(bluezone.F0List{Data: []bluezone.F0Entry{e}})
	got, err := ReadBluezoneF0List(b)
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].Key, keys[0].Key) || got[0].End != keys[0].End {
		t.Fatalf("F0 list read back as %+v, %v", got, err)
	}
	if _, err := ReadBluezoneF0List([]byte(`{"data":[{"daily_key":"00","time_start":0,"time_end":0,"max":96}]}`)); err == nil || !strings.Contains(err.Error(), "bluezone F0 list: data[0].daily_key") {
		t.Errorf("a bad F0 list: %v", err)
	}

	dp := dp3t.Default()
	ddev, err := dp.NewDevice(bytes.NewReader(make([]byte, 32)), time.UnixMilli(t0))
	if err != nil {
		t.Fatal(err)
	}
	dkeys := upload(t, ddev, t0, t0+dayMs)
	o, err := dp3t.NewExposedOverview(dkeys, t0+dayMs)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(o)
	dgot, err := ReadDP3TExposed(b, dp)
	if err != nil || len(dgot) != 1 || !bytes.Equal(dgot[0].Key, dkeys[0].Key) || dgot[0].End != dkeys[0].End {
		t.Fatalf("exposed list read back as %+v, %v (want %+v)", dgot, err, dkeys)
	}
	if _, err := ReadDP3TExposed([]byte(`{}`), dp); err == nil || !strings.Contains(err.Error(), "dp3t exposed list: batchReleaseTime: missing") {
		t.Errorf("a bad exposed list: %v", err)
	}
}

func TestUniqueKeys(t *testing.T) {
	k := func(b byte, start int64) tracing.PublishedKey {
		return tracing.PublishedKey{Key: []byte{b}, Start: start}
	}
	got := uniqueKeys([]tracing.PublishedKey{k(2, 0), k(1, 0), k(2, 0), k(2, 600), k(1, 0)})
	want := []tracing.PublishedKey{k(2, 0), k(1, 0), k(2, 600)}
	if len(got) != len(want) {
		t.Fatalf("%+v, want %+v", got, want)
	}
	for i := range got {
		if !bytes.Equal(got[i].Key, want[i].Key) || got[i].Start != want[i].Start {
			t.Fatalf("%+v, want %+v", got, want)
		}
	}
}
