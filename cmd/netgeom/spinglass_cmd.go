package main

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/report"
	"github.com/netgeom/netgeom/spinglass"
)

func init() { register(newSpinglassCmd) }

// Defaults of --starts: per p-spin census, and per layer count.
const (
	pspinStarts   = 1000
	layeredStarts = 300
)

// spinIndexRow is one index of the p-spin census.
type spinIndexRow struct {
	Index int     `json:"index"`
	Count int     `json:"count"`
	UMin  float64 `json:"u_min"`
	UMean float64 `json:"u_mean"`
	UMax  float64 `json:"u_max"`
	// IndexTheory is (N-1) IndexFraction(u_mean): the index a critical
	// point at that energy has at large N (ABC's GOE Hessian).
	IndexTheory float64 `json:"index_theory"`
}

// energyRange summarises the energies of a set of points; nil when empty.
type energyRange struct {
	Count int     `json:"count"`
	UMin  float64 `json:"u_min"`
	UMean float64 `json:"u_mean"`
	UMax  float64 `json:"u_max"`
}

func rangeOf(pts []spinglass.CriticalPoint) energyRange {
	r := energyRange{Count: len(pts)}
	if len(pts) == 0 {
		return r
	}
	r.UMin, r.UMax = math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		r.UMin = min(r.UMin, p.Energy)
		r.UMax = max(r.UMax, p.Energy)
		r.UMean += p.Energy
	}
	r.UMean /= float64(len(pts))
	return r
}

type pspinResult struct {
	Model        string  `json:"model"`
	P            int     `json:"p"`
	N            int     `json:"n"`
	Seed         uint64  `json:"seed"`
	MinimaStarts int     `json:"minima_starts"`
	SaddleStarts int     `json:"saddle_starts"`
	Tol          float64 `json:"tol"`
	Backend      string  `json:"backend"`
	Seconds      float64 `json:"seconds"`
	// Analytic (Auffinger, Ben Arous, Cerny): E_inf and E_0..E_4.
	EInf float64   `json:"e_inf"`
	Ek   []float64 `json:"e_k"`
	// FiniteSize is E_inf N^{-2/3}, the Tracy-Widom scale by which minima
	// at finite N reach above -E_inf.
	FiniteSize float64 `json:"finite_size_scale"`
	// ComplexCriticalPoints is the number of eigenvectors of a generic
	// symmetric tensor (Cartwright-Sturmfels): complex critical points up
	// to sign, an upper bound on the real ones.
	ComplexCriticalPoints string                    `json:"complex_critical_points"`
	Converged             int                       `json:"converged"`
	Failed                int                       `json:"failed"`
	Mirrored              bool                      `json:"mirrored"`
	Distinct              int                       `json:"distinct"`
	Minima                energyRange               `json:"minima"`
	ByIndex               []spinIndexRow            `json:"by_index"`
	Points                []spinglass.CriticalPoint `json:"points"`
}

type layerRow struct {
	Layers    int   `json:"layers"`
	Dims      []int `json:"dims"`
	Starts    int   `json:"starts"`
	Converged int   `json:"converged"`
	Failed    int   `json:"failed"`
	Distinct  int   `json:"distinct"`
	Saddles   int   `json:"saddles"`
	// Minima summarises the distinct minima; UGround is the lowest energy
	// found (of any index).
	Minima    energyRange `json:"minima"`
	UGround   float64     `json:"u_ground"`
	MeanIndex float64     `json:"mean_index"`
	// ComplexCriticalPoints is Friedland-Ottaviani's count of singular
	// vector tuples when the format is small enough to count exactly.
	ComplexCriticalPoints string                    `json:"complex_critical_points,omitempty"`
	Seconds               float64                   `json:"seconds"`
	Points                []spinglass.CriticalPoint `json:"points"`
}

type layersResult struct {
	Model        string     `json:"model"`
	Dim          int        `json:"dim"`
	Seed         uint64     `json:"seed"`
	MinimaStarts int        `json:"minima_starts"`
	SaddleStarts int        `json:"saddle_starts"`
	Tol          float64    `json:"tol"`
	Backend      string     `json:"backend"`
	Seconds      float64    `json:"seconds"`
	Rows         []layerRow `json:"rows"`
}

type countRow struct {
	Format string `json:"format"`
	Dims   []int  `json:"dims"`
	Count  string `json:"count"`
}

func newSpinglassCmd(g *globals) *cobra.Command {
	var p, n, starts, dim, batch, maxIter int
	var saddleFrac, tol float64
	var layers, plotPath string
	var counts []string
	cmd := &cobra.Command{
		Use:   "spinglass",
		Short: "Spherical p-spin and layered spin glasses: critical points against the ABC complexity; exact complex counts",
		Long: `Three jobs.

The spherical p-spin glass H(s) = N^{-(p-1)/2} sum J s...s on |s|^2 = N
(default): critical points from --starts random starts (a fraction
--saddle-frac hunts saddles of every index by Newton steps on |grad|^2, the
rest descend to minima), polished to |grad|/sqrt(N) < --tol, deduplicated,
with their energies u = H/N and indices beside the Auffinger-Ben Arous-Cerny
values E_inf, E_k and the large-N index (N-1) IndexFraction(u). For odd p
each point is reported at u <= 0 and stands also for its mirror -s.

  netgeom spinglass --p 3 --n 100 --starts 1000 --plot pspin.png

The layered spin glass (one spherical weight vector per layer, a multilinear
loss with Gaussian couplings) at a fixed total dimension --dim, split as
evenly as possible over 1, 2, ... layers (--layers lo:hi or a list):

  netgeom spinglass --layers 1:6 --dim 60 --plot layers.png

The exact number of complex critical points (singular-vector tuples, by
Friedland and Ottaviani's generating function) of a tensor format:

  netgeom spinglass --count 3x3x3 --count 2,3,4 --count 4^3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(counts) > 0 {
				if cmd.Flags().Changed("layers") {
					return errors.New("--count and --layers are separate jobs: give one")
				}
				return runCounts(cmd, g, counts)
			}
			if !(saddleFrac >= 0 && saddleFrac <= 1) {
				return fmt.Errorf("--saddle-frac %v: want a fraction in [0, 1]", saddleFrac)
			}
			if !(tol > 0) || math.IsInf(tol, 0) {
				return fmt.Errorf("--tol %v: want a positive number", tol)
			}
			if batch < 0 || maxIter < 0 {
				return fmt.Errorf("--batch %d, --max-iter %d: want >= 0 (0: default)", batch, maxIter)
			}
			if !cmd.Flags().Changed("starts") {
				starts = pspinStarts
				if cmd.Flags().Changed("layers") {
					starts = layeredStarts
				}
			}
			if starts < 1 {
				return fmt.Errorf("--starts %d: want at least 1", starts)
			}
			saddle := int(math.Round(saddleFrac * float64(starts)))
			opt := spinglass.CensusOptions{MinimaStarts: starts - saddle, SaddleStarts: saddle, Tol: tol, Batch: batch, MaxIter: maxIter, Seed: g.Seed}
			if cmd.Flags().Changed("layers") {
				ls, err := parseLayerList(layers)
				if err != nil {
					return err
				}
				if dim < 1 {
					return fmt.Errorf("--dim %d: want at least 1", dim)
				}
				if ls[len(ls)-1] > dim {
					return fmt.Errorf("--layers up to %d with --dim %d: every layer needs at least one dimension", ls[len(ls)-1], dim)
				}
				return runLayers(cmd, g, ls, dim, opt, plotPath)
			}
			return runPSpin(cmd, g, p, n, opt, plotPath)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&p, "p", 3, "p of the p-spin (2 to 10)")
	fl.IntVar(&n, "n", 100, "number of spins N (N^p couplings: N <= 322 at p = 3, 76 at p = 4)")
	fl.IntVar(&starts, "starts", pspinStarts, fmt.Sprintf("random starts (default %d for the p-spin, %d per layer count)", pspinStarts, layeredStarts))
	fl.Float64Var(&saddleFrac, "saddle-frac", 0.5, "fraction of the starts that hunt saddles; the rest descend to minima")
	fl.Float64Var(&tol, "tol", 1e-9, "a point is critical when |grad_R|/sqrt(dim) is below this")
	fl.IntVar(&maxIter, "max-iter", 0, "Newton steps per start before it counts as failed (0: 500)")
	fl.IntVar(&batch, "batch", 0, "points per backend call (0: 64, less for large tensors)")
	fl.StringVar(&layers, "layers", "", "layered spin glass: numbers of layers, lo:hi or a list like 1,2,4")
	fl.IntVar(&dim, "dim", 60, "layered spin glass: total dimension, split evenly over the layers")
	fl.StringArrayVar(&counts, "count", nil, "print the exact number of complex singular-vector tuples of a tensor format: 3x3x3, 2,3,4 or 4^3 (repeatable)")
	fl.StringVar(&plotPath, "plot", "", "write the figure here (.png or .svg)")
	return cmd
}

// parseLayerList reads "lo:hi" (every integer between), "k" or "a,b,c".
func parseLayerList(s string) ([]int, error) {
	bad := func(why string) error {
		return fmt.Errorf("--layers %q: %s; write lo:hi (every number of layers from lo to hi), k, or a list like 1,2,4", s, why)
	}
	num := func(x string) (int, error) {
		v, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil || v < 1 || v > 64 {
			return 0, bad(fmt.Sprintf("%q is not a number of layers between 1 and 64", x))
		}
		return v, nil
	}
	var out []int
	if lo, hi, ok := strings.Cut(s, ":"); ok {
		a, err := num(lo)
		if err != nil {
			return nil, err
		}
		b, err := num(hi)
		if err != nil {
			return nil, err
		}
		if b < a {
			return nil, bad("hi < lo")
		}
		for l := a; l <= b; l++ {
			out = append(out, l)
		}
		return out, nil
	}
	seen := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		v, err := num(f)
		if err != nil {
			return nil, err
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Ints(out)
	return out, nil
}

// parseFormat reads a tensor format: "3x3x3", "2,3,4" or "n^d".
func parseFormat(s string) ([]int, error) {
	bad := func(why string) error {
		return fmt.Errorf("--count %q: %s; write a format like 3x3x3, 2,3,4 or 4^3", s, why)
	}
	t := strings.ToLower(strings.TrimSpace(s))
	if base, exp, ok := strings.Cut(t, "^"); ok {
		n, err1 := strconv.Atoi(strings.TrimSpace(base))
		d, err2 := strconv.Atoi(strings.TrimSpace(exp))
		if err1 != nil || err2 != nil || n < 1 || d < 1 || d > 64 {
			return nil, bad("n^d needs sizes n >= 1 and 1 <= d <= 64")
		}
		out := make([]int, d)
		for i := range out {
			out[i] = n
		}
		return out, nil
	}
	if t == "" {
		return nil, bad("no sizes")
	}
	fields := strings.Split(strings.NewReplacer(",", "x", "*", "x").Replace(t), "x")
	var out []int
	for _, f := range fields {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, bad(fmt.Sprintf("%q is not a size >= 1", f))
		}
		out = append(out, n)
	}
	return out, nil
}

func formatName(dims []int) string {
	s := make([]string, len(dims))
	for i, n := range dims {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "x")
}

func runCounts(cmd *cobra.Command, g *globals, counts []string) error {
	var rows []countRow
	for _, c := range counts {
		dims, err := parseFormat(c)
		if err != nil {
			return err
		}
		n, err := spinglass.SingularTupleCount(dims)
		if err != nil {
			return err
		}
		rows = append(rows, countRow{Format: formatName(dims), Dims: dims, Count: n.String()})
	}
	t := table{Title: "complex singular-vector tuples of a generic tensor (Friedland-Ottaviani), exact", Header: []string{"format", "count"}}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{r.Format, r.Count})
	}
	return emit(cmd, g, t, rows)
}

func runPSpin(cmd *cobra.Command, g *globals, p, n int, opt spinglass.CensusOptions, plotPath string) error {
	b, err := engine.Open(g.Backend)
	if err != nil {
		return err
	}
	defer b.Close()
	start := time.Now()
	m, err := spinglass.NewPSpin(b, p, n, g.Seed)
	if err != nil {
		return err
	}
	defer m.Close()
	update, finish := progress(cmd, fmt.Sprintf("spinglass p=%d N=%d", p, n))
	opt.Progress = update
	c, err := m.Census(opt)
	finish()
	if err != nil {
		return err
	}
	res := pspinResult{Model: "p-spin", P: p, N: n, Seed: g.Seed, MinimaStarts: opt.MinimaStarts, SaddleStarts: opt.SaddleStarts, Tol: opt.Tol,
		Backend: b.Info().Backend, Seconds: time.Since(start).Seconds(), EInf: spinglass.EInf(p),
		FiniteSize: spinglass.EInf(p) * math.Pow(float64(n), -2.0/3), Converged: c.Converged, Failed: c.Failed, Mirrored: c.Mirrored,
		Distinct: len(c.Points), Minima: rangeOf(c.Minima()), Points: c.Points}
	if res.Points == nil {
		res.Points = []spinglass.CriticalPoint{}
	}
	for k := range 5 {
		e, err := spinglass.Ek(p, k)
		if err != nil {
			return err
		}
		res.Ek = append(res.Ek, e)
	}
	if cc, err := spinglass.EigenvectorCount(p, n); err == nil {
		res.ComplexCriticalPoints = cc.String()
	}
	for _, s := range c.ByIndex() {
		res.ByIndex = append(res.ByIndex, spinIndexRow{Index: s.Index, Count: s.Count, UMin: s.UMin, UMean: s.UMean, UMax: s.UMax,
			IndexTheory: float64(n-1) * spinglass.IndexFraction(p, s.UMean)})
	}
	mins := "none"
	if res.Minima.Count > 0 {
		mins = fmt.Sprintf("%d, u in [%.4f, %.4f]", res.Minima.Count, res.Minima.UMin, res.Minima.UMax)
	}
	t := table{
		Title: fmt.Sprintf("spherical %d-spin, N %d, seed %d: %d minima + %d saddle starts, %d converged, %d failed (%s, %.1fs)\n"+
			"E_inf %.6f  E_0 %.6f  E_1 %.6f  E_2 %.6f; band [-E_0, -E_inf] = [%.4f, %.4f], finite-size scale E_inf N^-2/3 = %.4f\n"+
			"distinct critical points %d%s; minima %s",
			p, n, g.Seed, opt.MinimaStarts, opt.SaddleStarts, c.Converged, c.Failed, res.Backend, res.Seconds,
			res.EInf, res.Ek[0], res.Ek[1], res.Ek[2], -res.Ek[0], -res.EInf, res.FiniteSize,
			res.Distinct, mirrorNote(c.Mirrored), mins),
		Header: []string{"index", "count", "u_min", "u_mean", "u_max", "index_theory"},
	}
	for _, r := range res.ByIndex {
		t.Rows = append(t.Rows, []string{strconv.Itoa(r.Index), strconv.Itoa(r.Count), fmtFloat(r.UMin), fmtFloat(r.UMean), fmtFloat(r.UMax), fmtFloat(r.IndexTheory)})
	}
	return emitAndPlot(cmd, g, t, res, plotPath, func(path string) error { return pspinPlot(path, res) })
}

func mirrorNote(m bool) string {
	if m {
		return " (each at u <= 0, standing also for its mirror at -u)"
	}
	return ""
}

func runLayers(cmd *cobra.Command, g *globals, ls []int, dim int, opt spinglass.CensusOptions, plotPath string) error {
	b, err := engine.Open(g.Backend)
	if err != nil {
		return err
	}
	defer b.Close()
	start := time.Now()
	res := layersResult{Model: "layered", Dim: dim, Seed: g.Seed, MinimaStarts: opt.MinimaStarts, SaddleStarts: opt.SaddleStarts, Tol: opt.Tol, Backend: b.Info().Backend}
	for _, l := range ls {
		dims, err := spinglass.SplitDims(dim, l)
		if err != nil {
			return err
		}
		t0 := time.Now()
		m, err := spinglass.NewLayered(b, dims, g.Seed)
		if err != nil {
			return fmt.Errorf("%d layers: %w", l, err)
		}
		update, finish := progress(cmd, fmt.Sprintf("spinglass L=%d (%s)", l, formatName(dims)))
		o := opt
		o.Progress = update
		c, err := m.Census(o)
		finish()
		m.Close()
		if err != nil {
			return fmt.Errorf("%d layers: %w", l, err)
		}
		row := layerRow{Layers: l, Dims: dims, Starts: o.MinimaStarts + o.SaddleStarts, Converged: c.Converged, Failed: c.Failed,
			Distinct: len(c.Points), Minima: rangeOf(c.Minima()), Seconds: time.Since(t0).Seconds(), Points: c.Points}
		if row.Points == nil {
			row.Points = []spinglass.CriticalPoint{}
		}
		row.Saddles = row.Distinct - row.Minima.Count
		if len(c.Points) > 0 {
			row.UGround = c.Points[0].Energy
			for _, p := range c.Points {
				row.MeanIndex += float64(p.Index)
			}
			row.MeanIndex /= float64(len(c.Points))
		}
		if fo, err := spinglass.SingularTupleCount(dims); err == nil {
			row.ComplexCriticalPoints = fo.String()
		}
		res.Rows = append(res.Rows, row)
	}
	res.Seconds = time.Since(start).Seconds()
	t := table{
		Title: fmt.Sprintf("layered spin glass, total dimension %d, seed %d: %d minima + %d saddle starts per layer count (%s, %.1fs)\n"+
			"each point at u <= 0 stands for the 2^L sign images of its weight vectors; complex = Friedland-Ottaviani count where computable",
			dim, g.Seed, opt.MinimaStarts, opt.SaddleStarts, res.Backend, res.Seconds),
		Header: []string{"layers", "dims", "distinct", "minima", "saddles", "u_ground", "u_min_mean", "u_min_max", "mean_index", "failed", "complex"},
	}
	for _, r := range res.Rows {
		mm, mx := "-", "-"
		if r.Minima.Count > 0 {
			mm, mx = fmtFloat(r.Minima.UMean), fmtFloat(r.Minima.UMax)
		}
		cc := r.ComplexCriticalPoints
		if cc == "" {
			cc = "-"
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(r.Layers), formatName(r.Dims), strconv.Itoa(r.Distinct), strconv.Itoa(r.Minima.Count),
			strconv.Itoa(r.Saddles), fmtFloat(r.UGround), mm, mx, fmtFloat(r.MeanIndex), strconv.Itoa(r.Failed), cc})
	}
	return emitAndPlot(cmd, g, t, res, plotPath, func(path string) error { return layersPlot(path, res) })
}

// vline draws a dashed vertical line at x from y0 to y1.
func vline(p *plot.Plot, x, y0, y1 float64, c color.Color) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}})
	if err != nil {
		return err
	}
	l.Color = c
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	return nil
}

// hline draws a dashed grey horizontal line at y from x0 to x1.
func hline(p *plot.Plot, x0, x1, y float64) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return err
	}
	l.Color = color.Gray{Y: 120}
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	return nil
}

// pspinPlot draws the energy histogram of the distinct critical points by
// index with -E_k and -E_inf marked, the complexity curves Theta_k(u), and
// the index against the energy beside (N-1) IndexFraction(u).
func pspinPlot(path string, res pspinResult) error {
	if len(res.Points) == 0 {
		return errors.New("plot: no critical points to draw")
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pt := range res.Points {
		lo, hi = min(lo, pt.Energy), max(hi, pt.Energy)
	}
	lo = min(lo, -res.Ek[0]) - 0.05
	hi = max(hi, -res.EInf) + 0.05
	// (a) histogram by index: 0, 1, 2, >= 3
	const bins = 40
	w := (hi - lo) / bins
	groups := []string{"index 0 (minima)", "index 1", "index 2", "index >= 3"}
	counts := make([][]float64, len(groups))
	for i := range counts {
		counts[i] = make([]float64, bins)
	}
	for _, pt := range res.Points {
		gi := min(pt.Index, 3)
		bi := min(int((pt.Energy-lo)/w), bins-1)
		counts[gi][bi]++
	}
	ph := plot.New()
	ph.Title.Text = fmt.Sprintf("%d-spin, N = %d: distinct critical points", res.P, res.N)
	ph.X.Label.Text = "energy u = H/N"
	ph.Y.Label.Text = "count per bin"
	ymax := 1.0
	for gi, cs := range counts {
		var xy plotter.XYs
		for bi, c := range cs {
			x0 := lo + float64(bi)*w
			xy = append(xy, plotter.XY{X: x0, Y: c}, plotter.XY{X: x0 + w, Y: c})
			ymax = max(ymax, c)
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = report.Palette[gi]
		l.Width = vg.Points(1.5)
		ph.Add(l)
		ph.Legend.Add(groups[gi], l)
	}
	for k, e := range res.Ek[:3] {
		if err := vline(ph, -e, 0, ymax, report.Palette[k]); err != nil {
			return err
		}
	}
	if err := vline(ph, -res.EInf, 0, ymax, color.Black); err != nil {
		return err
	}
	ph.Legend.Top = true
	ph.Legend.Left = false
	// (b) complexity, near the bottom of the landscape where the Theta_k part
	cl, ch := -res.Ek[0]-0.04, -res.EInf+0.06
	pc := plot.New()
	pc.Title.Text = "ABC complexity (dashed: -E_0, -E_1, -E_2, -E_inf)"
	pc.X.Label.Text = "energy u"
	pc.Y.Label.Text = "Theta(u) = lim (1/N) log E[# critical points below u]"
	curve := func(a, b float64, f func(float64) float64) plotter.XYs {
		xy := make(plotter.XYs, 401)
		for i := range xy {
			u := a + (b-a)*float64(i)/400
			xy[i] = plotter.XY{X: u, Y: f(u)}
		}
		return xy
	}
	lt, err := plotter.NewLine(curve(cl, ch, func(u float64) float64 { return spinglass.ThetaTotal(res.P, u) }))
	if err != nil {
		return err
	}
	lt.Color = color.Gray{Y: 120}
	lt.Width = vg.Points(4)
	pc.Add(lt)
	pc.Legend.Add("all indices (= Theta_0 below -E_inf)", lt)
	for k := range 4 {
		l, err := plotter.NewLine(curve(cl, ch, func(u float64) float64 { return spinglass.Theta(res.P, k, u) }))
		if err != nil {
			return err
		}
		l.Color = report.Palette[k]
		l.Width = vg.Points(1.5)
		pc.Add(l)
		pc.Legend.Add(fmt.Sprintf("Theta_%d (index %d)", k, k), l)
	}
	zero, err := plotter.NewLine(plotter.XYs{{X: cl, Y: 0}, {X: ch, Y: 0}})
	if err != nil {
		return err
	}
	zero.Color = color.Gray{Y: 150}
	pc.Add(zero)
	ylo, yhi := spinglass.Theta(res.P, 3, cl), spinglass.ThetaTotal(res.P, ch)
	for k, e := range res.Ek[:3] {
		if err := vline(pc, -e, ylo, yhi, report.Palette[k]); err != nil {
			return err
		}
	}
	if err := vline(pc, -res.EInf, ylo, yhi, color.Black); err != nil {
		return err
	}
	pc.Legend.Top = false
	pc.Legend.Left = false
	// (c) index against energy
	pi := plot.New()
	pi.Title.Text = "index against energy"
	pi.X.Label.Text = "energy u"
	pi.Y.Label.Text = "index"
	var xy plotter.XYs
	for _, pt := range res.Points {
		xy = append(xy, plotter.XY{X: pt.Energy, Y: float64(pt.Index)})
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Color = report.Palette[3]
	sc.GlyphStyle.Radius = vg.Points(2)
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	pi.Add(sc)
	pi.Legend.Add("measured", sc)
	lth, err := plotter.NewLine(curve(lo, max(hi, 0), func(u float64) float64 { return float64(res.N-1) * spinglass.IndexFraction(res.P, u) }))
	if err != nil {
		return err
	}
	lth.Color = color.Black
	pi.Add(lth)
	pi.Legend.Add("(N-1) F_sc(u/E_inf)", lth)
	pi.Legend.Top = true
	pi.Legend.Left = true
	return report.SaveGrid([][]*plot.Plot{{ph, pc, pi}}, 18*vg.Inch, 6*vg.Inch, path)
}

// layersPlot draws the distinct minima and saddles against the number of
// layers, the minima's energies per layer count, and index against energy.
func layersPlot(path string, res layersResult) error {
	if len(res.Rows) == 0 {
		return errors.New("plot: no rows")
	}
	pn := plot.New()
	pn.Title.Text = fmt.Sprintf("layered spin glass, dimension %d: distinct critical points", res.Dim)
	pn.X.Label.Text = "layers"
	pn.Y.Label.Text = "count"
	var mins, sads plotter.XYs
	for _, r := range res.Rows {
		mins = append(mins, plotter.XY{X: float64(r.Layers), Y: float64(r.Minima.Count)})
		sads = append(sads, plotter.XY{X: float64(r.Layers), Y: float64(r.Saddles)})
	}
	for i, s := range []struct {
		name string
		xy   plotter.XYs
	}{{"minima", mins}, {"saddles", sads}} {
		l, pts, err := plotter.NewLinePoints(s.xy)
		if err != nil {
			return err
		}
		l.Color, pts.Color = report.Palette[i], report.Palette[i]
		pn.Add(l, pts)
		pn.Legend.Add(s.name, l, pts)
	}
	first, last := float64(res.Rows[0].Layers), float64(res.Rows[len(res.Rows)-1].Layers)
	ns := float64(res.MinimaStarts + res.SaddleStarts)
	if err := hline(pn, first, last, ns); err != nil {
		return err
	}
	pn.Legend.Add("starts (the census saturates near it)", &plotter.Line{LineStyle: draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}})
	pn.Y.Min, pn.Y.Max = 0, 1.3*ns
	pn.Legend.Top = true
	pn.Legend.Left = true
	pe := plot.New()
	pe.Title.Text = "energies of the minima (line: lowest point)"
	pe.X.Label.Text = "layers"
	pe.Y.Label.Text = "energy u = E/D"
	var me, ground plotter.XYs
	for _, r := range res.Rows {
		for i, p := range r.Points {
			if p.Index == 0 {
				// spread the points of one layer count a little sideways
				me = append(me, plotter.XY{X: float64(r.Layers) + 0.3*(math.Mod(float64(i)*0.618034, 1)-0.5), Y: p.Energy})
			}
		}
		if r.Distinct > 0 {
			ground = append(ground, plotter.XY{X: float64(r.Layers), Y: r.UGround})
		}
	}
	if len(me) > 0 {
		sc, err := plotter.NewScatter(me)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = report.Palette[0]
		sc.GlyphStyle.Radius = vg.Points(1.5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		pe.Add(sc)
	}
	if len(ground) > 0 {
		l, err := plotter.NewLine(ground)
		if err != nil {
			return err
		}
		pe.Add(l)
	}
	pi := plot.New()
	pi.Title.Text = "index / tangent dimension against energy"
	pi.X.Label.Text = "energy u"
	pi.Y.Label.Text = "index / (D - L)"
	for i, r := range res.Rows {
		var xy plotter.XYs
		td := float64(res.Dim - r.Layers)
		for _, p := range r.Points {
			if td > 0 {
				xy = append(xy, plotter.XY{X: p.Energy, Y: float64(p.Index) / td})
			}
		}
		if len(xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = report.Palette[i%len(report.Palette)]
		sc.GlyphStyle.Radius = vg.Points(1.8)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		pi.Add(sc)
		pi.Legend.Add(fmt.Sprintf("L = %d", r.Layers), sc)
	}
	pi.Legend.Top = true
	pi.Legend.Left = true
	return report.SaveGrid([][]*plot.Plot{{pn, pe, pi}}, 18*vg.Inch, 6*vg.Inch, path)
}
