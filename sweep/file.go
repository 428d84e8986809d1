package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/netgeom/netgeom/internal/jsonl"
)

// A sweep file is JSON lines: the header (the Spec), then one Record per
// finished point, appended and fsynced as each point ends (in the order
// points finish). A point that failed has a record with its error; run
// again, the point is retried and a record with its result, later in the
// file, supersedes the failure. A complete file is rewritten in canonical
// order: the header, then one record per point by index.

// Record is one finished point: a line of a sweep file.
type Record struct {
	Index int `json:"index"`
	// Point is the point's coordinates, an object NAME: VALUE in the
	// grid's order (Grid.PointJSON).
	Point json.RawMessage `json:"point"`
	// Seed is the --seed the point ran with (Spec.PointSeed).
	Seed uint64 `json:"seed"`
	// Seconds is the point's wall time, the only field (with any field
	// named seconds inside Result) that differs between two runs.
	Seconds float64 `json:"seconds"`
	// Result is the command's JSON output (with --format jsonl), as the
	// command printed it; for a pipeline, an array of the steps' outputs.
	Result json.RawMessage `json:"result,omitempty"`
	// Error, for a point that failed, says how: the exit status and the
	// last line the failing step wrote on stderr.
	Error string `json:"error,omitempty"`
}

// Failed reports whether the record is a failure.
func (r *Record) Failed() bool { return r.Error != "" }

// marshalLine writes v as one compact JSON line, without HTML escaping
// (so that a result's bytes are kept as the command printed them).
func marshalLine(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}

// File is the content of a sweep file: its header and the final record of
// every point it holds.
type File struct {
	Spec    Spec
	Records map[int]Record
}

// parsedFile is a sweep file as read: its content, the scan (good prefix,
// dropped half line) and whether it is in canonical order.
type parsedFile struct {
	file      *File // nil when not even the header is complete
	scan      jsonl.Scan
	canonical bool
}

// parseFile reads the bytes of a sweep file named name. A half-written
// last line is dropped; another malformed line, a record of a point
// outside the grid or the shard, with other coordinates or another seed
// than the grid gives it, or a second record of a point (other than a
// result after a failure) is an error.
func parseFile(raw []byte, name string) (parsedFile, error) {
	var p parsedFile
	p.canonical = true
	last := -1
	s, err := jsonl.Parse(raw, name, "sweep file", func(n int, line []byte) error {
		if p.file == nil {
			var sp Spec
			if err := jsonl.Strict(line, &sp); err != nil {
				return err
			}
			if sp.Format != Format {
				return jsonl.Fatal(fmt.Errorf("%s: line 1: not a sweep file of this format (format %q, expected %q)", name, sp.Format, Format))
			}
			if err := sp.Check(); err != nil {
				return jsonl.Fatal(fmt.Errorf("%s: line 1: %w", name, err))
			}
			p.file = &File{Spec: sp, Records: map[int]Record{}}
			return nil
		}
		var r Record
		if err := jsonl.Strict(line, &r); err != nil {
			return err
		}
		if (r.Result == nil) == (r.Error == "") {
			return errors.New("a record has a result or an error, and not both")
		}
		sp := &p.file.Spec
		fatal := func(format string, args ...any) error {
			return jsonl.Fatal(fmt.Errorf("%s: line %d: point %d: "+format, append([]any{name, n, r.Index}, args...)...))
		}
		switch {
		case r.Index < 0 || r.Index >= sp.Points:
			return fatal("not in the grid of %d points", sp.Points)
		case !sp.Shard.Has(r.Index):
			return fatal("not in shard %s", sp.Shard)
		case !bytes.Equal(r.Point, sp.Grid.PointJSON(r.Index)):
			return fatal("the grid gives it the coordinates %s, not %s", sp.Grid.PointJSON(r.Index), r.Point)
		case r.Seed != sp.PointSeed(r.Index):
			return fatal("seed %d; the sweep gives it %d", r.Seed, sp.PointSeed(r.Index))
		}
		if old, ok := p.file.Records[r.Index]; ok {
			if !old.Failed() {
				return fatal("appears twice")
			}
			if r.Failed() {
				return fatal("appears twice")
			}
			p.canonical = false // a retried failure: the rewrite drops it
		}
		if r.Index < last {
			p.canonical = false
		}
		last = r.Index
		p.file.Records[r.Index] = r
		return nil
	})
	p.scan = s
	return p, err
}

// ReadFile reads a sweep file (a shard, an unsharded run or a merged
// sweep). A half-written last line is ignored.
func ReadFile(path string) (*File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := parseFile(raw, path)
	if err != nil {
		return nil, err
	}
	if p.file == nil {
		return nil, fmt.Errorf("%s: no complete header line: not a sweep file, or one killed before its first line was written", path)
	}
	return p.file, nil
}

// lines returns the file in canonical order: the header, then the records
// by index.
func (f *File) lines() ([][]byte, error) {
	hdr, err := marshalLine(f.Spec)
	if err != nil {
		return nil, err
	}
	out := [][]byte{hdr}
	for _, i := range f.indices() {
		r := f.Records[i]
		line, err := marshalLine(&r)
		if err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	return out, nil
}

// indices lists the points with a record, in order.
func (f *File) indices() []int {
	idx := make([]int, 0, len(f.Records))
	for i := range f.Records {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	return idx
}

// Base returns the sweep's name: out without its .jsonl extension.
func Base(out string) string { return strings.TrimSuffix(out, ".jsonl") }

// ShardPath is the file of shard sh of the sweep out (NAME.jsonl):
// NAME.shard-I-of-N.jsonl, I zero-padded to N's width so that the files
// sort in order. The zero shard's file is out itself.
func ShardPath(out string, sh Shard) string {
	if sh.Count == 0 {
		return out
	}
	w := len(strconv.Itoa(sh.Count))
	return fmt.Sprintf("%s.shard-%0*d-of-%d.jsonl", Base(out), w, sh.Index, sh.Count)
}

var shardName = regexp.MustCompile(`\.shard-([0-9]+)-of-([0-9]+)\.jsonl$`)

// FindShards lists the shard files of the sweep out that exist, with their
// shards, ordered by count then index.
func FindShards(out string) ([]string, []Shard, error) {
	matches, err := filepath.Glob(globEscape(Base(out)) + ".shard-*-of-*.jsonl")
	if err != nil {
		return nil, nil, err
	}
	type found struct {
		path string
		sh   Shard
	}
	var fs []found
	for _, m := range matches {
		sub := shardName.FindStringSubmatch(m)
		if sub == nil {
			continue
		}
		i, err1 := strconv.Atoi(sub[1])
		n, err2 := strconv.Atoi(sub[2])
		if err1 != nil || err2 != nil || n < 1 || i >= n || ShardPath(out, Shard{i, n}) != m {
			continue
		}
		fs = append(fs, found{m, Shard{i, n}})
	}
	slices.SortFunc(fs, func(a, b found) int {
		if a.sh.Count != b.sh.Count {
			return a.sh.Count - b.sh.Count
		}
		return a.sh.Index - b.sh.Index
	})
	paths, shards := make([]string, len(fs)), make([]Shard, len(fs))
	for k, f := range fs {
		paths[k], shards[k] = f.path, f.sh
	}
	return paths, shards, nil
}

// globEscape escapes the characters filepath.Match treats as patterns.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
