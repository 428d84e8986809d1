package landscape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/options"
)

// Defaults of TakeCensusOptions (the CLI's defaults too).
const (
	DefaultCensusRestarts = 50
	DefaultCensusMaxDepth = 4 // depths 1..4
)

// TakeCensusOptions configure TakeCensus. The zero value of every field but
// Config.Data, Config.Budget and Out means the default its comment names.
type TakeCensusOptions struct {
	// Config is the census's settings (the census file's header). Data and
	// Budget are required; its other zero fields take the defaults listed
	// by Config.Normalize, except AdamSteps and WeightDecay, whose zero
	// means none (the CLI's defaults are DefaultAdamSteps and
	// DefaultWeightDecay).
	Config Config
	// Depths (hidden layers), ascending, each at least 1. Default (nil):
	// 1..DefaultCensusMaxDepth.
	Depths []int
	// Restarts per depth, 0..Restarts-1. Default (0): DefaultCensusRestarts.
	Restarts int
	// Out is the census file (JSON lines), written as restarts finish.
	// Required.
	Out string
	// Resume continues the census in Out; Overwrite starts it afresh when
	// it exists (see RunOptions). Give at most one. Default: neither, and
	// an existing Out is an error.
	Resume, Overwrite bool
	// Workers run restarts at once; the results do not depend on it.
	// Default (0): runtime.NumCPU().
	Workers int
	// Threshold is the function-space distance below which end points are
	// one stationary point. Default (0): DefaultThreshold.
	Threshold float64
	// Progress, when set, is called after every restart with the restarts
	// in the file and the restarts wanted.
	Progress options.Progress
	// Log receives messages, such as a half-written line dropped on resume
	// (nil: none).
	Log io.Writer
}

// TakeCensusResult is a census run and summarised: what `netgeom census
// --format json` prints.
type TakeCensusResult struct {
	Out       string  `json:"out"`
	Config    Config  `json:"config"` // the census file's header, normalised
	Archs     []Arch  `json:"architectures"`
	Restarts  int     `json:"restarts"`
	Threshold float64 `json:"threshold"`
	// Ran counts the restarts run by this call, Skipped those found done
	// in Out.
	Ran     int `json:"ran"`
	Skipped int `json:"skipped"`
	// Seconds is the wall time of the restarts (the summary excluded).
	Seconds float64 `json:"seconds"`
	Backend string  `json:"backend"`
	Workers int     `json:"workers"`
	// Depths summarise restarts 0..Restarts-1 of each depth (Summarize).
	Depths []DepthSummary `json:"depths"`
	// Census is the content of Out: every record, including any of other
	// depths or restarts from earlier runs.
	Census *Census `json:"-"`
}

// TakeCensus runs (or resumes) the census of opts.Config at each depth with
// restarts 0..Restarts-1 (RunCensus), writing each finished restart to
// opts.Out, and summarises each depth's end points (Summarize). When ctx
// is cancelled no new restart starts; those running finish and are
// written, and TakeCensus returns an error wrapping ctx's, with the result
// so far (Ran, Skipped and Census set, Depths nil): the census resumes
// from Out with opts.Resume.
func TakeCensus(ctx context.Context, b engine.Backend, opts TakeCensusOptions) (*TakeCensusResult, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	// Every record (its parameters, and the JSON line they are read from
	// for the summary) stays in memory: about 40 bytes a parameter.
	records := float64(len(opts.Depths)) * float64(opts.Restarts)
	if err := memory.Check(memory.Bytes(records*(40*float64(max(opts.Config.Budget, 1))+1024)+40<<20),
		fmt.Sprintf("%d restarts at %d depths", opts.Restarts, len(opts.Depths))); err != nil {
		return nil, fmt.Errorf("census: %w: use fewer restarts, depths or a smaller budget", err)
	}
	start := time.Now()
	run, err := RunCensus(ctx, b, opts.Config, opts.Depths, opts.Restarts, opts.Out, RunOptions{
		Resume: opts.Resume, Overwrite: opts.Overwrite, Workers: opts.Workers, Progress: opts.Progress, Log: opts.Log})
	seconds := time.Since(start).Seconds()
	if run.Census == nil {
		if err == nil {
			err = errors.New("census: no census read or written") // RunCensus returns a census whenever it succeeds
		}
		return nil, err
	}
	res := &TakeCensusResult{Out: opts.Out, Config: run.Census.Config, Archs: run.Archs, Restarts: opts.Restarts, Threshold: opts.Threshold,
		Ran: run.Ran, Skipped: run.Skipped, Seconds: seconds, Backend: b.Info().Backend, Workers: opts.Workers, Census: run.Census}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return res, fmt.Errorf("census: interrupted: %d restarts of %d are in %s; run it again with Resume to finish: %w",
				len(run.Census.Records), len(opts.Depths)*opts.Restarts, opts.Out, err)
		}
		return res, err
	}
	if res.Depths, err = Summarize(b, run.Census, SummaryOptions{Threshold: opts.Threshold, Depths: opts.Depths, Restarts: opts.Restarts}); err != nil {
		return res, err
	}
	return res, nil
}

// normalize fills the defaults of o and checks it (Config is checked by
// RunCensus).
func (o TakeCensusOptions) normalize() (TakeCensusOptions, error) {
	bad := func(field string, v any, want string) error {
		return &options.Error{Op: "landscape.TakeCensus", Field: field, Value: v, Want: want}
	}
	if o.Depths == nil {
		for d := 1; d <= DefaultCensusMaxDepth; d++ {
			o.Depths = append(o.Depths, d)
		}
	}
	for i, d := range o.Depths {
		if d < 1 || (i > 0 && d <= o.Depths[i-1]) {
			return o, bad("Depths", o.Depths, "want depths of at least 1 in ascending order, each once")
		}
	}
	if len(o.Depths) == 0 {
		return o, bad("Depths", o.Depths, "want at least one depth (nil: 1..4)")
	}
	if o.Restarts == 0 {
		o.Restarts = DefaultCensusRestarts
	}
	if o.Workers == 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	switch {
	case o.Restarts < 0:
		return o, bad("Restarts", o.Restarts, "want at least 1 restart per depth (0: 50)")
	case o.Workers < 0:
		return o, bad("Workers", o.Workers, "want at least 1 worker (0: one per CPU)")
	case !(o.Threshold > 0) || math.IsInf(o.Threshold, 0):
		return o, bad("Threshold", o.Threshold, "want a positive, finite function-space distance")
	case o.Out == "":
		return o, bad("Out", o.Out, "give the census file (JSON lines)")
	case o.Resume && o.Overwrite:
		return o, bad("Overwrite", true, "Resume and Overwrite exclude each other: give one")
	}
	return o, nil
}
