// Package strictyaml is bluesim's strict YAML machinery, shared by the
// scenario loader (package scenarios) and the load generator's national
// load file (tracing/loadgen).
//
// A file is parsed into a yaml.Node tree and overlaid onto Go values by
// reflection over their yaml tags, so that every problem is reported with
// its file, line, column and dotted field path (arms[1].rule.preset), an
// unknown key with the closest valid one, and all problems at once, sorted
// by line. Keys a file does not give keep the value the Go value already
// holds: decoding onto defaults is how a file is layered on top of them.
//
// What the decoder does:
//
//   - structs by their yaml tags (",inline" merges a struct's keys into its
//     parent, "-" hides a field); an unknown key is an error;
//   - numbers strictly: an integer field takes 1e5 but not 1.5, NaN and
//     infinities are refused, an overflow is an error;
//   - time.Duration from "15m", encoding.TextUnmarshaler from a scalar;
//   - lists replace the list below them whole, each new element starting
//     from ApplyDefaults when its type is a ListDefaulter;
//   - an interface field holding a value decodes into that value's type;
//   - a type implementing Unmarshaler decodes itself (for example a block
//     whose schema depends on one of its keys).
//
// SetPath applies one "path.to.key[i]=value" override the same way, and
// Encoder writes values back as YAML with each key's doc comment, so that
// what it writes loads back equal.
package strictyaml
