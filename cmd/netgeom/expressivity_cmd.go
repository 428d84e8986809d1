package main

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newExpressivityCmd) }

type expressivityRow struct {
	Kind        string    `json:"kind"` // "deep" or "shallow"
	Depth       int       `json:"depth"`
	Width       int       `json:"width"`
	MeanError   float64   `json:"mean_error"`
	MedianError float64   `json:"median_error"`
	Errors      []float64 `json:"errors"` // per target, in the order of frequencies
}

func newExpressivityCmd(g *globals) *cobra.Command {
	var actName, depthList, shallowList, plotPath string
	var sigmaW, sigmaB, q float64
	var inputDim, width, points, functions int
	cmd := &cobra.Command{
		Use:   "expressivity",
		Short: "Deep against shallow: how well the last layer's features fit a Fourier basis on half a circle",
		Long: `Feed --points inputs on half a great circle (in --input-dim dimensions, squared
length per coordinate --q) to deep networks of width --width and depth
--depths, and to one-layer networks of the widths --shallow-widths, and fit
the 2 x --functions Fourier functions cos(2 pi k t), sin(2 pi k t), k =
1..functions (t in [0, 1] along the half circle) by least squares from the
last layer's features plus a constant. The error of a fit is 1 - cos(y, yhat)
(Poole et al. 2016, figure 5).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			act, err := activation.Lookup(actName)
			if err != nil {
				return fmt.Errorf("--act: %w", err)
			}
			depths, err := parseInts("depths", depthList)
			if err != nil {
				return err
			}
			shallow, err := parseInts("shallow-widths", shallowList)
			if err != nil {
				return err
			}
			if points < 3 || functions < 1 || inputDim < 2 || width < 1 || !(q > 0) {
				return fmt.Errorf("need --points >= 3, --functions >= 1, --input-dim >= 2, --width >= 1 and --q > 0")
			}
			if 2*functions >= points {
				return fmt.Errorf("--functions %d: 2 x functions must be below --points %d to be resolved", functions, points)
			}
			b, err := engine.Open(g.Backend)
			if err != nil {
				return err
			}
			defer b.Close()
			x, err := manifold.HalfCircle(inputDim, points, q, g.Seed)
			if err != nil {
				return err
			}
			y, freq := manifold.FourierTargets(points, functions)
			type job struct {
				kind         string
				depth, width int
			}
			var jobs []job
			for _, d := range depths {
				jobs = append(jobs, job{"deep", d, width})
			}
			for _, w := range shallow {
				jobs = append(jobs, job{"shallow", 1, w})
			}
			update, finish := progress(cmd, "expressivity")
			var rows []expressivityRow
			for i, j := range jobs {
				widths := append([]int{inputDim}, models.UniformWidths(j.width, j.depth)[1:]...)
				net, err := models.NewRandomDense(models.RandomSpec{Widths: widths, Act: act, SigmaW: sigmaW, SigmaB: sigmaB, Seed: g.Seed})
				if err != nil {
					finish()
					return err
				}
				errs, err := manifold.FitErrors(b, net, x, points, y, 2*functions)
				if err != nil {
					finish()
					return fmt.Errorf("%s depth %d width %d: %w", j.kind, j.depth, j.width, err)
				}
				sorted := append([]float64(nil), errs...)
				sort.Float64s(sorted)
				mean := 0.0
				for _, e := range errs {
					mean += e / float64(len(errs))
				}
				rows = append(rows, expressivityRow{Kind: j.kind, Depth: j.depth, Width: j.width, MeanError: mean, MedianError: sorted[len(sorted)/2], Errors: errs})
				update(i+1, len(jobs))
			}
			finish()
			t := table{Title: fmt.Sprintf("%s, sigma_w %g, sigma_b %g, %d points on half a circle in %d dimensions, %d Fourier targets, seed %d: fit error 1 - cos",
				act.Name, sigmaW, sigmaB, points, inputDim, 2*functions, g.Seed),
				Header: []string{"kind", "depth", "width", "neurons", "mean_error", "median_error"}}
			for _, r := range rows {
				t.Rows = append(t.Rows, []string{r.Kind, fmt.Sprint(r.Depth), fmt.Sprint(r.Width), fmt.Sprint(r.Depth * r.Width), fmtFloat(r.MeanError), fmtFloat(r.MedianError)})
			}
			out := map[string]any{"activation": act.Name, "sigma_w": sigmaW, "sigma_b": sigmaB, "points": points, "input_dim": inputDim,
				"frequencies": freq, "seed": g.Seed, "networks": rows}
			return emitAndPlot(cmd, g, t, out, plotPath, func(path string) error { return expressivityPlot(path, rows, freq) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&actName, "act", "tanh", "activation")
	fl.Float64Var(&sigmaW, "sigma-w", 4, "weight scale")
	fl.Float64Var(&sigmaB, "sigma-b", 0.3, "bias standard deviation")
	fl.IntVar(&inputDim, "input-dim", 500, "dimension of the input space")
	fl.Float64Var(&q, "q", 1, "squared length per coordinate of the inputs")
	fl.IntVar(&width, "width", 500, "width of the deep networks")
	fl.StringVar(&depthList, "depths", "1:8", "depths of the deep networks (lo:hi or a list)")
	fl.StringVar(&shallowList, "shallow-widths", "50,100,200,500,1000,2000", "widths of the one-layer networks")
	fl.IntVar(&points, "points", 1000, "points on the half circle")
	fl.IntVar(&functions, "functions", 100, "Fourier frequencies (2 targets each)")
	fl.StringVar(&plotPath, "plot", "", "write error against frequency here (.png or .svg)")
	return cmd
}

// expressivityPlot draws the fit error against frequency (mean of the cos
// and sin targets) for every network: deep in blues, shallow in reds.
func expressivityPlot(path string, rows []expressivityRow, freq []int) error {
	p := plot.New()
	p.Title.Text = "fit error 1 - cos(y, yhat) against frequency"
	p.X.Label.Text, p.Y.Label.Text = "frequency k", "error (log scale, floored at 1e-12)"
	p.Y.Tick.Marker = report.ExponentTicks{} // log10 values on a linear axis
	nDeep, nShallow := 0, 0
	for _, r := range rows {
		if r.Kind == "deep" {
			nDeep++
		} else {
			nShallow++
		}
	}
	iDeep, iShallow := 0, 0
	for _, r := range rows {
		byK := map[int][]float64{}
		for i, e := range r.Errors {
			byK[freq[i]] = append(byK[freq[i]], e)
		}
		var pts plotter.XYs
		for k := 1; k <= len(byK); k++ {
			m := 0.0
			for _, e := range byK[k] {
				m += e / float64(len(byK[k]))
			}
			pts = append(pts, plotter.XY{X: float64(k), Y: math.Log10(math.Max(m, 1e-12))})
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		var label string
		if r.Kind == "deep" {
			f := float64(iDeep) / math.Max(1, float64(nDeep-1))
			l.Color = color.RGBA{R: 20, G: uint8(60 + 120*f), B: uint8(120 + 120*f), A: 255}
			label = fmt.Sprintf("deep, depth %d", r.Depth)
			iDeep++
		} else {
			f := float64(iShallow) / math.Max(1, float64(nShallow-1))
			l.Color = color.RGBA{R: uint8(150 + 100*f), G: uint8(40 + 80*f), B: 30, A: 255}
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			label = fmt.Sprintf("shallow, width %d", r.Width)
			iShallow++
		}
		p.Add(l)
		p.Legend.Add(label, l)
	}
	p.Y.Min, p.Y.Max = -12, 0
	p.Legend.Top, p.Legend.Left = false, false // bottom right: the curves rise to the right
	p.Legend.XOffs = -vg.Points(10)
	return report.SaveGrid([][]*plot.Plot{{p}}, 9*vg.Inch, 6*vg.Inch, path)
}
