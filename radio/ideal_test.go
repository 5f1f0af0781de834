package radio

import (
	"math"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestIdeal checks the ideal radio: every packet's RSSI is exactly the
// link's mean (log-distance law less the losses), whatever the keys, the
// phone models or the pose; the losses and sensitivity still apply, and
// a packet is heard exactly when the mean clears sensitivity.
func TestIdeal(t *testing.T) {
	m := mustModel(t, func(p *Params) { p.Ideal = true })
	if m.PerPacketSD(Indoor) != 0 || m.PerPacketSD(Vehicle) != 0 || m.UncalibratedPairSD() != 0 {
		t.Fatalf("ideal spreads: per packet %v, pair %v", m.PerPacketSD(Indoor), m.UncalibratedPairSD())
	}
	buf := make([]float32, 256)
	for _, tc := range []struct {
		name   string
		env    Environment
		d      float64
		people int
		walls  int
		carr   Carriage
		kind   ScheduleKind
	}{
		{"outdoor 1 m hand", Outdoor, 1, 0, 0, Hand, GAENSchedule},
		{"indoor 2 m pocket", Indoor, 2, 0, 0, FrontPocket, GAENSchedule},
		{"indoor 2 m bluezone", Indoor, 2, 0, 0, Hand, BluezoneAndroid},
		{"vehicle 1.5 m bag person", Vehicle, 1.5, 1, 0, Bag, GAENSchedule},
		{"indoor 30 m two walls", Indoor, 30, 0, 2, BackPocket, BluezoneAndroid},
		{"indoor 200 m five walls", Indoor, 200, 2, 5, BackPocket, GAENSchedule},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range uint64(50) {
				tx := m.NewSchedule(tc.kind, Hash(3, 2*i))
				rx := m.NewSchedule(tc.kind, Hash(3, 2*i+1))
				l := Link{DistanceM: tc.d, Env: tc.env, People: tc.people, Walls: tc.walls,
					Tx: Phone{Sched: &tx, Carriage: tc.carr, Offsets: m.ModelOffsets(3, i)},
					Rx: Phone{Sched: &rx, Carriage: Hand, Offsets: m.ModelOffsets(3, i+1000)}}
				if l.Tx.Offsets != (DeviceOffsets{}) || l.Rx.Offsets != (DeviceOffsets{}) {
					t.Fatalf("ideal offsets %+v %+v", l.Tx.Offsets, l.Rx.Offsets)
				}
				n := [...]float64{m.Params().NOutdoor, m.Params().NIndoor, m.Params().NVehicle}[tc.env]
				want := m.Params().P1mDBm - 10*n*math.Log10(tc.d) - m.Params().BodyLossDB.Of(tc.carr) - vehicleLoss(m, tc.env) -
					float64(tc.people)*m.Params().PersonBetweenDB - float64(tc.walls)*m.Params().WallLossDB
				if got := m.MeanRSSI(&l); math.Abs(got-want) > 1e-5 {
					t.Fatalf("MeanRSSI %v, want %v", got, want)
				}
				heard := want > m.Params().RxSensitivityDBm
				for _, w := range rx.AppendWindows(nil, 0, 1800, false) {
					key := StreamKey{Seed: 11, Pair: PairKey(2*i, 2*i+1), Pose: i, Window: uint64(w.Index)}
					r, n := m.ScanInto(l, w, key, buf)
					if r.Received != r.Events || (r.Received > 0) != heard {
						if heard || r.Received != 0 {
							t.Fatalf("window %v: %v, mean %.2f dBm", w, r, want)
						}
					}
					if r.Received > 0 && (math.Abs(float64(r.MinRSSI)-want) > 1e-4 || math.Abs(float64(r.MaxRSSI)-want) > 1e-4) {
						t.Fatalf("window %v: %v, want every RSSI %.4f", w, r, want)
					}
					for _, v := range buf[:n] {
						if math.Abs(float64(v)-want) > 1e-4 {
							t.Fatalf("packet RSSI %v, want %v", v, want)
						}
					}
					if s := m.Scan(l, w, key); !sameReport(s, r) {
						t.Fatalf("Scan %v, ScanInto %v", s, r)
					}
					for _, rec := range m.Records(l, w, key, nil) {
						if math.Abs(float64(rec.RSSI)-want) > 1e-4 {
							t.Fatalf("record %+v, want RSSI %v", rec, want)
						}
					}
				}
			}
		})
	}
}

// TestIdealYAML: the ideal switch defaults off, is set by the YAML key
// `ideal`, and leaves the noise parameters validated.
func TestIdealYAML(t *testing.T) {
	if DefaultParams().Ideal {
		t.Fatal("ideal is on by default")
	}
	if m := mustModel(t, nil); m.PerPacketSD(Indoor) == 0 || m.UncalibratedPairSD() == 0 {
		t.Fatal("default model has no noise")
	}
	p := DefaultParams()
	if err := yaml.Unmarshal([]byte("ideal: true\n"), &p); err != nil || !p.Ideal {
		t.Fatalf("ideal: true gave %v, %v", p.Ideal, err)
	}
	p.SigmaPoseDB = -1
	if _, err := NewModel(p); err == nil || !strings.Contains(err.Error(), "radio.sigma_pose_db") {
		t.Fatalf("ideal model with sigma_pose_db -1: %v", err)
	}
}

// vehicleLoss is the environment's extra loss: vehicle_loss_db in a
// vehicle, nothing elsewhere.
func vehicleLoss(m *Model, env Environment) float64 {
	if env == Vehicle {
		return m.Params().VehicleLossDB
	}
	return 0
}
