package landscape

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/jsonl"
	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/options"
)

// A census file is JSON lines: the first line is the Config (the header),
// every further line one Record. RunCensus appends each restart's line as
// soon as the restart ends and fsyncs it, so a killed census loses at most
// the restarts in progress. When the census is complete the file is
// rewritten, if needed, in the canonical order (header, then records by
// depth and restart) through a temporary file renamed into place; so a
// census killed and resumed any number of times ends as the same bytes as
// one run straight through (every record being a function of the header,
// its depth and its restart).

// Census is the content of a census file.
type Census struct {
	Config  Config
	Records []Record // canonical order: by depth, then restart
}

// Find returns the record of (depth, restart), if present.
func (c *Census) Find(depth, restart int) (Record, bool) {
	i, ok := slices.BinarySearchFunc(c.Records, [2]int{depth, restart}, func(r Record, k [2]int) int { return compareKeys(r.Key(), k) })
	if !ok {
		return Record{}, false
	}
	return c.Records[i], true
}

func compareKeys(a, b [2]int) int {
	if a[0] != b[0] {
		return a[0] - b[0]
	}
	return a[1] - b[1]
}

// parsed is a census file as read: the census, the length of its valid
// prefix, what was dropped and whether the records were in canonical order.
type parsed struct {
	census    *Census // nil when not even the header is complete
	good      int64   // bytes of complete, valid lines
	dropped   int     // bytes of the partial last line dropped
	canonical bool
}

// parseCensus reads census bytes. A last line without its newline, or one
// that is not valid JSON, is a half-written line: it is dropped (reported
// in dropped). Any other malformed line is an error.
func parseCensus(raw []byte, name string) (parsed, error) {
	var p parsed
	p.canonical = true
	seen := map[[2]int]bool{}
	s, err := jsonl.Parse(raw, name, "census", func(lineNo int, line []byte) error {
		if p.census == nil {
			var cfg Config
			if err := jsonl.Strict(line, &cfg); err != nil {
				return err
			}
			if cfg.Format != CensusFormat {
				return jsonl.Fatal(fmt.Errorf("%s: line 1: not a census file of this format (format %q, expected %q)", name, cfg.Format, CensusFormat))
			}
			p.census = &Census{Config: cfg}
			return nil
		}
		var r Record
		if err := jsonl.Strict(line, &r); err != nil {
			return err
		}
		if seen[r.Key()] {
			return jsonl.Fatal(fmt.Errorf("%s: line %d: depth %d restart %d appears twice", name, lineNo, r.Depth, r.Restart))
		}
		seen[r.Key()] = true
		rs := p.census.Records
		if len(rs) > 0 && compareKeys(rs[len(rs)-1].Key(), r.Key()) > 0 {
			p.canonical = false
		}
		p.census.Records = append(rs, r)
		return nil
	})
	p.good, p.dropped = s.Good, s.Dropped
	if err != nil {
		return p, err
	}
	if p.census != nil {
		slices.SortFunc(p.census.Records, func(a, b Record) int { return compareKeys(a.Key(), b.Key()) })
	}
	return p, nil
}

// ReadCensus reads a census file. A half-written last line is ignored.
func ReadCensus(path string) (*Census, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read census: %w", err)
	}
	p, err := parseCensus(raw, path)
	if err != nil {
		return nil, err
	}
	if p.census == nil {
		return nil, fmt.Errorf("%s: no complete header line: not a census file, or one killed before its first line was written", path)
	}
	return p.census, nil
}

// RunOptions configure RunCensus.
type RunOptions struct {
	// Resume continues the census in the file: its header must equal the
	// Config; restarts already there are skipped; a half-written last line
	// is dropped (and said so on Log) and its restart redone. Without
	// Resume an existing file is an error, unless Overwrite.
	Resume, Overwrite bool
	// Workers run restarts concurrently (0: 1). Records do not depend on
	// it; lines are appended in the order restarts finish, and the
	// finished file is sorted.
	Workers int
	// Limit stops after this many new restarts (0: no limit), leaving the
	// census incomplete for a later Resume.
	Limit int
	// Progress is called after every restart with the restarts finished
	// (in the file) and wanted.
	Progress options.Progress
	// Log receives messages (nil: none).
	Log io.Writer
}

// RunResult reports a RunCensus call.
type RunResult struct {
	Census *Census
	Archs  []Arch
	// Ran counts the restarts run by this call, Skipped those found in the
	// file; Complete reports that every wanted restart is in the file.
	Ran, Skipped int
	Complete     bool
}

// RunCensus runs restarts 0..restarts-1 of every depth of the census cfg,
// writing them to the census file at path, and returns the census (all the
// file's records, including any of other depths or restarts from earlier
// runs). When ctx is cancelled it starts no new restart, lets those in
// progress finish and be written, and returns ctx's error with the result
// so far. It holds the file's lock (outfile.Acquire, the lock file
// PATH.lock) from before it reads the file until it returns: while one
// process runs a census, another one on the same file fails at once with
// an error naming the first one's process ID.
func RunCensus(ctx context.Context, b engine.Backend, cfg Config, depths []int, restarts int, path string, opt RunOptions) (RunResult, error) {
	cfg, err := cfg.Normalize()
	if err != nil {
		return RunResult{}, err
	}
	if restarts < 1 || opt.Workers < 0 || opt.Limit < 0 {
		return RunResult{}, fmt.Errorf("census: %d restarts, %d workers, limit %d; want >= 1, >= 0, >= 0", restarts, opt.Workers, opt.Limit)
	}
	workers := max(opt.Workers, 1)
	logf := func(format string, args ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", args...)
		}
	}
	// One process at a time appends to a census: a second one would
	// splice its lines into the first's.
	lock, err := outfile.Acquire(path)
	if err != nil {
		return RunResult{}, fmt.Errorf("census: %w", err)
	}
	defer lock.Release()
	p, err := Prepare(b, cfg)
	if err != nil {
		return RunResult{}, err
	}
	defer p.Close()
	archs, err := p.Architectures(depths)
	if err != nil {
		return RunResult{}, err
	}

	f, census, canonical, err := openCensus(path, cfg, opt, logf)
	if err != nil {
		return RunResult{}, err
	}
	defer f.Close()
	res := RunResult{Census: census, Archs: archs}
	type job struct {
		a Arch
		r int
	}
	var jobs []job
	for _, a := range archs {
		for r := 0; r < restarts; r++ {
			if old, ok := census.Find(a.Depth, r); ok {
				if !slices.Equal(old.Widths, a.Widths) {
					return res, fmt.Errorf("%s: depth %d restart %d has widths %v; this census gives depth %d the widths %v", path, a.Depth, r, old.Widths, a.Depth, a.Widths)
				}
				res.Skipped++
				continue
			}
			jobs = append(jobs, job{a, r})
		}
	}
	total := len(archs) * restarts
	if res.Skipped > 0 {
		logf("census: %d of %d restarts already in %s; running the other %d", res.Skipped, total, path, len(jobs))
	}
	if opt.Limit > 0 && len(jobs) > opt.Limit {
		jobs = jobs[:opt.Limit]
	}
	if opt.Progress != nil {
		opt.Progress(res.Skipped, total)
	}

	var (
		mu     sync.Mutex
		failed error
		next   int
	)
	fresh := make([]Record, 0, len(jobs))
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if failed != nil || next == len(jobs) || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				j := jobs[next]
				next++
				mu.Unlock()
				rec, err := p.RunRestart(b, j.a, j.r)
				if err == nil {
					var line []byte
					if line, err = json.Marshal(rec); err == nil {
						mu.Lock()
						err = f.Append(line)
						if err == nil {
							fresh = append(fresh, rec)
							if opt.Progress != nil {
								opt.Progress(res.Skipped+len(fresh), total)
							}
						}
						mu.Unlock()
					}
				}
				if err != nil {
					mu.Lock()
					if failed == nil {
						failed = fmt.Errorf("census: depth %d restart %d: %w", j.a.Depth, j.r, err)
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	res.Ran = len(fresh)
	for _, r := range fresh {
		if len(census.Records) > 0 && compareKeys(census.Records[len(census.Records)-1].Key(), r.Key()) > 0 {
			canonical = false
		}
		census.Records = append(census.Records, r)
	}
	slices.SortFunc(census.Records, func(a, b Record) int { return compareKeys(a.Key(), b.Key()) })
	if failed != nil {
		return res, failed
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Complete = res.Skipped+res.Ran == total
	if res.Complete && !canonical {
		if err := f.Close(); err != nil {
			return res, err
		}
		if err := writeCensus(path, census); err != nil {
			return res, err
		}
	}
	return res, nil
}

// openCensus opens (or creates) the census file for appending, after
// checking or writing its header, and returns the census already there and
// whether its records are in canonical order.
func openCensus(path string, cfg Config, opt RunOptions, logf func(string, ...any)) (*jsonl.Appender, *Census, bool, error) {
	raw, exists, err := jsonl.ReadExisting(path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("census: %w", err)
	}
	if exists && !opt.Resume && !opt.Overwrite {
		return nil, nil, false, fmt.Errorf("census: %s exists: give --resume to continue it, or --overwrite to start it again", path)
	}
	var p parsed
	if exists && opt.Resume {
		if p, err = parseCensus(raw, path); err != nil {
			return nil, nil, false, err
		}
		if p.census != nil {
			if d := p.census.Config.diff(cfg); len(d) > 0 {
				return nil, nil, false, fmt.Errorf("census: %s was made with other settings, so it cannot be resumed with these: %s", path, strings.Join(d, "; "))
			}
		}
		if p.dropped > 0 {
			logf("census: %s: dropped a half-written last line (%d bytes); its restart runs again", path, p.dropped)
		}
	}
	var hdr []byte
	if p.census == nil { // new file, overwrite, or no complete header
		p = parsed{census: &Census{Config: cfg}, canonical: true}
		if hdr, err = json.Marshal(cfg); err != nil {
			return nil, nil, false, fmt.Errorf("census: %s: %w", path, err)
		}
	}
	f, err := jsonl.OpenAppend(path, p.good, hdr)
	if err != nil {
		return nil, nil, false, fmt.Errorf("census: %w", err)
	}
	return f, p.census, p.canonical, nil
}

// writeCensus writes c to path in canonical order through a temporary file
// in the same directory, fsynced and renamed into place (outfile.Write).
func writeCensus(path string, c *Census) error {
	hdr, err := json.Marshal(c.Config)
	if err != nil {
		return err
	}
	lines := [][]byte{hdr}
	for _, r := range c.Records {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		lines = append(lines, line)
	}
	if err := jsonl.Rewrite(path, lines); err != nil {
		return fmt.Errorf("census: rewrite: %w", err)
	}
	return nil
}
