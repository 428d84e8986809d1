package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/netgeom/netgeom/internal/jsonl"
	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/options"
)

// Task runs point i of the sweep and returns its JSON result. A
// *PointError is the point's own failure (the command exited with an
// error): it is recorded in the file. Any other error (the task was
// killed, the context cancelled, the program could not start) stops the
// run without a record, so that the point runs again on resume. Run
// calls it with a ctx that carries the worker it runs on, 0 to Jobs-1
// (TaskSlot), so that a task can keep to that worker's share of the
// machine.
type Task func(ctx context.Context, i int) (json.RawMessage, error)

type slotKey struct{}

// TaskSlot is the worker of Run that runs the task with this context, 0
// to Jobs-1; ok is false outside Run.
func TaskSlot(ctx context.Context) (slot int, ok bool) {
	slot, ok = ctx.Value(slotKey{}).(int)
	return slot, ok
}

// PointError is a point's failure, recorded in its record's Error.
type PointError struct {
	Msg string
}

func (e *PointError) Error() string { return e.Msg }

// RunOptions configure Run.
type RunOptions struct {
	// Spec is the sweep, with the shard to run (zero: every point).
	Spec Spec
	// Out is the sweep's file, NAME.jsonl; a shard writes its own file,
	// ShardPath(Out, Spec.Shard).
	Out string
	// Task runs a point.
	Task Task
	// Jobs run points at once (0: 1). Records do not depend on it.
	Jobs int
	// KeepGoing runs the other points after a point fails (the run still
	// returns an error naming the failures); without it the run stops
	// starting points at the first failure.
	KeepGoing bool
	// Overwrite starts the file afresh when it exists; without it an
	// existing file is resumed, and must hold the same sweep.
	Overwrite bool
	// Progress is called after every point with the points done (with a
	// record in the file) and the points of the shard.
	Progress options.Progress
	// Log receives messages (nil: none); with Verbose, one line per point.
	Log     io.Writer
	Verbose bool
}

// RunResult reports a Run.
type RunResult struct {
	Path string `json:"path"` // the file written
	// Points is the number of points of the shard; Ran counts the points
	// run by this call, Skipped those found done in the file, Failed the
	// points whose record is a failure.
	Points  int `json:"points"`
	Ran     int `json:"ran"`
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	// Complete reports that every point of the shard has a record.
	Complete bool    `json:"complete"`
	Seconds  float64 `json:"seconds"`
}

// Run runs the points of the shard of opt.Spec that its file does not
// hold yet, appending each one's record as it ends (fsynced), and holds
// the file's lock (outfile.Acquire) from before it reads the file until it
// returns. When the file exists it is resumed: its header must equal the
// spec (else the error names the settings that differ), finished points
// are skipped, failed ones retried, and a half-written last line dropped
// (and said so on Log) and its point run again. When every point has a
// record the file is rewritten, if needed, in canonical order: a sweep
// killed and resumed ends as the same bytes, apart from the seconds, as
// one run straight through. When ctx is cancelled no new point starts,
// the running ones are stopped (their points run again on resume) and
// ctx's error returned with the result so far.
func Run(ctx context.Context, opt RunOptions) (*RunResult, error) {
	start := time.Now()
	sp := opt.Spec
	if err := sp.Check(); err != nil {
		return nil, err
	}
	if opt.Task == nil || opt.Jobs < 0 || opt.Out == "" {
		return nil, errors.New("sweep: RunOptions need a Task, an Out file and Jobs >= 0")
	}
	logf := func(format string, args ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", args...)
		}
	}
	path := ShardPath(opt.Out, sp.Shard)
	lock, err := outfile.Acquire(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer lock.Release()
	raw, exists, err := jsonl.ReadExisting(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var p parsedFile
	if exists && !opt.Overwrite {
		if p, err = parseFile(raw, path); err != nil {
			return nil, err
		}
		if p.file != nil {
			if d := jsonl.Diff(p.file.Spec, sp); len(d) > 0 {
				return nil, fmt.Errorf("sweep: %s holds another sweep, so it cannot be resumed with these settings: %s; give --overwrite to start it again", path, strings.Join(d, "; "))
			}
		}
		if p.scan.Dropped > 0 {
			logf("sweep: %s: dropped a half-written last line (%d bytes); its point runs again", path, p.scan.Dropped)
		}
	}
	var hdr []byte
	if p.file == nil {
		p = parsedFile{file: &File{Spec: sp, Records: map[int]Record{}}, canonical: true}
		if hdr, err = marshalLine(sp); err != nil {
			return nil, err
		}
	}
	f, err := jsonl.OpenAppend(path, p.scan.Good, hdr)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer f.Close()
	file := p.file

	res := &RunResult{Path: path}
	var todo []int
	retried := 0
	for i := 0; i < sp.Points; i++ {
		if !sp.Shard.Has(i) {
			continue
		}
		res.Points++
		r, ok := file.Records[i]
		switch {
		case ok && !r.Failed():
			res.Skipped++
		case ok:
			retried++
			fallthrough
		default:
			todo = append(todo, i)
		}
	}
	if res.Skipped > 0 || retried > 0 {
		logf("sweep: %s: %d of %d points already done; running the other %d (%d of them failed before and are retried)", path, res.Skipped, res.Points, len(todo), retried)
	}
	if opt.Progress != nil {
		opt.Progress(res.Skipped, res.Points)
	}

	var (
		mu       sync.Mutex
		stop     error // a failure that stops the run (not recorded)
		failures []Record
		next     int
		done     = res.Skipped
		last     = -1 // the largest index in the file
	)
	for i := range file.Records {
		last = max(last, i)
	}
	var wg sync.WaitGroup
	for w := 0; w < min(max(opt.Jobs, 1), len(todo)); w++ {
		wg.Add(1)
		slotCtx := context.WithValue(ctx, slotKey{}, w)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if stop != nil || next == len(todo) || ctx.Err() != nil || (len(failures) > 0 && !opt.KeepGoing) {
					mu.Unlock()
					return
				}
				i := todo[next]
				next++
				mu.Unlock()
				t0 := time.Now()
				result, err := opt.Task(slotCtx, i)
				rec := Record{Index: i, Point: sp.Grid.PointJSON(i), Seed: sp.PointSeed(i), Seconds: time.Since(t0).Seconds()}
				var pe *PointError
				switch {
				case err == nil:
					rec.Result = result
				case errors.As(err, &pe) && ctx.Err() == nil:
					rec.Error = pe.Msg
				default:
					mu.Lock()
					if stop == nil {
						if ctx.Err() != nil {
							stop = ctx.Err()
						} else {
							stop = fmt.Errorf("sweep: point %d (%s): %w", i, sp.Label(i), err)
						}
					}
					mu.Unlock()
					return
				}
				line, err := marshalLine(&rec)
				mu.Lock()
				if err == nil {
					err = f.Append(line)
				}
				if err != nil {
					if stop == nil {
						stop = fmt.Errorf("sweep: %s: %w", path, err)
					}
					mu.Unlock()
					return
				}
				if _, had := file.Records[i]; had || i < last {
					p.canonical = false // a superseded failure, or out of order
				}
				last = max(last, i)
				file.Records[i] = rec
				res.Ran++
				done++
				if rec.Failed() {
					failures = append(failures, rec)
				}
				if opt.Verbose {
					state := "done"
					if rec.Failed() {
						state = "FAILED"
					}
					logf("sweep: point %d (%s) %s in %.1fs (%d of %d)", i, sp.Label(i), state, rec.Seconds, done, res.Points)
					if rec.Failed() {
						logf("sweep: point %d: %s", i, rec.Error)
					}
				}
				if opt.Progress != nil {
					opt.Progress(done, res.Points)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, r := range file.Records {
		if r.Failed() {
			res.Failed++
		}
	}
	res.Complete = done == res.Points
	res.Seconds = time.Since(start).Seconds()
	if stop != nil {
		return res, stop
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if res.Complete && !p.canonical {
		lines, err := file.lines()
		if err == nil {
			err = jsonl.Rewrite(path, lines)
		}
		if err != nil {
			return res, fmt.Errorf("sweep: rewrite %s: %w", path, err)
		}
	}
	if len(failures) > 0 {
		r := failures[0]
		more := ""
		if res.Failed > 1 {
			more = fmt.Sprintf(" (%d points failed; netgeom sweep status lists them)", res.Failed)
		}
		if !opt.KeepGoing && !res.Complete {
			more += "; the other points were not started (--keep-going runs them)"
		}
		return res, fmt.Errorf("sweep: point %d (%s) failed: %s%s", r.Index, sp.Label(r.Index), r.Error, more)
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("sweep: %d points failed (netgeom sweep status lists them)", res.Failed)
	}
	return res, nil
}
