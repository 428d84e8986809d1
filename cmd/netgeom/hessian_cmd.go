package main

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
	"github.com/netgeom/netgeom/spectrum"
	"github.com/netgeom/netgeom/spinglass"
	"github.com/netgeom/netgeom/train"
)

func init() { register(newHessianCmd) }

// hessianEigen is one Ritz pair: the eigenvalue and the residual bound
// ||H y - value y|| of its unit Ritz vector y.
type hessianEigen struct {
	Value    float64 `json:"value"`
	Residual float64 `json:"residual"`
}

type hessianTrace struct {
	Value   float64 `json:"value"`
	StdErr  float64 `json:"stderr"`
	Samples int     `json:"samples"`
}

type hessianDensity struct {
	Grid    []float64 `json:"grid"`
	Values  []float64 `json:"values"`
	Sigma   float64   `json:"sigma"`
	Vectors int       `json:"vectors"`
	Steps   int       `json:"steps"`
}

// hessianOverlay is a random-matrix law fitted to the measured density by
// least squares: the Wigner semicircle of radius 2 scale, or the
// Marchenko-Pastur law of ratio g and the given scale (its mean).
type hessianOverlay struct {
	Law   string  `json:"law"`
	Scale float64 `json:"scale"`
	Ratio float64 `json:"ratio,omitempty"`
}

// hessianResult is what `netgeom hessian --format json` prints. The keys
// eigenvalues, trace, density, hvps and seconds are the interface; the rest
// describe the run.
type hessianResult struct {
	Model       string          `json:"model"`
	Data        string          `json:"data"`
	Samples     int             `json:"samples"`
	Params      int             `json:"params"`
	Operator    string          `json:"operator"`
	Loss        float64         `json:"loss"`
	Which       string          `json:"which,omitempty"`
	Converged   *bool           `json:"converged,omitempty"`
	Eigenvalues []hessianEigen  `json:"eigenvalues"`
	Trace       *hessianTrace   `json:"trace,omitempty"`
	Density     *hessianDensity `json:"density,omitempty"`
	Overlay     *hessianOverlay `json:"overlay,omitempty"`
	HVPs        int             `json:"hvps"`
	Seconds     float64         `json:"seconds"`
}

func newHessianCmd(g *globals) *cobra.Command {
	var (
		modelPath, dataName, which, plotPath string
		overlay                              string
		mpRatio                              float64
		subset, top, maxBasis, maxHVPs       int
		traceSamples, slqVectors, slqSteps   int
		gridPoints, chunk                    int
		tol, sigma                           float64
		doTrace, doDensity, gaussNewton      bool
	)
	cmd := &cobra.Command{
		Use:   "hessian",
		Short: "Eigenvalues, trace and spectral density of a trained model's loss Hessian",
		Long: `Load a model written by 'netgeom train', rebuild its training set (the same
data, subset, split and standardisation, from the model file) and study the
Hessian of the mean training loss at the trained parameters, applied by exact
Hessian-vector products (Pearlmutter's R-operator), or with --gauss-newton
the Gauss-Newton matrix J^T H_z J. The weight-decay penalty of training is
not included (it would add its coefficient to every eigenvalue).

  --top K     the K largest eigenvalues by thick-restart Lanczos with full
              reorthogonalisation, each with its residual bound
              ||H y - lambda y||, converged to --tol relative
  --trace     the trace by Hutchinson's estimator, with its standard error
  --density   the spectral density by stochastic Lanczos quadrature, smoothed
              by a Gaussian; --plot draws it with a logarithmic density axis

It reports how many Hessian-vector products and seconds the run took.

  netgeom hessian --model iris.ngm --data iris --top 10 --trace --density --plot esd.png`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" {
				return errors.New("--model: give the model file written by 'netgeom train --out FILE'")
			}
			switch overlay {
			case "", "semicircle", "mp":
			default:
				return fmt.Errorf("--overlay %q: want semicircle or mp", overlay)
			}
			if overlay == "mp" && !(mpRatio > 0) {
				return fmt.Errorf("--mp-ratio %v: want a ratio > 0", mpRatio)
			}
			if plotPath != "" || overlay != "" {
				doDensity = true
			}
			if top < 0 || traceSamples < 2 || slqVectors < 1 || slqSteps < 1 || gridPoints < 2 || maxBasis < 0 || maxHVPs < 0 {
				return fmt.Errorf("--top %d, --trace-samples %d, --slq-vectors %d, --slq-steps %d, --grid %d, --max-basis %d, --max-hvps %d: want top >= 0, trace samples >= 2, vectors and steps >= 1, grid >= 2, the rest >= 0",
					top, traceSamples, slqVectors, slqSteps, gridPoints, maxBasis, maxHVPs)
			}
			if top == 0 && !doTrace && !doDensity {
				return errors.New("nothing to compute: give --top K, --trace or --density")
			}
			if !(tol > 0) || !(sigma >= 0) {
				return fmt.Errorf("--tol %v and --sigma %v: want tol > 0, sigma >= 0", tol, sigma)
			}
			var wh spectrum.Which
			switch which {
			case "largest":
				wh = spectrum.Largest
			case "smallest":
				wh = spectrum.Smallest
			case "magnitude":
				wh = spectrum.LargestMagnitude
			default:
				return fmt.Errorf("--which %q: valid values are largest, smallest, magnitude", which)
			}
			b, err := engine.Open(g.Backend)
			if err != nil {
				return err
			}
			defer b.Close()
			net, hdr, err := models.LoadMLP(b, modelPath)
			if err != nil {
				return err
			}
			defer net.Free()
			if hdr.Data == nil {
				return fmt.Errorf("%s records no training data; it was not written by 'netgeom train'", modelPath)
			}
			if dataName != "" && dataName != hdr.Data.Name {
				return fmt.Errorf("--data %s: the model %s was trained on %s; its Hessian is taken on that training set (omit --data or give --data %s)",
					dataName, modelPath, hdr.Data.Name, hdr.Data.Name)
			}
			if cmd.Flags().Changed("subset") && subset != hdr.Data.Subset {
				return fmt.Errorf("--subset %d: the model was trained on a subset of %d samples (0: all); omit --subset", subset, hdr.Data.Subset)
			}
			prep, err := train.Rebuild(*hdr.Data)
			if err != nil {
				return fmt.Errorf("%s: %w", modelPath, err)
			}
			data, err := train.Upload(b, prep.Train)
			if err != nil {
				return err
			}
			defer data.Free()

			start := time.Now()
			h, err := models.NewHessian(net, net.Params(), data, models.HessianOptions{Chunk: chunk, GaussNewton: gaussNewton})
			if err != nil {
				return err
			}
			defer h.Free()
			op := spectrum.Operator{Dim: h.Dim(), Apply: h.Apply}
			res := hessianResult{Model: modelPath, Data: hdr.Data.Name, Samples: data.N, Params: h.Dim(), Operator: "hessian",
				Loss: h.Loss(), Eigenvalues: []hessianEigen{}}
			if gaussNewton {
				res.Operator = "gauss-newton"
			}
			if top > 0 {
				if top > h.Dim() {
					return fmt.Errorf("--top %d: the model has only %d parameters", top, h.Dim())
				}
				update, finish := progress(cmd, "lanczos")
				budget := maxHVPs // for the progress line: Lanczos's own default cap
				if budget == 0 {
					m := maxBasis
					if m == 0 {
						m = min(h.Dim(), max(4*top, 40))
					}
					budget = max(1000, 20*m)
				}
				lz, err := spectrum.Lanczos(b, op, spectrum.LanczosOptions{K: top, Which: wh, Tol: tol, MaxBasis: maxBasis, MaxMatVecs: maxHVPs, Seed: g.Seed,
					Progress: func(mv int, _ float64) { update(mv, max(budget, mv)) }})
				finish()
				if err != nil {
					return err
				}
				res.Which, res.Converged = which, ptr(lz.Converged)
				for _, p := range lz.Pairs {
					res.Eigenvalues = append(res.Eigenvalues, hessianEigen{Value: p.Value, Residual: p.Residual})
				}
				if !lz.Converged {
					fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: Lanczos stopped after %d products before every residual met --tol %g; raise --max-hvps\n", lz.MatVecs, tol)
				}
			}
			if doTrace {
				update, finish := progress(cmd, "trace")
				tr, err := traceWithProgress(b, op, traceSamples, g.Seed, update)
				finish()
				if err != nil {
					return err
				}
				res.Trace = &hessianTrace{Value: tr.Value, StdErr: tr.StdErr, Samples: tr.Samples}
			}
			if doDensity {
				q, err := spectrum.SLQ(b, op, spectrum.SLQOptions{Vectors: slqVectors, Steps: slqSteps, Seed: g.Seed})
				if err != nil {
					return err
				}
				d, err := smoothedDensity(q, sigma, gridPoints)
				if err != nil {
					return err
				}
				d.Vectors, d.Steps = slqVectors, min(slqSteps, h.Dim())
				res.Density = d
				if overlay != "" {
					o := &hessianOverlay{Law: overlay}
					var err error
					switch overlay {
					case "semicircle":
						o.Scale, err = spinglass.FitSemicircleDensity(d.Grid, d.Values)
					case "mp":
						o.Ratio = mpRatio
						o.Scale, err = spinglass.FitMarchenkoPasturDensity(d.Grid, d.Values, mpRatio)
					}
					if err != nil {
						return fmt.Errorf("--overlay %s: %w", overlay, err)
					}
					res.Overlay = o
				}
			}
			res.HVPs = h.Products()
			res.Seconds = time.Since(start).Seconds()
			if err := printHessian(cmd, g, res, net); err != nil {
				return err
			}
			if plotPath != "" {
				if err := densityPlot(plotPath, res, net.Spec()); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: wrote %s\n", plotPath)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "model file written by 'netgeom train' (required)")
	fl.StringVar(&dataName, "data", "", "the model's data set (default: the one it records; another name is an error)")
	fl.IntVar(&subset, "subset", 0, "the model's training subset (default: the one it records)")
	fl.IntVar(&top, "top", 10, "number of largest eigenvalues (0: none)")
	fl.StringVar(&which, "which", "largest", "which eigenvalues --top finds: largest, smallest or magnitude")
	fl.Float64Var(&tol, "tol", 1e-8, "Lanczos relative residual tolerance: residual <= tol max(|lambda|, 1e-3 ||H||)")
	fl.IntVar(&maxBasis, "max-basis", 0, "Lanczos basis vectors held (0: max(4 top, 40))")
	fl.IntVar(&maxHVPs, "max-hvps", 0, "cap on Lanczos's Hessian-vector products (0: max(1000, 20 basis))")
	fl.BoolVar(&doTrace, "trace", false, "estimate the trace (Hutchinson)")
	fl.IntVar(&traceSamples, "trace-samples", 100, "Rademacher vectors of the trace estimate")
	fl.BoolVar(&doDensity, "density", false, "estimate the spectral density (stochastic Lanczos quadrature)")
	fl.IntVar(&slqVectors, "slq-vectors", 5, "probe vectors of the density")
	fl.IntVar(&slqSteps, "slq-steps", 80, "Lanczos steps per probe vector")
	fl.Float64Var(&sigma, "sigma", 0, "Gaussian smoothing of the density (0: 1/500 of the spectrum's range)")
	fl.IntVar(&gridPoints, "grid", 2000, "points of the density grid")
	fl.StringVar(&plotPath, "plot", "", "draw the density here (.png or .svg; implies --density)")
	fl.StringVar(&overlay, "overlay", "", "fit a random-matrix law to the density and draw it: semicircle or mp (Marchenko-Pastur; implies --density)")
	fl.Float64Var(&mpRatio, "mp-ratio", 1, "with --overlay mp: the law's ratio g (dimension over samples)")
	fl.BoolVar(&gaussNewton, "gauss-newton", false, "use the Gauss-Newton matrix J^T H_z J instead of the Hessian")
	fl.IntVar(&chunk, "chunk", 0, "samples per batched pass (0: 4096)")
	return cmd
}

// traceWithProgress runs Hutchinson's estimator in batches of samples so
// that progress can be shown; the estimate is the one spectrum.Trace gives
// for all samples at once (the same vectors, streams 0..samples-1).
func traceWithProgress(b engine.Backend, op spectrum.Operator, samples int, seed uint64, update func(done, total int)) (spectrum.TraceEstimate, error) {
	n := 0
	counted := spectrum.Operator{Dim: op.Dim, Apply: func(x, y engine.Buffer) error {
		n++
		update(n, samples)
		return op.Apply(x, y)
	}}
	return spectrum.Trace(b, counted, spectrum.TraceOptions{Samples: samples, Seed: seed})
}

// smoothedDensity evaluates the SLQ density on a grid padded by 5 sigma;
// sigma 0 means 1/500 of the range of the quadrature nodes.
func smoothedDensity(q spectrum.Quadrature, sigma float64, points int) (*hessianDensity, error) {
	if sigma == 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, ns := range q.Nodes {
			for _, t := range ns {
				lo, hi = math.Min(lo, t), math.Max(hi, t)
			}
		}
		sigma = (hi - lo) / 500
		if !(sigma > 0) {
			sigma = math.Max(1e-3*math.Abs(hi), 1e-12)
		}
	}
	grid, err := spectrum.DefaultGrid(q, points, 5*sigma)
	if err != nil {
		return nil, err
	}
	vals, _, err := q.Density(grid, sigma)
	if err != nil {
		return nil, err
	}
	return &hessianDensity{Grid: grid, Values: vals, Sigma: sigma}, nil
}

func printHessian(cmd *cobra.Command, g *globals, res hessianResult, net *models.MLP) error {
	spec := net.Spec()
	opName := "Hessian"
	if res.Operator == "gauss-newton" {
		opName = "Gauss-Newton matrix"
	}
	title := fmt.Sprintf("%s: %s %s, %s, %d parameters; %s of the mean loss (%s) over %d training samples of %s",
		res.Model, spec.Describe(), spec.Act.Name, spec.Loss, res.Params, opName, fmtFloat(res.Loss), res.Samples, res.Data)
	switch g.Format {
	case "json", "jsonl":
		return emit(cmd, g, table{}, res)
	case "csv":
		t := table{Header: []string{"quantity", "index", "value", "error"}}
		for i, e := range res.Eigenvalues {
			t.Rows = append(t.Rows, []string{"eigenvalue", fmt.Sprint(i + 1), fmtFloat(e.Value), fmtFloat(e.Residual)})
		}
		if res.Trace != nil {
			t.Rows = append(t.Rows, []string{"trace", "", fmtFloat(res.Trace.Value), fmtFloat(res.Trace.StdErr)})
		}
		if res.Density != nil {
			for i, x := range res.Density.Grid {
				t.Rows = append(t.Rows, []string{"density", fmtFloat(x), fmtFloat(res.Density.Values[i]), ""})
			}
		}
		t.Rows = append(t.Rows, []string{"hvps", "", fmt.Sprint(res.HVPs), ""}, []string{"seconds", "", fmtFloat(res.Seconds), ""})
		return emit(cmd, g, t, res)
	}
	w := cmd.OutOrStdout()
	if len(res.Eigenvalues) > 0 {
		t := table{Title: title, Header: []string{"rank", "eigenvalue", "residual", "relative_residual"}}
		for i, e := range res.Eigenvalues {
			t.Rows = append(t.Rows, []string{fmt.Sprint(i + 1), fmtFloat(e.Value), fmtFloat(e.Residual), fmtFloat(e.Residual / math.Abs(e.Value))})
		}
		if err := emit(cmd, g, t, res); err != nil {
			return err
		}
		if res.Converged != nil && !*res.Converged {
			fmt.Fprintln(w, "(not converged to --tol)")
		}
	} else {
		fmt.Fprintln(w, title)
	}
	if res.Trace != nil {
		fmt.Fprintf(w, "trace  %s +- %s (Hutchinson, %d Rademacher vectors)\n", fmtFloat(res.Trace.Value), fmtFloat(res.Trace.StdErr), res.Trace.Samples)
	}
	if d := res.Density; d != nil {
		peak := 0
		for i, v := range d.Values {
			if v > d.Values[peak] {
				peak = i
			}
		}
		fmt.Fprintf(w, "density  on [%s, %s], peak %s at %s (SLQ, %d vectors x %d steps, sigma %s)\n",
			fmtFloat(d.Grid[0]), fmtFloat(d.Grid[len(d.Grid)-1]), fmtFloat(d.Values[peak]), fmtFloat(d.Grid[peak]), d.Vectors, d.Steps, fmtFloat(d.Sigma))
	}
	if o := res.Overlay; o != nil {
		if o.Law == "mp" {
			fmt.Fprintf(w, "overlay  Marchenko-Pastur, ratio %s, fitted scale %s (least squares on the density)\n", fmtFloat(o.Ratio), fmtFloat(o.Scale))
		} else {
			fmt.Fprintf(w, "overlay  Wigner semicircle, fitted scale %s (radius %s; least squares on the density)\n", fmtFloat(o.Scale), fmtFloat(2*o.Scale))
		}
	}
	fmt.Fprintf(w, "hvps  %d in %.3gs\n", res.HVPs, res.Seconds)
	return nil
}

// densityPlot draws the smoothed spectral density on a logarithmic density
// axis, as in the Hessian-spectrum literature (Ghorbani et al. 2019), with
// the Lanczos eigenvalues marked along the top.
func densityPlot(path string, res hessianResult, spec models.MLPSpec) error {
	d := res.Density
	peak := 0.0
	for _, v := range d.Values {
		peak = math.Max(peak, v)
	}
	if !(peak > 0) {
		return fmt.Errorf("plot %s: the density is 0 everywhere", path)
	}
	floor := peak * 1e-8 // eight decades: the Gaussian tails below are smoothing, not spectrum
	pts := make(plotter.XYs, len(d.Grid))
	for i, x := range d.Grid {
		pts[i].X, pts[i].Y = x, math.Max(d.Values[i], floor)
	}
	p := plot.New()
	op := "Hessian"
	if res.Operator == "gauss-newton" {
		op = "Gauss-Newton"
	}
	p.Title.Text = fmt.Sprintf("%s spectral density: %s %s on %s (%d samples, %d parameters)", op, spec.Describe(), spec.Act.Name, res.Data, res.Samples, res.Params)
	p.X.Label.Text = "eigenvalue"
	p.Y.Label.Text = "density"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = report.DecadeTicks{}
	p.Y.Min, p.Y.Max = floor, peak*3
	l, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	l.Color, l.Width = color.RGBA{R: 30, G: 60, B: 160, A: 255}, vg.Points(1)
	p.Add(l)
	p.Legend.Add(fmt.Sprintf("SLQ (%d vectors x %d steps, sigma %.3g)", d.Vectors, d.Steps, d.Sigma), l)
	if o := res.Overlay; o != nil {
		law := make(plotter.XYs, len(d.Grid))
		for i, x := range d.Grid {
			v := spinglass.Semicircle(x, o.Scale)
			if o.Law == "mp" {
				v = spinglass.MarchenkoPastur(x, o.Ratio, o.Scale)
			}
			law[i].X, law[i].Y = x, math.Max(v, floor)
		}
		ol, err := plotter.NewLine(law)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		ol.Color, ol.Dashes = color.RGBA{R: 200, G: 120, B: 20, A: 255}, []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(ol)
		name := fmt.Sprintf("semicircle fit, scale %.3g", o.Scale)
		if o.Law == "mp" {
			name = fmt.Sprintf("Marchenko-Pastur fit, ratio %.3g, scale %.3g", o.Ratio, o.Scale)
		}
		p.Legend.Add(name, ol)
	}
	if len(res.Eigenvalues) > 0 {
		marks := make(plotter.XYs, len(res.Eigenvalues))
		for i, e := range res.Eigenvalues {
			marks[i].X, marks[i].Y = e.Value, peak*1.8
		}
		sc, err := plotter.NewScatter(marks)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = color.RGBA{R: 200, G: 50, B: 40, A: 255}, draw.PyramidGlyph{}, vg.Points(3)
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("Lanczos top %d", len(res.Eigenvalues)), sc)
	}
	p.Legend.Top = true
	p.Legend.YOffs = -vg.Points(14) // below the eigenvalue marks along the top
	p.Add(plotter.NewGrid())
	return report.SaveGrid([][]*plot.Plot{{p}}, 9*vg.Inch, 5.5*vg.Inch, path)
}
