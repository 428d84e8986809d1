package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newConnectCmd) }

// connectFlags name the flags of landscape.ConnectOptions' fields.
var connectFlags = map[string]string{"ModelA": "model", "ModelB": "model", "Data": "data", "Points": "points", "Steps": "steps",
	"LR": "lr", "Batch": "batch", "WeightDecay": "weight-decay"}

func newConnectCmd(g *globals) *cobra.Command {
	var (
		opts     landscape.ConnectOptions
		refs     []string
		plotPath string
		wd       float64
		tf       tableFlags
	)
	cmd := &cobra.Command{
		Use:   "connect",
		Short: "Loss along the straight line and a trained Bezier curve between two minima",
		Long: `Mode connectivity of two trained networks a and b of one architecture,
trained on the same data (same set, split and standardisation): the training
loss, test loss and training objective (mean loss + (wd/2)|theta|^2, with the
models' weight decay) along

  the straight line  theta(t) = (1-t) a + t b
  a quadratic Bezier curve  theta(t) = (1-t)^2 a + 2t(1-t) c + t^2 b

at --points equally spaced t in [0, 1]. The control point c starts at (a+b)/2
and is trained by Adam (--steps, --lr) to minimise the objective averaged
over t (each step: --batch stratified random t; Garipov et al. 2018). The
barrier of a path is max_t loss(t) - max(loss(0), loss(1)) over the points
(<= 0: the path never climbs above its higher end), for the train loss and for
the objective. With --align, b is first replaced by its alignment to a
(hidden units permuted and, for odd activations, sign-flipped to be nearest
a; the same function), so that the path joins a to the copy of b's minimum
nearest it.

A model is a file written by 'netgeom train', or an end point of a census as
CENSUS.jsonl:DEPTH:RESTART.

  netgeom connect --model a.ngm --model b.ngm --data iris
  netgeom connect --model census.jsonl:2:0 --model census.jsonl:2:7 --align --plot connect.png`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(refs) != 2 {
				return fmt.Errorf("--model: give exactly two models (got %d)", len(refs))
			}
			var err error
			if opts.Data, err = tf.apply(opts.Data); err != nil {
				return err
			}
			// The library takes zero for its default; here --steps 0 means no curve.
			if opts.Points < 2 || opts.Steps < 0 || opts.Batch < 1 || !(opts.LR > 0) {
				return fmt.Errorf("--points %d, --steps %d, --batch %d, --lr %v: want points >= 2, steps >= 0, batch >= 1, lr > 0",
					opts.Points, opts.Steps, opts.Batch, opts.LR)
			}
			opts.ModelA, opts.ModelB, opts.LinearOnly, opts.Seed = refs[0], refs[1], opts.Steps == 0, g.Seed
			if cmd.Flags().Changed("weight-decay") {
				opts.WeightDecay = &wd
			}
			b, err := g.open()
			if err != nil {
				return err
			}
			defer b.Close()
			update, finish := progress(cmd, "bezier")
			opts.Progress = update
			res, err := landscape.Connect(cmd.Context(), b, opts)
			finish()
			if err != nil {
				return optionFlagError(err, connectFlags)
			}
			return emitAndPlot(cmd, g, connectTable(res), res, plotPath, func(path string) error { return report.ConnectPlot(path, res) })
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&refs, "model", nil, "a model file from 'netgeom train', or CENSUS.jsonl:DEPTH:RESTART (give two)")
	fl.StringVar(&opts.Data, "data", "", "the models' data set (default: the one they record; another name is an error)")
	tf.add(cmd)
	fl.IntVar(&opts.Points, "points", landscape.DefaultConnectPoints, "points along each path")
	fl.IntVar(&opts.Steps, "steps", landscape.DefaultBezierSteps, "Adam steps training the Bezier control point (0: straight line only)")
	fl.Float64Var(&opts.LR, "lr", landscape.DefaultBezierLR, "Adam's learning rate for the control point")
	fl.IntVar(&opts.Batch, "batch", landscape.DefaultBezierBatch, "values of t per Adam step (stratified)")
	fl.Float64Var(&wd, "weight-decay", 0, "weight decay of the objective (default: the models' own)")
	fl.BoolVar(&opts.Align, "align", false, "align b's hidden units to a's (permutations and sign flips) first")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "draw the losses along the paths here (.png or .svg)")
	npyFlag(cmd)
	return cmd
}

func connectTable(res *landscape.ConnectResult) table {
	title := fmt.Sprintf("connect %s -> %s: %s %s on %s, %d parameters, weight decay %g; |a - b| = %.4g%s; linear barrier %.4g (objective %.4g) at t = %.3g",
		res.ModelA, res.ModelB, res.Arch, res.Activation, res.Data, res.Params, res.WeightDecay, res.Distance, alignNote(res),
		res.Linear.Barrier, res.Linear.ObjectiveBarrier, res.Linear.BarrierT)
	header := []string{"t", "linear_train", "linear_test", "linear_objective"}
	if res.Bezier != nil {
		title += fmt.Sprintf("; Bezier (%d Adam steps) barrier %.4g (objective %.4g) at t = %.3g",
			res.BezierSteps, res.Bezier.Barrier, res.Bezier.ObjectiveBarrier, res.Bezier.BarrierT)
		header = append(header, "bezier_train", "bezier_test", "bezier_objective")
	}
	t := table{Title: title, Header: header}
	for i, p := range res.Linear.Points {
		row := []string{fmtFloat(p.T), fmtFloat(p.TrainLoss), fmtFloat(p.TestLoss), fmtFloat(p.Objective)}
		if res.Bezier != nil {
			q := res.Bezier.Points[i]
			row = append(row, fmtFloat(q.TrainLoss), fmtFloat(q.TestLoss), fmtFloat(q.Objective))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func alignNote(res *landscape.ConnectResult) string {
	if res.Aligned {
		return fmt.Sprintf(" after alignment (%.4g before)", res.UnalignedDistance)
	}
	return ""
}
