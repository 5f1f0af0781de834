package radio

import (
	"fmt"
	"strings"
)

// Environment is the propagation environment of a venue.
type Environment uint8

// Environments, with path-loss exponents from radio.md §1.3.
const (
	Outdoor Environment = iota
	Indoor
	Vehicle
	numEnvironments
)

var environmentNames = [...]string{"outdoor", "indoor", "vehicle"}

func (e Environment) String() string {
	if int(e) < len(environmentNames) {
		return environmentNames[e]
	}
	return fmt.Sprintf("Environment(%d)", e)
}

// Environments lists every environment in order.
func Environments() []Environment { return []Environment{Outdoor, Indoor, Vehicle} }

// ParseEnvironment parses "outdoor", "indoor" or "vehicle".
func ParseEnvironment(s string) (Environment, error) {
	for i, n := range environmentNames {
		if s == n {
			return Environment(i), nil
		}
	}
	return 0, fmt.Errorf("unknown environment %q (want one of %s)", s, strings.Join(environmentNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler (YAML, JSON).
func (e Environment) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (YAML, JSON).
func (e *Environment) UnmarshalText(b []byte) error {
	v, err := ParseEnvironment(string(b))
	if err == nil {
		*e = v
	}
	return err
}

// Carriage is where a phone is carried; it sets the body loss at that end
// of the link (radio.md §1.7).
type Carriage uint8

// Carriage positions.
const (
	Hand Carriage = iota
	FrontPocket
	BackPocket
	ShirtPocket
	Bag
	// Table is a phone put down (on a table, a desk, a bedside shelf),
	// with nobody's body at its end of the link.
	Table
	numCarriages
)

var carriageNames = [...]string{"hand", "front-pocket", "back-pocket", "shirt-pocket", "bag", "table"}

func (c Carriage) String() string {
	if int(c) < len(carriageNames) {
		return carriageNames[c]
	}
	return fmt.Sprintf("Carriage(%d)", c)
}

// Carriages lists every carriage position in order.
func Carriages() []Carriage {
	return []Carriage{Hand, FrontPocket, BackPocket, ShirtPocket, Bag, Table}
}

// ParseCarriage parses a carriage name such as "front-pocket".
func ParseCarriage(s string) (Carriage, error) {
	for i, n := range carriageNames {
		if s == n {
			return Carriage(i), nil
		}
	}
	return 0, fmt.Errorf("unknown carriage %q (want one of %s)", s, strings.Join(carriageNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (c Carriage) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Carriage) UnmarshalText(b []byte) error {
	v, err := ParseCarriage(string(b))
	if err == nil {
		*c = v
	}
	return err
}

// OS is a phone's operating system; it decides the scan and advertising
// behaviour of non-GAEN apps (radio.md §2.3, §2.4).
type OS uint8

// Operating systems.
const (
	Android OS = iota
	IOS
)

func (o OS) String() string {
	switch o {
	case Android:
		return "android"
	case IOS:
		return "ios"
	}
	return fmt.Sprintf("OS(%d)", o)
}

// ParseOS parses "android" or "ios".
func ParseOS(s string) (OS, error) {
	switch s {
	case "android":
		return Android, nil
	case "ios":
		return IOS, nil
	}
	return 0, fmt.Errorf("unknown OS %q (want android or ios)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (o OS) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *OS) UnmarshalText(b []byte) error {
	v, err := ParseOS(string(b))
	if err == nil {
		*o = v
	}
	return err
}

// DeviceOffsets are one phone model's radio offsets in dB, drawn to match
// the spread of the GAEN calibration table (radio.md §1.2): TX is how much
// stronger the model radiates than the reference, RX how much higher it
// reads a given field. GAEN publishes per-model corrections; the residual
// after correction is what a calibrated app still sees.
type DeviceOffsets struct {
	TX, RX float32
	// TXResidual and RXResidual are what remains of TX and RX after GAEN's
	// per-model calibration (calibrated mode).
	TXResidual, RXResidual float32
}
