package reproduce

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/report"
	"github.com/netgeom/netgeom/spinglass"
)

func init() {
	reproductions = append(reproductions, Reproduction{
		Name:    "landscape",
		Title:   "Loss landscapes: spin-glass complexity and exact counts of critical points, critical points across depth at a fixed parameter count, mode connectivity",
		Figures: []string{"complexity", "counts", "layered", "connect"},
		Quick:   8 * time.Second,
		Full:    200 * time.Second,
		order:   1,
		run:     runLandscape,
	})
}

// landscapeSize holds a landscape run's sizes.
type landscapeSize struct {
	pN, pStarts   int // the 3-spin census
	p2N, p2Starts int // the 2-spin census
	dim           int // the layered spin glass's total dimension
	layers        []int
	lStarts       int
	budget        int // the trained networks' parameter budget
	depths        []int
	restarts      int
	pairs         int // minima connected
	bezierSteps   int
}

func landscapeSizes(quick bool) landscapeSize {
	if quick {
		return landscapeSize{pN: 24, pStarts: 200, p2N: 8, p2Starts: 80, dim: 24, layers: []int{1, 2, 3, 4}, lStarts: 100,
			budget: 300, depths: []int{1, 2, 3}, restarts: 8, pairs: 4, bezierSteps: 300}
	}
	return landscapeSize{pN: 100, pStarts: 1000, p2N: 20, p2Starts: 600, dim: 60, layers: []int{1, 2, 3, 4, 5, 6}, lStarts: 300,
		budget: 500, depths: []int{1, 2, 3, 4}, restarts: 50, pairs: 8, bezierSteps: 1000}
}

func runLandscape(ctx context.Context, b engine.Backend, o Options, r *runner) error {
	r.rep.Papers = []string{
		"Auffinger, Ben Arous, Cerny. Random matrices and complexity of spin glasses. Communications on Pure and Applied Mathematics 66 (2013).",
		"Cartwright, Sturmfels. The number of eigenvalues of a tensor. Linear Algebra and its Applications 438 (2013).",
		"Friedland, Ottaviani. The number of singular vector tuples and uniqueness of best rank-one approximation of tensors. Foundations of Computational Mathematics 14 (2014).",
		"Becker, Zhang, Lee. Geometry of energy landscapes and the optimizability of deep neural networks. Physical Review Letters 124 (2020) (reconstructed: see the notes).",
		"Garipov, Izmailov, Podoprikhin, Vetrov, Wilson. Loss surfaces, mode connectivity, and fast ensembling of DNNs. NeurIPS 2018.",
	}
	r.rep.Notes = append(r.rep.Notes,
		"Reconstructions: the project could not consult the full text of Becker, Zhang and Lee (2020), nor of Choromanska et al. (2015) on which the layered model draws. netgeom's layered spin glass (one spherical weight vector per layer, a multilinear energy at a fixed total dimension) and its census of trained networks at a fixed parameter budget are netgeom's models in their spirit. Their claims, as the project knows them: at a fixed number of parameters, more depth gives fewer stationary points, more clustered minima and a milder trade-off between the depth (loss) and the width (flatness) of minima. netgeom measures these and reports them as observations; it checks only what exact mathematics fixes.",
		"Exact counts and closed forms (Friedland-Ottaviani, Cartwright-Sturmfels, the p = 2 spectral theorem) are checked with zero tolerance; Auffinger, Ben Arous and Cerny's threshold E_0 against its published digits.")
	sz := landscapeSizes(o.Quick)
	if r.want("complexity") {
		if err := landComplexity(ctx, b, o, r, sz); err != nil {
			return fmt.Errorf("complexity: %w", err)
		}
	}
	if r.want("counts") {
		if err := landCounts(ctx, r); err != nil {
			return fmt.Errorf("counts: %w", err)
		}
	}
	if r.want("layered") {
		if err := landLayered(ctx, b, o, r, sz); err != nil {
			return fmt.Errorf("layered: %w", err)
		}
	}
	if r.want("connect") {
		if err := landConnect(ctx, b, o, r, sz); err != nil {
			return fmt.Errorf("connect: %w", err)
		}
	}
	return nil
}

// exactCheck is a check without sampling error or tolerance.
func exactCheck(name string, measured, expected float64, rel Relation, reason, source string) Check {
	c := Check{Name: name, Measured: measured, Expected: expected, Relation: rel, Reason: reason, Source: source}
	c.judge()
	return c
}

// bigFloat reads an exact integer written in decimal.
func bigFloat(s string) (float64, error) {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return 0, fmt.Errorf("not an integer: %q", s)
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return f, nil
}

// landComplexity: the spherical p-spin's critical points against
// Auffinger, Ben Arous and Cerny, Cartwright and Sturmfels, and for p = 2
// the spectral theorem.
func landComplexity(ctx context.Context, b engine.Backend, o Options, r *runner, sz landscapeSize) error {
	start := time.Now()
	fig := Figure{ID: "complexity", Title: "The spherical p-spin glass: complexity and critical points",
		Claim:    "The critical points of a spherical p-spin glass are organised by energy (Auffinger, Ben Arous and Cerny): below -E_inf only critical points of index k < infinity exist, local minima go no lower than -E_0 (E_0 = 1.657 for p = 3), and the index grows with the energy like the semicircle law; their number is at most the count of complex eigenvectors of the coupling tensor ((p-1)^N - 1)/(p-2) (Cartwright and Sturmfels), and for p = 2 they are exactly the N eigenvectors of the coupling matrix.",
		Settings: fmt.Sprintf("p = 3: N = %d spins, %d random starts (half descending to minima, half hunting saddles); p = 2: N = %d, %d starts", sz.pN, sz.pStarts, sz.p2N, sz.p2Starts),
		Related:  []string{fmt.Sprintf("netgeom spinglass --p 3 --n %d --starts %d --plot pspin.png", sz.pN, sz.pStarts)},
	}
	e0, err := spinglass.Ek(3, 0)
	if err != nil {
		return err
	}
	fig.Checks = append(fig.Checks, within("E_0 for p = 3 (the zero of Theta_0)", exact(e0), 1.657, 0.0005,
		"the paper prints E_0 to 3 decimals: half a unit of the last digit. netgeom's root is exact to rounding (bisection).",
		"published: Auffinger, Ben Arous and Cerny 2013 (E_0 = 1.657 for p = 3); measured: spinglass.Ek"))
	res, err := spinglass.PSpinStudy(ctx, b, spinglass.PSpinStudyOptions{P: 3, N: sz.pN, Seed: o.Seed, Census: spinglass.StudyCensusOptions{MinimaStarts: sz.pStarts / 2, SaddleStarts: sz.pStarts - sz.pStarts/2}})
	if err != nil {
		return err
	}
	cc, err := bigFloat(res.ComplexCriticalPoints)
	if err != nil {
		return err
	}
	fig.Checks = append(fig.Checks, exactCheck(fmt.Sprintf("p = 3, N = %d: distinct critical points found (up to sign)", sz.pN), float64(res.Distinct), cc, AtMost,
		fmt.Sprintf("a census finds some of the real critical points, each one of the complex ones up to sign; an exact bound (%s), so no tolerance.", res.ComplexCriticalPoints),
		"Cartwright and Sturmfels 2013: ((p-1)^N - 1)/(p-2) eigenvectors of a generic symmetric tensor (spinglass.EigenvectorCount)"))
	fig.Observations = append(fig.Observations,
		Observation{Name: "p = 3: lowest minimum found, u = H/N", Value: res.Minima.UMin, Note: fmt.Sprintf("-E_0 = %.4f at N = infinity; -E_inf = %.4f; finite-size scale E_inf N^(-2/3) = %.3g", -e0, -res.EInf, res.FiniteSize)},
		Observation{Name: "p = 3: distinct minima found", Value: float64(res.Minima.Count), Note: fmt.Sprintf("mean energy %.4f", res.Minima.UMean)})
	for _, row := range res.ByIndex {
		if row.Index > 3 {
			break
		}
		fig.Observations = append(fig.Observations, Observation{Name: fmt.Sprintf("p = 3: index %d, mean energy of %d points", row.Index, row.Count), Value: row.UMean,
			Note: fmt.Sprintf("large-N index at that energy (N-1) F(u) = %.3g (semicircle law)", row.IndexTheory)})
	}
	// p = 2: the critical points of x^T A x on the sphere are A's
	// eigenvectors, index k at the k-th smallest eigenvalue.
	r2, err := spinglass.PSpinStudy(ctx, b, spinglass.PSpinStudyOptions{P: 2, N: sz.p2N, Seed: o.Seed, Census: spinglass.StudyCensusOptions{MinimaStarts: sz.p2Starts / 2, SaddleStarts: sz.p2Starts - sz.p2Starts/2}})
	if err != nil {
		return err
	}
	fig.Checks = append(fig.Checks, exactCheck(fmt.Sprintf("p = 2, N = %d: distinct critical points found (up to sign)", sz.p2N), float64(r2.Distinct), float64(sz.p2N), Within,
		"exact: the critical points of a quadratic form on the sphere are its eigenvectors, N of them up to sign for a generic matrix; the census must find every one (a census that misses one fails: its starts are too few).",
		"the spectral theorem (Cartwright and Sturmfels' count for p = 2 is N)"))
	indices := 0
	for _, row := range r2.ByIndex {
		if row.Count == 1 && row.Index == indices {
			indices++
		}
	}
	fig.Checks = append(fig.Checks, exactCheck(fmt.Sprintf("p = 2, N = %d: indices 0..N-1 found once each", sz.p2N), float64(indices), float64(sz.p2N), Within,
		"exact: the eigenvector of the k-th smallest eigenvalue has index k (k eigenvalues below it).",
		"the spectral theorem"))
	if p, ok := r.path("complexity.svg"); ok {
		if err := report.PSpinPlot(p, res); err != nil {
			return err
		}
		fig.Images, fig.Captions = append(fig.Images, "complexity.svg"), append(fig.Captions, fmt.Sprintf("The 3-spin census at N = %d: critical points by energy and index beside Auffinger, Ben Arous and Cerny's complexity curves and the large-N index.", sz.pN))
	}
	r.add(fig, start)
	return nil
}

// landCounts: Friedland and Ottaviani's counts of singular vector tuples
// against the values they publish.
func landCounts(ctx context.Context, r *runner) error {
	start := time.Now()
	fig := Figure{ID: "counts", Title: "Exact counts of complex critical points of multilinear forms",
		Claim:    "The number of singular vector tuples of a generic n x n x n tensor (the complex critical points of its multilinear form on a product of spheres) is 1, 6, 37, 240, 1621, 11256 for n = 1..6, and min(n, m) for an n x m matrix.",
		Settings: "exact integer arithmetic (math/big)",
		Related:  []string{"netgeom spinglass --count 3x3x3"},
	}
	published := []struct {
		dims []int
		want float64
	}{{[]int{2, 2, 2}, 6}, {[]int{3, 3, 3}, 37}, {[]int{4, 4, 4}, 240}, {[]int{5, 5, 5}, 1621}, {[]int{6, 6, 6}, 11256}, {[]int{2, 5}, 2}}
	for _, p := range published {
		n, err := spinglass.SingularTupleCount(p.dims)
		if err != nil {
			return err
		}
		got, _ := new(big.Float).SetInt(n).Float64()
		fig.Checks = append(fig.Checks, exactCheck(fmt.Sprintf("singular vector tuples of a %s tensor", spinglass.FormatName(p.dims)), got, p.want, Within,
			"an exact integer against an exact integer.",
			"published: Friedland and Ottaviani 2014 (their table of n x n x n formats; min(n, m) singular pairs for matrices); measured: spinglass.SingularTupleCount"))
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	r.add(fig, start)
	return nil
}

// landLayered: the layered spin glass across depth at a fixed total
// dimension (netgeom's model in the spirit of Becker et al.).
func landLayered(ctx context.Context, b engine.Backend, o Options, r *runner, sz landscapeSize) error {
	start := time.Now()
	res, err := spinglass.LayeredStudy(ctx, b, spinglass.LayeredStudyOptions{Layers: sz.layers, Dim: sz.dim, Seed: o.Seed,
		Census: spinglass.StudyCensusOptions{MinimaStarts: sz.lStarts / 2, SaddleStarts: sz.lStarts - sz.lStarts/2}})
	if err != nil {
		return err
	}
	fig := Figure{ID: "layered", Title: "A layered spin glass across depth at a fixed total dimension",
		Claim:    "Reconstructed claim (Becker, Zhang and Lee 2020, not consulted in full): at a fixed number of parameters, deeper models have fewer stationary points and more clustered minima. netgeom's layered spin glass measures it; exact mathematics bounds each census by the complex count of its format.",
		Settings: fmt.Sprintf("total dimension %d split as evenly as possible over %v layers; %d starts per layer count", sz.dim, sz.layers, sz.lStarts),
		Related:  []string{fmt.Sprintf("netgeom spinglass --layers %d:%d --dim %d --starts %d --plot layered.png", sz.layers[0], sz.layers[len(sz.layers)-1], sz.dim, sz.lStarts)},
		Notes:    []string{"The number of critical points found is a sample, not a count: more starts find more. Observations only, beside the exact bound."},
	}
	for _, row := range res.Rows {
		fig.Observations = append(fig.Observations, Observation{Name: fmt.Sprintf("%d layers %v: distinct critical points found", row.Layers, row.Dims), Value: float64(row.Distinct),
			Note: fmt.Sprintf("%d minima, mean index %.3g, ground energy %.4f; complex count %s", row.Minima.Count, row.MeanIndex, row.UGround, orDash(row.ComplexCriticalPoints))})
		if row.ComplexCriticalPoints == "" {
			continue
		}
		cc, err := bigFloat(row.ComplexCriticalPoints)
		if err != nil {
			return err
		}
		fig.Checks = append(fig.Checks, exactCheck(fmt.Sprintf("%d layers %v: distinct critical points found (up to sign images)", row.Layers, row.Dims), float64(row.Distinct), cc, AtMost,
			fmt.Sprintf("each real critical point with its 2^L sign images is one complex singular vector tuple of the format; an exact bound (%s), so no tolerance.", row.ComplexCriticalPoints),
			"Friedland and Ottaviani 2014 (spinglass.SingularTupleCount)"))
	}
	if p, ok := r.path("layered.svg"); ok {
		if err := report.LayeredPlot(p, res); err != nil {
			return err
		}
		fig.Images, fig.Captions = append(fig.Images, "layered.svg"), append(fig.Captions, fmt.Sprintf("The layered spin glass at total dimension %d: critical points found per number of layers, by energy and index.", sz.dim))
	}
	r.add(fig, start)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// landConnect: a census of trained networks across depth at a fixed
// budget, and the loss along paths between its minima.
func landConnect(ctx context.Context, b engine.Backend, o Options, r *runner, sz landscapeSize) error {
	start := time.Now()
	dir, err := os.MkdirTemp("", "netgeom-census-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "census.jsonl")
	cres, err := landscape.TakeCensus(ctx, b, landscape.TakeCensusOptions{Config: landscape.Config{Data: "iris", Budget: sz.budget, Seed: o.Seed,
		AdamSteps: landscape.DefaultAdamSteps, WeightDecay: landscape.DefaultWeightDecay}, Depths: sz.depths, Restarts: sz.restarts, Out: out, Workers: 1})
	if err != nil {
		return err
	}
	deepest := sz.depths[len(sz.depths)-1]
	fig := Figure{ID: "connect", Title: "Trained networks across depth at a fixed budget, and mode connectivity",
		Claim:    "Minima of a trained network's loss are connected by simple curves: the loss along a quadratic Bezier curve whose control point is trained stays far below the barrier of the straight segment between the minima (Garipov et al. 2018). Reconstructed claim (Becker, Zhang and Lee 2020): at a fixed parameter budget, depth changes how many distinct minima training reaches.",
		Settings: fmt.Sprintf("iris, a budget of %d parameters, depths %v, %d restarts each (Adam then L-BFGS, weight decay %g); %d pairs of restarts of depth %d connected, the Bezier control point trained for %d Adam steps", sz.budget, sz.depths, sz.restarts, landscape.DefaultWeightDecay, sz.pairs, deepest, sz.bezierSteps),
		Related: []string{fmt.Sprintf("netgeom census --data iris --budget %d --depths %d:%d --restarts %d --out census.jsonl --plot census.png", sz.budget, sz.depths[0], deepest, sz.restarts),
			fmt.Sprintf("netgeom connect --model census.jsonl:%d:0 --model census.jsonl:%d:1 --plot connect.png", deepest, deepest)},
	}
	for _, d := range cres.Depths {
		fig.Observations = append(fig.Observations, Observation{Name: fmt.Sprintf("depth %d %v (%d parameters): distinct minima among %d restarts", d.Depth, d.Widths, d.Params, d.Restarts), Value: float64(d.DistinctMinima),
			Note: fmt.Sprintf("%d converged, %d minima, %d saddles, %d distinct stationary points", d.Converged, d.Minima, d.Saddles, d.DistinctStationary)})
	}
	var removed, lin, bez []float64
	var last *landscape.ConnectResult
	for k := 0; k < sz.pairs; k++ {
		a, c := 2*k, 2*k+1
		if c >= sz.restarts {
			break
		}
		res, err := landscape.Connect(ctx, b, landscape.ConnectOptions{ModelA: fmt.Sprintf("%s:%d:%d", out, deepest, a), ModelB: fmt.Sprintf("%s:%d:%d", out, deepest, c),
			Steps: sz.bezierSteps, Seed: o.Seed + uint64(k)})
		if err != nil {
			return err
		}
		removed = append(removed, 1-res.Bezier.Barrier/res.Linear.Barrier)
		lin, bez = append(lin, res.Linear.Barrier), append(bez, res.Bezier.Barrier)
		last = res
	}
	g := meanOf(removed)
	fig.Checks = append(fig.Checks, above(fmt.Sprintf("depth %d: fraction of the straight segment's loss barrier that the trained Bezier curve removes", deepest), g, 0.5, tTol(g),
		fmt.Sprintf("per pair of minima 1 - B_bezier / B_line, B the train-loss barrier max_t loss(t) - max(loss(0), loss(1)) along the path; mean over %d pairs; it must exceed 1/2 (most of the barrier) by %s. The ratio is steadier than the barriers themselves, which vary from pair to pair.", g.n, tText(g.n)),
		"Garipov et al. 2018: minima are joined by curves of nearly constant loss, while the straight segment between them climbs a barrier (a qualitative claim: 1/2 stands for 'most')"))
	lb, bb := meanOf(lin), meanOf(bez)
	fig.Observations = append(fig.Observations,
		Observation{Name: fmt.Sprintf("depth %d: train-loss barrier along the straight segment", deepest), Value: lb.mean, StdErr: lb.se, Samples: lb.n},
		Observation{Name: fmt.Sprintf("depth %d: train-loss barrier along the trained Bezier curve", deepest), Value: bb.mean, StdErr: bb.se, Samples: bb.n,
			Note: "<= 0: the curve never climbs above its higher end"})
	if p, ok := r.path("census.svg"); ok {
		if err := report.CensusPlot(p, cres); err != nil {
			return err
		}
		fig.Images, fig.Captions = append(fig.Images, "census.svg"), append(fig.Captions, fmt.Sprintf("The census across depth at a budget of %d parameters: minima and saddles per depth, their losses and flatness.", sz.budget))
	}
	if p, ok := r.path("connect.svg"); ok && last != nil {
		if err := report.ConnectPlot(p, last); err != nil {
			return err
		}
		fig.Images, fig.Captions = append(fig.Images, "connect.svg"), append(fig.Captions, fmt.Sprintf("The loss along the straight segment and along the trained Bezier curve between two minima of depth %d (the last pair).", deepest))
	}
	if math.IsNaN(g.mean) {
		return fmt.Errorf("no pair of minima to connect (%d restarts)", sz.restarts)
	}
	r.add(fig, start)
	return nil
}
