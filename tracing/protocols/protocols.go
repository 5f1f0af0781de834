package protocols

import (
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// table lists the built-in protocols, in the order messages name them.
var table = []tracing.Simulated{
	bluezone.Simulated(),
	bluezone.SimulatedV1(),
	gaen.Simulated(),
	dp3t.Simulated(),
}

var (
	mu         sync.RWMutex
	registered = slices.Clone(table)
)

// Register adds a protocol to the table, after the built-in ones. Its name
// must be new, its Radio valid, and its default rule a struct value (not a
// pointer) that validates: the scenario loader decodes an arm's rule block
// into a copy of it.
func Register(p tracing.Simulated) error {
	if p == nil {
		return fmt.Errorf("protocols: Register(nil)")
	}
	name := p.Name()
	if name == "" {
		return fmt.Errorf("protocols: a protocol needs a name")
	}
	if err := p.Radio().Validate(); err != nil {
		return fmt.Errorf("protocols: %s: %w", name, err)
	}
	rule := p.DefaultRule()
	if rule == nil || reflect.TypeOf(rule).Kind() != reflect.Struct {
		return fmt.Errorf("protocols: %s: the default rule must be a struct value, got %T", name, rule)
	}
	if err := rule.Validate(); err != nil {
		return fmt.Errorf("protocols: %s: the default rule does not validate: %w", name, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.ContainsFunc(registered, func(q tracing.Simulated) bool { return q.Name() == name }) {
		return fmt.Errorf("protocols: %q is already registered", name)
	}
	registered = append(registered, p)
	return nil
}

// Lookup returns the protocol called name.
func Lookup(name string) (tracing.Simulated, bool) {
	mu.RLock()
	defer mu.RUnlock()
	for _, p := range registered {
		if p.Name() == name {
			return p, true
		}
	}
	return nil, false
}

// Names lists the protocols' names: the built-in ones in table order, then
// those registered later, in order.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, len(registered))
	for i, p := range registered {
		names[i] = p.Name()
	}
	return names
}

// All returns every protocol, in the order of Names.
func All() []tracing.Simulated {
	mu.RLock()
	defer mu.RUnlock()
	return slices.Clone(registered)
}
