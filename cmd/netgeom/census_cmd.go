package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newCensusCmd) }

// censusRecordHook, when set, is called after each restart's record is in
// the census file, with the number of records there. Only the tests set it
// (in the child process they run as netgeom) to kill a census at an exact
// point.
var censusRecordHook func(done int)

func newCensusCmd(g *globals) *cobra.Command {
	var (
		opts                landscape.TakeCensusOptions
		depthSpec, plotPath string
		tf                  tableFlags
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
			var err error
			if opts.Config.Data, err = tf.apply(opts.Config.Data); err != nil {
				return err
			}
			if opts.Depths, err = parseDepths(depthSpec); err != nil {
				return fmt.Errorf("--depths: %w", err)
			}
			// The library takes zero for its default and checks the rest too;
			// the command line refuses zero and names the flags, before any work.
			switch {
			case opts.Restarts < 1:
				return fmt.Errorf("--restarts %d: want at least 1", opts.Restarts)
			case opts.Workers < 1:
				return fmt.Errorf("--workers %d: want at least 1", opts.Workers)
			case !(opts.Threshold > 0):
				return fmt.Errorf("--threshold %v: want a positive distance", opts.Threshold)
			case opts.Resume && opts.Overwrite:
				return errors.New("--resume and --overwrite: give one")
			case opts.Out == "":
				return errors.New("--out: give the census file (JSON lines)")
			}
			opts.Config.Seed = g.Seed
			res, err := runLong(cmd, g, "census", func(ctx context.Context, b engine.Backend, update func(int, int), log io.Writer) (*landscape.TakeCensusResult, error) {
				opts.Progress, opts.Log = update, log
				if hook := censusRecordHook; hook != nil {
					opts.Progress = func(done, total int) { update(done, total); hook(done) }
				}
				return landscape.TakeCensus(ctx, b, opts)
			})
			if err != nil {
				if errors.Is(err, context.Canceled) && res != nil {
					return fmt.Errorf("interrupted: %d restarts of %d are in %s; run the same command with --resume to finish",
						len(res.Census.Records), len(opts.Depths)*opts.Restarts, opts.Out)
				}
				return err
			}
			replaced := ""
			if what, ok := g.replacing[opts.Out]; ok && opts.Overwrite {
				replaced = ", replacing " + what
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: %s: %d restarts run, %d found done, in %.1fs%s\n", res.Out, res.Ran, res.Skipped, res.Seconds, replaced)
			warnNearThreshold(cmd, res)
			return emitAndPlot(cmd, g, censusTable(res), res, plotPath, func(path string) error { return report.CensusPlot(path, res) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Config.Data, "data", "iris", "data set: "+strings.Join(datasets.Names(), ", ")+", npy:X.npy,Y.npy or csv:TABLE.csv")
	tf.add(cmd)
	censusFlags(cmd, &opts.Config, &depthSpec, &opts.Restarts)
	fl.Float64Var(&opts.Config.WeightDecay, "weight-decay", landscape.DefaultWeightDecay, "L2 penalty (wd/2)|theta|^2 of the objective (with cross-entropy, 0 leaves minima at infinity)")
	fl.Float64Var(&opts.Threshold, "threshold", landscape.DefaultThreshold, "function-space distance below which end points are one stationary point")
	fl.IntVar(&opts.Workers, "workers", runtime.NumCPU(), "restarts run at once (results do not depend on it)")
	outputFlag(cmd, &opts.Out, "out", "census.jsonl", "census", "census file (JSON lines), written as restarts finish")
	fl.BoolVar(&opts.Resume, "resume", false, "continue the census in --out")
	fl.BoolVar(&opts.Overwrite, "overwrite", false, "start --out afresh when it exists")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "draw the census here (.png or .svg)")
	npyFlag(cmd)
	return cmd
}

// censusFlags adds the flags of a census's settings (all of Config but
// Data, WeightDecay and Seed), its depths and restarts, shared by census and landscape
// compare.
func censusFlags(cmd *cobra.Command, cfg *landscape.Config, depthSpec *string, restarts *int) {
	fl := cmd.Flags()
	fl.IntVar(&cfg.Subset, "subset", 0, "use this many training samples, drawn from --seed (0: all)")
	fl.Float64Var(&cfg.TestFraction, "test-fraction", 0.2, "held out for testing from sets with no test set of their own")
	fl.IntVar(&cfg.Budget, "budget", 500, "parameter budget P")
	fl.Float64Var(&cfg.Tolerance, "tolerance", landscape.DefaultTolerance, "largest relative distance of a depth's parameter count from the budget")
	fl.StringVar(depthSpec, "depths", "1:4", "depths (hidden layers): lo:hi, or a list like 1,2,4")
	fl.IntVar(restarts, "restarts", landscape.DefaultCensusRestarts, "seeded restarts per depth")
	fl.StringVar(&cfg.Activation, "act", landscape.DefaultActivation, "activation of the hidden layers: "+strings.Join(activation.Names(), ", "))
	fl.StringVar(&cfg.Loss, "loss", landscape.DefaultLoss, "loss: "+strings.Join(models.LossNames(), ", "))
	fl.StringVar(&cfg.Init, "init", landscape.DefaultInit, "initialisation: "+strings.Join(models.InitNames(), ", "))
	fl.IntVar(&cfg.AdamSteps, "adam-steps", landscape.DefaultAdamSteps, "full-batch Adam steps before L-BFGS (0: none)")
	fl.Float64Var(&cfg.AdamLR, "adam-lr", landscape.DefaultAdamLR, "Adam's learning rate")
	fl.IntVar(&cfg.LBFGSSteps, "lbfgs-steps", landscape.DefaultLBFGSSteps, "most L-BFGS iterations")
	fl.Float64Var(&cfg.GradTol, "grad-tol", landscape.DefaultGradTol, "a restart is converged when the objective's gradient norm is at most this")
	fl.IntVar(&cfg.DenseMax, "dense-max", landscape.DefaultDenseMax, "dense exact Hessian up to this many parameters; Lanczos/SLQ estimates above")
	fl.Float64Var(&cfg.EigTol, "eig-tol", landscape.DefaultEigTol, "tau = eig-tol max|lambda|: eigenvalues below -tau count in the index, above tau in the log-volume")
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
		if b-a >= maxListLen {
			return nil, fmt.Errorf("%q: %d depths; at most %d", s, b-a+1, maxListLen)
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

func censusTable(res *landscape.TakeCensusResult) table {
	c := res.Config
	t := table{
		Title: fmt.Sprintf("census %s: %s, budget %d (tolerance %g), %s, %s, weight decay %g; %d restarts per depth (Adam %d steps, then L-BFGS to |grad| <= %g); distinct: function distance < %g; medians over distinct minima (%s, %d workers, %.1fs)",
			res.Out, c.Data, c.Budget, c.Tolerance, c.Activation, c.Loss, c.WeightDecay, res.Restarts, c.AdamSteps, c.GradTol, res.Threshold, res.Backend, res.Workers, res.Seconds),
		Header: []string{"depth", "arch", "P", "converged", "saddles", "distinct_min", "distinct_stat",
			"loss_min", "loss_med", "loss_max", "test_acc", "lambda_max", "trace", "logvol/P",
			"fdist", "pdist_aligned", "pdist_raw", "rho(loss,logvol)", "max_within", "min_between",
			"min_seen_once", "min_seen_twice", "chao1_minima", "chao1_lower", "chao1_upper", "coverage"},
	}
	for _, d := range res.Depths {
		var lmin, lmax *float64
		if d.TrainLoss != nil {
			lmin, lmax = &d.TrainLoss.Min, &d.TrainLoss.Max
		}
		t.Rows = append(t.Rows, []string{
			strconv.Itoa(d.Depth), models.FormatArch(d.Widths), strconv.Itoa(d.Params),
			fmt.Sprintf("%d/%d", d.Converged, d.Restarts), strconv.Itoa(d.Saddles),
			strconv.Itoa(d.DistinctMinima), strconv.Itoa(d.DistinctStationary),
			optFloat(lmin), optFloat(median(d.TrainLoss)), optFloat(lmax), optFloat(median(d.TestAccuracy)),
			optFloat(median(d.MaxEig)), optFloat(median(d.Trace)), optFloat(median(d.LogVolumePerP)),
			optFloat(median(d.FunctionDist)), optFloat(median(d.ParamDistRel)), optFloat(median(d.UnalignedRel)),
			optFloat(d.LossFlatnessRS), optFloat(d.MaxWithin), optFloat(d.MinBetween),
			"", "", "", "", "", "",
		})
		if e := d.MinimaEstimate; e != nil {
			row := t.Rows[len(t.Rows)-1]
			copy(row[len(row)-6:], []string{strconv.Itoa(e.Singletons), strconv.Itoa(e.Doubletons), fmtFloat(e.Chao1), fmtFloat(e.Lower), fmtFloat(e.Upper), fmtFloat(e.Coverage)})
		}
	}
	return t
}

// warnNearThreshold says, for every depth with pairs of end points within
// a factor of landscape.NearFactor of the threshold, that its distinct
// counts are not robust (the pairs are in the JSON's near_threshold).
func warnNearThreshold(cmd *cobra.Command, res *landscape.TakeCensusResult) {
	for _, d := range res.Depths {
		if len(d.NearThreshold) == 0 {
			continue
		}
		p := d.NearThreshold[0]
		fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: depth %d: %d pairs of end points lie within a factor of %d of the threshold %g (restarts %d and %d at %.3g%s): "+
			"whether they are one point is not decided robustly, so the distinct counts at this depth may change with the build or the gradient tolerance; tighten --grad-tol or set --threshold in a gap of the distances\n",
			d.Depth, len(d.NearThreshold), landscape.NearFactor, res.Threshold, p.A, p.B, p.Distance, map[bool]string{true: ", ...", false: ""}[len(d.NearThreshold) > 1])
	}
}
