package epidemic

import (
	"math"
	"testing"

	"github.com/bluesim/bluesim/radio"
)

// FuzzModel: any parameters Validate accepts give courses with ordered,
// finite times, infectiousness in [0, 1], finite doses and probabilities
// in [0, 1]; nothing panics.
func FuzzModel(f *testing.F) {
	d := DefaultParams()
	f.Add(d.History.IncubationMedianDays, d.History.IncubationLogSD, d.History.MinLatentDays, d.History.ProfileShape,
		d.History.ProfileRate, d.History.ProfileShiftDays, 0.01, 2.0, 1.5, 30.0)
	f.Add(1.0, 0.0, 1.0, 1.0, 5.0, 0.0, 1e-9, 0.0, 0.0, 0.0)
	f.Add(60.0, 3.0, 30.0, 1000.0, 0.01, 30.0, 1000.0, 10.0, 100.0, 1e9)
	f.Fuzz(func(t *testing.T, med, lsd, lat, shape, rate, shift, beta, expo, dist, minutes float64) {
		p := DefaultParams()
		p.History.IncubationMedianDays, p.History.IncubationLogSD, p.History.MinLatentDays = med, lsd, lat
		p.History.ProfileShape, p.History.ProfileRate, p.History.ProfileShiftDays = shape, rate, shift
		p.Transmission.Beta, p.Transmission.DistanceExponent = beta, expo
		m, err := NewModel(p, 1)
		if err != nil {
			return
		}
		for a := range int32(20) {
			c := m.DrawCourse(a)
			if !(c.Start >= float32(lat)-1e-3 && c.End >= c.Start) || math.IsInf(float64(c.End), 0) {
				t.Fatalf("course %+v", c)
			}
			for x := 0.0; x < float64(c.End)+2 && x < 200; x += 0.5 {
				v := m.Infectiousness(c, x)
				if !(v >= 0 && v <= 1+1e-9) {
					t.Fatalf("infectiousness %v at %v of %+v", v, x, c)
				}
				dose := m.Dose(minutes, dist, radio.Indoor)
				if !(dose >= 0) {
					t.Fatalf("dose %v", dose)
				}
				if pi := m.PInfect(dose, v); !(pi >= 0 && pi <= 1) {
					t.Fatalf("PInfect %v", pi)
				}
			}
		}
	})
}
