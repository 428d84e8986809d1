package main

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newCarveCmd) }

// carveNetwork is one network of the matched comparison.
type carveNetwork struct {
	Name    string    `json:"name"`
	Pattern string    `json:"pattern"` // layer kinds, repeated over the depth
	SigmaW  float64   `json:"sigma_w"`
	Chi1    float64   `json:"chi1"`           // per layer, at the stationary orbit
	Chi1By  []float64 `json:"chi1_per_layer"` // per layer of the pattern
	QOrbit  []float64 `json:"q_orbit"`        // stationary lengths after each layer of the pattern
}

type carveCircleRow struct {
	Network               string   `json:"network"`
	Layer                 int      `json:"layer"`
	Q                     float64  `json:"q"`
	QTheory               float64  `json:"q_theory"`
	KappaBar              float64  `json:"kappa_bar"`
	KappaBarTheory        float64  `json:"kappa_bar_theory"`
	GrassmannLength       float64  `json:"grassmann_length"`
	GrassmannLengthTheory float64  `json:"grassmann_length_theory"`
	PCA95                 *int     `json:"pca95"`
	ParticipationRatio    *float64 `json:"participation_ratio"`
}

type carveCountRow struct {
	Depth int `json:"depth"`
	Width int `json:"width"`
	// Means over seeds.
	ReLUPieces         float64 `json:"relu_pieces"`
	ReLUSignChanges    float64 `json:"relu_sign_changes"`
	ProductSignChanges float64 `json:"product_sign_changes"`
	// ProductBound is the degree bound on the product network's sign
	// changes: 2^depth on a line, 2^(depth+1) on a circle.
	ProductBound int `json:"product_bound"`
}

type carveBoundaryRow struct {
	Network string  `json:"network"`
	SigmaW  float64 `json:"sigma_w"`
	Layer   int     `json:"layer"`
	Max     float64 `json:"max_curvature"`
	Min     float64 `json:"min_curvature"`
	MeanAbs float64 `json:"mean_abs_curvature"`
}

type carveResult struct {
	Activation string           `json:"activation"`
	SigmaB     float64          `json:"sigma_b"`
	Chi1       float64          `json:"chi1"`
	Q          float64          `json:"q_input"`
	Seed       uint64           `json:"seed"`
	Backend    string           `json:"backend"`
	Seconds    float64          `json:"seconds"`
	Networks   []carveNetwork   `json:"networks"`
	Circle     carveCircleInfo  `json:"circle"`
	Count      carveCountInfo   `json:"count"`
	Boundary   carveBoundaryInf `json:"boundary"`
}

type carveCircleInfo struct {
	Width  int              `json:"width"`
	Depth  int              `json:"depth"`
	Points int              `json:"points"`
	Rows   []carveCircleRow `json:"rows"`
}

type carveCountInfo struct {
	Path          string          `json:"path"`
	Samples       int             `json:"samples"`
	Resolution    float64         `json:"resolution"`
	Seeds         int             `json:"seeds"`
	ReLUSigmaW    float64         `json:"relu_sigma_w"`
	ProductSigmaW float64         `json:"product_sigma_w"`
	Rows          []carveCountRow `json:"rows"`
}

type carveBoundaryInf struct {
	Width  int                `json:"width"`
	Depth  int                `json:"depth"`
	Points int                `json:"points"`
	Rows   []carveBoundaryRow `json:"rows"`
}

// carvePatterns are the matched networks: all dense (additive), all
// product (multiplicative), and alternating (mixed, dense first).
var carvePatterns = []struct {
	name string
	mf   []meanfield.LayerKind
}{
	{"dense", []meanfield.LayerKind{meanfield.Dense}},
	{"product", []meanfield.LayerKind{meanfield.Product}},
	{"mixed", []meanfield.LayerKind{meanfield.Dense, meanfield.Product}},
}

// repeatKinds repeats pattern over depth layers, for both packages.
func repeatKinds(pattern []meanfield.LayerKind, depth int) ([]models.LayerKind, []meanfield.LayerKind) {
	mk, mf := make([]models.LayerKind, depth), make([]meanfield.LayerKind, depth)
	for l := range mk {
		mf[l] = pattern[l%len(pattern)]
		if mf[l] == meanfield.Product {
			mk[l] = models.Product
		}
	}
	return mk, mf
}

func patternString(p []meanfield.LayerKind) string {
	s := make([]string, len(p))
	for i, k := range p {
		s[i] = k.String()
	}
	return strings.Join(s, ",")
}

func newCarveCmd(g *globals) *cobra.Command {
	var actName, plotPath, pathName, depthList, widthList string
	var sigmaB, chi1, q, reluSW, prodSW, resolution float64
	var width, depth, points, samples, seeds, bWidth, bDepth, bPoints int
	cmd := &cobra.Command{
		Use:   "carve",
		Short: "Additive against multiplicative networks: circle curvature at matched chi_1, linear pieces against sign changes, decision-boundary curvature",
		Long: `Compare networks of dense layers (additive), of product layers h = (W x + b) *
(V x + c) (multiplicative) and of both alternating (mixed), side by side:

  circle    a great circle at --q through the three networks (--act, --sigma-b,
            width --width, depth --depth, --points points), each with its
            sigma_w chosen by mean field so that its chi_1 per layer equals
            --chi1: q, kbar = sqrt(N) kappa (mean over points) and Grassmannian
            length with their mean-field predictions, and the number of
            principal components holding 95% of the variance (dimensionality).
            kappa_bar is the mean over points of sqrt(N) kappa; behind product
            layers its per-point spread gives it a Jensen bias below mean field
            that shrinks with width (about -1.5% at width 2000).
  count     along a --path (circle or line) in input space, the linear pieces
            of a relu network (activation-pattern changes) and the sign changes
            of a product network's scalar readout (linear activation: a
            polynomial of degree 2^depth, so at most 2^depth sign changes on a
            line and 2^(depth+1) on a circle), by --count-depths and
            --count-widths, averaged over --count-seeds networks. The path is
            sampled at --samples points and every interval whose ends differ is
            bisected down to --resolution (of the path parameter in [0, 1]).
  boundary  the principal curvatures of the decision boundary of a random
            readout, seen from every layer (--boundary-width, --boundary-depth,
            --boundary-points), for the three matched networks, the relu
            network (flat pieces: curvature 0) and the product network (a
            quadric per layer).

The matched networks take the circle as a pre-activation (Poole's convention);
the relu and product networks of count and boundary take raw inputs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			act, err := activation.Lookup(actName)
			if err != nil {
				return fmt.Errorf("--act: %w", err)
			}
			relu, _ := activation.Lookup("relu")
			linear, _ := activation.Lookup("linear")
			depths, err := parseInts("count-depths", depthList)
			if err != nil {
				return err
			}
			widths, err := parseInts("count-widths", widthList)
			if err != nil {
				return err
			}
			switch {
			case width < 2 || depth < 1 || points < 3:
				return fmt.Errorf("--width %d, --depth %d, --points %d: want width >= 2, depth >= 1, points >= 3", width, depth, points)
			case !(q > 0) || math.IsInf(q, 0):
				return fmt.Errorf("--q %v: want a finite q > 0", q)
			case !(chi1 > 0) || math.IsInf(chi1, 0):
				return fmt.Errorf("--chi1 %v: want a finite chi_1 > 0", chi1)
			case samples < 1 || seeds < 1:
				return fmt.Errorf("--samples %d, --count-seeds %d: want at least 1 of each", samples, seeds)
			case !(resolution > 0 && resolution <= 1):
				return fmt.Errorf("--resolution %v: want a parameter length in (0, 1]", resolution)
			case bWidth < 2 || bDepth < 1 || bPoints < 1:
				return fmt.Errorf("--boundary-width %d, --boundary-depth %d, --boundary-points %d: want width >= 2, depth >= 1, points >= 1", bWidth, bDepth, bPoints)
			case bWidth > 400:
				return fmt.Errorf("--boundary-width %d: the principal curvatures need width^2 Hessians per layer; use at most 400", bWidth)
			case pathName != "circle" && pathName != "line":
				return fmt.Errorf("--path %q: want circle or line", pathName)
			}
			for _, d := range depths {
				if d > 20 {
					return fmt.Errorf("--count-depths: depth %d; a product network of depth > 20 overflows (its degree is 2^depth)", d)
				}
			}
			for _, v := range []float64{sigmaB, reluSW, prodSW} {
				if !(v >= 0) || math.IsInf(v, 0) {
					return fmt.Errorf("sigma %v: want finite and >= 0", v)
				}
			}
			res := carveResult{Activation: act.Name, SigmaB: sigmaB, Chi1: chi1, Q: q, Seed: g.Seed}
			// Matched sigma_w per network.
			for _, p := range carvePatterns {
				sw, orbit, err := meanfield.SigmaWForChi1(act, sigmaB, p.mf, chi1, nil)
				if err != nil {
					return fmt.Errorf("%s network at --chi1 %g: %w", p.name, chi1, err)
				}
				res.Networks = append(res.Networks, carveNetwork{Name: p.name, Pattern: patternString(p.mf), SigmaW: sw, Chi1: orbit.MeanChi1, Chi1By: orbit.Chi1, QOrbit: orbit.Q})
			}
			b, err := engine.Open(g.Backend)
			if err != nil {
				return err
			}
			defer b.Close()
			res.Backend = b.Info().Backend
			start := time.Now()
			update, finish := progress(cmd, "carve")
			total := len(carvePatterns)*(depth+1) + len(depths)*len(widths)*seeds + (len(carvePatterns)+2)*bPoints
			done := 0
			step := func() { done++; update(done, total) }

			// 1. Circle at matched chi_1.
			res.Circle = carveCircleInfo{Width: width, Depth: depth, Points: points}
			circle, err := manifold.Circle(width, points, q, g.Seed)
			if err != nil {
				finish()
				return err
			}
			for i, p := range carvePatterns {
				nw := res.Networks[i]
				mk, mf := repeatKinds(p.mf, depth)
				net, err := models.NewRandomDense(models.RandomSpec{Widths: models.UniformWidths(width, depth), Act: act, SigmaW: nw.SigmaW, SigmaB: sigmaB, Seed: g.Seed, ActivateInput: true, Kinds: mk})
				if err != nil {
					finish()
					return err
				}
				st, err := manifold.Simulate(b, net, circle, manifold.SimOptions{Gram: true, Progress: func(int, int) { step() }})
				if err != nil {
					finish()
					return fmt.Errorf("%s network: %w", p.name, err)
				}
				m, err := meanfield.New(act, nw.SigmaW, sigmaB, nil)
				if err != nil {
					finish()
					return err
				}
				th, err := m.StackCircle(q, mf)
				if err != nil {
					finish()
					return fmt.Errorf("%s network: mean field: %w", p.name, err)
				}
				for l, s := range st {
					row := carveCircleRow{Network: p.name, Layer: l, Q: s.Q, QTheory: th[l].Q, KappaBar: s.KappaBar, KappaBarTheory: th[l].Kbar,
						GrassmannLength: s.GrassmannLength, GrassmannLengthTheory: th[l].GrassmannLength}
					if s.PCA != nil {
						row.PCA95, row.ParticipationRatio = ptr(s.PCA95), ptr(s.ParticipationRatio)
					}
					res.Circle.Rows = append(res.Circle.Rows, row)
				}
			}

			// 2. Linear pieces against sign changes.
			res.Count = carveCountInfo{Path: pathName, Samples: samples, Resolution: resolution, Seeds: seeds, ReLUSigmaW: reluSW, ProductSigmaW: prodSW}
			for _, d := range depths {
				for _, w := range widths {
					row := carveCountRow{Depth: d, Width: w, ProductBound: 1 << d}
					if pathName == "circle" {
						row.ProductBound *= 2
					}
					for s := 0; s < seeds; s++ {
						seed := g.Seed + uint64(s)
						var path manifold.Path
						if pathName == "circle" {
							path, err = manifold.CirclePath(w, q, seed)
						} else {
							path, err = manifold.LinePath(w, q, seed)
						}
						if err != nil {
							finish()
							return err
						}
						prodKinds := make([]models.LayerKind, d)
						for l := range prodKinds {
							prodKinds[l] = models.Product
						}
						rnet, err := models.NewRandomDense(models.RandomSpec{Widths: models.UniformWidths(w, d), Act: relu, SigmaW: reluSW, SigmaB: sigmaB, Seed: seed})
						if err != nil {
							finish()
							return err
						}
						pnet, err := models.NewRandomDense(models.RandomSpec{Widths: models.UniformWidths(w, d), Act: linear, SigmaW: prodSW, SigmaB: sigmaB, Seed: seed, Kinds: prodKinds})
						if err != nil {
							finish()
							return err
						}
						opt := manifold.CountOptions{Samples: samples, Resolution: resolution, Seed: seed}
						rc, err := manifold.CountAlongPath(b, rnet, path, opt)
						if err != nil {
							finish()
							return fmt.Errorf("relu depth %d width %d: %w", d, w, err)
						}
						pc, err := manifold.CountAlongPath(b, pnet, path, opt)
						if err != nil {
							finish()
							return fmt.Errorf("product depth %d width %d: %w", d, w, err)
						}
						n := float64(seeds)
						row.ReLUPieces += float64(rc.Pieces) / n
						row.ReLUSignChanges += float64(rc.SignChanges) / n
						row.ProductSignChanges += float64(pc.SignChanges) / n
						step()
					}
					res.Count.Rows = append(res.Count.Rows, row)
				}
			}

			// 3. Decision-boundary curvature.
			res.Boundary = carveBoundaryInf{Width: bWidth, Depth: bDepth, Points: bPoints}
			type bnet struct {
				name string
				spec models.RandomSpec
			}
			var bnets []bnet
			for i, p := range carvePatterns {
				mk, _ := repeatKinds(p.mf, bDepth)
				bnets = append(bnets, bnet{p.name, models.RandomSpec{Act: act, SigmaW: res.Networks[i].SigmaW, SigmaB: sigmaB, ActivateInput: true, Kinds: mk}})
			}
			allProd, _ := repeatKinds([]meanfield.LayerKind{meanfield.Product}, bDepth)
			bnets = append(bnets, bnet{"relu", models.RandomSpec{Act: relu, SigmaW: reluSW, SigmaB: sigmaB}},
				bnet{"product (linear)", models.RandomSpec{Act: linear, SigmaW: prodSW, SigmaB: sigmaB, Kinds: allProd}})
			for _, bn := range bnets {
				spec := bn.spec
				spec.Widths, spec.Seed = models.UniformWidths(bWidth, bDepth), g.Seed
				net, err := models.NewRandomDense(spec)
				if err != nil {
					finish()
					return err
				}
				bopt := manifold.BoundaryOptions{Points: bPoints, Q: q, Seed: g.Seed, Progress: func(int, int) { step() }}
				ro, pts, err := manifold.BoundaryPoints(b, net, bopt)
				if err != nil {
					finish()
					return fmt.Errorf("boundary of the %s network: %w", bn.name, err)
				}
				layers, err := manifold.BoundaryCurvature(b, net, ro, pts, bopt)
				if err != nil {
					finish()
					return fmt.Errorf("boundary of the %s network: %w", bn.name, err)
				}
				for _, l := range layers {
					res.Boundary.Rows = append(res.Boundary.Rows, carveBoundaryRow{Network: bn.name, SigmaW: spec.SigmaW, Layer: l.Layer, Max: l.MaxMean, Min: l.MinMean, MeanAbs: l.AbsMean})
				}
			}
			finish()
			res.Seconds = time.Since(start).Seconds()
			if err := emitCarve(cmd, g, res); err != nil {
				return err
			}
			if plotPath != "" {
				if err := carvePlot(plotPath, res); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: wrote %s\n", plotPath)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&actName, "act", "tanh", "activation of the matched networks: "+fmt.Sprint(activation.Names()))
	fl.Float64Var(&sigmaB, "sigma-b", 0.3, "bias standard deviation of every network")
	fl.Float64Var(&chi1, "chi1", 4, "chi_1 per layer of the matched networks (product tanh layers at sigma_b 0.3 cannot reach 0.88..1.88)")
	fl.Float64Var(&q, "q", 1, "squared length per coordinate of the input circle, the count paths and the boundary's random inputs")
	fl.IntVar(&width, "width", 400, "circle: width of the matched networks")
	fl.IntVar(&depth, "depth", 10, "circle: depth of the matched networks")
	fl.IntVar(&points, "points", 200, "circle: points on the circle")
	fl.StringVar(&pathName, "path", "circle", "count: the path in input space, circle or line")
	fl.StringVar(&depthList, "count-depths", "1:6", "count: depths, lo:hi or a list")
	fl.StringVar(&widthList, "count-widths", "20,50,100", "count: widths (the input width too), a list")
	fl.IntVar(&seeds, "count-seeds", 3, "count: networks averaged per depth and width")
	fl.IntVar(&samples, "samples", 1000, "count: equally spaced samples along the path before bisection")
	fl.Float64Var(&resolution, "resolution", 1e-8, "count: bisection stops at this length of the path parameter (in [0, 1])")
	fl.Float64Var(&reluSW, "relu-sigma-w", math.Sqrt2, "count and boundary: sigma_w of the relu network")
	fl.Float64Var(&prodSW, "product-sigma-w", 1, "count and boundary: sigma_w of the product network (linear activation)")
	fl.IntVar(&bWidth, "boundary-width", 40, "boundary: width of every network")
	fl.IntVar(&bDepth, "boundary-depth", 4, "boundary: depth of every network")
	fl.IntVar(&bPoints, "boundary-points", 4, "boundary: points on each decision boundary")
	fl.StringVar(&plotPath, "plot", "carve.png", "write the figure here (.png or .svg; empty: no figure)")
	return cmd
}

// emitCarve prints the three sections: three titled tables, one JSON
// object, or one long CSV table (section, network, depth, width, layer,
// quantity, value).
func emitCarve(cmd *cobra.Command, g *globals, res carveResult) error {
	if g.structured() {
		return emit(cmd, g, table{}, res)
	}
	opt := func(p *int) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	optF := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmtFloat(*p)
	}
	var nets []string
	for _, n := range res.Networks {
		nets = append(nets, fmt.Sprintf("%s sigma_w %.4g (chi_1 %.4g)", n.Name, n.SigmaW, n.Chi1))
	}
	circle := table{
		Title: fmt.Sprintf("circle at q = %g through %s networks of width %d at chi_1 = %g, sigma_b %g: %s (%s, %.2fs)",
			res.Q, res.Activation, res.Circle.Width, res.Chi1, res.SigmaB, strings.Join(nets, "; "), res.Backend, res.Seconds),
		Header: []string{"network", "layer", "q", "q_theory", "kappa_bar", "kappa_bar_theory", "grassmann_length", "grassmann_length_theory", "pca95", "participation_ratio"},
	}
	for _, r := range res.Circle.Rows {
		circle.Rows = append(circle.Rows, []string{r.Network, fmt.Sprint(r.Layer), fmtFloat(r.Q), fmtFloat(r.QTheory), fmtFloat(r.KappaBar), fmtFloat(r.KappaBarTheory),
			fmtFloat(r.GrassmannLength), fmtFloat(r.GrassmannLengthTheory), opt(r.PCA95), optF(r.ParticipationRatio)})
	}
	c := res.Count
	count := table{
		Title: fmt.Sprintf("along a %s at q = %g: relu pieces (sigma_w %.4g) and sign changes against a product network's (linear activation, sigma_w %.4g), sigma_b %g; means of %d networks; %d samples, bisection to %g",
			c.Path, res.Q, c.ReLUSigmaW, c.ProductSigmaW, res.SigmaB, c.Seeds, c.Samples, c.Resolution),
		Header: []string{"depth", "width", "relu_pieces", "relu_sign_changes", "product_sign_changes", "product_bound"},
	}
	for _, r := range c.Rows {
		count.Rows = append(count.Rows, []string{fmt.Sprint(r.Depth), fmt.Sprint(r.Width), fmtFloat(r.ReLUPieces), fmtFloat(r.ReLUSignChanges), fmtFloat(r.ProductSignChanges), fmt.Sprint(r.ProductBound)})
	}
	bd := res.Boundary
	boundary := table{
		Title:  fmt.Sprintf("decision boundaries: principal curvatures seen from each layer (means over %d points), width %d, depth %d", bd.Points, bd.Width, bd.Depth),
		Header: []string{"network", "sigma_w", "layer", "max_curvature", "min_curvature", "mean_abs_curvature"},
	}
	for _, r := range bd.Rows {
		boundary.Rows = append(boundary.Rows, []string{r.Network, fmtFloat(r.SigmaW), fmt.Sprint(r.Layer), fmtFloat(r.Max), fmtFloat(r.Min), fmtFloat(r.MeanAbs)})
	}
	if g.Format == "csv" {
		long := table{Header: []string{"section", "network", "depth", "width", "layer", "quantity", "value"}}
		add := func(section, network, depth, width, layer string, header []string, row []string, from int) {
			for k := from; k < len(header); k++ {
				long.Rows = append(long.Rows, []string{section, network, depth, width, layer, header[k], row[k]})
			}
		}
		for _, r := range circle.Rows {
			add("circle", r[0], fmt.Sprint(res.Circle.Depth), fmt.Sprint(res.Circle.Width), r[1], circle.Header, r, 2)
		}
		for _, r := range count.Rows {
			add("count", "relu/product", r[0], r[1], "", count.Header, r, 2)
		}
		for _, r := range boundary.Rows {
			add("boundary", r[0], fmt.Sprint(bd.Depth), fmt.Sprint(bd.Width), r[2], boundary.Header, r, 3)
		}
		return emit(cmd, g, long, nil)
	}
	for i, t := range []table{circle, count, boundary} {
		if i > 0 {
			fmt.Fprintln(cmd.OutOrStdout())
		}
		if err := emit(cmd, g, t, nil); err != nil {
			return err
		}
	}
	return nil
}

var carveColors = map[string]color.Color{
	"dense":            color.RGBA{R: 31, G: 119, B: 180, A: 255},
	"product":          color.RGBA{R: 255, G: 127, B: 14, A: 255},
	"mixed":            color.RGBA{R: 44, G: 160, B: 44, A: 255},
	"relu":             color.RGBA{R: 148, G: 103, B: 189, A: 255},
	"product (linear)": color.RGBA{R: 140, G: 86, B: 75, A: 255},
}

// carvePlot draws two rows of panels: kbar, Grassmannian length and the
// 95%-variance dimension of the circle by layer for the matched networks
// (measured points, mean-field lines); relu pieces and product sign
// changes by depth with the degree bound; and the boundary's largest
// principal curvature by layer for every network.
func carvePlot(path string, res carveResult) error {
	line := func(p *plot.Plot, xs, ys []float64, col color.Color, dashed bool, label string) error {
		pts := make(plotter.XYs, 0, len(xs))
		for i := range xs {
			if !math.IsNaN(ys[i]) && !math.IsInf(ys[i], 0) && (!isLog(p) || ys[i] > 0) {
				pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
			}
		}
		if len(pts) == 0 {
			return nil
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color, l.Width = col, vg.Points(1.2)
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		if label != "" {
			p.Legend.Add(label, l)
		}
		return nil
	}
	scatter := func(p *plot.Plot, xs, ys []float64, col color.Color, label string) error {
		pts := make(plotter.XYs, 0, len(xs))
		for i := range xs {
			if !math.IsNaN(ys[i]) && (!isLog(p) || ys[i] > 0) {
				pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
			}
		}
		if len(pts) == 0 {
			return nil
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		s.GlyphStyle.Color, s.GlyphStyle.Shape, s.GlyphStyle.Radius = col, draw.CircleGlyph{}, vg.Points(2.2)
		p.Add(s)
		if label != "" {
			p.Legend.Add(label, s)
		}
		return nil
	}
	newPlot := func(title, x, y string, log bool) *plot.Plot {
		p := plot.New()
		p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
		if log {
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = report.DecadeTicks{}
		}
		p.Legend.Top, p.Legend.Left = true, true
		return p
	}
	kb := newPlot(fmt.Sprintf("kbar = sqrt(N) kappa at chi_1 = %g (lines: mean field)", res.Chi1), "layer", "kbar", false)
	lg := newPlot("Grassmannian length L^G", "layer", "L^G", true)
	dim := newPlot("dimension: components for 95% of variance", "layer", "PCA95", false)
	for _, n := range res.Networks {
		var ls, k, kt, g, gt, d []float64
		for _, r := range res.Circle.Rows {
			if r.Network != n.Name {
				continue
			}
			ls = append(ls, float64(r.Layer))
			k, kt = append(k, r.KappaBar), append(kt, r.KappaBarTheory)
			g, gt = append(g, r.GrassmannLength), append(gt, r.GrassmannLengthTheory)
			pc := math.NaN()
			if r.PCA95 != nil {
				pc = float64(*r.PCA95)
			}
			d = append(d, pc)
		}
		col := carveColors[n.Name]
		label := fmt.Sprintf("%s (sigma_w %.3g)", n.Name, n.SigmaW)
		for _, err := range []error{scatter(kb, ls, k, col, label), line(kb, ls, kt, col, false, ""),
			scatter(lg, ls, g, col, n.Name), line(lg, ls, gt, col, false, ""),
			line(dim, ls, d, col, false, n.Name), scatter(dim, ls, d, col, "")} {
			if err != nil {
				return err
			}
		}
	}
	kmax := 0.0
	for _, r := range res.Circle.Rows {
		kmax = math.Max(kmax, math.Max(r.KappaBar, r.KappaBarTheory))
	}
	kb.Y.Min, kb.Y.Max = 0, 1.3*kmax // room for the legend
	pieces := newPlot(fmt.Sprintf("along a %s: relu pieces (solid), product sign changes (dashed)", res.Count.Path), "depth", "count", true)
	signs := newPlot("sign changes of the readout: relu (solid), product (dashed)", "depth", "sign changes", true)
	widths := map[int]bool{}
	var wl []int
	for _, r := range res.Count.Rows {
		if !widths[r.Width] {
			widths[r.Width] = true
			wl = append(wl, r.Width)
		}
	}
	shades := []color.Color{color.RGBA{R: 120, G: 170, B: 230, A: 255}, color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 10, G: 40, B: 100, A: 255}, color.RGBA{R: 0, G: 0, B: 40, A: 255}}
	for i, w := range wl {
		var ds, rp, rs, ps, bound []float64
		for _, r := range res.Count.Rows {
			if r.Width == w {
				ds = append(ds, float64(r.Depth))
				rp, rs, ps = append(rp, r.ReLUPieces), append(rs, r.ReLUSignChanges), append(ps, r.ProductSignChanges)
				bound = append(bound, float64(r.ProductBound))
			}
		}
		col := shades[i%len(shades)]
		for _, err := range []error{line(pieces, ds, rp, col, false, fmt.Sprintf("relu pieces, width %d", w)), scatter(pieces, ds, rp, col, ""),
			line(pieces, ds, ps, carveColors["product (linear)"], true, map[bool]string{true: "product sign changes (all widths)"}[i == 0]), scatter(pieces, ds, ps, carveColors["product (linear)"], ""),
			line(signs, ds, rs, col, false, fmt.Sprintf("width %d", w)), scatter(signs, ds, rs, col, ""),
			line(signs, ds, ps, col, true, ""), scatter(signs, ds, ps, col, "")} {
			if err != nil {
				return err
			}
		}
		if i == 0 {
			if err := line(pieces, ds, bound, color.Black, true, "product degree bound"); err != nil {
				return err
			}
			if err := line(signs, ds, bound, color.Black, true, "product degree bound"); err != nil {
				return err
			}
		}
	}
	// Headroom above the data for the legends of the log panels.
	for _, p := range []*plot.Plot{pieces, signs} {
		hi := 1.0
		for _, r := range res.Count.Rows {
			hi = math.Max(hi, math.Max(r.ReLUPieces, float64(r.ProductBound)))
		}
		p.Y.Max = 8 * hi
	}
	bp := newPlot("decision boundary: largest principal curvature (mean over points)", "layer", "curvature", false)
	names := []string{}
	seen := map[string]bool{}
	for _, r := range res.Boundary.Rows {
		if !seen[r.Network] {
			seen[r.Network] = true
			names = append(names, r.Network)
		}
	}
	for _, name := range names {
		var ls, mx []float64
		for _, r := range res.Boundary.Rows {
			if r.Network == name {
				ls, mx = append(ls, float64(r.Layer)), append(mx, r.Max)
			}
		}
		if err := line(bp, ls, mx, carveColors[name], false, name); err != nil {
			return err
		}
		if err := scatter(bp, ls, mx, carveColors[name], ""); err != nil {
			return err
		}
	}
	bp.Legend.Left = false
	return report.SaveGrid([][]*plot.Plot{{kb, lg, dim}, {pieces, signs, bp}}, 18*vg.Inch, 10*vg.Inch, path)
}

func isLog(p *plot.Plot) bool {
	_, ok := p.Y.Scale.(plot.LogScale)
	return ok
}
