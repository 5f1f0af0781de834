package sweeprun

import (
	"errors"
	"fmt"
	"math"

	"github.com/bluesim/bluesim/scenarios"
)

// IntervalMethod names how the summary's intervals are built, for the
// tables' documentation and the sweep report.
const IntervalMethod = "95 % interval of the mean over the replicates: Student's t with n-1 degrees of freedom, " +
	"built on the logit scale for shares and on the log scale for counts (delta method), so a share's interval " +
	"stays between 0 and 1 and a count's above 0; a replicate where a metric is undefined is left out of it, and " +
	"one replicate gives no interval"

// Estimate is one metric's mean over a point's replicates and its 95 %
// interval (NaN where undefined: one replicate, or no replicate where the
// metric was defined).
type Estimate struct {
	Mean, Low, High float64
}

// SummaryRow is one point and group of a whole sweep's summary: the rows
// of tables/sweep_summary.csv as data.
type SummaryRow struct {
	Point int
	// Values are the point's axis values as text, one per axis.
	Values []string
	Group  string
	// N is the number of replicates.
	N int
	// Metrics holds one estimate per metric, in Summary.Metrics order.
	Metrics []Estimate
}

// Summary is a whole sweep's summary: what tables/sweep_summary holds,
// computed by the same code, for the sweep report to build on.
type Summary struct {
	Manifest Manifest
	// Metrics are the metric names, in column order.
	Metrics []string
	Rows    []SummaryRow
	// Goals are the manifest's goals, parsed.
	Goals []scenarios.Goal
	// Method says how the intervals are built.
	Method string
}

// Metric returns the index of metric name in s.Metrics, or -1.
func (s *Summary) Metric(name string) int {
	for i, m := range s.Metrics {
		if m == name {
			return i
		}
	}
	return -1
}

// Summary returns the summary of the folder's sweep, which must be whole
// and complete (a shard's tasks say nothing of the other points).
func (f *Folder) Summary() (*Summary, error) {
	m := f.Manifest
	if m.Shard != Whole || !m.Complete || len(m.Tasks) != m.TotalTasks {
		return nil, fmt.Errorf("%s: holds %d of %d tasks (shard %s, complete %v): a summary needs the whole sweep; merge the shards first",
			f.Dir, len(m.Tasks), m.TotalTasks, m.Shard, m.Complete)
	}
	goals, err := scenarios.ParseGoals(m.Goals)
	if err != nil {
		return nil, fmt.Errorf("%s: manifest goals: %v", f.Dir, err)
	}
	s := &Summary{Manifest: m, Metrics: f.data.metrics, Goals: goals, Method: IntervalMethod}
	values := map[int][]string{}
	for _, t := range m.Tasks {
		values[t.Point] = t.Values
	}
	t := summarize(f.data)
	nAxes := len(f.data.axes)
	for _, row := range t.Rows {
		r, err := summaryRow(row, nAxes, len(s.Metrics))
		if err != nil {
			return nil, fmt.Errorf("%s: summary: %v", f.Dir, err)
		}
		// The axis values as the manifest writes them.
		r.Values = values[r.Point]
		s.Rows = append(s.Rows, r)
	}
	return s, nil
}

// summaryRow reads a row of the summary table: point, the axis values
// (skipped: the caller takes them from the manifest), group, n, then mean,
// low and high of each metric.
func summaryRow(row []any, nAxes, nMetrics int) (SummaryRow, error) {
	if len(row) != 3+nAxes+3*nMetrics {
		return SummaryRow{}, fmt.Errorf("row of %d cells, want %d", len(row), 3+nAxes+3*nMetrics)
	}
	var r SummaryRow
	var ok bool
	if r.Point, ok = row[0].(int); !ok {
		return r, errors.New("point is not an integer")
	}
	if r.Group, ok = row[1+nAxes].(string); !ok {
		return r, errors.New("group is not text")
	}
	if r.N, ok = row[2+nAxes].(int); !ok {
		return r, errors.New("n is not an integer")
	}
	cells := row[3+nAxes:]
	for i := range nMetrics {
		var e [3]float64
		for j := range e {
			x, ok := cells[3*i+j].(float64)
			if !ok {
				x = math.NaN()
			}
			e[j] = x
		}
		r.Metrics = append(r.Metrics, Estimate{Mean: e[0], Low: e[1], High: e[2]})
	}
	return r, nil
}
