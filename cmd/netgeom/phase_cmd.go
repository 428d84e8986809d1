package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/meanfield"
)

func init() { register(newPhaseCmd) }

type phasePointJSON struct {
	SigmaW     jsonFloat `json:"sigma_w"`
	SigmaB     jsonFloat `json:"sigma_b"`
	QStar      jsonFloat `json:"q_star"`
	CStar      jsonFloat `json:"c_star"`
	Chi1       jsonFloat `json:"chi1"`
	XiC        jsonFloat `json:"xi_c"`
	Phase      string    `json:"phase"`
	Iterations int       `json:"iterations"`
}

type phaseJSON struct {
	Activation string           `json:"activation"`
	SigmaW     []float64        `json:"sigma_w"`
	SigmaB     []float64        `json:"sigma_b"`
	Points     []phasePointJSON `json:"points"`
}

type criticalPointJSON struct {
	SigmaB         float64 `json:"sigma_b"`
	CriticalSigmaW float64 `json:"critical_sigma_w"`
}

type criticalJSON struct {
	Activation string              `json:"activation"`
	Points     []criticalPointJSON `json:"points"`
}

func newPhaseCmd(g *globals) *cobra.Command {
	var (
		actName, swRange, sbRange, plotFile string
		critical                            bool
		tol                                 float64
	)
	cmd := &cobra.Command{
		Use:         "phase",
		Annotations: map[string]string{noEngine: "scalar quadrature on the CPU"},
		Short:       "Order-to-chaos phase diagram: q*, c*, chi_1, xi_c over a (sigma_w, sigma_b) grid",
		Long: `Computes q*, c*, chi_1 and xi_c on the grid --sigma-w x --sigma-b (ranges
lo:hi:n; the length map starts at q = 1), in parallel across cores, and writes
the grid as a table, CSV or JSON (--format). Non-finite values print as +Inf.
With --plot FILE.png or FILE.svg it draws the four heat maps (xi_c on a log10
scale) with the chi_1 = 1 line over them.

With --critical it prints the critical sigma_w (chi_1 = 1) for each sigma_b of
--sigma-b instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			act, err := activation.Lookup(actName)
			if err != nil {
				return err
			}
			sbs, err := parseRange(sbRange)
			if err != nil {
				return fmt.Errorf("--sigma-b: %w", err)
			}
			opt := &meanfield.Options{Tol: tol}
			if critical {
				if cmd.Flags().Changed("plot") {
					return fmt.Errorf("--plot draws the grid; it does not go with --critical")
				}
				curve, err := meanfield.CriticalCurve(act, sbs, opt)
				if err != nil {
					return err
				}
				t := table{Title: fmt.Sprintf("critical sigma_w (chi_1 = 1), %s", act.Name), Header: []string{"sigma_b", "critical_sigma_w"}}
				out := criticalJSON{Activation: act.Name}
				for i, sb := range sbs {
					t.Rows = append(t.Rows, []string{fmtFloat(sb), strconv.FormatFloat(curve[i], 'f', 10, 64)})
					out.Points = append(out.Points, criticalPointJSON{SigmaB: sb, CriticalSigmaW: curve[i]})
				}
				return emit(cmd, g, t, out)
			}
			sws, err := parseRange(swRange)
			if err != nil {
				return fmt.Errorf("--sigma-w: %w", err)
			}
			if plotFile != "" {
				if ext := strings.ToLower(filepath.Ext(plotFile)); ext != ".png" && ext != ".svg" {
					return fmt.Errorf("--plot %q: the extension must be .png or .svg", plotFile)
				}
			}
			grid, err := meanfield.PhaseGrid(act, sws, sbs, opt)
			if err != nil {
				return err
			}
			if plotFile != "" {
				if err := plotPhase(plotFile, act.Name, sws, sbs, grid); err != nil {
					return err
				}
			}
			t := table{
				Title:  fmt.Sprintf("phase grid, %s: %d sigma_w x %d sigma_b", act.Name, len(sws), len(sbs)),
				Header: []string{"sigma_w", "sigma_b", "q_star", "c_star", "chi1", "xi_c", "phase", "iterations"},
			}
			out := phaseJSON{Activation: act.Name, SigmaW: sws, SigmaB: sbs}
			for _, row := range grid {
				for _, p := range row {
					t.Rows = append(t.Rows, []string{fmtFloat(p.SigmaW), fmtFloat(p.SigmaB), fmtFloat(p.QStar), fmtFloat(p.CStar),
						fmtFloat(p.Chi1), fmtFloat(p.XiC), p.Phase.String(), strconv.Itoa(p.Iterations)})
					out.Points = append(out.Points, phasePointJSON{SigmaW: jsonFloat(p.SigmaW), SigmaB: jsonFloat(p.SigmaB),
						QStar: jsonFloat(p.QStar), CStar: jsonFloat(p.CStar), Chi1: jsonFloat(p.Chi1), XiC: jsonFloat(p.XiC),
						Phase: p.Phase.String(), Iterations: p.Iterations})
				}
			}
			return emit(cmd, g, t, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&actName, "act", "tanh", "activation: "+fmt.Sprint(activation.Names()))
	f.StringVar(&swRange, "sigma-w", "1:5:81", "sigma_w values, lo:hi:n or one number")
	f.StringVar(&sbRange, "sigma-b", "0:4:81", "sigma_b values, lo:hi:n or one number")
	f.StringVar(&plotFile, "plot", "", "draw the heat maps to FILE.png or FILE.svg")
	f.BoolVar(&critical, "critical", false, "print the critical sigma_w for each sigma_b instead of the grid")
	f.Float64Var(&tol, "tol", 1e-10, "relative accuracy of the Gaussian integrals")
	return cmd
}

// gridXYZ adapts one field of the phase grid to plotter.GridXYZ: column c is
// sigma_w[c], row r is sigma_b[r].
type gridXYZ struct {
	xs, ys []float64
	z      [][]float64
}

func (g gridXYZ) Dims() (c, r int)   { return len(g.xs), len(g.ys) }
func (g gridXYZ) Z(c, r int) float64 { return g.z[r][c] }
func (g gridXYZ) X(c int) float64    { return g.xs[c] }
func (g gridXYZ) Y(r int) float64    { return g.ys[r] }

// plotPhase draws q*, c*, chi_1 and log10 xi_c as a 2 x 2 panel of heat maps,
// each with its colour bar and the chi_1 = 1 contour.
func plotPhase(file, act string, sws, sbs []float64, grid [][]meanfield.GridPoint) error {
	field := func(get func(meanfield.GridPoint) float64) [][]float64 {
		z := make([][]float64, len(sbs))
		for i, row := range grid {
			z[i] = make([]float64, len(sws))
			for j, p := range row {
				z[i][j] = get(p)
			}
		}
		return z
	}
	chi := field(func(p meanfield.GridPoint) float64 { return p.Chi1 })
	panels := []struct {
		title string
		z     [][]float64
	}{
		{"q*", field(func(p meanfield.GridPoint) float64 { return p.QStar })},
		{"c*", field(func(p meanfield.GridPoint) float64 { return p.CStar })},
		{"chi_1", chi},
		{"log10 xi_c", field(func(p meanfield.GridPoint) float64 { return math.Log10(p.XiC) })},
	}
	const w, h = 26 * vg.Centimeter, 20 * vg.Centimeter
	var c vg.CanvasWriterTo
	if strings.ToLower(filepath.Ext(file)) == ".svg" {
		c = vgsvg.New(w, h)
	} else {
		c = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	}
	dc := draw.New(c.(vg.CanvasSizer))
	tiles := draw.Tiles{Rows: 2, Cols: 2, PadTop: vg.Centimeter, PadX: vg.Centimeter, PadY: vg.Centimeter,
		PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3}
	title := fmt.Sprintf("%s mean field; black line: chi_1 = 1 (ordered to its left, chaotic to its right)", act)
	dc.FillText(draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 13), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler},
		vg.Point{X: w / 2, Y: h - 2*vg.Millimeter}, title)
	for k, pn := range panels {
		z := clipFinite(pn.z)
		lo, hi := zRange(z)
		cm := moreland.SmoothBlueRed()
		cm.SetMin(lo)
		cm.SetMax(hi)
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s (%.3g .. %.3g)", pn.title, lo, hi)
		p.X.Label.Text = "sigma_w"
		p.Y.Label.Text = "sigma_b"
		hm := plotter.NewHeatMap(gridXYZ{sws, sbs, z}, cm.Palette(255))
		hm.Min, hm.Max = lo, hi
		hm.Rasterized = true
		p.Add(hm)
		if len(sws) > 1 && len(sbs) > 1 {
			ct := plotter.NewContour(gridXYZ{sws, sbs, clipFinite(chi)}, []float64{1}, palette.Heat(1, 1))
			ct.LineStyles = []draw.LineStyle{{Color: color.Black, Width: vg.Points(1.5)}}
			p.Add(ct)
		}
		cb := plot.New()
		cb.HideX()
		cb.Y.Padding = 0
		cb.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
		tile := tiles.At(dc, k%2, k/2)
		barW := 1.6 * vg.Centimeter
		width := tile.Max.X - tile.Min.X
		p.Draw(draw.Crop(tile, 0, -barW, 0, 0))
		cb.Draw(draw.Crop(tile, width-barW+3*vg.Millimeter, 0, 0, -vg.Centimeter*0.9))
	}
	fh, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := c.WriteTo(fh); err != nil {
		fh.Close()
		return fmt.Errorf("plot %s: %w", file, err)
	}
	return fh.Close()
}

// clipFinite replaces +-Inf by the largest/smallest finite value of z (q* is
// +Inf where the length map is unbounded, xi_c at the critical line).
func clipFinite(z [][]float64) [][]float64 {
	lo, hi := zRange(z)
	out := make([][]float64, len(z))
	for i, row := range z {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			switch {
			case math.IsInf(v, 1) || math.IsNaN(v):
				v = hi
			case math.IsInf(v, -1):
				v = lo
			}
			out[i][j] = v
		}
	}
	return out
}

// zRange is the finite range of z, widened when it is a single value.
func zRange(z [][]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range z {
		for _, v := range row {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	return lo, hi
}
