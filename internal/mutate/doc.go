// Package mutate is bluesim's small mutation tester: it plants one fault
// at a time (a flipped operator, an off-by-one constant, a dropped term,
// min and max swapped, a negated condition, ++ for --) in named functions,
// runs the package's tests against each mutant and records whether a test
// caught it and which one.
//
// Mutants are built through `go test -overlay`, so the working tree is
// never modified and an interrupted run leaves nothing behind. Mutations
// are byte edits at the positions go/parser reports, so the rest of the
// file is unchanged. A mutant that does not compile (say, `-` on strings)
// is "not viable" and left out of the kill rate; one whose tests run past
// the timeout counts as caught (the mutation made the code loop).
//
// It is the engine of `go run ./scripts/mutate`, which reads a list of
// targets and writes docs/mutation.md. It is a development tool, not part
// of CI: a run over the result-computing packages takes about an hour of
// CPU.
package mutate
