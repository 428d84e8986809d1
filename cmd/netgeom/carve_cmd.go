package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newCarveCmd) }

// carveFlags names the flag of each manifold.CarveOptions field, for the
// library's option errors.
var carveFlags = map[string]string{
	"Act": "act", "SigmaB": "sigma-b", "Chi1": "chi1", "Q": "q", "Width": "width", "Depth": "depth", "Points": "points",
	"Path": "path", "CountDepths": "count-depths", "CountWidths": "count-widths", "CountSeeds": "count-seeds",
	"Samples": "samples", "Resolution": "resolution", "ReLUSigmaW": "relu-sigma-w", "ProductSigmaW": "product-sigma-w",
	"BoundaryWidth": "boundary-width", "BoundaryDepth": "boundary-depth", "BoundaryPoints": "boundary-points",
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
			depths, err := parseInts("count-depths", depthList)
			if err != nil {
				return err
			}
			widths, err := parseInts("count-widths", widthList)
			if err != nil {
				return err
			}
			// A zero option means the library's default: refuse an explicit 0
			// rather than run with another value than asked.
			for _, name := range []string{"chi1", "q", "width", "depth", "points", "count-seeds", "samples", "resolution",
				"relu-sigma-w", "product-sigma-w", "boundary-width", "boundary-depth", "boundary-points"} {
				if v, err := strconv.ParseFloat(cmd.Flags().Lookup(name).Value.String(), 64); err == nil && v == 0 {
					return fmt.Errorf("--%s 0: want a value > 0", name)
				}
			}
			b, err := g.open()
			if err != nil {
				return err
			}
			defer b.Close()
			update, finish := progress(cmd, "carve")
			res, err := manifold.Carve(cmd.Context(), b, manifold.CarveOptions{Act: actName, SigmaB: sigmaB, Chi1: chi1, Q: q, Seed: g.Seed,
				Width: width, Depth: depth, Points: points, Path: pathName, CountDepths: depths, CountWidths: widths, CountSeeds: seeds,
				Samples: samples, Resolution: resolution, ReLUSigmaW: reluSW, ProductSigmaW: prodSW,
				BoundaryWidth: bWidth, BoundaryDepth: bDepth, BoundaryPoints: bPoints, Progress: update})
			finish()
			if err != nil {
				return optionFlagError(err, carveFlags)
			}
			if err := g.writeNpy(cmd, res); err != nil {
				return err
			}
			if err := emitCarve(cmd, g, res); err != nil || plotPath == "" {
				return err
			}
			if err := report.CarvePlot(plotPath, res); err != nil {
				return err
			}
			g.wrote(cmd, plotPath)
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
	outputFlag(cmd, &plotPath, "plot", "", "figure", "write the figure here (.png or .svg; default: no figure)")
	npyFlag(cmd)
	return cmd
}

// emitCarve prints the three sections: three titled tables, one JSON
// object, or one long CSV table (section, network, depth, width, layer,
// quantity, value).
func emitCarve(cmd *cobra.Command, g *globals, res *manifold.CarveResult) error {
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
