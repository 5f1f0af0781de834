package table

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/bluesim/bluesim/internal/atomicfile"
)

// Kind is a column's type.
type Kind int

// Column kinds. Float columns may hold NaN, meaning "undefined" (a ratio
// over zero cases); it is written as an empty CSV cell and a Parquet null
// (an infinity too). Uint is for unsigned 64-bit numbers such as seeds:
// decimal in CSV, UINT64 in Parquet.
const (
	Int Kind = iota
	Float
	String
	Uint
)

func (k Kind) String() string {
	switch k {
	case Int:
		return "int"
	case Float:
		return "float"
	case String:
		return "string"
	case Uint:
		return "uint"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Column names and types one column of a table.
type Column struct {
	Name string
	Kind Kind
}

// Table is a named table of typed rows. Each row has one value per column:
// int64 (or int) for Int, float64 for Float, string for String, uint64 for
// Uint. Its files are NAME.csv and NAME.parquet.
type Table struct {
	Name    string
	Columns []Column
	Rows    [][]any
}

// check verifies every cell matches its column's kind.
func (t *Table) check() error {
	if t.Name == "" {
		return fmt.Errorf("table without a name")
	}
	for ri, row := range t.Rows {
		if len(row) != len(t.Columns) {
			return fmt.Errorf("table %s row %d: %d values for %d columns", t.Name, ri, len(row), len(t.Columns))
		}
		for ci, v := range row {
			ok := false
			switch t.Columns[ci].Kind {
			case Int:
				switch v.(type) {
				case int64, int:
					ok = true
				}
			case Float:
				_, ok = v.(float64)
			case String:
				_, ok = v.(string)
			case Uint:
				_, ok = v.(uint64)
			}
			if !ok {
				return fmt.Errorf("table %s row %d column %s: %T is not %s", t.Name, ri, t.Columns[ci].Name, v, t.Columns[ci].Kind)
			}
		}
	}
	return nil
}

func asInt(v any) int64 {
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v.(int64)
}

// FormatFloat writes x as the tables do: the shortest decimal that reads
// back to the same float64, and "" for NaN or an infinity.
func FormatFloat(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// ParseFloat reads a Float cell of a table's CSV back: "" is NaN (an
// undefined value), anything else must be a number. "NaN" is accepted
// too, as tables written before NaN became an empty cell hold it.
func ParseFloat(s string) (float64, error) {
	if s == "" {
		return math.NaN(), nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return x, nil
}

// CSV encodes the table as RFC 4180 CSV with a header line. The bytes
// depend only on the rows, so they are what the output hash covers.
func (t *Table) CSV() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rec := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		rec[i] = c.Name
	}
	if err := w.Write(rec); err != nil {
		return nil, err
	}
	for _, row := range t.Rows {
		for i, v := range row {
			switch t.Columns[i].Kind {
			case Int:
				rec[i] = strconv.FormatInt(asInt(v), 10)
			case Float:
				rec[i] = FormatFloat(v.(float64))
			case Uint:
				rec[i] = strconv.FormatUint(v.(uint64), 10)
			default:
				rec[i] = v.(string)
			}
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// Parquet encodes the table as a Parquet file with ZSTD-compressed
// columns (ordered by name, as parquet-go's groups are): INT64, UINT64,
// DOUBLE (optional: NaN is null) and UTF-8 strings. The writer is named
// "bluesim" rather than the library's version so that the bytes do not
// change with the build (its "output" part is the name of the package the
// code came from, kept so that the files stay byte for byte the same).
func (t *Table) Parquet() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	group := parquet.Group{}
	for _, c := range t.Columns {
		var n parquet.Node
		switch c.Kind {
		case Int:
			n = parquet.Int(64)
		case Float:
			n = parquet.Optional(parquet.Leaf(parquet.DoubleType))
		case Uint:
			n = parquet.Uint(64)
		default:
			n = parquet.String()
		}
		group[c.Name] = parquet.Compressed(n, &parquet.Zstd)
	}
	if len(group) != len(t.Columns) {
		return nil, fmt.Errorf("table %s: duplicate column names", t.Name)
	}
	schema := parquet.NewSchema(t.Name, group)
	// The schema orders columns by name: leaf li holds table column idx[li].
	pos := map[string]int{}
	for i, c := range t.Columns {
		pos[c.Name] = i
	}
	leaves := schema.Columns()
	idx := make([]int, len(leaves))
	for li, path := range leaves {
		idx[li] = pos[path[0]]
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.CreatedBy("bluesim", "output", "1"))
	row := make(parquet.Row, len(t.Columns))
	for _, r := range t.Rows {
		for li, i := range idx {
			v := r[i]
			var pv parquet.Value
			switch t.Columns[i].Kind {
			case Int:
				pv = parquet.Int64Value(asInt(v)).Level(0, 0, li)
			case Float:
				f := v.(float64)
				if math.IsNaN(f) || math.IsInf(f, 0) {
					pv = parquet.NullValue().Level(0, 0, li)
				} else {
					pv = parquet.DoubleValue(f).Level(0, 1, li)
				}
			case Uint:
				pv = parquet.Int64Value(int64(v.(uint64))).Level(0, 0, li)
			default:
				pv = parquet.ByteArrayValue([]byte(v.(string))).Level(0, 0, li)
			}
			row[li] = pv
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			return nil, fmt.Errorf("table %s: %w", t.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("table %s: %w", t.Name, err)
	}
	return buf.Bytes(), nil
}

// Files are the names of the table's files: NAME.csv and NAME.parquet.
func (t *Table) Files() []string {
	return []string{t.Name + ".csv", t.Name + ".parquet"}
}

// Write writes NAME.csv and NAME.parquet for each table in dir, creating
// dir, each file atomically with mode 0644 (package internal/atomicfile).
// Every table is encoded before the first file is written, so a table
// with a bad row leaves dir as it was.
func Write(dir string, tables []Table) error {
	type file struct {
		name string
		data []byte
	}
	var files []file
	for i := range tables {
		t := &tables[i]
		c, err := t.CSV()
		if err != nil {
			return err
		}
		p, err := t.Parquet()
		if err != nil {
			return err
		}
		names := t.Files()
		files = append(files, file{names[0], c}, file{names[1], p})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		if err := atomicfile.WriteBytes(filepath.Join(dir, f.name), f.data, atomicfile.Output); err != nil {
			return err
		}
	}
	return nil
}
