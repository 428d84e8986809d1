package sweep

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/netgeom/netgeom/internal/jsonl"
)

// ShardStatus is what one shard file holds.
type ShardStatus struct {
	Shard Shard  `json:"shard"`
	Path  string `json:"path"`
	// Exists is false for a shard whose file is not there (its task has
	// not started, or died before writing its header).
	Exists bool `json:"exists"`
	// Points in the shard; Done with a result; Failed with a failure;
	// Missing with no record.
	Points  int `json:"points"`
	Done    int `json:"done"`
	Failed  int `json:"failed"`
	Missing int `json:"missing"`
}

// Status is the state of a sweep: of every shard and of the whole.
type Status struct {
	Out    string        `json:"out"`
	Spec   Spec          `json:"spec"` // without the shard
	Shards []ShardStatus `json:"shards"`
	// Points, Done, Failed and Missing add up the shards.
	Points  int `json:"points"`
	Done    int `json:"done"`
	Failed  int `json:"failed"`
	Missing int `json:"missing"`
	// MissingPoints lists the points without a record; Failures the
	// records of the failed points.
	MissingPoints []int    `json:"missing_points"`
	Failures      []Record `json:"failures"`
	// records holds every point's final record.
	records map[int]Record
}

// ReadStatus reads the state of the sweep out (NAME.jsonl) from its shard
// files (NAME.shard-I-of-N.jsonl), or, when there are none, from out
// itself (a sweep run unsharded, or merged). The shard files must be of
// one count N and hold one sweep; shards with no file are reported, every
// point of theirs missing.
func ReadStatus(out string) (*Status, error) {
	paths, shards, err := FindShards(out)
	if err != nil {
		return nil, err
	}
	st := &Status{Out: out, records: map[int]Record{}}
	if len(paths) == 0 {
		f, err := ReadFile(out)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("sweep %s: neither it nor a shard file (%s.shard-I-of-N.jsonl) exists", out, Base(out))
		}
		if err != nil {
			return nil, err
		}
		if f.Spec.Shard != (Shard{}) {
			return nil, fmt.Errorf("%s is shard %s of a sweep; name the sweep (without .shard-...)", out, f.Spec.Shard)
		}
		st.Spec = f.Spec
		st.add(ShardStatus{Path: out, Exists: true}, f)
		return st, nil
	}
	n := shards[0].Count
	for k, sh := range shards {
		if sh.Count != n {
			return nil, fmt.Errorf("sweep %s has shards of two splits, %s (%d shards) and %s (%d shards): keep the files of one", out, paths[0], n, paths[k], sh.Count)
		}
	}
	files := make(map[int]*File, len(paths))
	var first string
	for k, path := range paths {
		f, err := ReadFile(path)
		if err != nil {
			return nil, err
		}
		if f.Spec.Shard != shards[k] {
			return nil, fmt.Errorf("%s holds shard %s of a sweep, not shard %s as its name says", path, f.Spec.Shard, shards[k])
		}
		if first == "" {
			first, st.Spec = path, f.Spec.Unsharded()
		} else if d := jsonl.Diff(f.Spec.Unsharded(), st.Spec); len(d) > 0 {
			return nil, fmt.Errorf("%s and %s are shards of different sweeps: %s", path, first, strings.Join(d, "; "))
		}
		files[shards[k].Index] = f
	}
	for i := range n {
		path := ShardPath(out, Shard{i, n})
		if f, ok := files[i]; ok {
			st.add(ShardStatus{Shard: f.Spec.Shard, Path: path, Exists: true}, f)
		} else {
			st.add(ShardStatus{Shard: Shard{i, n}, Path: path}, nil)
		}
	}
	return st, nil
}

// add counts shard s, whose file is f (nil: none).
func (st *Status) add(s ShardStatus, f *File) {
	for i := 0; i < st.Spec.Points; i++ {
		if !s.Shard.Has(i) {
			continue
		}
		s.Points++
		r, ok := Record{}, false
		if f != nil {
			r, ok = f.Records[i]
		}
		switch {
		case !ok:
			s.Missing++
			st.MissingPoints = append(st.MissingPoints, i)
		case r.Failed():
			s.Failed++
			st.Failures = append(st.Failures, r)
		default:
			s.Done++
		}
		if ok {
			st.records[i] = r
		}
	}
	st.Points += s.Points
	st.Done += s.Done
	st.Failed += s.Failed
	st.Missing += s.Missing
	st.Shards = append(st.Shards, s)
	slices.Sort(st.MissingPoints)
	slices.SortFunc(st.Failures, func(a, b Record) int { return a.Index - b.Index })
}

// Complete reports that every point has a result.
func (st *Status) Complete() bool { return st.Done == st.Points }

// Incomplete shards lists the shards with points missing or failed.
func (st *Status) Incomplete() []Shard {
	var out []Shard
	for _, s := range st.Shards {
		if s.Missing > 0 || s.Failed > 0 {
			out = append(out, s.Shard)
		}
	}
	return out
}

// MergeOptions configure Merge.
type MergeOptions struct {
	// AllowFailed merges a sweep with failed points, their records
	// holding the errors; without it they are an error.
	AllowFailed bool
	// NoTiming leaves out every field named seconds (StripTiming), so
	// that two merges of one sweep compare equal byte for byte.
	NoTiming bool
}

// Merge checks that every point of the sweep out has a record (and a
// result, unless AllowFailed) and writes the merged sweep to out (through
// a temporary file renamed into place): the header without a shard, then
// one record per point by index, the same bytes (apart from seconds) as
// the sweep run unsharded, whatever the number of shards. It returns the
// status and the merged records in order.
func Merge(out string, opt MergeOptions) (*Status, []Record, error) {
	st, err := ReadStatus(out)
	if err != nil {
		return nil, nil, err
	}
	if err := st.CheckComplete(opt.AllowFailed); err != nil {
		return st, nil, err
	}
	f := &File{Spec: st.Spec, Records: st.records}
	lines, err := f.lines()
	if err != nil {
		return st, nil, err
	}
	if opt.NoTiming {
		for k := range lines {
			if lines[k], err = StripTiming(lines[k]); err != nil {
				return st, nil, err
			}
		}
	}
	if err := jsonl.Rewrite(out, lines); err != nil {
		return st, nil, fmt.Errorf("sweep merge: %w", err)
	}
	recs := make([]Record, 0, len(st.records))
	for _, i := range f.indices() {
		recs = append(recs, st.records[i])
	}
	return st, recs, nil
}

// Records returns the final record of every point that has one, by index.
func (st *Status) Records() []Record {
	f := &File{Records: st.records}
	out := make([]Record, 0, len(st.records))
	for _, i := range f.indices() {
		out = append(out, st.records[i])
	}
	return out
}

// CheckComplete returns an error naming the missing points (and the
// failed ones, unless allowFailed), or nil.
func (st *Status) CheckComplete(allowFailed bool) error {
	if st.Missing > 0 {
		var shards []string
		for _, s := range st.Incomplete() {
			shards = append(shards, s.String())
		}
		where := ""
		if st.Shards[0].Shard.Count > 0 {
			where = fmt.Sprintf(" (in shards %s)", strings.Join(shards, ", "))
		}
		return fmt.Errorf("sweep %s is incomplete: %d of %d points have no record%s, the first %s; run their shards again (netgeom sweep status lists them)",
			st.Out, st.Missing, st.Points, where, FormatIndices(st.MissingPoints, 10))
	}
	if st.Failed > 0 && !allowFailed {
		r := st.Failures[0]
		return fmt.Errorf("sweep %s: %d of %d points failed, the first point %d (%s): %s; run their shards again to retry them, or merge with --allow-failed to keep the errors",
			st.Out, st.Failed, st.Points, r.Index, st.Spec.Label(r.Index), r.Error)
	}
	return nil
}

// FormatIndices writes sorted indices as ranges, "0-3,7,9-12", at most
// max ranges and then "...".
func FormatIndices(idx []int, max int) string {
	var parts []string
	for k := 0; k < len(idx); {
		j := k
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if len(parts) == max {
			parts = append(parts, "...")
			break
		}
		if j == k {
			parts = append(parts, fmt.Sprint(idx[k]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", idx[k], idx[j]))
		}
		k = j + 1
	}
	return strings.Join(parts, ",")
}
