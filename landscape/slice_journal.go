package landscape

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/netgeom/netgeom/internal/jsonl"
	"github.com/netgeom/netgeom/internal/outfile"
)

// SliceJournalFormat is the format field of a slice journal's first line.
const SliceJournalFormat = "netgeom-slice-journal"

// sliceJournalHeader is a slice journal's first line: what decides the
// slice's values. The directions enter by a hash of their numbers (so the
// raw, Hessian and other-model directions are covered alike).
type sliceJournalHeader struct {
	Format     string  `json:"format"`
	Version    int     `json:"version"`
	Params     string  `json:"params_sha256"`
	Data       string  `json:"data"`
	Samples    int     `json:"samples"`
	Test       int     `json:"test_samples"`
	Directions string  `json:"directions"`
	Vectors    string  `json:"directions_sha256"`
	Dims       int     `json:"dims"`
	Points     int     `json:"points"`
	Range      float64 `json:"range"`
	DType      string  `json:"dtype"`
}

// slicePoint is one finished grid point of a journal, I its alpha-major
// index.
type slicePoint struct {
	I             int        `json:"i"`
	TrainLoss     journalNum `json:"train_loss"`
	TrainAccuracy journalNum `json:"train_accuracy"`
	TestLoss      journalNum `json:"test_loss"`
	TestAccuracy  journalNum `json:"test_accuracy"`
}

// journalNum is a float64 that round-trips through JSON exactly, NaN and
// the infinities included (as the strings "NaN", "+Inf", "-Inf").
type journalNum float64

func (x journalNum) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return json.Marshal(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return json.Marshal(f)
}

func (x *journalNum) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(math.IsNaN(f) || math.IsInf(f, 0)) {
			return fmt.Errorf("number %q: want a JSON number, or NaN, +Inf or -Inf", s)
		}
		*x = journalNum(f)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*x = journalNum(f)
	return nil
}

// hashFloats is the hex SHA-256 of the little-endian bytes of the vectors.
func hashFloats(vs ...[]float64) string {
	h := sha256.New()
	var buf [8]byte
	for _, v := range vs {
		for _, x := range v {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sliceJournal appends a slice's finished points to its journal, at most
// once a second (and on close), so that a killed run loses at most a
// second of points and a fast slice is not slowed by a sync per point.
type sliceJournal struct {
	path  string
	lock  *outfile.Lock
	f     *jsonl.Appender
	buf   []slicePoint
	last  time.Time
	every time.Duration
}

// openSliceJournal opens (or creates) the journal at path for hdr and
// returns it with the points already in it (o.Resume).
func openSliceJournal(path string, hdr sliceJournalHeader, o SliceOptions) (*sliceJournal, map[int]slicePoint, error) {
	lock, err := outfile.Acquire(path)
	if err != nil {
		return nil, nil, fmt.Errorf("slice: %w", err)
	}
	fail := func(err error) (*sliceJournal, map[int]slicePoint, error) {
		lock.Release()
		return nil, nil, err
	}
	raw, exists, err := jsonl.ReadExisting(path)
	if err != nil {
		return fail(fmt.Errorf("slice: %w", err))
	}
	if exists && len(raw) > 0 && !o.Resume && !o.Overwrite {
		return fail(fmt.Errorf("slice: journal %s exists: give --resume to continue it, or --overwrite to start it again", path))
	}
	done := map[int]slicePoint{}
	var good int64
	haveHeader := false
	if exists && o.Resume {
		total := hdr.Points
		if hdr.Dims == 2 {
			total *= hdr.Points
		}
		scan, err := jsonl.Parse(raw, path, "slice journal", func(n int, b []byte) error {
			if n == 1 {
				var fh sliceJournalHeader
				if err := jsonl.Strict(b, &fh); err != nil || fh.Format != SliceJournalFormat {
					return jsonl.Fatal(fmt.Errorf("slice: %s is not a slice journal (its first line is not a %s header)", path, SliceJournalFormat))
				}
				if d := jsonl.Diff(fh, hdr); len(d) > 0 {
					return jsonl.Fatal(fmt.Errorf("slice: journal %s was made with other settings, so it cannot be resumed with these: %s", path, strings.Join(d, "; ")))
				}
				haveHeader = true
				return nil
			}
			var p slicePoint
			if err := jsonl.Strict(b, &p); err != nil {
				return err
			}
			if p.I < 0 || p.I >= total {
				return fmt.Errorf("point index %d outside the %d points", p.I, total)
			}
			if _, dup := done[p.I]; dup {
				return jsonl.Fatal(fmt.Errorf("slice: journal %s: line %d repeats point %d", path, n, p.I))
			}
			done[p.I] = p
			return nil
		})
		if err != nil {
			return fail(err)
		}
		if scan.Dropped > 0 && o.Log != nil {
			fmt.Fprintf(o.Log, "slice: %s: dropped a half-written last line (%d bytes); its point runs again\n", path, scan.Dropped)
		}
		good = scan.Good
	}
	var first []byte
	if !haveHeader {
		done = map[int]slicePoint{}
		if first, err = json.Marshal(hdr); err != nil {
			return fail(err)
		}
	}
	f, err := jsonl.OpenAppend(path, good, first)
	if err != nil {
		return fail(fmt.Errorf("slice: %w", err))
	}
	return &sliceJournal{path: path, lock: lock, f: f, last: time.Now(), every: time.Second}, done, nil
}

// add records a finished point, writing the points held when a second has
// passed since the last write.
func (j *sliceJournal) add(p slicePoint) error {
	j.buf = append(j.buf, p)
	if time.Since(j.last) < j.every {
		return nil
	}
	return j.flush()
}

// flush writes the points held, one line each, in one write and sync.
func (j *sliceJournal) flush() error {
	j.last = time.Now()
	if len(j.buf) == 0 {
		return nil
	}
	var lines []byte
	for _, p := range j.buf {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		lines = append(append(lines, b...), '\n')
	}
	j.buf = j.buf[:0]
	if err := j.f.Append(lines[:len(lines)-1]); err != nil {
		return fmt.Errorf("slice: journal %s: %w", j.path, err)
	}
	return nil
}

// close writes the points held and releases the file.
func (j *sliceJournal) close() error {
	err := j.flush()
	err = errors.Join(err, j.f.Close())
	j.lock.Release()
	return err
}
