package reproduce

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/options"
)

// Options configure Run. The zero value runs the full reproduction at the
// papers' settings, seed 0, and draws no figures.
type Options struct {
	// Quick runs every figure at reduced size (smaller widths, fewer points
	// and networks); the tolerances follow the standard errors of those
	// sizes.
	Quick bool
	// Seed names every network and input: the replicate networks of a
	// measurement are drawn under Seed, Seed+1, ...
	Seed uint64
	// Dir, when set, receives the figures as SVG files (Figure.Images
	// names them, relative to Dir); it must exist.
	Dir string
	// Only lists the figure IDs to run (Reproduction.Figures); nil runs
	// them all.
	Only []string
	// Version and Commit are recorded in the report (netgeom's version and
	// source commit, which the library cannot know).
	Version, Commit string
	// Progress, when set, is called after each figure with the figures
	// done and their total.
	Progress options.Progress
}

// Figure is one figure of a paper, reproduced: the claim, the image, the
// checks and how to regenerate it.
type Figure struct {
	// ID names the figure in Options.Only and in the HTML ("fig3").
	ID    string `json:"id"`
	Title string `json:"title"`
	// Claim is the paper's claim in one sentence.
	Claim string `json:"claim"`
	// Settings are the sizes the figure ran at.
	Settings string `json:"settings"`
	// Command regenerates the figure and its checks exactly.
	Command string `json:"command"`
	// Related are netgeom commands that run the same experiments on their
	// own (their defaults or flags as given).
	Related []string `json:"related,omitempty"`
	// Images are the figure's files, relative to Options.Dir (none without
	// it), with a caption each.
	Images   []string `json:"images"`
	Captions []string `json:"captions"`
	Checks   []Check  `json:"checks"`
	// Observations are measured values without a theory to check them
	// against (claims of papers that give no number, quantities no model
	// predicts); they are reported, not judged.
	Observations []Observation `json:"observations,omitempty"`
	// Notes qualify the reproduction (departures from the paper, models
	// reconstructed without the paper's text).
	Notes   []string `json:"notes,omitempty"`
	Seconds float64  `json:"seconds"`
}

// Observation is a measured value reported without a verdict.
type Observation struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	StdErr  float64 `json:"std_err,omitempty"`
	Samples int     `json:"samples,omitempty"`
	Note    string  `json:"note,omitempty"`
}

// Report is a reproduction's outcome.
type Report struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Papers cites the papers reproduced.
	Papers []string `json:"papers"`
	Quick  bool     `json:"quick"`
	Seed   uint64   `json:"seed"`
	// Command regenerates the whole report.
	Command string `json:"command"`

	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
	Backend string `json:"backend"`
	Device  string `json:"device"`
	BLAS    string `json:"blas"`
	Threads int    `json:"threads"`
	DType   string `json:"dtype"`
	Host    string `json:"host"`
	// Date is when the run started (RFC 3339, UTC).
	Date    string  `json:"date"`
	Seconds float64 `json:"seconds"`

	Figures []Figure `json:"figures"`
	// Notes apply to the whole reproduction.
	Notes []string `json:"notes,omitempty"`
}

// Checks returns every check of every figure, in order.
func (r *Report) Checks() []Check {
	var out []Check
	for _, f := range r.Figures {
		out = append(out, f.Checks...)
	}
	return out
}

// Failed returns the checks that failed.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks() {
		if !c.Pass {
			out = append(out, c)
		}
	}
	return out
}

// Passed reports whether every check passed.
func (r *Report) Passed() bool { return len(r.Failed()) == 0 }

// Reproduction describes one of the reproductions Run knows.
type Reproduction struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Figures are the figure IDs, in order.
	Figures []string `json:"figures"`
	// Quick and Full are the estimated wall times on netgeom's 2-core test
	// machine (OpenBLAS).
	Quick time.Duration `json:"quick"`
	Full  time.Duration `json:"full"`
	order int           // List's order
	run   func(ctx context.Context, b engine.Backend, o Options, r *runner) error
}

// reproductions are registered by the files that define them.
var reproductions []Reproduction

// List returns the reproductions, in the order netgeom lists them.
func List() []Reproduction {
	out := make([]Reproduction, len(reproductions))
	copy(out, reproductions)
	sort.SliceStable(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// Lookup returns the reproduction called name.
func Lookup(name string) (Reproduction, error) {
	for _, r := range reproductions {
		if r.Name == name {
			return r, nil
		}
	}
	var names []string
	for _, r := range List() {
		names = append(names, r.Name)
	}
	return Reproduction{}, fmt.Errorf("no reproduction %q: the reproductions are %s", name, strings.Join(names, ", "))
}

// runner carries a run's state to the figure functions.
type runner struct {
	opts   Options
	rep    *Report
	figs   []string
	done   int
	prefix string // the command line up to the figure selection
}

// want reports whether figure id is to run.
func (r *runner) want(id string) bool { return r.opts.Only == nil || slices.Contains(r.opts.Only, id) }

// add records a finished figure, with its wall time since start.
func (r *runner) add(f Figure, start time.Time) { r.addTimed(f, time.Since(start)) }

// addTimed records a finished figure that took d.
func (r *runner) addTimed(f Figure, d time.Duration) {
	f.Seconds = d.Seconds()
	if f.Command == "" {
		f.Command = r.prefix + " --only " + f.ID + " --out DIR"
	}
	r.rep.Figures = append(r.rep.Figures, f)
	r.done++
	if r.opts.Progress != nil {
		r.opts.Progress(r.done, r.total())
	}
}

func (r *runner) total() int {
	if r.opts.Only == nil {
		return len(r.figs)
	}
	n := 0
	for _, id := range r.figs {
		if slices.Contains(r.opts.Only, id) {
			n++
		}
	}
	return n
}

// path returns where figure file name goes, and whether figures are drawn.
func (r *runner) path(name string) (string, bool) {
	if r.opts.Dir == "" {
		return "", false
	}
	return r.opts.Dir + string(os.PathSeparator) + name, true
}

// Run runs the reproduction called name on backend b and returns its
// report. Checks that fail are in the report (Report.Failed); an error
// means a figure could not be computed at all. ctx is checked between and
// within the figures' experiments.
func Run(ctx context.Context, b engine.Backend, name string, opts Options) (*Report, error) {
	rp, err := Lookup(name)
	if err != nil {
		return nil, &options.Error{Op: "reproduce.Run", Field: "name", Value: name, Want: err.Error()}
	}
	for _, id := range opts.Only {
		if !slices.Contains(rp.Figures, id) {
			return nil, &options.Error{Op: "reproduce.Run", Field: "Only", Value: opts.Only,
				Want: fmt.Sprintf("figure %q is not one of %s's: %s", id, name, strings.Join(rp.Figures, ", "))}
		}
	}
	if opts.Dir != "" {
		if st, err := os.Stat(opts.Dir); err != nil || !st.IsDir() {
			return nil, &options.Error{Op: "reproduce.Run", Field: "Dir", Value: opts.Dir, Want: "want an existing directory"}
		}
	}
	in := b.Info()
	host, _ := os.Hostname()
	start := time.Now()
	rep := &Report{Name: rp.Name, Title: rp.Title, Quick: opts.Quick, Seed: opts.Seed, Version: opts.Version, Commit: opts.Commit,
		Go: runtime.Version(), Backend: in.Backend, Device: in.Device, BLAS: in.BLAS, Threads: in.Threads, DType: in.DType,
		Host: host, Date: start.UTC().Format(time.RFC3339)}
	prefix := fmt.Sprintf("netgeom reproduce %s --seed %d", rp.Name, opts.Seed)
	if opts.Quick {
		prefix += " --quick"
	}
	rep.Command = prefix + " --out DIR"
	r := &runner{opts: opts, rep: rep, figs: rp.Figures, prefix: prefix}
	if err := rp.run(ctx, b, opts, r); err != nil {
		return nil, fmt.Errorf("reproduce %s: %w", name, err)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}
