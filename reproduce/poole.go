package reproduce

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
)

func init() {
	reproductions = append(reproductions, Reproduction{
		Name:    "poole2016",
		Title:   "Poole, Lahiri, Raghu, Sohl-Dickstein and Ganguli (2016): exponential expressivity in deep neural networks through transient chaos",
		Figures: []string{"fig1", "fig2", "fig3", "fig4", "fig5"},
		Quick:   30 * time.Second,
		Full:    21 * time.Minute,
		order:   0,
		run:     runPoole,
	})
}

const poolePaper = "Poole, Lahiri, Raghu, Sohl-Dickstein, Ganguli. Exponential expressivity in deep neural networks through transient chaos. NeurIPS 2016."

// pooleSigmaB is the paper's bias scale; pooleSigmaWs its three example
// networks (ordered, chaotic, chaotic).
const pooleSigmaB = 0.3

var pooleSigmaWs = []float64{1.3, 2.5, 4}

// pooleSize holds a run's sizes.
type pooleSize struct {
	// The circle statistics (figures 3 and 4): seeds networks of width
	// width and as many of width width/2, depth layers, points points.
	width, seeds, depth, points int
	// The single networks drawn in figure 3.
	figWidth, figDepth, figPoints int
	// Figures 1 and 2: seeds networks of width propWidth, pairs pairs of
	// inputs per correlation.
	propWidth, propSeeds, pairs int
	// Points per axis of the phase diagrams.
	grid int
	// Figure 4G's network and boundary points.
	bWidth, bDepth, bPoints int
	expr                    manifold.ExpressivityOptions
}

func pooleSizes(quick bool) pooleSize {
	if quick {
		return pooleSize{width: 300, seeds: 16, depth: 20, points: 100, figWidth: 300, figDepth: 20, figPoints: 150,
			propWidth: 300, propSeeds: 8, pairs: 10, grid: 21, bWidth: 100, bDepth: 8, bPoints: 16,
			expr: manifold.ExpressivityOptions{InputDim: 100, Width: 200, Depths: []int{1, 3, 6}, ShallowWidths: []int{50, 400, 1600},
				Points: 1000, Functions: 40, Readout: 100, Repeats: 4}}
	}
	return pooleSize{width: 1000, seeds: 16, depth: 30, points: 100, figWidth: 1000, figDepth: 40, figPoints: 500,
		propWidth: 1000, propSeeds: 16, pairs: 20, grid: 41, bWidth: 200, bDepth: 10, bPoints: 16}
}

// pooleModel is the mean field of one example network.
type pooleModel struct {
	sw float64
	mf *meanfield.Model
	s  meanfield.Summary
}

func pooleModels(act activation.Func, sws []float64) ([]pooleModel, error) {
	var out []pooleModel
	for _, sw := range sws {
		mf, err := meanfield.New(act, sw, pooleSigmaB, meanfield.Options{})
		if err != nil {
			return nil, err
		}
		s, err := mf.Analyze(1)
		if err != nil {
			return nil, err
		}
		out = append(out, pooleModel{sw: sw, mf: mf, s: s})
	}
	return out, nil
}

func runPoole(ctx context.Context, b engine.Backend, o Options, r *runner) error {
	r.rep.Papers = []string{poolePaper}
	sz := pooleSizes(o.Quick)
	act, err := activation.Lookup("tanh")
	if err != nil {
		return err
	}
	models3, err := pooleModels(act, pooleSigmaWs)
	if err != nil {
		return err
	}
	r.rep.Notes = append(r.rep.Notes,
		"Networks: tanh, sigma_b = 0.3, Gaussian weights, the input fed as the first pre-activation (the authors' code); the paper's three examples sigma_w = 1.3 (ordered), 2.5 and 4 (chaotic).",
		fmt.Sprintf("Statistical checks average over independent networks drawn under seeds %d, %d, ...; their standard errors come from the spread over those networks, and the tolerances allow the Student t quantile of that many samples at two-sided probability %.2g (the normal 4 sigma; 4.0 standard errors for many samples, 5.5 for 16) plus the finite-width terms each check states.", o.Seed, o.Seed+1, alpha))
	if r.want("fig1") {
		if err := pooleFig1(ctx, b, o, r, sz, act, models3); err != nil {
			return fmt.Errorf("fig1: %w", err)
		}
	}
	want2, want34 := r.want("fig2"), r.want("fig3") || r.want("fig4")
	if want2 || want34 {
		sh, err := pooleNetworks(ctx, b, o, r, sz, act, models3)
		if err != nil {
			return fmt.Errorf("figures 2 to 4: %w", err)
		}
		if want2 {
			if err := pooleFig2(r, sz, sh); err != nil {
				return fmt.Errorf("fig2: %w", err)
			}
		}
		if r.want("fig3") {
			if err := pooleFig3(ctx, b, o, r, sz, sh); err != nil {
				return fmt.Errorf("fig3: %w", err)
			}
		}
		if r.want("fig4") {
			if err := pooleFig4(ctx, b, o, r, sz, act, sh); err != nil {
				return fmt.Errorf("fig4: %w", err)
			}
		}
	}
	if r.want("fig5") {
		if err := pooleFig5(ctx, b, o, r, sz); err != nil {
			return fmt.Errorf("fig5: %w", err)
		}
	}
	return nil
}

// seedsOf lists n seeds from o.Seed.
func seedsOf(o Options, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = o.Seed + uint64(i)
	}
	return out
}

func randomNet(act activation.Func, sw float64, width, depth int, seed uint64) (*models.RandomNetwork, error) {
	return models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(width, depth), Act: act, SigmaW: sw, SigmaB: pooleSigmaB,
		Seed: seed, ActivateInput: true})
}

// pooleFig1: the length map and the convergence of q^l.
func pooleFig1(ctx context.Context, b engine.Backend, o Options, r *runner, sz pooleSize, act activation.Func, ms []pooleModel) error {
	start := time.Now()
	q0s := []float64{15 * 26.0 / 99, 15 * 53.0 / 99, 15 * 80.0 / 99} // the authors' qrange[[26, 53, 80]], qrange = linspace(0, 15, 100)
	const layers = 6
	N, R := sz.propWidth, sz.propSeeds
	fig := Figure{ID: "fig1", Title: "Figure 1: the length map and the convergence of q^l",
		Claim:    "The squared length q^l of a pre-activation converges within a few layers to the fixed point q* of the length map V, whatever its starting length, and the map fitted to simulated networks is the mean-field V.",
		Settings: fmt.Sprintf("width %d, %d layers, %d networks per sigma_w; per network and input length %d input pairs (%d inputs); the single-layer map is layer 1 of the same networks", N, layers, R, sz.pairs, 2*sz.pairs),
		Related:  []string{fmt.Sprintf("netgeom propagate --sigma-w 4 --sigma-b 0.3 --width %d --depth %d --q %.4g --pairs %d --c0 0.5", N, layers, q0s[2], sz.pairs), "netgeom meanfield --act tanh --sigma-w 4 --sigma-b 0.3"},
	}
	var mapPanel, dynPanel report.Panel
	mapPanel = report.Panel{Title: "length map V(q) (points: one layer, simulated)", XLabel: "input length q^(l-1)", YLabel: "output length q^l",
		XMin: 0, XMax: 15, YMin: 0, YMax: 15, LegendLeft: true}
	dynPanel = report.Panel{Title: "dynamics of q (lines: mean field)", XLabel: "layer l", YLabel: "length q^l", YMin: 0, YMax: 15}
	grid := make([]float64, 61)
	for i := range grid {
		grid[i] = 15 * float64(i) / 60
	}
	mapPanel.Curves = append(mapPanel.Curves, report.Curve{X: []float64{0, 15}, Y: []float64{0, 15}, Dashed: true, Color: -1})
	simQ := []float64{1, 3, 5, 7, 9, 11, 13, 15}
	for k, m := range ms {
		v := make([]float64, len(grid))
		for i, q := range grid {
			if v[i], _ = m.mf.LengthMap(q); math.IsNaN(v[i]) {
				return fmt.Errorf("length map at q %g: NaN", q)
			}
		}
		mapPanel.Curves = append(mapPanel.Curves, report.Curve{Label: fmt.Sprintf("sigma_w %g", m.sw), X: grid, Y: v, Color: k})
		// Per network: one layer at several input lengths (the map
		// measured: layer 1 of the run) and the dynamics from q0s.
		one := make([][]float64, len(simQ))  // [q][seed]
		dyn := make([][][]float64, len(q0s)) // [q0][layer][seed]
		for i := range dyn {
			dyn[i] = make([][]float64, layers+1)
		}
		for _, seed := range seedsOf(o, R) {
			net, err := randomNet(act, m.sw, N, layers, seed)
			if err != nil {
				return err
			}
			if err := net.Materialise(); err != nil { // the weights serve every input length
				return err
			}
			for i, q := range simQ {
				res, err := manifold.Propagate(ctx, b, manifold.PropagateOptions{Net: net, Q: q, C0: []float64{0.5}, Pairs: sz.pairs, Seed: seed})
				if err != nil {
					return err
				}
				one[i] = append(one[i], res.Layers[1].Q)
			}
			for i, q0 := range q0s {
				res, err := manifold.Propagate(ctx, b, manifold.PropagateOptions{Net: net, Q: q0, C0: []float64{0.5}, Pairs: sz.pairs, Seed: seed})
				if err != nil {
					return err
				}
				for l := 0; l <= layers; l++ {
					dyn[i][l] = append(dyn[i][l], res.Layers[l].Q)
				}
			}
		}
		meas, errs := make([]float64, len(simQ)), make([]float64, len(simQ))
		for i := range simQ {
			meas[i], errs[i] = meanSE(one[i])
		}
		mapPanel.Curves = append(mapPanel.Curves, report.Curve{X: simQ, Y: meas, Err: errs, Points: true, Color: k})
		for i, q0 := range q0s {
			x, th, me, se := make([]float64, layers+1), make([]float64, layers+1), make([]float64, layers+1), make([]float64, layers+1)
			q := q0
			for l := 0; l <= layers; l++ {
				if l > 0 {
					var err error
					if q, err = m.mf.LengthMap(q); err != nil {
						return err
					}
				}
				x[l], th[l] = float64(l), q
				me[l], se[l] = meanSE(dyn[i][l])
			}
			dynPanel.Curves = append(dynPanel.Curves, report.Curve{X: x, Y: th, Color: k}, report.Curve{X: x, Y: me, Err: se, Points: true, Color: k})
			s := meanOf(dyn[i][layers])
			fig.Checks = append(fig.Checks, within(fmt.Sprintf("q^%d from q^0 = %.3g, sigma_w %g", layers, q0, m.sw), s, th[layers], tTol(s),
				fmt.Sprintf("mean over %d networks of width %d of |h|^2/N averaged over %d inputs; %s. The mean field's own transient left at layer %d is |V^%d(q0) - q*| = %.2g (q* = %.5g), so the check also shows the convergence. Finite width biases q by O(1/N) relative (the curvature of V times the O(q^2/N) variance of q), about 1e-4 here, far below the standard error.",
					R, N, 2*sz.pairs, tText(R), layers, layers, math.Abs(th[layers]-m.s.QStar), m.s.QStar),
				"the length map V(q) = sigma_w^2 E[tanh(sqrt(q) z)^2] + sigma_b^2 iterated from q0 (Poole et al. 2016, the length map; meanfield.Model.LengthMap, docs/science.md section 2)"))
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if p, ok := r.path("fig1.svg"); ok {
		if err := report.PanelsPlot(p, 2, 12*vg.Centimeter, 10*vg.Centimeter, []report.Panel{mapPanel, dynPanel}); err != nil {
			return err
		}
		fig.Images = append(fig.Images, "fig1.svg")
		fig.Captions = append(fig.Captions, fmt.Sprintf("(A) The length map for sigma_w = 1.3, 2.5, 4 at sigma_b = 0.3 (lines) and one simulated layer of width %d (points, mean and standard error over %d networks); dashed: q^l = q^(l-1). (B) q^l from q^0 = 3.94, 8.03, 12.1: mean field (lines) and simulation (points).", N, R))
	}
	// Panels C and D: q* and the phase diagram over the paper's grid.
	if err := pooleHeatMaps(&fig, r, sz, act); err != nil {
		return err
	}
	r.add(fig, start)
	return nil
}

// pooleHeatMaps draws the mean-field phase diagram over the paper's grid
// (sigma_w 1..5, sigma_b 0..4) into phase.svg and checks the order-to-chaos
// boundary at sigma_b = 0.3.
func pooleHeatMaps(fig *Figure, r *runner, sz pooleSize, act activation.Func) error {
	sws, sbs := make([]float64, sz.grid), make([]float64, sz.grid)
	for i := range sws {
		sws[i] = 1 + 4*float64(i)/float64(sz.grid-1)
		sbs[i] = 4 * float64(i) / float64(sz.grid-1)
	}
	swc, err := meanfield.CriticalSigmaW(act, pooleSigmaB, meanfield.Options{})
	if err != nil {
		return err
	}
	fig.Checks = append(fig.Checks, within("critical sigma_w at sigma_b = 0.3 (chi_1 = 1)", exact(swc), 1.4, 0.05,
		"the paper places the boundary near sigma_w = 1.4 reading it off heat maps whose sigma_w step is 0.1; the tolerance is half a step. The mean-field root itself is exact to 1e-12 (bisection).",
		"published: Poole et al. 2016, section 3 and figure 2D (the chi_1 = 1 contour at sigma_b = 0.3); measured: meanfield.CriticalSigmaW"))
	p, ok := r.path("phase.svg")
	if !ok {
		return nil
	}
	g, err := meanfield.PhaseGrid(act, sws, sbs, meanfield.Options{})
	if err != nil {
		return err
	}
	if err := report.PhasePlot(p, "tanh", g); err != nil {
		return err
	}
	fig.Images = append(fig.Images, "phase.svg")
	fig.Captions = append(fig.Captions, fmt.Sprintf("Mean field over the paper's grid (%d x %d points, sigma_w 1..5, sigma_b 0..4): q* (figure 1C), c* (figure 2C), chi_1 (figure 2D) and the depth scale xi_c, with the chi_1 = 1 contour.", sz.grid, sz.grid))
	return nil
}

// pooleShared holds what figures 2, 3 and 4 measure on the same
// networks: per example network (ms) and critical one, the circle
// statistics at widths N and N/2, and at width N the correlations of input
// pairs, each network's weights drawn once.
type pooleShared struct {
	ms    []pooleModel // the three examples
	all   []pooleModel // the critical network, then the examples
	stats [][2][]circleStats
	// pairs[k][i][l] are the mean correlations c^l from c0s[i] of
	// example k, one per network.
	pairs      [][][][]float64
	pairLayers int
	// Wall times: drawing the weights, the circles, the pairs.
	tDraw, tCircle, tPairs time.Duration
}

// c0s are figure 2's starting correlations.
var c0s = []float64{0.2, 0.5, 0.8}

// pooleNetworks draws the networks of figures 2 to 4 once each and runs
// what the wanted figures measure on them.
func pooleNetworks(ctx context.Context, b engine.Backend, o Options, r *runner, sz pooleSize, act activation.Func, ms []pooleModel) (*pooleShared, error) {
	want2, want34, want4 := r.want("fig2"), r.want("fig3") || r.want("fig4"), r.want("fig4")
	swc, err := meanfield.CriticalSigmaW(act, pooleSigmaB, meanfield.Options{})
	if err != nil {
		return nil, err
	}
	crit, err := pooleModels(act, []float64{swc})
	if err != nil {
		return nil, err
	}
	sh := &pooleShared{ms: ms, all: append(crit, ms...), pairLayers: min(30, sz.depth)}
	sh.stats = make([][2][]circleStats, len(sh.all))
	sh.pairs = make([][][][]float64, len(ms))
	for k := range ms {
		sh.pairs[k] = make([][][]float64, len(c0s))
		for i := range c0s {
			sh.pairs[k][i] = make([][]float64, sh.pairLayers+1)
		}
	}
	N, L := sz.width, sz.depth
	for k, m := range sh.all {
		if k == 0 && !want4 {
			continue // the critical network serves figure 4 only
		}
		widths := []int{N}
		if want4 {
			widths = append(widths, N/2)
		}
		for w, width := range widths {
			for _, seed := range seedsOf(o, sz.seeds) {
				t0 := time.Now()
				net, err := randomNet(act, m.sw, width, L, seed)
				if err != nil {
					return nil, err
				}
				if err := net.Materialise(); err != nil {
					return nil, err
				}
				t1 := time.Now()
				sh.tDraw += t1.Sub(t0)
				if want34 {
					// Figure 3 checks the autocorrelation of the examples at width N.
					st, err := measureCircle(ctx, b, net, m, width, L, sz.points, seed, r.want("fig3") && w == 0 && k > 0)
					if err != nil {
						return nil, err
					}
					sh.stats[k][w] = append(sh.stats[k][w], st)
				}
				t2 := time.Now()
				sh.tCircle += t2.Sub(t1)
				if want2 && w == 0 && k > 0 {
					res, err := manifold.Propagate(ctx, b, manifold.PropagateOptions{Net: net, C0: c0s, Pairs: sz.pairs, Seed: seed})
					if err != nil {
						return nil, err
					}
					for l := 0; l <= sh.pairLayers; l++ {
						for i := range c0s {
							sh.pairs[k-1][i][l] = append(sh.pairs[k-1][i][l], res.Layers[l].C[i])
						}
					}
				}
				sh.tPairs += time.Since(t2)
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
		}
	}
	return sh, nil
}

// pooleFig2: the C-map and the convergence of c^l to c*.
func pooleFig2(r *runner, sz pooleSize, sh *pooleShared) error {
	start := time.Now()
	layers := sh.pairLayers
	N, R := sz.width, sz.seeds
	fig := Figure{ID: "fig2", Title: "Figure 2: the correlation map and the convergence of c^l",
		Claim:    "The correlation c^l of two inputs converges to the stable fixed point c* of the C-map: c* = 1 in the ordered phase (chi_1 < 1), c* < 1 in the chaotic phase (chi_1 > 1), and simulated networks of width 1000 follow the map.",
		Settings: fmt.Sprintf("width %d, %d layers, inputs at q*, %d networks per sigma_w, %d pairs per starting correlation", N, layers, R, sz.pairs),
		Related:  []string{fmt.Sprintf("netgeom propagate --sigma-w 2.5 --sigma-b 0.3 --width %d --depth %d --pairs %d", N, layers, sz.pairs), "netgeom phase --act tanh --sigma-w 1:5:41 --sigma-b 0:4:41 --plot phase.png"},
		Notes:    []string{"Figures 2, 3 and 4 measure the same networks; drawing their weights is counted in figure 4."},
	}
	mapPanel := report.Panel{Title: "correlation map C(c)", XLabel: "input correlation c^(l-1)", YLabel: "output correlation c^l", XMin: 0, XMax: 1, YMin: 0, YMax: 1, LegendLeft: true}
	dynPanel := report.Panel{Title: "dynamics of c (lines: mean field)", XLabel: "layer l", YLabel: "correlation c^l", YMin: 0, YMax: 1.02}
	mapPanel.Curves = append(mapPanel.Curves, report.Curve{X: []float64{0, 1}, Y: []float64{0, 1}, Dashed: true, Color: -1})
	grid := make([]float64, 51)
	for i := range grid {
		grid[i] = float64(i) / 50
	}
	for k, m := range sh.ms {
		v := make([]float64, len(grid))
		for i, c := range grid {
			var err error
			if v[i], err = m.mf.CMap(m.s.QStar, c); err != nil {
				return err
			}
		}
		mapPanel.Curves = append(mapPanel.Curves, report.Curve{Label: fmt.Sprintf("sigma_w %g (c* %.3g)", m.sw, m.s.CStar), X: grid, Y: v, Color: k})
		for i, c0 := range c0s {
			th, err := m.mf.CorrelationTrajectory(m.s.QStar, c0, layers)
			if err != nil {
				return err
			}
			x, me, se := make([]float64, layers+1), make([]float64, layers+1), make([]float64, layers+1)
			for l := range x {
				x[l] = float64(l)
				me[l], se[l] = meanSE(sh.pairs[k][i][l])
			}
			dynPanel.Curves = append(dynPanel.Curves, report.Curve{X: x, Y: th, Color: k}, report.Curve{X: x, Y: me, Err: se, Points: true, Color: k})
			s := meanOf(sh.pairs[k][i][layers])
			fig.Checks = append(fig.Checks, within(fmt.Sprintf("c^%d from c^0 = %g, sigma_w %g", layers, c0, m.sw), s, th[layers], tTol(s),
				fmt.Sprintf("mean over %d networks of width %d of the correlation averaged over %d pairs; %s. The mean-field value is c* = %.4g to %.1g. Finite width biases c by O(1/N), about 1e-3 here, below the standard error.",
					R, N, sz.pairs, tText(R), m.s.CStar, math.Abs(th[layers]-m.s.CStar)),
				"the C-map iterated from c0 at q* (Poole et al. 2016, the correlation map; meanfield.Model.CorrelationTrajectory, docs/science.md section 2)"))
		}
	}
	if p, ok := r.path("fig2.svg"); ok {
		if err := report.PanelsPlot(p, 2, 12*vg.Centimeter, 10*vg.Centimeter, []report.Panel{mapPanel, dynPanel}); err != nil {
			return err
		}
		fig.Images = append(fig.Images, "fig2.svg")
		fig.Captions = append(fig.Captions, fmt.Sprintf("(A) The C-map at q* for sigma_w = 1.3, 2.5, 4 (sigma_b = 0.3); dashed: c^l = c^(l-1). (B) c^l from c^0 = 0.2, 0.5, 0.8: mean field (lines) and networks of width %d (points, mean and standard error over %d networks). The heat maps of c* and chi_1 (figures 2C, 2D) are in figure 1's phase diagram.", N, R))
	}
	r.addTimed(fig, time.Since(start)+sh.tPairs)
	return nil
}

// circleStats are one network's circle measures (figures 3 and 4).
type circleStats struct {
	rateLE, rateLG, kbar, lgLast float64
	autocorr                     []float64 // at layer depth/2, offsets autocorrOffsets
	le, kb, lg                   []float64 // per layer: L^E / sqrt(N), kbar, L^G
}

// autocorrOffsets are the offsets k (in units of 2 pi / points) at which
// figure 3's autocorrelation is checked.
var autocorrOffsets = []int{2, 8, 25}

// measureCircle runs a great circle at q* through net; with gram it also
// measures the autocorrelation (which takes a points x points Gram matrix
// and its eigendecomposition per layer).
func measureCircle(ctx context.Context, b engine.Backend, net *models.RandomNetwork, m pooleModel, width, depth, points int, seed uint64, gram bool) (circleStats, error) {
	c, err := manifold.Circle(width, points, m.s.QStar, seed)
	if err != nil {
		return circleStats{}, err
	}
	layers, err := manifold.Simulate(ctx, b, net, c, manifold.SimOptions{Gram: gram})
	if err != nil {
		return circleStats{}, err
	}
	var st circleStats
	logLE, logLG := make([]float64, depth+1), make([]float64, depth+1)
	for l, row := range layers {
		logLE[l], logLG[l] = math.Log(row.Length), math.Log(row.GrassmannLength)
		st.le = append(st.le, row.Length/math.Sqrt(float64(width)))
		st.kb = append(st.kb, row.KappaBar)
		st.lg = append(st.lg, row.GrassmannLength)
		if l > depth/2 {
			st.kbar += row.KappaBar / float64(depth-depth/2)
		}
	}
	st.rateLE, st.rateLG, st.lgLast = slope(logLE, depth/4), slope(logLG, depth/2), layers[depth].GrassmannLength
	if gram {
		ac := layers[depth/2].Autocorr
		for _, k := range autocorrOffsets {
			st.autocorr = append(st.autocorr, ac[k])
		}
	}
	return st, nil
}

// summarize is the mean of f over the networks.
func summarize(st []circleStats, f func(circleStats) float64) summary {
	v := make([]float64, len(st))
	for i, s := range st {
		v[i] = f(s)
	}
	return meanOf(v)
}

// pooleFig4: the circle's length and curvature against mean field, and
// the decision boundary.
func pooleFig4(ctx context.Context, b engine.Backend, o Options, r *runner, sz pooleSize, act activation.Func, sh *pooleShared) error {
	start := time.Now()
	N, half, L, R := sz.width, sz.width/2, sz.depth, sz.seeds
	fig := Figure{ID: "fig4", Title: "Figure 4: length and curvature against depth; the decision boundary",
		Claim: "Mean field predicts how a circle's length and curvature evolve with depth: in the chaotic phase the Euclidean and Grassmannian lengths grow by sqrt(chi_1) per layer at every width while the normalised curvature kbar saturates at sqrt(3 chi_2 / (chi_1 (chi_1 - 1))); in the ordered phase the Grassmannian length saturates; and a decision boundary's principal curvatures grow exponentially as it is pulled back toward the input.",
		Settings: fmt.Sprintf("circles of %d points, %d layers, %d networks of width %d and %d of width %d per sigma_w (and at the critical sigma_w); decision boundary: width %d, %d layers, sigma_w 4, %d boundary points",
			sz.points, L, R, N, R, half, sz.bWidth, sz.bDepth, sz.bPoints),
		Related: []string{fmt.Sprintf("netgeom curvature --sigma-w 4 --sigma-b 0.3 --width %d --depth %d --points %d", N, L, sz.points),
			fmt.Sprintf("netgeom boundary --sigma-w 4 --sigma-b 0.3 --width %d --depth %d --points %d", sz.bWidth, sz.bDepth, sz.bPoints)},
		Notes: []string{fmt.Sprintf("Figures 2, 3 and 4 measure the same networks; the wall time here includes drawing their weights (%.1f s) and the circles (%.1f s).", sh.tDraw.Seconds(), sh.tCircle.Seconds())},
	}
	fig.Checks = append(fig.Checks, pooleGrowthChecks(sh.all, sh.stats, sz)...)
	fig.Checks = append(fig.Checks, pooleSaturationChecks(sh.all, sh.stats, sz)...)
	if p, ok := r.path("fig4.svg"); ok {
		if err := pooleFig4Plot(p, sh.ms, sh.stats[1:], sz); err != nil {
			return err
		}
		fig.Images = append(fig.Images, "fig4.svg")
		fig.Captions = append(fig.Captions, fmt.Sprintf("(C-E) kbar = sqrt(N) kappa, the length L^E / sqrt(N) = 2 pi sqrt(gbar) and the Grassmannian length L^G against depth for sigma_w = 1.3, 2.5, 4: mean field (lines) and networks of width %d (points, mean and standard error over %d networks).", N, R))
	}
	if err := pooleBoundary(ctx, b, o, r, sz, act, &fig); err != nil {
		return err
	}
	r.addTimed(fig, time.Since(start)+sh.tDraw+sh.tCircle)
	return nil
}

// pooleFig3 draws one circle through each example network and checks the
// autocorrelation against mean field on the statistics' networks.
func pooleFig3(ctx context.Context, b engine.Backend, o Options, r *runner, sz pooleSize, sh *pooleShared) error {
	start := time.Now()
	ms, stats := sh.ms, sh.stats[1:]
	L, N, R := sz.depth, sz.width, sz.seeds
	fig := Figure{ID: "fig3", Title: "Figure 3: a great circle through three random networks",
		Claim: "A great circle fed at q* stays a smooth, low-dimensional curve in the ordered phase and is folded into a space-filling, high-dimensional one in the chaotic phase; its autocorrelation c(dtheta) at each layer is the C-map iterated from c^0 = cos(dtheta).",
		Settings: fmt.Sprintf("drawn: one network of width %d, %d layers, %d points per sigma_w; checked: the autocorrelation at layer %d of %d networks of width %d (%d points)",
			sz.figWidth, sz.figDepth, sz.figPoints, L/2, R, N, sz.points),
		Related: []string{fmt.Sprintf("netgeom curvature --sigma-w 4 --sigma-b 0.3 --width %d --depth %d --points %d --plot fig3.png", sz.figWidth, sz.figDepth, sz.figPoints)},
		Notes:   []string{"The checks use the circle statistics of figure 4's networks, whose wall time is counted there."},
	}
	for k, m := range ms {
		for i, off := range autocorrOffsets {
			dtheta := 2 * math.Pi * float64(off) / float64(sz.points)
			th, err := m.mf.CorrelationTrajectory(m.s.QStar, math.Cos(dtheta), L/2)
			if err != nil {
				return err
			}
			s := summarize(stats[k][0], func(c circleStats) float64 { return c.autocorr[i] })
			fig.Checks = append(fig.Checks, within(fmt.Sprintf("autocorrelation c(%.3g) at layer %d, sigma_w %g", dtheta, L/2, m.sw), s, th[L/2], tTol(s),
				fmt.Sprintf("mean over %d networks of width %d of the correlation of points dtheta apart, averaged along a circle of %d points; %s. Finite width biases it by O(1/N), about 1e-3 here.", R, N, sz.points, tText(R)),
				"the C-map iterated from c^0 = cos(dtheta) at q* (Poole et al. 2016, figure 3C; meanfield.Model.CorrelationTrajectory, docs/science.md section 3)"))
		}
	}
	for _, m := range ms {
		name := fmt.Sprintf("fig3_sw%g.svg", m.sw)
		p, ok := r.path(name)
		if !ok {
			break
		}
		res, err := manifold.Curvature(ctx, b, manifold.CurvatureOptions{SigmaW: m.sw, SigmaB: pooleSigmaB, Width: sz.figWidth, Depth: sz.figDepth,
			Points: sz.figPoints, Seed: o.Seed, Figure: true})
		if err != nil {
			return err
		}
		if err := report.CurvaturePlot(p, res); err != nil {
			return err
		}
		fig.Images = append(fig.Images, name)
		fig.Captions = append(fig.Captions, fmt.Sprintf("sigma_w %g (%s): q, L^E, kbar and L^G per layer against mean field (top); the autocorrelation at layers %d, %d, %d against mean field and the circle projected on its top two principal components at those layers (bottom). Width %d, %d points.",
			m.sw, m.s.Phase, max(1, sz.figDepth/4), max(1, sz.figDepth/2), max(1, 3*sz.figDepth/4), sz.figWidth, sz.figPoints))
	}
	r.add(fig, start)
	return nil
}

// biasCoef returns B with the finite-width bias of a tangent's log growth
// per layer in [-B/N, 0]: the ratio |W D v|^2 / |v|^2 of one layer (D =
// diag(phi'(h))) has mean chi_1 and relative variance (3 mu2/mu1^2 - 1)/N
// for independent Gaussian h and v (mu_k = E[phi'(h)^2k] at q*), so by
// Jensen E[log] falls short of log chi_1 by at most half that, and the
// half-log growth of a length by a quarter; averaging over a curve's
// points only shrinks the variance.
func biasCoef(m pooleModel) (float64, error) {
	mu1, err := m.mf.DerivativeMoment(m.s.QStar, 1)
	if err != nil {
		return 0, err
	}
	mu2, err := m.mf.DerivativeMoment(m.s.QStar, 2)
	if err != nil {
		return 0, err
	}
	return (3*mu2/(mu1*mu1) - 1) / 4, nil
}

const growthSource = "mean field: L^E and L^G grow by sqrt(chi_1) per layer at q* (Poole et al. 2016, the length and curvature recursions; meanfield.Model.Chi1, docs/science.md section 3)"

func pooleGrowthChecks(all []pooleModel, stats [][2][]circleStats, sz pooleSize) []Check {
	N, half, L, R := sz.width, sz.width/2, sz.depth, sz.seeds
	var out []Check
	for k, m := range all {
		B, err := biasCoef(m)
		if err != nil {
			B = math.NaN()
		}
		want := 0.5 * math.Log(m.s.Chi1)
		phase := m.s.Phase.String()
		if k == 0 {
			phase = "critical"
		}
		reason := func(width int, what string, from int) string {
			return fmt.Sprintf("%s: exp of the least-squares slope of log %s over layers %d..%d, mean over %d networks of width %d; tolerance %s plus the finite-width bias bound B/N = %.3g/%d (B = (3 mu2/mu1^2 - 1)/4 with mu_k = E[phi'(h)^2k] at q*: Jensen on the per-layer growth of a tangent, whose relative variance is (3 mu2/mu1^2 - 1)/N; the bias is negative).",
				phase, what, from, L, R, width, tText(R), B, width)
		}
		factor := func(name string, s summary, width int, what string, from int) Check {
			f := math.Exp(s.mean)
			return within(name, summary{f, f * s.se, s.n}, math.Sqrt(m.s.Chi1), math.Sqrt(m.s.Chi1)*(tTol(s)+B/float64(width)), reason(width, what, from), growthSource)
		}
		n := summarize(stats[k][0], func(c circleStats) float64 { return c.rateLE })
		out = append(out, factor(fmt.Sprintf("L^E growth per layer, sigma_w %.4g, width %d", m.sw, N), n, N, "L^E", L/4))
		_ = want
		if m.s.Chi1 < 1.01 {
			continue
		}
		h := summarize(stats[k][1], func(c circleStats) float64 { return c.rateLE })
		out = append(out, factor(fmt.Sprintf("L^E growth per layer, sigma_w %g, width %d", m.sw, half), h, half, "L^E", L/4))
		d := difference(n, h)
		out = append(out, within(fmt.Sprintf("width independence: log L^E growth at width %d minus at %d, sigma_w %g", N, half, m.sw), d, 0, tTol(d)+B/float64(half),
			fmt.Sprintf("%d networks at each width; %s of the difference plus B/(N/2) = %.3g/%d: both finite-width biases lie in [-B/N, 0], so they differ by at most the larger.", R, tText(d.n), B, half),
			"mean field: the growth rate sqrt(chi_1) does not depend on the width (Poole et al. 2016; docs/science.md section 3)"))
		g := summarize(stats[k][0], func(c circleStats) float64 { return c.rateLG })
		out = append(out, factor(fmt.Sprintf("L^G growth per layer, sigma_w %g, width %d", m.sw, N), g, N, "L^G", L/2))
	}
	return out
}

func pooleSaturationChecks(all []pooleModel, stats [][2][]circleStats, sz pooleSize) []Check {
	N, half, L, R := sz.width, sz.width/2, sz.depth, sz.seeds
	var out []Check
	for k, m := range all[1:] {
		k++
		th, err := m.mf.Circle(m.s.QStar, L)
		if err != nil {
			continue
		}
		if m.s.Phase == meanfield.Chaotic {
			want := 0.0
			for l := L/2 + 1; l <= L; l++ {
				want += th[l].Kbar / float64(L-L/2)
			}
			a := summarize(stats[k][0], func(c circleStats) float64 { return c.kbar })
			hb := summarize(stats[k][1], func(c circleStats) float64 { return c.kbar })
			x := richardson(a, hb)
			asym := math.Sqrt(3 * m.s.Chi2 / (m.s.Chi1 * (m.s.Chi1 - 1)))
			out = append(out, within(fmt.Sprintf("kbar saturation: mean kbar over layers %d..%d, sigma_w %g, extrapolated to infinite width", L/2+1, L, m.sw), x, want, tTol(x),
				fmt.Sprintf("measured %.4g +- %.2g at width %d and %.4g +- %.2g at width %d (%d networks each): the mean over a circle's points of sqrt(N) kappa exceeds the mean-field kbar by an O(1/N) Jensen term; Richardson extrapolation 2 kbar(N) - kbar(N/2) removes it; %s. The mean-field asymptote is sqrt(3 chi_2 / (chi_1 (chi_1 - 1))) = %.5g.",
					a.mean, a.se, N, hb.mean, hb.se, half, R, tText(x.n), asym),
				"mean field: kbar^2_{l+1} = 3 chi_2 / chi_1^2 + kbar^2_l / chi_1 (Poole et al. 2016, the curvature recursion; meanfield.Model.Circle, docs/science.md section 3)"))
			continue
		}
		a := summarize(stats[k][0], func(c circleStats) float64 { return c.lgLast })
		hb := summarize(stats[k][1], func(c circleStats) float64 { return c.lgLast })
		x := richardson(a, hb)
		inf := 2 * math.Pi * math.Sqrt(1+3*m.s.Chi2*m.s.QStar/(m.s.Chi1*(1-m.s.Chi1)))
		out = append(out, within(fmt.Sprintf("ordered phase: L^G at layer %d, sigma_w %g, extrapolated to infinite width", L, m.sw), x, th[L].GrassmannLength, tTol(x),
			fmt.Sprintf("measured %.4g +- %.2g at width %d and %.4g +- %.2g at width %d (%d networks each); Richardson extrapolation 2 L^G(N) - L^G(N/2) removes the O(1/N) finite-width term; %s. L^G saturates: its mean-field limit is 2 pi sqrt(1 + 3 chi_2 q* / (chi_1 (1 - chi_1))) = %.4g, while L^E shrinks by sqrt(chi_1) = %.4g per layer.",
				a.mean, a.se, N, hb.mean, hb.se, half, R, tText(x.n), inf, math.Sqrt(m.s.Chi1)),
			"mean field: L^G = 2 pi sqrt(gbar) kbar from the curvature and length recursions of Poole et al. 2016 (meanfield.Model.Circle, docs/science.md section 3)"))
	}
	return out
}

// pooleFig4Plot draws kbar, L^E / sqrt(N) and L^G per layer for the three
// example networks, measured against mean field.
func pooleFig4Plot(path string, ms []pooleModel, stats [][2][]circleStats, sz pooleSize) error {
	L := sz.depth
	panels := []report.Panel{
		{Title: "curvature kbar = sqrt(N) kappa", XLabel: "layer", YLabel: "kbar", LogY: true, LegendLeft: true},
		{Title: "length L^E / sqrt(N) = 2 pi sqrt(gbar)", XLabel: "layer", YLabel: "L^E / sqrt(N)", LogY: true, LegendLeft: true},
		{Title: "Grassmannian length L^G", XLabel: "layer", YLabel: "L^G", LogY: true, LegendLeft: true},
	}
	x := make([]float64, L+1)
	for l := range x {
		x[l] = float64(l)
	}
	for k, m := range ms {
		th, err := m.mf.Circle(m.s.QStar, L)
		if err != nil {
			return err
		}
		thK, thL, thG := make([]float64, L+1), make([]float64, L+1), make([]float64, L+1)
		for l, c := range th {
			thK[l], thL[l], thG[l] = c.Kbar, c.Length, c.GrassmannLength
		}
		series := func(f func(circleStats) []float64) ([]float64, []float64) {
			me, se := make([]float64, L+1), make([]float64, L+1)
			for l := range me {
				v := make([]float64, len(stats[k][0]))
				for i, s := range stats[k][0] {
					v[i] = f(s)[l]
				}
				me[l], se[l] = meanSE(v)
			}
			return me, se
		}
		label := fmt.Sprintf("sigma_w %g", m.sw)
		for i, pair := range []struct {
			th  []float64
			get func(circleStats) []float64
		}{{thK, func(c circleStats) []float64 { return c.kb }}, {thL, func(c circleStats) []float64 { return c.le }}, {thG, func(c circleStats) []float64 { return c.lg }}} {
			me, se := series(pair.get)
			panels[i].Curves = append(panels[i].Curves, report.Curve{Label: label, X: x, Y: pair.th, Color: k}, report.Curve{X: x, Y: me, Err: se, Points: true, Color: k})
		}
	}
	return report.PanelsPlot(path, 3, 11*vg.Centimeter, 10*vg.Centimeter, panels)
}

// pooleBoundary measures figure 4G: the principal curvatures of a random
// readout's decision boundary seen from each layer.
func pooleBoundary(ctx context.Context, b engine.Backend, o Options, r *runner, sz pooleSize, act activation.Func, fig *Figure) error {
	net, err := randomNet(act, 4, sz.bWidth, sz.bDepth, o.Seed)
	if err != nil {
		return err
	}
	res, err := manifold.DecisionBoundary(ctx, b, manifold.DecisionBoundaryOptions{Net: net, Points: sz.bPoints, Seed: o.Seed})
	if err != nil {
		return err
	}
	L := sz.bDepth
	// Per boundary point: the growth per layer toward the input of the mean
	// absolute principal curvature and of the largest one.
	var meanAbs, largest []float64
	for p := 0; p < sz.bPoints; p++ {
		la, lm := make([]float64, L+1), make([]float64, L+1)
		for l := 0; l <= L; l++ {
			ks := res.Layers[l].Curvatures[p]
			s, mx := 0.0, 0.0
			for _, kv := range ks {
				s += math.Abs(kv) / float64(len(ks))
				mx = max(mx, math.Abs(kv))
			}
			la[l], lm[l] = math.Log(s), math.Log(mx)
		}
		meanAbs = append(meanAbs, math.Exp(-slope(la, 0)))
		largest = append(largest, math.Exp(-slope(lm, 0)))
	}
	for _, c := range []struct {
		what string
		v    []float64
	}{{"mean |principal curvature|", meanAbs}, {"largest |principal curvature|", largest}} {
		s := meanOf(c.v)
		fig.Checks = append(fig.Checks, above(fmt.Sprintf("decision boundary: growth per layer toward the input of the %s, sigma_w 4, width %d", c.what, sz.bWidth), s, 1, tTol(s),
			fmt.Sprintf("exp of minus the least-squares slope of its log over layers 0..%d, mean over %d boundary points of one network; it must exceed 1 by %s.", L, sz.bPoints, tText(s.n)),
			"Poole et al. 2016, figure 4G: the principal curvatures grow exponentially as the boundary is pulled back toward the input (a qualitative claim: the paper gives no rate)"))
	}
	if p, ok := r.path("fig4g.svg"); ok {
		if err := report.BoundaryPlot(p, res); err != nil {
			return err
		}
		fig.Images = append(fig.Images, "fig4g.svg")
		fig.Captions = append(fig.Captions, fmt.Sprintf("(G) Principal curvatures of a random readout's decision boundary seen from each layer's input, mean over %d boundary points (width %d, %d layers, sigma_w 4).", sz.bPoints, sz.bWidth, L))
	}
	return nil
}

// pooleFig5: deep against shallow networks as feature maps.
func pooleFig5(ctx context.Context, b engine.Backend, o Options, r *runner, sz pooleSize) error {
	start := time.Now()
	eo := sz.expr
	eo.SigmaB, eo.Seed = pooleSigmaB, o.Seed
	res, err := manifold.Expressivity(ctx, b, eo)
	if err != nil {
		return err
	}
	K := len(res.Frequencies) / 2
	var deep, shallow []manifold.ExpressivityNetwork
	for _, n := range res.Networks {
		if n.Kind == "deep" {
			deep = append(deep, n)
		} else {
			shallow = append(shallow, n)
		}
	}
	if len(deep) < 2 || len(shallow) < 1 {
		return fmt.Errorf("expressivity: %d deep and %d shallow networks; want at least 2 and 1", len(deep), len(shallow))
	}
	// High frequencies: the upper half, k > K/2; one mean per network.
	hf := func(n manifold.ExpressivityNetwork) summary {
		var per []float64
		for _, errs := range n.RepeatErrors {
			s, c := 0.0, 0
			for i, e := range errs {
				if res.Frequencies[i] > K/2 {
					s += e
					c++
				}
			}
			per = append(per, s/float64(c))
		}
		return meanOf(per)
	}
	wide := shallow[len(shallow)-1]
	// The deepest network with no more neurons than the widest shallow one.
	var best manifold.ExpressivityNetwork
	for _, n := range deep {
		if n.Neurons() <= wide.Neurons() && n.Depth > best.Depth {
			best = n
		}
	}
	shallowest := deep[0]
	hw, hb, h1 := hf(wide), hf(best), hf(shallowest)
	band := fmt.Sprintf("frequencies %d..%d", K/2+1, K)
	nets := fmt.Sprintf("%d networks per architecture", res.Repeats)
	fig := Figure{ID: "fig5", Title: "Figure 5: deep against shallow networks as feature maps",
		Claim: "Deep networks in the chaotic phase can express high-frequency functions along a curve that shallow networks cannot, however wide: regressing Fourier targets on the last layer, the error at high frequencies falls with depth but not with the width of a one-hidden-layer network.",
		Settings: fmt.Sprintf("%d points on half of a great circle of squared length %.3g per coordinate in %d dimensions; %d Fourier targets (k = 1..%d); deep networks of width %d and depths %v; one-layer networks of widths %v; a random linear readout of width %d regressed on; %s; singular values below %.3g of the largest dropped",
			res.Points, res.Q, res.InputDim, 2*K, K, res.Width, depthsOf(deep), widthsOf(shallow), res.Readout, nets, res.RankCutoff),
		Related: []string{expressivityCommand(eo)},
		Notes: []string{"The authors' notebook counts the linear readout as one of its deep networks' layers (its depth d has d - 1 tanh layers); netgeom's depths count tanh layers for deep and shallow networks alike.",
			"The errors depend on the numerical rank cutoff: the features of a smooth curve have singular values that fall exponentially. netgeom drops directions below 2^-23 of the largest singular value, the resolution of the float32 features of the authors' code; the authors' least squares ran on float32 features."},
	}
	fig.Checks = append(fig.Checks,
		above(fmt.Sprintf("high-frequency error: one layer of width %d (%d neurons) minus depth %d (%d neurons)", wide.Width, wide.Neurons(), best.Depth, best.Neurons()),
			difference(hw, hb), 0, tTol(difference(hw, hb)),
			fmt.Sprintf("mean error 1 - cos over %s: %.4g +- %.2g for the wide network, %.4g +- %.2g for the deep one (%s); the difference must exceed 0 by %s.", band, hw.mean, hw.se, hb.mean, hb.se, nets, tText(res.Repeats)),
			"Poole et al. 2016, figure 5C, D: at the same number of neurons deep networks fit high frequencies that shallow ones cannot (a qualitative claim)"),
		above(fmt.Sprintf("high-frequency error: depth %d minus depth %d, width %d", shallowest.Depth, best.Depth, best.Width),
			difference(h1, hb), 0, tTol(difference(h1, hb)),
			fmt.Sprintf("mean error over %s: %.4g +- %.2g at depth %d, %.4g +- %.2g at depth %d (%s); the difference must exceed 0 by %s.", band, h1.mean, h1.se, shallowest.Depth, hb.mean, hb.se, best.Depth, nets, tText(res.Repeats)),
			"Poole et al. 2016, figure 5C: the error at high frequencies falls with depth"),
		above(fmt.Sprintf("high-frequency error of the widest one-layer network (width %d)", wide.Width), hw, 0.5, tTol(hw),
			fmt.Sprintf("mean error over %s (%s); a fit with error above 1/2 recovers less than half of the target (cos < 1/2); %s. The narrowest one-layer network (width %d) has %.4g.", band, nets, tText(res.Repeats), shallow[0].Width, hf(shallow[0]).mean),
			"Poole et al. 2016, figure 5D: widening a one-hidden-layer network up to 10,000 units does not decrease the error at high frequencies"),
	)
	if p, ok := r.path("fig5.svg"); ok {
		if err := report.ExpressivityPlot(p, res); err != nil {
			return err
		}
		fig.Images = append(fig.Images, "fig5.svg")
		fig.Captions = append(fig.Captions, "Fit error 1 - cos(y, yhat) against the frequency k of the target, mean over the networks of each architecture: deep networks (solid, colour = depth) and one-layer networks (dashed).")
	}
	r.add(fig, start)
	return nil
}

func depthsOf(ns []manifold.ExpressivityNetwork) []int {
	var out []int
	for _, n := range ns {
		out = append(out, n.Depth)
	}
	return out
}

func widthsOf(ns []manifold.ExpressivityNetwork) []int {
	var out []int
	for _, n := range ns {
		out = append(out, n.Width)
	}
	return out
}

// expressivityCommand is the netgeom expressivity command line of eo
// (sigma_b and the seed as given; zero fields at the command's defaults,
// which are the paper's).
func expressivityCommand(eo manifold.ExpressivityOptions) string {
	cmd := fmt.Sprintf("netgeom expressivity --sigma-b %g --seed %d", eo.SigmaB, eo.Seed)
	ints := func(v []int) string {
		s := ""
		for i, x := range v {
			if i > 0 {
				s += ","
			}
			s += fmt.Sprint(x)
		}
		return s
	}
	if eo.InputDim != 0 {
		cmd += fmt.Sprintf(" --input-dim %d", eo.InputDim)
	}
	if eo.Width != 0 {
		cmd += fmt.Sprintf(" --width %d", eo.Width)
	}
	if eo.Depths != nil {
		cmd += " --depths " + ints(eo.Depths)
	}
	if eo.ShallowWidths != nil {
		cmd += " --shallow-widths " + ints(eo.ShallowWidths)
	}
	if eo.Points != 0 {
		cmd += fmt.Sprintf(" --points %d", eo.Points)
	}
	if eo.Functions != 0 {
		cmd += fmt.Sprintf(" --functions %d", eo.Functions)
	}
	if eo.Readout != 0 {
		cmd += fmt.Sprintf(" --readout %d", eo.Readout)
	}
	if eo.Repeats != 0 {
		cmd += fmt.Sprintf(" --repeats %d", eo.Repeats)
	}
	return cmd + " --plot fig5.png"
}
