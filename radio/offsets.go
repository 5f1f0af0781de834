package radio

import (
	"math"
	"math/rand/v2"
)

// DrawDeviceOffsets draws one phone model's radio offsets from r, matching
// the spread of the GAEN calibration table (radio.md §1.2: `tx` SD 8.1 dB,
// `rssi_correction` SD 5.4 dB, both about a zero mean because P1m already
// holds the typical level). The calibration residual
// (gaen_residual_calib_sd_db, an assumption, §1.2) is split equally
// between TX and RX so that a calibrated pair's offset has exactly that SD.
// The ideal radio (Params.Ideal) makes every offset zero but still takes
// the four draws, so that r's later draws do not depend on the mode.
func (m *Model) DrawDeviceOffsets(r *rand.Rand) DeviceOffsets {
	return DeviceOffsets{
		TX:         float32(m.devTXSD * r.NormFloat64()),
		RX:         float32(m.devRXSD * r.NormFloat64()),
		TXResidual: float32(m.pairResSD * r.NormFloat64()),
		RXResidual: float32(m.pairResSD * r.NormFloat64()),
	}
}

// ModelOffsets returns the offsets of phone model `model` in the run with
// seed `seed`: every phone of the same model gets the same offsets, and
// the draw does not depend on which phones exist or in what order they are
// built.
func (m *Model) ModelOffsets(seed, model uint64) DeviceOffsets {
	s := stream(hash4(seed, subDevice, model, 0))
	return DeviceOffsets{
		TX:         float32(m.devTXSD * normal(s.at(0))),
		RX:         float32(m.devRXSD * normal(s.at(1))),
		TXResidual: float32(m.pairResSD * normal(s.at(2))),
		RXResidual: float32(m.pairResSD * normal(s.at(3))),
	}
}

// UncalibratedPairSD is the SD of an uncalibrated pair's offset,
// √(tx² + rx²) (radio.md §1.2 "≈ 10 dB").
func (m *Model) UncalibratedPairSD() float64 {
	return math.Hypot(m.devTXSD, m.devRXSD)
}
