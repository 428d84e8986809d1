package main

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newCensusCmd) }

// censusResult is what `netgeom census --format json` prints.
type censusResult struct {
	Out       string                   `json:"out"`
	Config    landscape.Config         `json:"config"`
	Archs     []landscape.Arch         `json:"architectures"`
	Restarts  int                      `json:"restarts"`
	Threshold float64                  `json:"threshold"`
	Ran       int                      `json:"ran"`
	Skipped   int                      `json:"skipped"`
	Seconds   float64                  `json:"seconds"`
	Backend   string                   `json:"backend"`
	Workers   int                      `json:"workers"`
	Depths    []landscape.DepthSummary `json:"depths"`
}

func newCensusCmd(g *globals) *cobra.Command {
	var (
		cfg                      landscape.Config
		depthSpec, out, plotPath string
		restarts, workers        int
		threshold                float64
		resume, overwrite        bool
	)
	cmd := &cobra.Command{
		Use:   "census",
		Short: "Census of the minima of networks of depth 1..D at a fixed parameter budget",
		Long: `Train many seeded restarts of networks of each depth at a fixed parameter
budget to stationary points of the training objective and count, measure and
compare them (Becker, Zhang and Lee 2020 study how, at a fixed parameter
count, depth changes the number of minima, their clustering and the trade-off
between the depth (loss) and the width (flatness) of minima; netgeom measures
these, it assumes no trend).

Architectures: depth h has h hidden layers of widths as equal as possible (w
or w+1, the wider first) whose parameter count is nearest --budget; a depth
off by more than --tolerance (relative) is an error.

Each restart, a function of the settings, the depth and the restart index
alone (its seed is a hash of --seed, depth and index), trains from Glorot
weights with full-batch Adam (--adam-steps) then L-BFGS until the gradient
norm of the objective (mean loss + (wd/2)|theta|^2) is at most --grad-tol,
and records at its end point the train and test loss and accuracy, the
gradient norm, and the Hessian of the objective: extreme eigenvalues, index
(eigenvalues below -tau, tau = 1e-6 max|lambda|), trace and log-volume
(-1/2 sum of log lambda over the eigenvalues above tau), exactly from the
dense Hessian up to --dense-max parameters, by Lanczos/Hutchinson/SLQ above.

Each finished restart is appended to --out as one JSON line and fsynced (the
first line holds the settings). --resume continues a census: finished
restarts are skipped, a half-written last line is dropped and redone; a
finished census is rewritten in canonical order, so a census killed and
resumed ends as the same file as one run straight through.

Summary per depth: end points closer than --threshold in function space (RMS
over the data's samples of the distance between softmax outputs) are one
stationary point; the table gives the distinct minima out of the converged
restarts, the loss and flatness (top eigenvalue, trace, log-volume per
parameter) medians over the distinct minima, their clustering (median
pairwise distance in function space and in parameter space after aligning
hidden units by permutations and sign flips, relative to the parameters'
norm, beside the unaligned one), Spearman's rank correlation between loss and
log-volume over the distinct minima, and the largest distance within / the
smallest between distinct points (the threshold should lie between them).
--plot draws the loss-against-flatness scatter, the distinct minima per depth
and the distance distributions.

  netgeom census --data iris --budget 500 --depths 1:4 --restarts 50 --out census.jsonl --plot census.png
  netgeom census --data iris --budget 500 --depths 1:4 --restarts 50 --out census.jsonl --resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			depths, err := parseDepths(depthSpec)
			if err != nil {
				return fmt.Errorf("--depths: %w", err)
			}
			if restarts < 1 {
				return fmt.Errorf("--restarts %d: want at least 1", restarts)
			}
			if workers < 1 {
				return fmt.Errorf("--workers %d: want at least 1", workers)
			}
			if !(threshold > 0) {
				return fmt.Errorf("--threshold %v: want a positive distance", threshold)
			}
			if resume && overwrite {
				return errors.New("--resume and --overwrite: give one")
			}
			if out == "" {
				return errors.New("--out: give the census file (JSON lines)")
			}
			cfg.Seed = g.Seed
			if cfg, err = cfg.Normalize(); err != nil {
				return err
			}
			if plotPath != "" {
				if err := checkPlotPath(plotPath); err != nil {
					return err
				}
			}
			b, err := engine.Open(g.Backend)
			if err != nil {
				return err
			}
			defer b.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() { // a second interrupt kills at once
				<-ctx.Done()
				stop()
			}()
			update, finish := progress(cmd, "census")
			start := time.Now()
			run, err := landscape.RunCensus(ctx, b, cfg, depths, restarts, out, landscape.RunOptions{
				Resume: resume, Overwrite: overwrite, Workers: workers, Progress: update, Log: cmd.ErrOrStderr()})
			finish()
			seconds := time.Since(start).Seconds()
			if err != nil {
				if errors.Is(err, context.Canceled) && run.Census != nil {
					return fmt.Errorf("interrupted: %d restarts of %d are in %s; run the same command with --resume to finish",
						len(run.Census.Records), len(depths)*restarts, out)
				}
				return err
			}
			sums, err := landscape.Summarize(b, run.Census, landscape.SummaryOptions{Threshold: threshold, Depths: depths, Restarts: restarts})
			if err != nil {
				return err
			}
			res := censusResult{Out: out, Config: run.Census.Config, Archs: run.Archs, Restarts: restarts, Threshold: threshold,
				Ran: run.Ran, Skipped: run.Skipped, Seconds: seconds, Backend: b.Info().Backend, Workers: workers, Depths: sums}
			fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: %s: %d restarts run, %d found done, in %.1fs\n", out, run.Ran, run.Skipped, seconds)
			return emitAndPlot(cmd, g, censusTable(res), res, plotPath, func(path string) error { return censusPlot(path, res) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Data, "data", "iris", "data set: "+strings.Join(datasets.Names(), ", "))
	fl.IntVar(&cfg.Subset, "subset", 0, "use this many training samples, drawn from --seed (0: all)")
	fl.Float64Var(&cfg.TestFraction, "test-fraction", 0.2, "held out for testing from sets with no test set of their own")
	fl.IntVar(&cfg.Budget, "budget", 500, "parameter budget P")
	fl.Float64Var(&cfg.Tolerance, "tolerance", landscape.DefaultTolerance, "largest relative distance of a depth's parameter count from the budget")
	fl.StringVar(&depthSpec, "depths", "1:4", "depths (hidden layers): lo:hi, or a list like 1,2,4")
	fl.IntVar(&restarts, "restarts", 50, "seeded restarts per depth")
	fl.StringVar(&cfg.Activation, "act", landscape.DefaultActivation, "activation of the hidden layers: "+strings.Join(activation.Names(), ", "))
	fl.StringVar(&cfg.Loss, "loss", landscape.DefaultLoss, "loss: "+strings.Join(models.LossNames(), ", "))
	fl.StringVar(&cfg.Init, "init", landscape.DefaultInit, "initialisation: "+strings.Join(models.InitNames(), ", "))
	fl.Float64Var(&cfg.WeightDecay, "weight-decay", landscape.DefaultWeightDecay, "L2 penalty (wd/2)|theta|^2 of the objective (with cross-entropy, 0 leaves minima at infinity)")
	fl.IntVar(&cfg.AdamSteps, "adam-steps", landscape.DefaultAdamSteps, "full-batch Adam steps before L-BFGS (0: none)")
	fl.Float64Var(&cfg.AdamLR, "adam-lr", landscape.DefaultAdamLR, "Adam's learning rate")
	fl.IntVar(&cfg.LBFGSSteps, "lbfgs-steps", landscape.DefaultLBFGSSteps, "most L-BFGS iterations")
	fl.Float64Var(&cfg.GradTol, "grad-tol", landscape.DefaultGradTol, "a restart is converged when the objective's gradient norm is at most this")
	fl.IntVar(&cfg.DenseMax, "dense-max", landscape.DefaultDenseMax, "dense exact Hessian up to this many parameters; Lanczos/SLQ estimates above")
	fl.Float64Var(&cfg.EigTol, "eig-tol", landscape.DefaultEigTol, "tau = eig-tol max|lambda|: eigenvalues below -tau count in the index, above tau in the log-volume")
	fl.Float64Var(&threshold, "threshold", landscape.DefaultThreshold, "function-space distance below which end points are one stationary point")
	fl.IntVar(&workers, "workers", runtime.NumCPU(), "restarts run at once (results do not depend on it)")
	fl.StringVar(&out, "out", "census.jsonl", "census file (JSON lines), written as restarts finish")
	fl.BoolVar(&resume, "resume", false, "continue the census in --out")
	fl.BoolVar(&overwrite, "overwrite", false, "start --out afresh when it exists")
	fl.StringVar(&plotPath, "plot", "", "draw the census here (.png or .svg)")
	return cmd
}

// parseDepths reads "lo:hi" (inclusive), "d" or "d1,d2,...": ascending
// distinct depths >= 1.
func parseDepths(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	var out []int
	if lo, hi, ok := strings.Cut(s, ":"); ok {
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a < 1 || b < a {
			return nil, fmt.Errorf("%q: write lo:hi with 1 <= lo <= hi, like 1:4", s)
		}
		for d := a; d <= b; d++ {
			out = append(out, d)
		}
		return out, nil
	}
	for _, f := range strings.Split(s, ",") {
		d, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || d < 1 {
			return nil, fmt.Errorf("%q: %q is not a depth (a positive integer); write lo:hi or a list like 1,2,4", s, f)
		}
		if len(out) > 0 && d <= out[len(out)-1] {
			return nil, fmt.Errorf("%q: list the depths in ascending order, each once", s)
		}
		out = append(out, d)
	}
	return out, nil
}

// fmt4 formats x to 4 significant digits, "-" for a missing value.
func fmt4(x *float64) string {
	if x == nil {
		return "-"
	}
	return strconv.FormatFloat(*x, 'g', 4, 64)
}

func censusTable(res censusResult) table {
	c := res.Config
	t := table{
		Title: fmt.Sprintf("census %s: %s, budget %d (tolerance %g), %s, %s, weight decay %g; %d restarts per depth (Adam %d steps, then L-BFGS to |grad| <= %g); distinct: function distance < %g; medians over distinct minima (%s, %d workers, %.1fs)",
			res.Out, c.Data, c.Budget, c.Tolerance, c.Activation, c.Loss, c.WeightDecay, res.Restarts, c.AdamSteps, c.GradTol, res.Threshold, res.Backend, res.Workers, res.Seconds),
		Header: []string{"depth", "arch", "P", "converged", "saddles", "distinct_min", "distinct_stat",
			"loss_min", "loss_med", "loss_max", "test_acc", "lambda_max", "trace", "logvol/P",
			"fdist", "pdist_aligned", "pdist_raw", "rho(loss,logvol)", "max_within", "min_between"},
	}
	for _, d := range res.Depths {
		var lmin, lmax *float64
		if d.TrainLoss != nil {
			lmin, lmax = &d.TrainLoss.Min, &d.TrainLoss.Max
		}
		t.Rows = append(t.Rows, []string{
			fmt.Sprint(d.Depth), models.FormatArch(d.Widths), fmt.Sprint(d.Params),
			fmt.Sprintf("%d/%d", d.Converged, d.Restarts), fmt.Sprint(d.Saddles),
			fmt.Sprint(d.DistinctMinima), fmt.Sprint(d.DistinctStationary),
			fmt4(lmin), fmt4(median(d.TrainLoss)), fmt4(lmax), fmt4(median(d.TestAccuracy)),
			fmt4(median(d.MaxEig)), fmt4(median(d.Trace)), fmt4(median(d.LogVolumePerP)),
			fmt4(median(d.FunctionDist)), fmt4(median(d.ParamDistRel)), fmt4(median(d.UnalignedRel)),
			fmt4(d.LossFlatnessRS), fmt4(d.MaxWithin), fmt4(d.MinBetween),
		})
	}
	return t
}

// censusGlyphs are filled shapes (the distinct minima of panel (a));
// repeats of a minimum are drawn as rings under them.
var censusGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}}

// censusPlot draws four panels: (a) train loss against log-volume per
// parameter, every converged end point, one colour per depth, distinct
// minima filled; (b) distinct minima and distinct stationary points per
// depth out of the restarts; (c) the distribution of log10 function
// distances between all pairs of converged end points, with the threshold;
// (d) the empirical distribution function of the aligned relative
// parameter distances between distinct minima.
func censusPlot(path string, res censusResult) error {
	if len(res.Depths) == 0 {
		return errors.New("plot: no depths")
	}
	col := func(i int) color.Color { return report.Palette[i%len(report.Palette)] }
	label := func(d landscape.DepthSummary) string {
		return fmt.Sprintf("depth %d (%s, P %d)", d.Depth, models.FormatArch(d.Widths), d.Params)
	}

	// (a) loss against flatness.
	pa := plot.New()
	pa.Title.Text = "loss against flatness (filled: distinct minima)"
	pa.X.Label.Text = "log-volume / P = -1/(2P) sum log lambda"
	pa.Y.Label.Text = "train loss (mean cross-entropy)"
	for i, d := range res.Depths {
		var reps, rest plotter.XYs
		for _, p := range d.Points {
			if p.Index != 0 {
				continue
			}
			xy := plotter.XY{X: p.LogVolume / float64(d.Params), Y: p.TrainLoss}
			if p.Representative {
				reps = append(reps, xy)
			} else {
				rest = append(rest, xy)
			}
		}
		var legendThumb plot.Thumbnailer
		for k, set := range []plotter.XYs{rest, reps} {
			if len(set) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(set)
			if err != nil {
				return fmt.Errorf("plot %s: %w", path, err)
			}
			sc.GlyphStyle.Color = col(i)
			sc.GlyphStyle.Radius = vg.Points(3)
			if k == 0 {
				sc.GlyphStyle.Shape = draw.RingGlyph{}
			} else {
				sc.GlyphStyle.Shape = censusGlyphs[i%len(censusGlyphs)]
				legendThumb = sc
			}
			pa.Add(sc)
		}
		if legendThumb != nil {
			pa.Legend.Add(label(d), legendThumb)
		}
	}
	// Room above the points for the legend.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, d := range res.Depths {
		for _, p := range d.Points {
			if p.Index == 0 {
				x := p.LogVolume / float64(d.Params)
				xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
				ylo, yhi = math.Min(ylo, p.TrainLoss), math.Max(yhi, p.TrainLoss)
			}
		}
	}
	if ylo <= yhi {
		span := math.Max(yhi-ylo, 1e-3*math.Abs(yhi))
		pa.Y.Min, pa.Y.Max = ylo-0.05*span, yhi+0.06*span*float64(len(res.Depths)+2)
		span = math.Max(xhi-xlo, 1e-3*math.Abs(xhi))
		pa.X.Min, pa.X.Max = xlo-0.04*span, xhi+0.04*span
	}
	pa.X.Tick.Marker = digitTicks{}
	pa.Y.Tick.Marker = digitTicks{}
	pa.Legend.Top = true
	pa.Add(plotter.NewGrid())

	// (b) distinct minima per depth.
	pb := plot.New()
	pb.Title.Text = fmt.Sprintf("distinct points out of %d restarts (function distance < %g)", res.Restarts, res.Threshold)
	pb.X.Label.Text = "depth (hidden layers)"
	pb.Y.Label.Text = "count"
	var dm, ds, conv plotter.XYs
	for _, d := range res.Depths {
		x := float64(d.Depth)
		dm = append(dm, plotter.XY{X: x, Y: float64(d.DistinctMinima)})
		ds = append(ds, plotter.XY{X: x, Y: float64(d.DistinctStationary)})
		conv = append(conv, plotter.XY{X: x, Y: float64(d.Converged)})
	}
	for k, s := range []struct {
		name string
		xy   plotter.XYs
		dash bool
	}{{"distinct minima", dm, false}, {"distinct stationary points", ds, true}, {"converged restarts", conv, true}} {
		l, pts, err := plotter.NewLinePoints(s.xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		c := []color.Color{color.RGBA{R: 30, G: 60, B: 160, A: 255}, color.RGBA{R: 200, G: 50, B: 40, A: 255}, color.Gray{Y: 120}}[k]
		l.Color, pts.Color = c, c
		pts.Shape = censusGlyphs[k]
		if s.dash {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		pb.Add(l, pts)
		pb.Legend.Add(s.name, l, pts)
	}
	pb.Y.Min, pb.Y.Max = 0, 1.15*float64(res.Restarts)
	pb.X.Min, pb.X.Max = float64(res.Depths[0].Depth)-0.3, float64(res.Depths[len(res.Depths)-1].Depth)+0.3
	pb.X.Tick.Marker = integerTicks{}
	pb.Y.Tick.Marker = digitTicks{}
	pb.Legend.Top = true
	pb.Legend.Left = true
	pb.Add(plotter.NewGrid())

	// (c) histogram of log10 function distances between all converged pairs.
	pc := plot.New()
	pc.Title.Text = "function distance between converged end points (all pairs)"
	pc.X.Label.Text = "log10 function distance"
	pc.Y.Label.Text = "fraction of pairs per 1/4 decade"
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range res.Depths {
		for _, v := range d.PairDistances {
			if v > 0 {
				lo, hi = math.Min(lo, math.Log10(v)), math.Max(hi, math.Log10(v))
			}
		}
	}
	if lo <= hi {
		lo, hi = math.Floor(lo*4)/4, math.Ceil(hi*4)/4+0.25
		lo = math.Min(lo, math.Log10(res.Threshold)-0.5)
		bins := int(math.Round((hi - lo) * 4))
		top := 0.0
		for i, d := range res.Depths {
			if len(d.PairDistances) == 0 {
				continue
			}
			counts := make([]float64, bins)
			for _, v := range d.PairDistances {
				k := 0
				if v > 0 {
					k = min(bins-1, max(0, int(math.Floor((math.Log10(v)-lo)*4))))
				}
				counts[k] += 1 / float64(len(d.PairDistances))
			}
			var xy plotter.XYs // a step outline
			for k, c := range counts {
				x0 := lo + float64(k)/4
				xy = append(xy, plotter.XY{X: x0, Y: c}, plotter.XY{X: x0 + 0.25, Y: c})
				top = math.Max(top, c)
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("plot %s: %w", path, err)
			}
			l.Color, l.Width = col(i), vg.Points(1.5)
			pc.Add(l)
			pc.Legend.Add(fmt.Sprintf("depth %d", d.Depth), l)
		}
		th, err := plotter.NewLine(plotter.XYs{{X: math.Log10(res.Threshold), Y: 0}, {X: math.Log10(res.Threshold), Y: 1.1 * top}})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		th.Color, th.Dashes = color.Gray{Y: 60}, []vg.Length{vg.Points(4), vg.Points(3)}
		pc.Add(th)
		pc.Legend.Add(fmt.Sprintf("threshold %g", res.Threshold), th)
		pc.Y.Min = 0
	}
	pc.Legend.Top = true
	pc.Add(plotter.NewGrid())

	// (d) ECDF of aligned relative parameter distances between distinct minima.
	pd := plot.New()
	pd.Title.Text = "distinct minima: aligned parameter distance (distribution function)"
	pd.X.Label.Text = "|theta_a - align(theta_b)| / sqrt(|theta_a|^2 + |theta_b|^2)"
	pd.Y.Label.Text = "fraction of pairs <= x"
	for i, d := range res.Depths {
		if len(d.ParamDistances) == 0 {
			continue
		}
		s := append([]float64(nil), d.ParamDistances...)
		sort.Float64s(s)
		var xy plotter.XYs
		for k, v := range s {
			xy = append(xy, plotter.XY{X: v, Y: float64(k) / float64(len(s))}, plotter.XY{X: v, Y: float64(k+1) / float64(len(s))})
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.Color, l.Width = col(i), vg.Points(1.5)
		pd.Add(l)
		pd.Legend.Add(fmt.Sprintf("depth %d (%d minima)", d.Depth, d.DistinctMinima), l)
	}
	pd.Y.Min, pd.Y.Max = 0, 1.05
	pd.Legend.Top = true
	pd.Legend.Left = true
	pd.Add(plotter.NewGrid())
	return report.SaveGrid([][]*plot.Plot{{pa, pb}, {pc, pd}}, 15*vg.Inch, 11*vg.Inch, path)
}

// digitTicks are gonum's default ticks labelled with enough significant
// digits to tell them apart.
type digitTicks struct{}

func (digitTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for digits := 3; digits <= 10; digits++ {
		seen := map[string]bool{}
		unique := true
		for i, t := range ticks {
			if t.Label == "" {
				continue
			}
			ticks[i].Label = strconv.FormatFloat(t.Value, 'g', digits, 64)
			if seen[ticks[i].Label] {
				unique = false
			}
			seen[ticks[i].Label] = true
		}
		if unique {
			break
		}
	}
	return ticks
}

// integerTicks marks the integers of an axis.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for v := math.Ceil(lo); v <= hi; v++ {
		t = append(t, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return t
}
