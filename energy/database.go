package energy

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/netgeom/netgeom/internal/jsonl"
	"github.com/netgeom/netgeom/internal/outfile"
)

// DatabaseFormat is the format name in a database file's header.
const DatabaseFormat = "netgeom-energy-db-1"

// A database file is JSON lines: the first line is the Header; every
// further line is one event, appended (and fsynced) as it happens: a new
// minimum ({"minimum": {...}}), a new transition state ({"ts": {...}}),
// or a minimum found again ({"hit": ID}). Reading the events in order
// rebuilds the database, so a run killed at any point is resumed from the
// file (OpenDatabase with Resume), losing at most the event being
// written.

// Header holds a database's settings, which a resumed file must share.
type Header struct {
	Format string `json:"format"`
	// Dim is the number of parameters.
	Dim int `json:"dim"`
	// Two stationary points are the same when their energies differ by
	// at most EnergyTol and their distance is at most DistanceTol.
	EnergyTol   float64 `json:"energy_tol"`
	DistanceTol float64 `json:"distance_tol"`
	// Distance names the distance function (the caller's; "euclidean"
	// for Euclidean), so that a file is not resumed with another.
	Distance string `json:"distance"`
	// Objective says what the energy is (free text: "Müller-Brown",
	// "iris depth 2 width 8 cross-entropy").
	Objective string `json:"objective,omitempty"`
	// Settings are the caller's settings that define the objective, as
	// JSON (a network's architecture and data, so that a reader can
	// rebuild it); compared byte for byte on resume, so marshal them
	// deterministically (encoding/json does).
	Settings json.RawMessage `json:"settings,omitempty"`
}

// Minimum is a local minimum in a Database.
type Minimum struct {
	ID int `json:"id"`
	Point
	// Hits counts the quenches that ended at this minimum (1 when it was
	// added, one more for every hit line).
	Hits int `json:"-"`
}

// TransitionState is a saddle point of index 1 in a Database and the two
// minima it connects (steepest descent from either side of its unstable
// mode): Plus along +v, Minus along -v.
type TransitionState struct {
	ID int `json:"id"`
	Point
	Plus  int `json:"plus"`
	Minus int `json:"minus"`
}

// event is one line of a database file after the header.
type event struct {
	Minimum *Minimum         `json:"minimum,omitempty"`
	TS      *TransitionState `json:"ts,omitempty"`
	Hit     *int             `json:"hit,omitempty"`
}

// Database holds the minima and transition states found on one landscape,
// each stored once (up to the header's tolerances), with how often each
// minimum was found. Minima are looked up by energy (a sorted index) and
// then by the caller's distance, so a permutation- or sign-aligned
// distance can make symmetric copies of a minimum one entry. Its methods
// are safe for concurrent use.
type Database struct {
	mu     sync.Mutex
	h      Header
	dist   func(a, b []float64) float64
	minima []Minimum
	ts     []TransitionState
	minIdx []int // minima IDs by ascending energy
	tsIdx  []int
	file   *jsonl.Appender
	lock   *outfile.Lock
}

func (h Header) check() (Header, error) {
	if h.Format == "" {
		h.Format = DatabaseFormat
	}
	if h.Format != DatabaseFormat {
		return h, fmt.Errorf("database format %q; this is %q", h.Format, DatabaseFormat)
	}
	if h.Dim < 1 {
		return h, fmt.Errorf("database of %d parameters; want at least 1", h.Dim)
	}
	if !(h.EnergyTol >= 0) || !(h.DistanceTol >= 0) || math.IsInf(h.EnergyTol, 0) || math.IsInf(h.DistanceTol, 0) {
		return h, fmt.Errorf("database tolerances: energy %g, distance %g; want finite values >= 0", h.EnergyTol, h.DistanceTol)
	}
	if h.Distance == "" {
		h.Distance = "euclidean"
	}
	return h, nil
}

// NewDatabase returns an empty database in memory. dist is the distance
// between parameter vectors (nil: Euclidean).
func NewDatabase(h Header, dist func(a, b []float64) float64) (*Database, error) {
	h, err := h.check()
	if err != nil {
		return nil, err
	}
	if dist == nil {
		dist = Euclidean
	}
	return &Database{h: h, dist: dist}, nil
}

// FileOptions say what OpenDatabase does with an existing file.
type FileOptions struct {
	// Resume continues the database in the file, whose header must equal
	// the one given; a half-written last line is dropped. Without Resume
	// an existing file is an error, unless Overwrite.
	Resume, Overwrite bool
}

// OpenDatabase opens the database file at path, created when missing, for
// a run that adds to it: it holds the file's lock (outfile.Acquire) until
// Close, and appends every new minimum, transition state and hit as it is
// added.
func OpenDatabase(path string, h Header, dist func(a, b []float64) float64, opt FileOptions) (*Database, error) {
	db, err := NewDatabase(h, dist)
	if err != nil {
		return nil, err
	}
	lock, err := outfile.Acquire(path)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	raw, exists, err := jsonl.ReadExisting(path)
	if err != nil {
		lock.Release()
		return nil, fmt.Errorf("database: %w", err)
	}
	if exists && !opt.Resume && !opt.Overwrite {
		lock.Release()
		return nil, fmt.Errorf("database: %s exists: resume it or overwrite it", path)
	}
	var good int64
	var hdr []byte
	if exists && opt.Resume {
		old, scan, err := parseDatabase(raw, path, dist)
		if err != nil {
			lock.Release()
			return nil, err
		}
		if old != nil {
			if d := jsonl.Diff(old.h, db.h); len(d) > 0 {
				lock.Release()
				return nil, fmt.Errorf("database: %s was made with other settings: %s", path, strings.Join(d, "; "))
			}
			db = old
			good = scan.Good
		}
	}
	if good == 0 {
		if hdr, err = json.Marshal(db.h); err != nil {
			lock.Release()
			return nil, err
		}
	}
	f, err := jsonl.OpenAppend(path, good, hdr)
	if err != nil {
		lock.Release()
		return nil, fmt.Errorf("database: %w", err)
	}
	db.file, db.lock = f, lock
	return db, nil
}

// ReadDatabase reads a database file (a half-written last line is
// ignored). dist is its distance function (nil: Euclidean), used when
// more points are added to the copy in memory.
func ReadDatabase(path string, dist func(a, b []float64) float64) (*Database, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read database: %w", err)
	}
	db, _, err := parseDatabase(raw, path, dist)
	if err != nil {
		return nil, err
	}
	if db == nil {
		return nil, fmt.Errorf("%s: no complete header line", path)
	}
	return db, nil
}

func parseDatabase(raw []byte, name string, dist func(a, b []float64) float64) (*Database, jsonl.Scan, error) {
	var db *Database
	s, err := jsonl.Parse(raw, name, "database", func(n int, line []byte) error {
		if db == nil {
			var h Header
			if err := jsonl.Strict(line, &h); err != nil {
				return err
			}
			if h.Format != DatabaseFormat {
				return jsonl.Fatal(fmt.Errorf("%s: line 1: not a database of this format (format %q, expected %q)", name, h.Format, DatabaseFormat))
			}
			d, err := NewDatabase(h, dist)
			if err != nil {
				return jsonl.Fatal(fmt.Errorf("%s: line 1: %w", name, err))
			}
			db = d
			return nil
		}
		var ev event
		if err := jsonl.Strict(line, &ev); err != nil {
			return err
		}
		if err := db.replay(ev); err != nil {
			return jsonl.Fatal(fmt.Errorf("%s: line %d: %w", name, n, err))
		}
		return nil
	})
	return db, s, err
}

// replay applies one event read from a file.
func (db *Database) replay(ev event) error {
	switch {
	case ev.Minimum != nil && ev.TS == nil && ev.Hit == nil:
		m := *ev.Minimum
		if m.ID != len(db.minima) || len(m.X) != db.h.Dim {
			return fmt.Errorf("minimum %d with %d parameters; expected minimum %d with %d", m.ID, len(m.X), len(db.minima), db.h.Dim)
		}
		m.Hits = 1
		db.insertMin(m)
	case ev.TS != nil && ev.Minimum == nil && ev.Hit == nil:
		t := *ev.TS
		if t.ID != len(db.ts) || len(t.X) != db.h.Dim || t.Plus < 0 || t.Plus >= len(db.minima) || t.Minus < 0 || t.Minus >= len(db.minima) {
			return fmt.Errorf("transition state %d (minima %d, %d, %d parameters) does not follow the %d transition states and %d minima before it", t.ID, t.Plus, t.Minus, len(t.X), len(db.ts), len(db.minima))
		}
		db.insertTS(t)
	case ev.Hit != nil && ev.Minimum == nil && ev.TS == nil:
		if *ev.Hit < 0 || *ev.Hit >= len(db.minima) {
			return fmt.Errorf("hit of minimum %d; there are %d", *ev.Hit, len(db.minima))
		}
		db.minima[*ev.Hit].Hits++
	default:
		return errors.New("not one of a minimum, a transition state or a hit")
	}
	return nil
}

func (db *Database) insertMin(m Minimum) {
	db.minima = append(db.minima, m)
	i := sort.Search(len(db.minIdx), func(i int) bool { return db.minima[db.minIdx[i]].Energy > m.Energy })
	db.minIdx = append(db.minIdx[:i], append([]int{m.ID}, db.minIdx[i:]...)...)
}

func (db *Database) insertTS(t TransitionState) {
	db.ts = append(db.ts, t)
	i := sort.Search(len(db.tsIdx), func(i int) bool { return db.ts[db.tsIdx[i]].Energy > t.Energy })
	db.tsIdx = append(db.tsIdx[:i], append([]int{t.ID}, db.tsIdx[i:]...)...)
}

// find returns the ID of the point of pts (by the energy index idx) that
// is the same as p, or -1.
func (db *Database) find(idx []int, energy func(id int) float64, x func(id int) []float64, p Point) int {
	lo := sort.Search(len(idx), func(i int) bool { return energy(idx[i]) >= p.Energy-db.h.EnergyTol })
	best, bestD := -1, math.Inf(1)
	for i := lo; i < len(idx) && energy(idx[i]) <= p.Energy+db.h.EnergyTol; i++ {
		if d := db.dist(x(idx[i]), p.X); d <= db.h.DistanceTol && d < bestD {
			best, bestD = idx[i], d
		}
	}
	return best
}

func (db *Database) write(ev event) error {
	if db.file == nil {
		return nil
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return db.file.Append(line)
}

func (db *Database) checkPoint(p Point, what string) error {
	if len(p.X) != db.h.Dim {
		return fmt.Errorf("database: a %s with %d parameters; the database has %d", what, len(p.X), db.h.Dim)
	}
	if math.IsNaN(p.Energy) || math.IsInf(p.Energy, 0) {
		return fmt.Errorf("database: a %s of energy %v", what, p.Energy)
	}
	return nil
}

// AddMinimum adds the minimum p, or counts a hit of the minimum already
// there that is the same (energy within EnergyTol, distance within
// DistanceTol, the nearest if several), returning its ID and whether it
// is new.
func (db *Database) AddMinimum(p Point) (int, bool, error) {
	if err := db.checkPoint(p, "minimum"); err != nil {
		return -1, false, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	id := db.find(db.minIdx, func(i int) float64 { return db.minima[i].Energy }, func(i int) []float64 { return db.minima[i].X }, p)
	if id >= 0 {
		if err := db.write(event{Hit: &id}); err != nil {
			return -1, false, fmt.Errorf("database: %w", err)
		}
		db.minima[id].Hits++
		return id, false, nil
	}
	m := Minimum{ID: len(db.minima), Point: p, Hits: 1}
	m.X = append([]float64(nil), p.X...)
	if err := db.write(event{Minimum: &m}); err != nil {
		return -1, false, fmt.Errorf("database: %w", err)
	}
	db.insertMin(m)
	return m.ID, true, nil
}

// FindMinimum returns the ID of the stored minimum that is the same as p,
// or -1.
func (db *Database) FindMinimum(p Point) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.find(db.minIdx, func(i int) float64 { return db.minima[i].Energy }, func(i int) []float64 { return db.minima[i].X }, p)
}

// AddTransitionState adds the transition state p, connecting the minima
// plus and minus, unless one that is the same is already there; it
// returns the ID and whether it is new.
func (db *Database) AddTransitionState(p Point, plus, minus int) (int, bool, error) {
	if err := db.checkPoint(p, "transition state"); err != nil {
		return -1, false, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if plus < 0 || plus >= len(db.minima) || minus < 0 || minus >= len(db.minima) {
		return -1, false, fmt.Errorf("database: a transition state between minima %d and %d; there are %d", plus, minus, len(db.minima))
	}
	if id := db.find(db.tsIdx, func(i int) float64 { return db.ts[i].Energy }, func(i int) []float64 { return db.ts[i].X }, p); id >= 0 {
		return id, false, nil
	}
	t := TransitionState{ID: len(db.ts), Point: p, Plus: plus, Minus: minus}
	t.X = append([]float64(nil), p.X...)
	if err := db.write(event{TS: &t}); err != nil {
		return -1, false, fmt.Errorf("database: %w", err)
	}
	db.insertTS(t)
	return t.ID, true, nil
}

// Header returns the database's header.
func (db *Database) Header() Header { return db.h }

// Minima returns a copy of the minima, by ID.
func (db *Database) Minima() []Minimum {
	db.mu.Lock()
	defer db.mu.Unlock()
	return append([]Minimum(nil), db.minima...)
}

// TransitionStates returns a copy of the transition states, by ID.
func (db *Database) TransitionStates() []TransitionState {
	db.mu.Lock()
	defer db.mu.Unlock()
	return append([]TransitionState(nil), db.ts...)
}

// Energies returns the minima's energies by ID and the transition states
// as edges, the input of BuildGraph, Barriers and Components.
func (db *Database) Energies() ([]float64, []Edge) {
	db.mu.Lock()
	defer db.mu.Unlock()
	e := make([]float64, len(db.minima))
	for i, m := range db.minima {
		e[i] = m.Energy
	}
	edges := make([]Edge, len(db.ts))
	for i, t := range db.ts {
		edges[i] = Edge{A: t.Plus, B: t.Minus, Energy: t.Energy}
	}
	return e, edges
}

// Hits returns how often each minimum was found, by ID: the abundances
// Chao1 takes. Chao1 assumes independent draws; the quenches of one
// basin-hopping chain are correlated (each starts near the last
// minimum), so their counts give a looser estimate than independent
// restarts would, and the interval is then optimistic.
func (db *Database) Hits() []int {
	db.mu.Lock()
	defer db.mu.Unlock()
	h := make([]int, len(db.minima))
	for i, m := range db.minima {
		h[i] = m.Hits
	}
	return h
}

// Close closes the database's file and releases its lock (nothing for a
// database in memory).
func (db *Database) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	var err error
	if db.file != nil {
		err = db.file.Close()
		db.file = nil
	}
	if db.lock != nil {
		if e := db.lock.Release(); err == nil {
			err = e
		}
		db.lock = nil
	}
	return err
}
