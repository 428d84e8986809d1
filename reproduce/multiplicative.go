package reproduce

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/isometry"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
)

func init() {
	reproductions = append(reproductions, Reproduction{
		Name:    "multiplicative",
		Title:   "Multiplication neurons and attention carving a circle; Jacobian spectra against Pennington, Schoenholz and Ganguli (2017)",
		Figures: []string{"jacobian", "product", "carve"},
		Quick:   6 * time.Second,
		Full:    50 * time.Second,
		order:   2,
		run:     runMultiplicative,
	})
}

// multSize holds a multiplicative run's sizes.
type multSize struct {
	// Jacobians: seeds networks at widths jWidth and jWidth/2, depth jDepth.
	jWidth, jDepth, jSeeds int
	// Circles through matched networks: seeds networks at widths pWidth and
	// pWidth/2, pDepth layers, pPoints points.
	pWidth, pDepth, pSeeds, pPoints int
	// Sign changes along a circle: depths 1..cDepth, widths cWidths,
	// cSeeds networks each, cSamples samples before bisection.
	cDepth, cSeeds, cSamples int
	cWidths                  []int
}

func multSizes(quick bool) multSize {
	if quick {
		return multSize{jWidth: 200, jDepth: 4, jSeeds: 16, pWidth: 300, pDepth: 8, pSeeds: 16, pPoints: 64, cDepth: 4, cSeeds: 3, cSamples: 400, cWidths: []int{20, 40}}
	}
	return multSize{jWidth: 400, jDepth: 8, jSeeds: 16, pWidth: 600, pDepth: 10, pSeeds: 16, pPoints: 100, cDepth: 6, cSeeds: 4, cSamples: 1000, cWidths: []int{20, 50, 100}}
}

func runMultiplicative(ctx context.Context, b engine.Backend, o Options, r *runner) error {
	r.rep.Papers = []string{
		"Pennington, Schoenholz, Ganguli. Resurrecting the sigmoid in deep learning through dynamical isometry: theory and practice. NeurIPS 2017.",
		"Vaswani et al. Attention is all you need. NeurIPS 2017 (the attention layer).",
	}
	r.rep.Notes = append(r.rep.Notes,
		"Multiplication neurons multiply two affine forms, h = (W x + b) * (V x + c); their mean field (product length and correlation maps, curvature) is netgeom's own derivation (docs/science.md section 7, meanfield/product.go), checked here against simulation: no paper is reproduced for it.",
		"Mean field of attention layers is not implemented: attention networks are measured and reported, not checked.")
	sz := multSizes(o.Quick)
	act, err := activation.Lookup("tanh")
	if err != nil {
		return err
	}
	if r.want("jacobian") {
		if err := multJacobian(ctx, b, o, r, sz, act); err != nil {
			return fmt.Errorf("jacobian: %w", err)
		}
	}
	if r.want("product") {
		if err := multProduct(ctx, b, o, r, sz, act); err != nil {
			return fmt.Errorf("product: %w", err)
		}
	}
	if r.want("carve") {
		if err := multCarve(ctx, b, o, r, sz); err != nil {
			return fmt.Errorf("carve: %w", err)
		}
	}
	return nil
}

// multJacobian: the spectrum of J^T J at criticality, Gaussian against
// orthogonal weights.
func multJacobian(ctx context.Context, b engine.Backend, o Options, r *runner, sz multSize, act activation.Func) error {
	start := time.Now()
	const sigmaB = 0.05
	L, N := sz.jDepth, sz.jWidth
	// per[law][width] over seeds: mean and variance / mean^2.
	type acc struct{ mean, ratio []float64 }
	per := map[string]*[2]acc{"gaussian": {}, "orthogonal": {}}
	var first *isometry.JacobianResult
	var theory = map[string]float64{}
	var sw, mu float64
	for w, width := range []int{N, N / 2} {
		for _, seed := range seedsOf(o, sz.jSeeds) {
			res, err := isometry.Jacobian(ctx, b, isometry.JacobianOptions{Activation: act, SigmaB: sigmaB, Width: width, Depths: []int{L}, Inputs: 1, Seed: seed})
			if err != nil {
				return err
			}
			if first == nil {
				first = res
			}
			sw = res.SigmaW
			for _, row := range res.Rows {
				a := &per[row.Weights][w]
				a.mean = append(a.mean, row.Mean)
				a.ratio = append(a.ratio, row.Variance/(row.Mean*row.Mean))
				if row.VarTheory != nil {
					theory[row.Weights] = *row.VarTheory
				}
			}
		}
	}
	if g, ok := theory["gaussian"]; ok {
		mu = g / float64(L) // mu2/mu1^2: Gaussian weights have s1 = -1, so the variance is L mu2/mu1^2
	}
	fig := Figure{ID: "jacobian", Title: "Jacobian spectra at criticality: Gaussian against orthogonal weights",
		Claim:    fmt.Sprintf("At the edge of chaos (chi_1 = 1) the squared singular values of the input-output Jacobian of a depth-L tanh network have mean 1 and variance L (mu2/mu1^2 - 1 - s1), with s1 = -1 for Gaussian and 0 for orthogonal weights: orthogonal weights remove L from the variance, which is how they reach dynamical isometry (here mu2/mu1^2 = %.4g).", mu),
		Settings: fmt.Sprintf("tanh, sigma_b %g, the critical sigma_w %.6g, depth %d, %d networks of width %d and %d of width %d per weight law, one input each (dense SVD of J)", sigmaB, sw, L, sz.jSeeds, N, sz.jSeeds, N/2),
		Related:  []string{fmt.Sprintf("netgeom jacobian --sigma-b %g --width %d --depths %d --inputs 1 --plot jacobian.png", sigmaB, N, L)},
	}
	rich := func(a [2]acc, f func(acc) []float64) (summary, summary, summary) {
		x, y := meanOf(f(a[0])), meanOf(f(a[1]))
		return richardson(x, y), x, y
	}
	for _, law := range []string{"gaussian", "orthogonal"} {
		a := *per[law]
		m, mN, mH := rich(a, func(c acc) []float64 { return c.mean })
		fig.Checks = append(fig.Checks, within(fmt.Sprintf("%s: mean squared singular value, extrapolated to infinite width", law), m, 1, tTol(m),
			fmt.Sprintf("measured %.4g +- %.2g at width %d and %.4g +- %.2g at width %d (%d networks each); Richardson extrapolation removes the O(1/N) finite-width term; %s.", mN.mean, mN.se, N, mH.mean, mH.se, N/2, sz.jSeeds, tText(m.n)),
			"chi_1^L = 1 at criticality (Pennington et al. 2017; meanfield.Model.JacobianMoments, docs/science.md section 4)"))
		v, vN, vH := rich(a, func(c acc) []float64 { return c.ratio })
		want := theory[law]
		fig.Checks = append(fig.Checks, within(fmt.Sprintf("%s: variance / mean^2 of the squared singular values, extrapolated to infinite width", law), v, want, tTol(v),
			fmt.Sprintf("measured %.4g +- %.2g at width %d and %.4g +- %.2g at width %d; the ratio removes each network's overall scale; Richardson extrapolation removes the O(1/N) term; %s.", vN.mean, vN.se, N, vH.mean, vH.se, N/2, tText(v.n)),
			fmt.Sprintf("L (mu2/mu1^2 - 1 - s1) = %.5g with s1 = %s (Pennington et al. 2017, the variance of the spectrum of J J^T; meanfield.Model.JacobianMoments)", want, map[string]string{"gaussian": "-1", "orthogonal": "0"}[law])))
	}
	g, og := *per["gaussian"], *per["orthogonal"]
	diff := func(i int) []float64 {
		d := make([]float64, len(g[i].ratio))
		for k := range d {
			d[k] = g[i].ratio[k] - og[i].ratio[k]
		}
		return d
	}
	dN, dH := meanOf(diff(0)), meanOf(diff(1))
	d := richardson(dN, dH)
	fig.Checks = append(fig.Checks, within("orthogonal weights remove L from the variance: Gaussian minus orthogonal variance / mean^2, extrapolated", d, float64(L), tTol(d),
		fmt.Sprintf("per seed the two laws' networks share their Gaussian draws (the orthogonal weights are their QR), so the difference is paired; %.4g +- %.2g at width %d, %.4g +- %.2g at width %d; %s.", dN.mean, dN.se, N, dH.mean, dH.se, N/2, tText(d.n)),
		"s1 = -1 (Gaussian) against 0 (orthogonal): a difference of exactly L (Pennington et al. 2017)"))
	if p, ok := r.path("jacobian.svg"); ok && first != nil {
		if err := report.JacobianPlot(p, first); err != nil {
			return err
		}
		fig.Images, fig.Captions = append(fig.Images, "jacobian.svg"), append(fig.Captions, fmt.Sprintf("One network per law (width %d, depth %d, seed %d): the spectrum of J^T J against Pennington et al.'s mean and variance.", N, L, o.Seed))
	}
	r.add(fig, start)
	return nil
}

// productStats are one network's circle measures.
type productStats struct{ qLast, rate, kbar float64 }

// multProduct: circles through dense, product and mixed networks matched
// to the same chi_1, against the product mean field; an attention network
// measured beside them.
func multProduct(ctx context.Context, b engine.Backend, o Options, r *runner, sz multSize, act activation.Func) error {
	start := time.Now()
	const sigmaB, chi1, q0 = 0.3, 2.0, 1.0
	L, N := sz.pDepth, sz.pWidth
	patterns := []struct {
		name string
		mf   []layerkind.Kind
	}{
		{"dense", []layerkind.Kind{layerkind.Dense}},
		{"product", []layerkind.Kind{layerkind.Product}},
		{"mixed", []layerkind.Kind{layerkind.Dense, layerkind.Product}},
	}
	fig := Figure{ID: "product", Title: "Product layers carving a circle, against their mean field",
		Claim:    "Networks of multiplication neurons follow their own mean field: a product layer squares the length map (q' = V(q)^2), multiplies tangents by chi_1 = 2 V(q) chi_f and sets the curvature by kbar'^2 = kbar_f^2 / (2 q_f) + 3 / (2 q_f^2); matched to the same chi_1, dense, product and mixed networks stretch a circle alike, while their curvatures differ.",
		Settings: fmt.Sprintf("tanh, sigma_b %g, sigma_w matched so that chi_1 = %g per layer at the stationary orbit; a great circle of %d points at q = %g; %d layers; %d networks of width %d and %d of width %d per pattern", sigmaB, chi1, sz.pPoints, q0, L, sz.pSeeds, N, sz.pSeeds, N/2),
		Related:  []string{fmt.Sprintf("netgeom carve --chi1 %g --width %d --depth %d --points %d --plot carve.png", chi1, N, L, sz.pPoints), fmt.Sprintf("netgeom curvature --kinds product --width %d --depth %d", N, L)},
	}
	var panels [3]report.Panel
	panels[0] = report.Panel{Title: "q per layer", XLabel: "layer", YLabel: "q", LogY: true, LegendLeft: true}
	panels[1] = report.Panel{Title: "L^E / sqrt(N)", XLabel: "layer", YLabel: "L^E / sqrt(N)", LogY: true, LegendLeft: true}
	panels[2] = report.Panel{Title: "kbar = sqrt(N) kappa", XLabel: "layer", YLabel: "kbar", LogY: true, LegendLeft: true}
	x := make([]float64, L+1)
	for l := range x {
		x[l] = float64(l)
	}
	for pi, pat := range patterns {
		sw, _, err := meanfield.SigmaWForChi1(act, sigmaB, pat.mf, chi1, meanfield.Options{})
		if err != nil {
			return err
		}
		mf, err := meanfield.New(act, sw, sigmaB, meanfield.Options{})
		if err != nil {
			return err
		}
		kinds := make([]layerkind.Kind, L)
		for l := range kinds {
			kinds[l] = pat.mf[l%len(pat.mf)]
		}
		th, err := mf.StackCircle(q0, kinds)
		if err != nil {
			return err
		}
		thLogLE := make([]float64, L+1)
		thKbar := 0.0
		thQ, thLE, thK := make([]float64, L+1), make([]float64, L+1), make([]float64, L+1)
		for l, c := range th {
			thLogLE[l] = math.Log(c.Length)
			thQ[l], thLE[l], thK[l] = c.Q, c.Length, c.Kbar
			if l > L/2 {
				thKbar += c.Kbar / float64(L-L/2)
			}
		}
		thRate := slope(thLogLE, L/2)
		var st [2][]productStats
		meanQ, meanLE, meanK := make([][]float64, L+1), make([][]float64, L+1), make([][]float64, L+1)
		for w, width := range []int{N, N / 2} {
			for _, seed := range seedsOf(o, sz.pSeeds) {
				net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(width, L), Act: act, SigmaW: sw, SigmaB: sigmaB, Seed: seed, ActivateInput: true, Kinds: kinds})
				if err != nil {
					return err
				}
				c, err := manifold.Circle(width, sz.pPoints, q0, seed)
				if err != nil {
					return err
				}
				layers, err := manifold.Simulate(ctx, b, net, c, manifold.SimOptions{})
				if err != nil {
					return err
				}
				logLE := make([]float64, L+1)
				var ps productStats
				for l, row := range layers {
					logLE[l] = math.Log(row.Length)
					if l > L/2 {
						ps.kbar += row.KappaBar / float64(L-L/2)
					}
					if w == 0 {
						meanQ[l] = append(meanQ[l], row.Q)
						meanLE[l] = append(meanLE[l], row.Length/math.Sqrt(float64(width)))
						meanK[l] = append(meanK[l], row.KappaBar)
					}
				}
				ps.qLast, ps.rate = layers[L].Q, slope(logLE, L/2)
				st[w] = append(st[w], ps)
			}
		}
		get := func(w int, f func(productStats) float64) summary {
			v := make([]float64, len(st[w]))
			for i, s := range st[w] {
				v[i] = f(s)
			}
			return meanOf(v)
		}
		check := func(name string, f func(productStats) float64, want float64, source string) {
			a, h := get(0, f), get(1, f)
			x := richardson(a, h)
			fig.Checks = append(fig.Checks, within(fmt.Sprintf("%s (sigma_w %.4g): %s, extrapolated to infinite width", pat.name, sw, name), x, want, tTol(x),
				fmt.Sprintf("measured %.4g +- %.2g at width %d and %.4g +- %.2g at width %d (%d networks each); Richardson extrapolation removes the O(1/N) finite-width term (large behind product layers, whose outputs have kurtosis 9); %s.", a.mean, a.se, N, h.mean, h.se, N/2, sz.pSeeds, tText(x.n)),
				source))
		}
		src := "netgeom's product-layer mean field (meanfield.Model.StackCircle, docs/science.md section 7); for dense layers Poole et al. 2016"
		check(fmt.Sprintf("q at layer %d", L), func(s productStats) float64 { return s.qLast }, thQ[L], src)
		check(fmt.Sprintf("log L^E growth per layer over layers %d..%d", L/2, L), func(s productStats) float64 { return s.rate }, thRate, src)
		check(fmt.Sprintf("mean kbar over layers %d..%d", L/2+1, L), func(s productStats) float64 { return s.kbar }, thKbar, src)
		mq, sq, ml, sl, mkb, skb := make([]float64, L+1), make([]float64, L+1), make([]float64, L+1), make([]float64, L+1), make([]float64, L+1), make([]float64, L+1)
		for l := 0; l <= L; l++ {
			mq[l], sq[l] = meanSE(meanQ[l])
			ml[l], sl[l] = meanSE(meanLE[l])
			mkb[l], skb[l] = meanSE(meanK[l])
		}
		for i, c := range [][4][]float64{{thQ, mq, sq}, {thLE, ml, sl}, {thK, mkb, skb}} {
			panels[i].Curves = append(panels[i].Curves, report.Curve{Label: pat.name, X: x, Y: c[0], Color: pi}, report.Curve{X: x, Y: c[1], Err: c[2], Points: true, Color: pi})
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	// Attention, measured: [attention, dense] repeated, residual, tokens of
	// dimension 10, at the dense network's sigma_w.
	sw, _, err := meanfield.SigmaWForChi1(act, sigmaB, []layerkind.Kind{layerkind.Dense}, chi1, meanfield.Options{})
	if err != nil {
		return err
	}
	var rates, kbars []float64
	for _, seed := range seedsOf(o, min(sz.pSeeds, 6)) {
		res, err := manifold.Curvature(ctx, b, manifold.CurvatureOptions{SigmaW: sw, SigmaB: sigmaB, Width: N, Depth: L, Points: sz.pPoints, Q: q0, Seed: seed,
			Kinds: []layerkind.Kind{layerkind.Attention, layerkind.Dense}, TokenDim: 10, Residual: true})
		if err != nil {
			return err
		}
		logLE := make([]float64, L+1)
		k := 0.0
		for l, row := range res.Layers {
			logLE[l] = math.Log(row.Length)
			if l > L/2 {
				k += row.KappaBar / float64(L-L/2)
			}
		}
		rates, kbars = append(rates, slope(logLE, L/2)), append(kbars, k)
	}
	ra, kb := meanOf(rates), meanOf(kbars)
	fig.Observations = append(fig.Observations,
		Observation{Name: fmt.Sprintf("attention + dense (residual, tokens of dimension 10, sigma_w %.4g): log L^E growth per layer, layers %d..%d", sw, L/2, L), Value: ra.mean, StdErr: ra.se, Samples: ra.n,
			Note: fmt.Sprintf("width %d; the dense network at the same sigma_w grows by log sqrt(chi_1) = %.4g per layer", N, 0.5*math.Log(chi1))},
		Observation{Name: fmt.Sprintf("attention + dense: mean kbar over layers %d..%d", L/2+1, L), Value: kb.mean, StdErr: kb.se, Samples: kb.n, Note: "no mean-field prediction"})
	if p, ok := r.path("product.svg"); ok {
		if err := report.PanelsPlot(p, 3, 11*vg.Centimeter, 10*vg.Centimeter, panels[:]); err != nil {
			return err
		}
		fig.Images, fig.Captions = append(fig.Images, "product.svg"), append(fig.Captions, fmt.Sprintf("q, L^E / sqrt(N) and kbar per layer for dense, product and mixed networks matched to chi_1 = %g: mean field (lines) and networks of width %d (points, mean and standard error over %d networks).", chi1, N, sz.pSeeds))
	}
	r.add(fig, start)
	return nil
}

// multCarve: sign changes of a product network's readout along a circle
// against the degree bound, beside the pieces of relu networks.
func multCarve(ctx context.Context, b engine.Backend, o Options, r *runner, sz multSize) error {
	start := time.Now()
	lin, err := activation.Lookup("linear")
	if err != nil {
		return err
	}
	relu, err := activation.Lookup("relu")
	if err != nil {
		return err
	}
	fig := Figure{ID: "carve", Title: "Carving a circle: algebraic level sets against linear pieces",
		Claim:    "With linear activations a network of L product layers is a polynomial of degree 2^L in its input, so its readout changes sign at most 2^(L+1) times along a great circle, whatever its width or weights; relu networks instead cut the circle into linear pieces whose number grows with depth.",
		Settings: fmt.Sprintf("product networks (linear activation, sigma_w 1, sigma_b 0.3) and relu networks (sigma_w sqrt 2, sigma_b 0.3) of depths 1..%d and widths %v, %d networks each, on a great circle at q = 1; %d samples refined by bisection to 1e-8", sz.cDepth, sz.cWidths, sz.cSeeds, sz.cSamples),
		Related:  []string{fmt.Sprintf("netgeom carve --count-depths 1:%d --count-widths %s --count-seeds %d --samples %d --plot carve.png", sz.cDepth, intList(sz.cWidths), sz.cSeeds, sz.cSamples)},
	}
	var dx, maxSC, bound, pieces, piecesSE []float64
	for d := 1; d <= sz.cDepth; d++ {
		kinds := make([]layerkind.Kind, d)
		for l := range kinds {
			kinds[l] = layerkind.Product
		}
		most := 0
		var pc []float64
		for _, w := range sz.cWidths {
			for _, seed := range seedsOf(o, sz.cSeeds) {
				path, err := manifold.CirclePath(w, 1, seed)
				if err != nil {
					return err
				}
				opt := manifold.CountOptions{Samples: sz.cSamples, Resolution: 1e-8, Seed: seed}
				pnet, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(w, d), Act: lin, SigmaW: 1, SigmaB: 0.3, Seed: seed, Kinds: kinds})
				if err != nil {
					return err
				}
				res, err := manifold.CountAlongPath(b, pnet, path, opt)
				if err != nil {
					return err
				}
				most = max(most, res.SignChanges)
				rnet, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(w, d), Act: relu, SigmaW: math.Sqrt2, SigmaB: 0.3, Seed: seed})
				if err != nil {
					return err
				}
				rr, err := manifold.CountAlongPath(b, rnet, path, opt)
				if err != nil {
					return err
				}
				pc = append(pc, float64(rr.Pieces))
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		bd := float64(int(1) << (d + 1))
		c := Check{Name: fmt.Sprintf("product network of depth %d: most sign changes of the readout along the circle", d), Measured: float64(most), Samples: len(sz.cWidths) * sz.cSeeds,
			Expected: bd, Relation: AtMost,
			Reason: fmt.Sprintf("the largest count over %d networks (widths %v); an exact bound, so no tolerance: a trigonometric polynomial of degree 2^%d has at most 2^%d zeros on the circle. Changes closer together than the sampling can be missed, never invented, so a count above the bound would be a bug.", len(sz.cWidths)*sz.cSeeds, sz.cWidths, d, d+1),
			Source: "the degree of the readout: 2^L after L product layers with linear activations (docs/science.md section 7)"}
		c.judge()
		fig.Checks = append(fig.Checks, c)
		p := meanOf(pc)
		fig.Observations = append(fig.Observations, Observation{Name: fmt.Sprintf("relu network of depth %d: linear pieces along the circle", d), Value: p.mean, StdErr: p.se, Samples: p.n})
		dx, maxSC, bound, pieces, piecesSE = append(dx, float64(d)), append(maxSC, float64(most)), append(bound, bd), append(pieces, p.mean), append(piecesSE, p.se)
	}
	if p, ok := r.path("carve.svg"); ok {
		panel := report.Panel{Title: "carving a great circle", XLabel: "depth", YLabel: "count", LogY: true, LegendLeft: true, Curves: []report.Curve{
			{Label: "degree bound 2^(L+1)", X: dx, Y: bound, Color: -1, Dashed: true},
			{Label: "product: most sign changes", X: dx, Y: maxSC, Points: true, Color: 1},
			{Label: "relu: linear pieces (mean)", X: dx, Y: pieces, Err: piecesSE, Points: true, Color: 0},
		}}
		if err := report.PanelsPlot(p, 1, 14*vg.Centimeter, 10*vg.Centimeter, []report.Panel{panel}); err != nil {
			return err
		}
		fig.Images, fig.Captions = append(fig.Images, "carve.svg"), append(fig.Captions, "Along a great circle: the most sign changes of a product network's readout against its degree bound, and the mean number of linear pieces of relu networks, per depth.")
	}
	r.add(fig, start)
	return nil
}

// intList writes v as a comma list.
func intList(v []int) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(x)
	}
	return s
}
