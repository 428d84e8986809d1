package landscape

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/options"
)

// The claims Compare tests, in Becker, Zhang and Lee's abstract's order:
// at a fixed parameter count, more depth gives fewer minima, more
// clustered minima and a milder trade-off between the depth (loss) and the
// width (flatness) of minima.
const (
	ClaimFewerMinima     = "fewer-minima"
	ClaimMoreClustered   = "more-clustered"
	ClaimMilderLoss      = "milder-tradeoff-loss"
	ClaimMilderObjective = "milder-tradeoff-objective"
)

// Verdicts of a Claim.
const (
	Supported     = "supported"
	Contradicted  = "contradicted"
	Undecided     = "undecided"
	NotMeasurable = "not measurable"
)

// MinBootstrapMinima is the fewest distinct minima a depth needs for its
// distance, overlap and slope statistics and their intervals: with two,
// half the resamples hold one minimum twice and no pair, and a slope
// through two points has no spread to resample.
const MinBootstrapMinima = 3

// CompareOptions configure Compare. Zero values are the defaults named.
type CompareOptions struct {
	// Config is every census's settings but the data set and the weight
	// decay, which Datasets and WeightDecays give (its Data and
	// WeightDecay are ignored). Budget is required.
	Config Config
	// Datasets are the data sets (Config.Data's names). Required.
	Datasets []string
	// WeightDecays are the regularisation strengths, one census each per
	// data set (nil: DefaultWeightDecay alone); 0 is allowed with a loss
	// whose minima are at finite weights.
	WeightDecays []float64
	// Depths (ascending, at least two) and Restarts per depth, as
	// TakeCensus takes them (nil: 1..4; 0: DefaultCensusRestarts).
	Depths   []int
	Restarts int
	// Dir receives one census file per data set and weight decay,
	// DATA-wdDECAY.jsonl. Required. Resume continues them; Overwrite starts
	// them afresh (at most one; with neither an existing file is an error).
	Dir               string
	Resume, Overwrite bool
	// Workers, Threshold: as TakeCensusOptions.
	Workers   int
	Threshold float64
	// Bootstrap replicates per interval (0: DefaultBootstrap), drawn from
	// Config.Seed.
	Bootstrap int
	// Progress is called after every restart with the restarts done and
	// wanted over all the censuses.
	Progress options.Progress
	Log      io.Writer
}

// CompareResult is what Compare found: `netgeom landscape compare
// --format json`.
type CompareResult struct {
	Budget    int          `json:"budget"`
	Depths    []int        `json:"depths"`
	Restarts  int          `json:"restarts"`
	Bootstrap int          `json:"bootstrap"`
	Threshold float64      `json:"threshold"`
	Runs      []CompareRun `json:"runs"`
	Backend   string       `json:"backend"`
	Seconds   float64      `json:"seconds"`
}

// CompareRun is one data set at one weight decay: its census, each depth's
// statistics and the claims tested on them.
type CompareRun struct {
	Data        string         `json:"data"`
	WeightDecay float64        `json:"weight_decay"`
	Census      string         `json:"census"`
	Config      Config         `json:"config"`
	Depths      []DepthMeasure `json:"depths"`
	Claims      []Claim        `json:"claims"`
}

// DepthMeasure is one depth's statistics, each with its interval. The
// intervals resample the depth's distinct minima; they are absent (nil)
// with fewer than MinBootstrapMinima distinct minima, or where the
// statistic is undefined on more than half of the resamples.
type DepthMeasure struct {
	Depth     int   `json:"depth"`
	Widths    []int `json:"widths"`
	Params    int   `json:"params"`
	Restarts  int   `json:"restarts"`
	Converged int   `json:"converged"`
	// Minima are the converged restarts at minima; DistinctMinima the
	// distinct ones; Estimate the Chao1 estimate of the distinct minima
	// descent reaches, seen and unseen, with its 95% interval.
	Minima         int              `json:"minima"`
	DistinctMinima int              `json:"distinct_minima"`
	Estimate       *energy.Richness `json:"estimate,omitempty"`
	// Distance is the median over pairs of distinct minima of the aligned
	// relative parameter distance; Overlap the median aligned overlap.
	Distance *Interval `json:"distance,omitempty"`
	Overlap  *Interval `json:"overlap,omitempty"`
	// SlopeLoss and SlopeObjective are the least-squares slopes, over the
	// distinct minima, of the training data loss and of the regularised
	// objective on the log-volume per parameter: positive when lower
	// minima are narrower (a trade-off between depth and width).
	SlopeLoss      *Interval `json:"slope_loss,omitempty"`
	SlopeObjective *Interval `json:"slope_objective,omitempty"`
}

// Claim is one claim tested between the shallowest and the deepest depth.
type Claim struct {
	Name string `json:"name"`
	// Statistic says what is compared; Shallow and Deep are the depths.
	Statistic string `json:"statistic"`
	Shallow   int    `json:"shallow"`
	Deep      int    `json:"deep"`
	// Difference is the deep depth's statistic less the shallow one's,
	// with a bootstrap interval resampling both depths independently (for
	// the minima count: the two Chao1 estimates' interval ends instead).
	Difference *Interval `json:"difference,omitempty"`
	// Verdict: Supported when the interval lies wholly on the claim's side
	// of zero, Contradicted when wholly on the other, Undecided when it
	// covers zero, NotMeasurable when a depth lacks the statistic.
	Verdict string `json:"verdict"`
}

// Compare runs, for every data set and weight decay, a census across depth
// at a fixed parameter budget (TakeCensus) and tests Becker, Zhang and
// Lee's three claims on it: fewer minima (Chao1 estimates of the distinct
// minima), more clustered minima (median aligned distance between distinct
// minima) and a milder depth-width trade-off (slope of the loss on the
// log-volume per parameter, for the data loss and the regularised objective
// separately), each between the shallowest and the deepest depth, with
// 95% intervals. It is a test of the claims under netgeom's definitions,
// not a replication of the paper's figures.
func Compare(ctx context.Context, b engine.Backend, opts CompareOptions) (*CompareResult, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res := &CompareResult{Budget: opts.Config.Budget, Depths: opts.Depths, Restarts: opts.Restarts, Bootstrap: opts.Bootstrap,
		Threshold: opts.Threshold, Backend: b.Info().Backend}
	total := len(opts.Datasets) * len(opts.WeightDecays) * len(opts.Depths) * opts.Restarts
	done := 0
	for _, data := range opts.Datasets {
		for _, wd := range opts.WeightDecays {
			cfg := opts.Config
			cfg.Data, cfg.WeightDecay = data, wd
			out := filepath.Join(opts.Dir, CensusFileName(data, wd))
			base := done
			tc, err := TakeCensus(ctx, b, TakeCensusOptions{Config: cfg, Depths: opts.Depths, Restarts: opts.Restarts, Out: out,
				Resume: opts.Resume, Overwrite: opts.Overwrite, Workers: opts.Workers, Threshold: opts.Threshold, Log: opts.Log,
				Progress: func(d, _ int) {
					if opts.Progress != nil {
						opts.Progress(base+d, total)
					}
				}})
			if err != nil {
				return res, fmt.Errorf("landscape compare: %s, weight decay %g: %w", data, wd, err)
			}
			done += len(opts.Depths) * opts.Restarts
			run, err := measureRun(tc, opts.Bootstrap, opts.Config.Seed)
			if err != nil {
				return res, fmt.Errorf("landscape compare: %s, weight decay %g: %w", data, wd, err)
			}
			res.Runs = append(res.Runs, run)
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// CensusFileName is the census file Compare writes for a data set and a
// weight decay: the data set's name with every character other than
// letters, digits, '.', '_' and '-' replaced by '_', then -wd and the
// decay.
func CensusFileName(data string, wd float64) string {
	return unsafeName.ReplaceAllString(data, "_") + "-wd" + strconv.FormatFloat(wd, 'g', -1, 64) + ".jsonl"
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func (o CompareOptions) normalize() (CompareOptions, error) {
	bad := func(field string, v any, want string) error {
		return &options.Error{Op: "landscape.Compare", Field: field, Value: v, Want: want}
	}
	if o.WeightDecays == nil {
		o.WeightDecays = []float64{DefaultWeightDecay}
	}
	if o.Depths == nil {
		for d := 1; d <= DefaultCensusMaxDepth; d++ {
			o.Depths = append(o.Depths, d)
		}
	}
	if o.Restarts == 0 {
		o.Restarts = DefaultCensusRestarts
	}
	if o.Bootstrap == 0 {
		o.Bootstrap = DefaultBootstrap
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	seen := map[string]bool{}
	for _, d := range o.Datasets {
		if d == "" || seen[d] {
			return o, bad("Datasets", o.Datasets, "want distinct, non-empty data set names")
		}
		seen[d] = true
	}
	names := map[string]bool{}
	for _, wd := range o.WeightDecays {
		if !(wd >= 0) || math.IsInf(wd, 0) {
			return o, bad("WeightDecays", o.WeightDecays, "want finite weight decays >= 0")
		}
		name := CensusFileName("", wd)
		if names[name] {
			return o, bad("WeightDecays", o.WeightDecays, "want each weight decay once")
		}
		names[name] = true
	}
	switch {
	case len(o.Datasets) == 0:
		return o, bad("Datasets", o.Datasets, "want at least one data set")
	case len(o.WeightDecays) == 0:
		return o, bad("WeightDecays", o.WeightDecays, "want at least one weight decay (nil: 0.01)")
	case len(o.Depths) < 2:
		return o, bad("Depths", o.Depths, "want at least two depths to compare")
	case o.Restarts < 2:
		return o, bad("Restarts", o.Restarts, "want at least 2 restarts per depth (0: 50)")
	case o.Bootstrap < 100:
		return o, bad("Bootstrap", o.Bootstrap, "want at least 100 replicates (0: 2000)")
	case o.Dir == "":
		return o, bad("Dir", o.Dir, "give the directory for the census files")
	}
	if fi, err := os.Stat(o.Dir); err != nil || !fi.IsDir() {
		return o, bad("Dir", o.Dir, "want an existing directory")
	}
	return o, nil
}

// measureRun computes each depth's statistics and the claims from a
// census. The bootstrap draws from a generator seeded by seed, the run's
// data set and weight decay, so the intervals are a function of the
// census and the options.
func measureRun(tc *TakeCensusResult, reps int, seed uint64) (CompareRun, error) {
	cfg := tc.Config
	run := CompareRun{Data: cfg.Data, WeightDecay: cfg.WeightDecay, Census: tc.Out, Config: cfg}
	stream := uint64(0)
	for _, c := range CensusFileName(cfg.Data, cfg.WeightDecay) {
		stream = stream*31 + uint64(c)
	}
	rng := rand.New(rand.NewPCG(seed, stream))
	type sample struct{ loss, obj, lv []float64 }
	samples := make([]sample, len(tc.Depths))
	dists := make([]func(i, j int) float64, len(tc.Depths))
	for k, d := range tc.Depths {
		m := DepthMeasure{Depth: d.Depth, Widths: d.Widths, Params: d.Params, Restarts: d.Restarts, Converged: d.Converged,
			Minima: d.Minima, DistinctMinima: d.DistinctMinima, Estimate: d.MinimaEstimate}
		n := len(d.MinimaRestarts)
		var s sample
		for _, r := range d.MinimaRestarts {
			rec, ok := tc.Census.Find(d.Depth, r)
			if !ok || rec.Hessian == nil {
				return run, fmt.Errorf("depth %d: restart %d of the summary is not in the census", d.Depth, r)
			}
			s.loss = append(s.loss, rec.TrainLoss)
			s.obj = append(s.obj, rec.Objective)
			s.lv = append(s.lv, rec.Hessian.LogVolume/float64(rec.Params))
		}
		samples[k] = s
		buf := make([]float64, 0, n*n)
		dists[k] = pairLookup(n, d.ParamDistances)
		ovl := pairLookup(n, d.Overlaps)
		if n < MinBootstrapMinima {
			run.Depths = append(run.Depths, m)
			continue
		}
		m.Distance = bootstrap(n, reps, rng, func(idx []int) (float64, bool) { return pairMedian(dists[k], idx, buf) })
		m.Overlap = bootstrap(n, reps, rng, func(idx []int) (float64, bool) { return pairMedian(ovl, idx, buf) })
		m.SlopeLoss = bootstrap(n, reps, rng, func(idx []int) (float64, bool) { return slopeOf(s.lv, s.loss, idx) })
		m.SlopeObjective = bootstrap(n, reps, rng, func(idx []int) (float64, bool) { return slopeOf(s.lv, s.obj, idx) })
		run.Depths = append(run.Depths, m)
	}
	lo, hi := 0, len(tc.Depths)-1
	shallow, deep := tc.Depths[lo], tc.Depths[hi]
	claim := func(name, stat string) Claim {
		return Claim{Name: name, Statistic: stat, Shallow: shallow.Depth, Deep: deep.Depth, Verdict: NotMeasurable}
	}
	// Fewer minima: the Chao1 estimates' 95% intervals, which do not
	// overlap when the claim (or its opposite) is borne out.
	c := claim(ClaimFewerMinima, "Chao1 estimate of the distinct minima descent reaches (deep - shallow; interval: the two 95% intervals' far ends)")
	if a, z := shallow.MinimaEstimate, deep.MinimaEstimate; a != nil && z != nil {
		c.Difference = &Interval{Value: z.Chao1 - a.Chao1, Lower: z.Lower - a.Upper, Upper: z.Upper - a.Lower, N: 2}
		c.Verdict = verdict(c.Difference, -1)
	}
	run.Claims = append(run.Claims, c)
	// The others: the difference of the statistic, resampling both
	// depths' distinct minima independently.
	dl, dz := len(shallow.MinimaRestarts), len(deep.MinimaRestarts)
	diff := func(name, stat string, side int, f func(k int, idx []int, buf []float64) (float64, bool)) {
		c := claim(name, stat)
		bufA, bufZ := make([]float64, 0, dl*dl), make([]float64, 0, dz*dz)
		joint := func(idx []int) (float64, bool) {
			a, ok1 := f(lo, idx[:dl], bufA)
			z, ok2 := f(hi, idx[dl:], bufZ)
			return z - a, ok1 && ok2
		}
		if dl >= MinBootstrapMinima && dz >= MinBootstrapMinima {
			c.Difference = bootstrapPair(dl, dz, reps, rng, joint)
			if c.Difference != nil {
				c.Verdict = verdict(c.Difference, side)
			}
		}
		run.Claims = append(run.Claims, c)
	}
	diff(ClaimMoreClustered, "median aligned relative distance between distinct minima (deep - shallow)", -1,
		func(k int, idx []int, buf []float64) (float64, bool) { return pairMedian(dists[k], idx, buf) })
	diff(ClaimMilderLoss, "slope of the data loss on the log-volume per parameter over distinct minima (deep - shallow)", -1,
		func(k int, idx []int, _ []float64) (float64, bool) {
			s := samples[k]
			return slopeOf(s.lv, s.loss, idx)
		})
	diff(ClaimMilderObjective, "slope of the regularised objective on the log-volume per parameter over distinct minima (deep - shallow)", -1,
		func(k int, idx []int, _ []float64) (float64, bool) { s := samples[k]; return slopeOf(s.lv, s.obj, idx) })
	return run, nil
}

// verdict reads an interval of a difference (deep - shallow) against a
// claim that it is negative (side -1) or positive (side +1).
func verdict(d *Interval, side int) string {
	switch {
	case d == nil:
		return NotMeasurable
	case d.Upper < 0:
		if side < 0 {
			return Supported
		}
		return Contradicted
	case d.Lower > 0:
		if side > 0 {
			return Supported
		}
		return Contradicted
	}
	return Undecided
}
