package sweep

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Format is the format of a sweep file's header.
const Format = "netgeom-sweep-1"

// Spec is a sweep's settings: what runs at every point, over which grid,
// from which seed, with how many threads. It is the first line (the header)
// of every file of the sweep; a shard's header also names the shard.
type Spec struct {
	Format string `json:"format"`
	// Version is the netgeom version that runs the points.
	Version string `json:"version,omitempty"`
	// Steps are the netgeom commands each point runs, in order, each a
	// subcommand and its fixed flags (see Args). Most sweeps have one step;
	// more make a pipeline (train, then hessian of the model it wrote).
	Steps [][]string `json:"steps"`
	Grid  Grid       `json:"grid"`
	// Seed is the base seed from which each point's --seed is derived
	// when seed is not an axis (PointSeed).
	Seed uint64 `json:"seed"`
	// Threads is every task's thread count (NETGEOM_THREADS): OpenBLAS's
	// sums, and so the last bits of the results, depend on it.
	Threads int `json:"threads"`
	// Points is the grid's size.
	Points int `json:"points"`
	// Shard is the shard the file holds; zero in a sweep run unsharded
	// and in a merged file.
	Shard Shard `json:"shard,omitzero"`
}

// Shard is shard Index of Count: the points whose index is Index mod
// Count.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Has reports whether point i is in the shard (every point is in the zero
// shard).
func (s Shard) Has(i int) bool { return s.Count == 0 || i%s.Count == s.Index }

// String writes the shard as I/N.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard reads I/N with 0 <= I < N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(strings.TrimSpace(i))
	b, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
		return Shard{}, fmt.Errorf("shard %q: write I/N with 0 <= I < N, like 3/16 (or auto)", s)
	}
	return Shard{a, b}, nil
}

// Reserved flags: the sweep sets them on every step.
var reserved = []string{"seed", "format"}

var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

// Check validates the spec: format, steps, grid, threads, the shard, and
// the placeholders in the steps' flags.
func (s *Spec) Check() error {
	if s.Format != Format {
		return fmt.Errorf("sweep format %q, want %q", s.Format, Format)
	}
	if len(s.Steps) == 0 {
		return fmt.Errorf("no command: give the netgeom command each point runs after --, like -- curvature --width 1000")
	}
	for _, st := range s.Steps {
		if len(st) == 0 || strings.HasPrefix(st[0], "-") {
			return fmt.Errorf("a step %q does not start with a netgeom command", strings.Join(st, " "))
		}
		for _, arg := range st[1:] {
			for _, r := range reserved {
				if arg == "--"+r || strings.HasPrefix(arg, "--"+r+"=") {
					return fmt.Errorf("%s: --%s is set by the sweep (the point's seed, JSON output); leave it out", st[0], r)
				}
			}
			for _, m := range placeholder.FindAllStringSubmatch(arg, -1) {
				if _, ok := s.Grid.Axis(m[1]); !ok && m[1] != "index" && m[1] != "seed" {
					return fmt.Errorf("%s: %q: {%s} is neither {index}, {seed} nor an axis of the grid", st[0], arg, m[1])
				}
			}
		}
	}
	if err := s.Grid.Check(); err != nil {
		return err
	}
	if a, ok := s.Grid.Axis("format"); ok {
		return fmt.Errorf("grid axis %s: the sweep sets --format", a.Name)
	}
	if a, ok := s.Grid.Axis("seed"); ok {
		for _, v := range a.Values {
			if _, err := strconv.ParseUint(v, 10, 64); err != nil {
				return fmt.Errorf("grid axis seed: %q is not a seed (an integer from 0 to 2^64-1)", v)
			}
		}
	}
	if s.Threads < 1 {
		return fmt.Errorf("%d threads per task: want at least 1", s.Threads)
	}
	if s.Points != s.Grid.Size() {
		return fmt.Errorf("the header says %d points; the grid has %d", s.Points, s.Grid.Size())
	}
	if sh := s.Shard; sh != (Shard{}) && (sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count) {
		return fmt.Errorf("shard %s: want 0 <= I < N", sh)
	}
	return nil
}

// PointSeed is point i's --seed: its value on the grid's seed axis when
// the grid has one; otherwise derived from the base seed and the point's
// coordinates alone, as the first 8 bytes (big-endian) of the SHA-256 of
//
//	"netgeom-sweep-seed\n" + base (decimal) + "\n" + "NAME=VALUE\n" for every axis, by name
//
// so that a point's seed, and its result, do not depend on how the grid
// is split, on the order of its axes, or on the other points.
func (s *Spec) PointSeed(i int) uint64 {
	vals := s.Grid.Values(i)
	type kv struct{ k, v string }
	kvs := make([]kv, len(vals))
	for m, v := range vals {
		if s.Grid[m].Name == "seed" {
			seed, _ := strconv.ParseUint(v, 10, 64) // Check made sure
			return seed
		}
		kvs[m] = kv{s.Grid[m].Name, v}
	}
	slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	h := sha256.New()
	fmt.Fprintf(h, "netgeom-sweep-seed\n%d\n", s.Seed)
	for _, p := range kvs {
		fmt.Fprintf(h, "%s=%s\n", p.k, p.v)
	}
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// Args returns the command lines (without the program name) of point i's
// steps: each step's fixed flags, with {index}, {seed} and {NAME} (an
// axis) replaced by the point's index, seed and coordinates; then
// --NAME=VALUE for every axis but seed whose flag the step takes (takes
// reports it; nil: every step takes every axis); then --seed=SEED and
// --format=jsonl.
func (s *Spec) Args(i int, takes func(step int, flag string) bool) [][]string {
	vals := s.Grid.Values(i)
	seed := strconv.FormatUint(s.PointSeed(i), 10)
	subst := func(arg string) string {
		return placeholder.ReplaceAllStringFunc(arg, func(m string) string {
			name := m[1 : len(m)-1]
			switch name {
			case "index":
				return strconv.Itoa(i)
			case "seed":
				return seed
			}
			for k, a := range s.Grid {
				if a.Name == name {
					return vals[k]
				}
			}
			return m
		})
	}
	out := make([][]string, len(s.Steps))
	for k, st := range s.Steps {
		args := []string{st[0]}
		for _, a := range st[1:] {
			args = append(args, subst(a))
		}
		for m, a := range s.Grid {
			if a.Name != "seed" && (takes == nil || takes(k, a.Name)) {
				args = append(args, "--"+a.Name+"="+vals[m])
			}
		}
		out[k] = append(args, "--seed="+seed, "--format=jsonl")
	}
	return out
}

// Label writes point i's coordinates for messages: "sigma-w=1.5 sigma-b=0".
func (s *Spec) Label(i int) string {
	vals := s.Grid.Values(i)
	parts := make([]string, len(vals))
	for m, v := range vals {
		parts[m] = s.Grid[m].Name + "=" + v
	}
	return strings.Join(parts, " ")
}

// Unsharded returns the spec without its shard: the header of a merged
// file.
func (s Spec) Unsharded() Spec {
	s.Shard = Shard{}
	return s
}
