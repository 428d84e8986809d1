package main

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
	"github.com/netgeom/netgeom/train"
)

func init() { register(newConnectCmd) }

// connectResult is what `netgeom connect --format json` prints.
type connectResult struct {
	ModelA      string  `json:"model_a"`
	ModelB      string  `json:"model_b"`
	Data        string  `json:"data"`
	Arch        string  `json:"arch"`
	Activation  string  `json:"activation"`
	Loss        string  `json:"loss"`
	Params      int     `json:"params"`
	WeightDecay float64 `json:"weight_decay"`
	// Aligned: b was replaced by its alignment to a (same function).
	Aligned bool `json:"aligned"`
	// Distance is |a - b| (b aligned when Aligned), Unaligned the raw one.
	Distance          float64         `json:"distance"`
	UnalignedDistance float64         `json:"unaligned_distance"`
	Linear            landscape.Path  `json:"linear"`
	Bezier            *landscape.Path `json:"bezier,omitempty"`
	BezierSteps       int             `json:"bezier_steps"`
	BezierObjective   float64         `json:"bezier_final_objective,omitempty"`
	Seconds           float64         `json:"seconds"`
}

// connectModel is one end of a path: a network's spec and parameters, the
// data set it was trained on and its weight decay.
type connectModel struct {
	ref   string
	spec  models.MLPSpec
	theta []float64
	info  models.CheckpointData
	prep  *train.Prepared
	wd    float64
}

var censusRef = regexp.MustCompile(`^(.+):(\d+):(\d+)$`)

// loadConnectModel reads a model file written by `netgeom train`, or an
// end point of a census as FILE:DEPTH:RESTART.
func loadConnectModel(ref string) (connectModel, error) {
	m := connectModel{ref: ref}
	if sub := censusRef.FindStringSubmatch(ref); sub != nil {
		if _, err := os.Stat(ref); err != nil { // not a file whose name has colons
			depth, _ := strconv.Atoi(sub[2])
			restart, _ := strconv.Atoi(sub[3])
			c, err := landscape.ReadCensus(sub[1])
			if err != nil {
				return m, err
			}
			r, ok := c.Find(depth, restart)
			if !ok {
				return m, fmt.Errorf("%s: no depth %d restart %d in the census", ref, depth, restart)
			}
			if r.Error != "" || len(r.Theta) == 0 {
				return m, fmt.Errorf("%s: that restart has no end point (%s)", ref, r.Error)
			}
			if m.spec, err = c.Config.Spec(r.Widths); err != nil {
				return m, fmt.Errorf("%s: %w", ref, err)
			}
			if m.prep, err = train.Prepare(c.Config.DataSpec()); err != nil {
				return m, fmt.Errorf("%s: %w", ref, err)
			}
			m.theta, m.info, m.wd = r.Theta, m.prep.Info, c.Config.WeightDecay
			return m, nil
		}
	}
	hdr, params, err := models.ReadCheckpoint(ref)
	if err != nil {
		return m, err
	}
	if m.spec, err = hdr.Spec(); err != nil {
		return m, fmt.Errorf("%s: %w", ref, err)
	}
	if hdr.Data == nil {
		return m, fmt.Errorf("%s records no training data; it was not written by 'netgeom train'", ref)
	}
	if m.prep, err = train.Rebuild(*hdr.Data); err != nil {
		return m, fmt.Errorf("%s: %w", ref, err)
	}
	m.theta, m.info = params, *hdr.Data
	if hdr.Training != nil {
		m.wd = hdr.Training.WeightDecay
	}
	return m, nil
}

func newConnectCmd(g *globals) *cobra.Command {
	var (
		refs                 []string
		dataName, plotPath   string
		points, steps, batch int
		lr, wd               float64
		align                bool
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
			if points < 2 || steps < 0 || batch < 1 || !(lr > 0) {
				return fmt.Errorf("--points %d, --steps %d, --batch %d, --lr %v: want points >= 2, steps >= 0, batch >= 1, lr > 0", points, steps, batch, lr)
			}
			if plotPath != "" {
				if err := checkPlotPath(plotPath); err != nil {
					return err
				}
			}
			a, err := loadConnectModel(refs[0])
			if err != nil {
				return err
			}
			b, err := loadConnectModel(refs[1])
			if err != nil {
				return err
			}
			if a.spec.Describe() != b.spec.Describe() || a.spec.Act.Name != b.spec.Act.Name || a.spec.Loss != b.spec.Loss {
				return fmt.Errorf("the models differ: %s is %s %s %s, %s is %s %s %s; a path needs one architecture",
					a.ref, a.spec.Describe(), a.spec.Act.Name, a.spec.Loss, b.ref, b.spec.Describe(), b.spec.Act.Name, b.spec.Loss)
			}
			if !reflect.DeepEqual(a.info, b.info) {
				return fmt.Errorf("%s and %s were trained on different data (set, subset, split seed or standardisation: %s seed %d against %s seed %d); their losses are not on one training set",
					a.ref, b.ref, a.info.Name, a.info.Seed, b.info.Name, b.info.Seed)
			}
			if dataName != "" && dataName != a.info.Name {
				return fmt.Errorf("--data %s: the models were trained on %s (omit --data or give --data %s)", dataName, a.info.Name, a.info.Name)
			}
			if !cmd.Flags().Changed("weight-decay") {
				if a.wd != b.wd {
					return fmt.Errorf("the models were trained with weight decay %g and %g; give --weight-decay for the objective", a.wd, b.wd)
				}
				wd = a.wd
			}
			if !(wd >= 0) {
				return fmt.Errorf("--weight-decay %v: want >= 0", wd)
			}
			be, err := engine.Open(g.Backend)
			if err != nil {
				return err
			}
			defer be.Close()
			start := time.Now()
			net, err := models.NewMLP(be, a.spec)
			if err != nil {
				return err
			}
			defer net.Free()
			tr, err := train.Upload(be, a.prep.Train)
			if err != nil {
				return err
			}
			defer tr.Free()
			te, err := train.Upload(be, a.prep.Test)
			if err != nil {
				return err
			}
			defer te.Free()
			pe, err := landscape.NewPathEvaluator(net, tr, te, wd)
			if err != nil {
				return err
			}
			defer pe.Free()
			res := connectResult{ModelA: a.ref, ModelB: b.ref, Data: a.info.Name, Arch: a.spec.ArchString(), Activation: a.spec.Act.Name, Loss: a.spec.Loss.String(),
				Params: net.NumParams(), WeightDecay: wd, Aligned: align, BezierSteps: steps}
			thetaB := b.theta
			res.UnalignedDistance = landscape.Distance(a.theta, b.theta)
			if align {
				if thetaB, _, err = landscape.Align(a.spec, a.theta, b.theta); err != nil {
					return err
				}
			}
			res.Distance = landscape.Distance(a.theta, thetaB)
			if res.Linear, err = landscape.LinearPath(pe, a.theta, thetaB, points); err != nil {
				return err
			}
			if steps > 0 {
				update, finish := progress(cmd, "bezier")
				bz, err := landscape.TrainBezier(pe, a.theta, thetaB, landscape.BezierOptions{Steps: steps, LR: lr, Batch: batch, Seed: g.Seed,
					Progress: func(step, total int, _ float64) { update(step, total) }})
				finish()
				if err != nil {
					return err
				}
				p, err := landscape.BezierPath(pe, a.theta, thetaB, bz.Control, points)
				if err != nil {
					return err
				}
				res.Bezier, res.BezierObjective = &p, bz.Objective
			}
			res.Seconds = time.Since(start).Seconds()
			return emitAndPlot(cmd, g, connectTable(res), res, plotPath, func(path string) error { return connectPlot(path, res) })
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&refs, "model", nil, "a model file from 'netgeom train', or CENSUS.jsonl:DEPTH:RESTART (give two)")
	fl.StringVar(&dataName, "data", "", "the models' data set (default: the one they record; another name is an error)")
	fl.IntVar(&points, "points", 41, "points along each path")
	fl.IntVar(&steps, "steps", landscape.DefaultBezierSteps, "Adam steps training the Bezier control point (0: straight line only)")
	fl.Float64Var(&lr, "lr", landscape.DefaultBezierLR, "Adam's learning rate for the control point")
	fl.IntVar(&batch, "batch", landscape.DefaultBezierBatch, "values of t per Adam step (stratified)")
	fl.Float64Var(&wd, "weight-decay", 0, "weight decay of the objective (default: the models' own)")
	fl.BoolVar(&align, "align", false, "align b's hidden units to a's (permutations and sign flips) first")
	fl.StringVar(&plotPath, "plot", "", "draw the losses along the paths here (.png or .svg)")
	return cmd
}

func connectTable(res connectResult) table {
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
		row := []string{strconv.FormatFloat(p.T, 'g', 4, 64), fmtFloat(p.TrainLoss), fmtFloat(p.TestLoss), fmtFloat(p.Objective)}
		if res.Bezier != nil {
			q := res.Bezier.Points[i]
			row = append(row, fmtFloat(q.TrainLoss), fmtFloat(q.TestLoss), fmtFloat(q.Objective))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func alignNote(res connectResult) string {
	if res.Aligned {
		return fmt.Sprintf(" after alignment (%.4g before)", res.UnalignedDistance)
	}
	return ""
}

// connectPlot draws the train loss (solid) and test loss (dashed) along the
// straight line and the Bezier curve.
func connectPlot(path string, res connectResult) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("mode connectivity: %s %s on %s (%d parameters)%s", res.Arch, res.Activation, res.Data, res.Params, map[bool]string{true: ", b aligned to a", false: ""}[res.Aligned])
	p.X.Label.Text = "t"
	p.Y.Label.Text = "mean " + res.Loss
	if len(res.Linear.Points) == 0 {
		return errors.New("plot: empty path")
	}
	paths := []*landscape.Path{&res.Linear}
	if res.Bezier != nil {
		paths = append(paths, res.Bezier)
	}
	colors := []color.Color{color.RGBA{R: 200, G: 50, B: 40, A: 255}, color.RGBA{R: 30, G: 60, B: 160, A: 255}}
	for i, pa := range paths {
		for k, name := range []string{"train", "test"} {
			var xy plotter.XYs
			for _, q := range pa.Points {
				y := q.TrainLoss
				if k == 1 {
					y = q.TestLoss
				}
				xy = append(xy, plotter.XY{X: q.T, Y: y})
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("plot %s: %w", path, err)
			}
			l.Color, l.Width = colors[i], vg.Points(1.5)
			if k == 1 {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l)
			label := fmt.Sprintf("%s, %s loss", pa.Kind, name)
			if k == 0 {
				label += fmt.Sprintf(" (barrier %.3g)", pa.Barrier)
			}
			p.Legend.Add(label, l)
		}
	}
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for _, pa := range paths {
		for _, q := range pa.Points {
			ylo, yhi = math.Min(ylo, math.Min(q.TrainLoss, q.TestLoss)), math.Max(yhi, math.Max(q.TrainLoss, q.TestLoss))
		}
	}
	if span := yhi - ylo; span > 0 { // room above the curves for the legend
		p.Y.Min, p.Y.Max = ylo-0.03*span, yhi+0.35*span
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return report.SaveGrid([][]*plot.Plot{{p}}, 9*vg.Inch, 5.5*vg.Inch, path)
}
