package sweeprun

import (
	"fmt"
	"strconv"
	"strings"
)

// Whole is the shard that holds a whole sweep: shard 1 of 1.
var Whole = ShardID{Index: 1, Count: 1}

// ParseShardID reads "i/n", shard i of n counted from 1 as jest,
// playwright and every other sharding tool count: "1/2" and "2/2" are the
// two halves. Anything else, "0/2" included, is refused with a message
// that shows the right form.
func ParseShardID(s string) (ShardID, error) {
	i, n, ok := strings.Cut(s, "/")
	ii, err1 := strconv.Atoi(strings.TrimSpace(i))
	nn, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil {
		return ShardID{}, fmt.Errorf("shard %q: want i/n, shard i of n counted from 1 (1/2 and 2/2 are the two halves)", s)
	}
	id := ShardID{Index: ii, Count: nn}
	if err := id.Check(); err != nil {
		return ShardID{}, err
	}
	return id, nil
}

// Check says whether s names a shard: 1 <= Index <= Count.
func (s ShardID) Check() error {
	if s.Count < 1 || s.Count > maxShards {
		return fmt.Errorf("shard %s: the number of shards must be between 1 and %d", s, maxShards)
	}
	if s.Index < 1 || s.Index > s.Count {
		hint := ""
		if s.Index == 0 {
			hint = " (shards count from 1)"
		}
		return fmt.Errorf("shard %s: want i/n with 1 <= i <= n%s, e.g. 1/%d to %d/%d", s, hint, s.Count, s.Count, s.Count)
	}
	return nil
}

// maxShards bounds the shard count: more shards than tasks only leaves
// shards empty, and a sweep has at most scenarios.MaxTasks tasks.
const maxShards = 1 << 20

// Dir is the folder name a shard of a sharded sweep writes into,
// "shard-i-of-n".
func (s ShardID) Dir() string { return fmt.Sprintf("shard-%d-of-%d", s.Index, s.Count) }

// ShardOf is the shard of n that runs task t.
func ShardOf(t, n int) ShardID { return ShardID{Index: t%n + 1, Count: n} }
