package landscape

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/spectrum"
	"github.com/netgeom/netgeom/train"
)

// hessianTestModel trains a 4-5-3 tanh network (43 parameters) on iris
// for 200 Adam steps: a model near, not at, a minimum.
func hessianTestModel(t *testing.T) *train.Model {
	t.Helper()
	res, err := train.Run(context.Background(), enginetest.Open(t), train.RunOptions{Arch: []int{4, 5, 3}, Steps: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Model.Close() })
	return res.Model
}

// TestHessianSpectrumMatchesDense: against the dense Hessian of the mean
// training loss by central differences of the gradient (fdHessian, an
// oracle independent of the R-operator; its entries err by ~1e-10), the
// top 5 Lanczos eigenvalues agree to 1e-6 of the largest with residuals
// within the tolerance, the smallest 3 too (Which: Smallest); the
// Hutchinson trace lies within 4 standard errors of the dense trace; the
// SLQ density integrates to 1 within 1% on its grid (the grid holds all
// but ~1e-6 of the mass); the progress reports end at the run's products.
func TestHessianSpectrumMatchesDense(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	H := fdHessian(t, m.Net, m.Train, 0, 1e-5)
	var es mat.EigenSym
	if !es.Factorize(H, false) {
		t.Fatal("dense eigendecomposition failed")
	}
	vals := es.Values(nil) // ascending
	P := len(vals)
	top := math.Max(math.Abs(vals[0]), math.Abs(vals[P-1]))
	last, lastTotal := 0, 0
	res, err := HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, Top: 5, Trace: true, Density: true, Seed: 2,
		Progress: func(done, total int) { last, lastTotal = done, total }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Params != P || res.Samples != 120 || res.Operator != "hessian" || res.Which != "largest" || res.Converged == nil || !*res.Converged {
		t.Fatalf("result %+v", res)
	}
	for i, e := range res.Eigenvalues {
		if want := vals[P-1-i]; !(math.Abs(e.Value-want) <= 1e-6*top) {
			t.Errorf("eigenvalue %d: Lanczos %.12g, dense %.12g", i+1, e.Value, want)
		}
		if e.Residual > 1e-8*math.Max(math.Abs(e.Value), 1e-3*top) {
			t.Errorf("eigenvalue %d: residual %.3g above the tolerance", i+1, e.Residual)
		}
	}
	trace := 0.0
	for i := 0; i < P; i++ {
		trace += H.At(i, i)
	}
	if res.Trace.Samples != 100 || !(math.Abs(res.Trace.Value-trace) <= 4*res.Trace.StdErr) {
		t.Errorf("trace %.6g +- %.3g (%d samples); dense %.6g", res.Trace.Value, res.Trace.StdErr, res.Trace.Samples, trace)
	}
	d := res.Density
	mass := 0.0
	for i := 1; i < len(d.Grid); i++ {
		mass += 0.5 * (d.Values[i] + d.Values[i-1]) * (d.Grid[i] - d.Grid[i-1])
	}
	if len(d.Grid) != 2000 || d.Vectors != 5 || d.Steps != min(80, P) || !(math.Abs(mass-1) <= 0.01) {
		t.Errorf("density: %d points, %d vectors x %d steps, mass %.6g", len(d.Grid), d.Vectors, d.Steps, mass)
	}
	if last != res.HVPs || lastTotal < last {
		t.Errorf("progress ended at %d of %d; the run made %d products", last, lastTotal, res.HVPs)
	}

	low, err := HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, Top: 3, Which: spectrum.Smallest, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range low.Eigenvalues {
		if !(math.Abs(e.Value-vals[i]) <= 1e-6*top) {
			t.Errorf("smallest %d: Lanczos %.12g, dense %.12g", i+1, e.Value, vals[i])
		}
	}
	if low.Which != "smallest" || low.Trace != nil || low.Density != nil {
		t.Errorf("smallest: which %q, trace %v, density %v", low.Which, low.Trace, low.Density)
	}
}

// TestHessianSpectrumGaussNewton: the Gauss-Newton matrix is positive
// semi-definite (its smallest eigenvalues >= -1e-10 of its largest),
// where this model's Hessian has a negative eigenvalue below that.
func TestHessianSpectrumGaussNewton(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	run := func(gn bool, which spectrum.Which) *HessianSpectrumResult {
		r, err := HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, GaussNewton: gn, Top: 2, Which: which, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	gnTop, gnLow, hLow := run(true, spectrum.Largest), run(true, spectrum.Smallest), run(false, spectrum.Smallest)
	lmax := gnTop.Eigenvalues[0].Value
	if gnTop.Operator != "gauss-newton" || hLow.Operator != "hessian" {
		t.Errorf("operators %q, %q", gnTop.Operator, hLow.Operator)
	}
	for _, e := range gnLow.Eigenvalues {
		if e.Value < -1e-10*lmax {
			t.Errorf("Gauss-Newton eigenvalue %.3g < 0 (largest %.3g)", e.Value, lmax)
		}
	}
	if hLow.Eigenvalues[0].Value >= -1e-10*lmax {
		t.Errorf("the Hessian's smallest eigenvalue %.3g is not negative: the test cannot tell the operators apart", hLow.Eigenvalues[0].Value)
	}
}

// TestHessianSpectrumOverlay: an overlay implies the density, carries the
// fitted law on the density's grid (the semicircle of radius 2 scale
// vanishes outside [-2 scale, 2 scale] and is (1/(2 pi s^2)) sqrt(4 s^2 -
// x^2) inside: checked at every grid point to 1e-12), and the
// Marchenko-Pastur fit keeps its ratio.
func TestHessianSpectrumOverlay(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	res, err := HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, Overlay: "semicircle", SLQVectors: 2, SLQSteps: 20, Grid: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Overlay
	if res.Density == nil || o == nil || o.Law != "semicircle" || !(o.Scale > 0) || len(o.Values) != 200 || len(res.Eigenvalues) != 0 || res.Converged != nil {
		t.Fatalf("overlay %+v, density %v", o, res.Density != nil)
	}
	s := o.Scale
	for i, x := range res.Density.Grid {
		want := 0.0
		if math.Abs(x) < 2*s {
			want = math.Sqrt(4*s*s-x*x) / (2 * math.Pi * s * s)
		}
		if !(math.Abs(o.Values[i]-want) <= 1e-12*math.Max(want, 1)) {
			t.Errorf("semicircle at %v: %v, want %v", x, o.Values[i], want)
			break
		}
	}
	res, err = HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, GaussNewton: true, Overlay: "mp", MPRatio: 0.5, SLQVectors: 2, SLQSteps: 20, Grid: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Overlay; o == nil || o.Law != "mp" || o.Ratio != 0.5 || !(o.Scale > 0) {
		t.Errorf("mp overlay %+v", o)
	}
}

// TestHessianSpectrumErrors: bad options name the field; a cancelled
// context stops at the first product.
func TestHessianSpectrumErrors(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	for _, c := range []struct {
		o    HessianSpectrumOptions
		want string
	}{
		{HessianSpectrumOptions{}, "Model"},
		{HessianSpectrumOptions{Model: m}, "nothing to compute"},
		{HessianSpectrumOptions{Model: m, Top: 44}, "only 43 parameters"},
		{HessianSpectrumOptions{Model: m, Top: -1}, "Top -1"},
		{HessianSpectrumOptions{Model: m, Overlay: "gaussian"}, "Overlay"},
		{HessianSpectrumOptions{Model: m, Trace: true, TraceSamples: 1}, "TraceSamples 1"},
		{HessianSpectrumOptions{Model: m, Density: true, MPRatio: -1}, "MPRatio"},
		{HessianSpectrumOptions{Model: m, Top: 1, Tol: -1}, "Tol"},
		{HessianSpectrumOptions{Model: m, Top: 1, Which: 9}, "Which"},
	} {
		if _, err := HessianSpectrum(context.Background(), b, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %q", c.o, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := HessianSpectrum(ctx, b, HessianSpectrumOptions{Model: m, Top: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestHessianResidualsComputed: the residual reported with each Ritz pair
// is ||H y - value y|| itself, not Lanczos's estimate of it. Stopped after
// 6 products (a basis of 6 in 43 dimensions), the pairs are far from
// converged, so the residuals are large enough (1e-6 and more) to compare:
// against the dense Hessian by central differences of the gradient
// (entries within ~1e-10, so H y within ~1e-9) they agree to 1e-8, and
// the returned vectors have unit length.
func TestHessianResidualsComputed(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	H := fdHessian(t, m.Net, m.Train, 0, 1e-5)
	res, err := HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, Top: 3, MaxBasis: 6, MaxHVPs: 6, Vectors: true, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Converged == nil || *res.Converged {
		t.Fatal("Lanczos converged in 6 products: the residuals would be rounding noise")
	}
	if res.HVPs != 6+3 {
		t.Errorf("%d products; want 6 for Lanczos and one per pair", res.HVPs)
	}
	for i, e := range res.Eigenvalues {
		y := mat.NewVecDense(len(e.Vector), e.Vector)
		want := pairResidual(H, e)
		if !(math.Abs(mat.Norm(y, 2)-1) <= 1e-12) {
			t.Errorf("pair %d: |y| = %.15g", i+1, mat.Norm(y, 2))
		}
		if want < 1e-7 {
			t.Errorf("pair %d: residual %.3g: too small to tell a computed residual from noise", i+1, want)
		}
		if !(math.Abs(e.Residual-want) <= 1e-8) {
			t.Errorf("pair %d (value %.10g): residual %.12g; dense ||H y - value y|| %.12g", i+1, e.Value, e.Residual, want)
		}
		t.Logf("pair %d: residual %.6g, dense %.6g, Lanczos bound %.6g", i+1, e.Residual, want, e.ResidualBound)
	}

	// Converged, the residual is rounding: that of one product, about
	// 1e-16 ||H||. Against the dense matrix of the same products' columns
	// (H e_i, multiplied by y on the host: other roundings of the same
	// size) it agrees within a factor of 100, where Lanczos's bound has
	// fallen far below anything float64 resolves (1e-34 here).
	conv, err := HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, Top: 3, Vectors: true, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	Hd := productHessian(t, m)
	for i, e := range conv.Eigenvalues {
		rd := pairResidual(Hd, e)
		if r := e.Residual / rd; !(r > 0.01 && r < 100) {
			t.Errorf("converged pair %d: residual %.3g, from the dense products %.3g (bound %.3g)", i+1, e.Residual, rd, e.ResidualBound)
		}
		t.Logf("converged pair %d: residual %.3g, dense %.3g, Lanczos bound %.3g", i+1, e.Residual, rd, e.ResidualBound)
	}
}

// TestHessianBlocks: each layer's (and each tensor's) diagonal block,
// studied through the restricted operator, has the eigenvalues of the
// same block cut from the dense Hessian built column by column from the
// same products (the top 3 to 1e-9 of the block's largest: Lanczos's
// tolerance and rounding), a Hutchinson trace within 4 standard errors of
// the block's exact trace, and trace shares that sum to 1; the blocks of
// the tensors tile the layers', and so do the two blocks of all weights
// and all biases (each a block of several pieces).
func TestHessianBlocks(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	H := productHessian(t, m)
	spec := m.Net.Spec()
	for _, set := range []struct {
		name   string
		blocks []HessianBlock
		want   int
	}{
		{"layers", LayerBlocks(spec, false), 2},
		{"tensors", LayerBlocks(spec, true), 4},
		{"weights and biases", ParamBlocks(spec), 2},
	} {
		blocks := set.blocks
		if len(blocks) != set.want {
			t.Fatalf("%s: %d blocks; want %d", set.name, len(blocks), set.want)
		}
		res, err := HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, Top: 2, Trace: true, Blocks: blocks, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Blocks) != len(blocks) || len(res.Eigenvalues) != 0 {
			t.Fatalf("%d block results, %d whole-operator eigenvalues", len(res.Blocks), len(res.Eigenvalues))
		}
		shares, covered := 0.0, 0
		for i, br := range res.Blocks {
			var idx []int
			for _, p := range blocks[i].Pieces {
				for k := p.Off; k < p.Off+p.Len; k++ {
					idx = append(idx, k)
				}
			}
			sub := mat.NewSymDense(len(idx), nil)
			trace := 0.0
			for r := range idx {
				for c := r; c < len(idx); c++ {
					sub.SetSym(r, c, H.At(idx[r], idx[c]))
				}
				trace += H.At(idx[r], idx[r])
			}
			var es mat.EigenSym
			if !es.Factorize(sub, false) {
				t.Fatal("dense eigendecomposition failed")
			}
			vals := es.Values(nil)
			top := math.Max(math.Abs(vals[0]), math.Abs(vals[len(vals)-1]))
			for k, e := range br.Eigenvalues {
				if want := vals[len(vals)-1-k]; !(math.Abs(e.Value-want) <= 1e-9*top) {
					t.Errorf("%s eigenvalue %d: %.12g; dense block %.12g", br.Block, k+1, e.Value, want)
				}
			}
			if !(math.Abs(br.Trace.Value-trace) <= 4*br.Trace.StdErr+1e-12) {
				t.Errorf("%s trace %.6g +- %.3g; dense block %.6g", br.Block, br.Trace.Value, br.Trace.StdErr, trace)
			}
			if br.Params != len(idx) || br.Block != blocks[i].Name || br.HVPs < 2 {
				t.Errorf("block %d: %+v", i, br)
			}
			shares += *br.TraceShare
			covered += br.Params
		}
		if !(math.Abs(shares-1) <= 1e-12) || covered != H.SymmetricDim() {
			t.Errorf("shares sum to %v, blocks cover %d of %d parameters", shares, covered, H.SymmetricDim())
		}
	}
}

// productHessian is the dense Hessian of m's mean training loss built
// column by column from its exact products (models.NewHessian).
func productHessian(t *testing.T, m *train.Model) *mat.SymDense {
	t.Helper()
	h, err := models.NewHessian(m.Net, m.Net.Params(), m.Train, models.HessianOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	H, err := DenseOperator(m.Net.Backend(), spectrum.Operator{Dim: h.Dim(), Apply: h.Apply})
	if err != nil {
		t.Fatal(err)
	}
	return H
}

// pairResidual is ||H y - value y|| for the pair's vector y.
func pairResidual(H mat.Matrix, e HessianEigen) float64 {
	y := mat.NewVecDense(len(e.Vector), e.Vector)
	var hy mat.VecDense
	hy.MulVec(H, y)
	hy.AddScaledVec(&hy, -e.Value, y)
	return mat.Norm(&hy, 2)
}

// TestHessianTopAndProgress: Top may equal the dimension (all 43
// eigenvalues of the 4-5-3 model) or a block's size (18, layer 2), not
// exceed it; progress starts from the products' cap and ends, as the
// total shrinks to what Lanczos used, at exactly the products made, for
// the whole operator and for blocks.
func TestHessianTopAndProgress(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	spec := m.Net.Spec()
	for _, c := range []struct {
		what   string
		top    int
		blocks []HessianBlock
		fail   bool
	}{
		{"all eigenvalues", 43, nil, false},
		{"one too many", 44, nil, true},
		{"a block's size", 18, LayerBlocks(spec, false), false},
		{"one more than a block", 19, LayerBlocks(spec, false), true},
	} {
		var calls [][2]int
		res, err := HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, Top: c.top, Blocks: c.blocks, Seed: 2,
			Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
		if c.fail {
			if err == nil {
				t.Errorf("%s (Top %d): no error", c.what, c.top)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s (Top %d): %v", c.what, c.top, err)
		}
		if c.blocks == nil && len(res.Eigenvalues) != 43 {
			t.Errorf("%s: %d eigenvalues", c.what, len(res.Eigenvalues))
		}
		first, last := calls[0], calls[len(calls)-1]
		if last[0] != res.HVPs || last[1] != res.HVPs || first[1] < last[1] || first[0] != 1 {
			t.Errorf("%s: progress from %v to %v over %d products; want to start at 1 of the cap and end at %d of %d", c.what, first, last, res.HVPs, res.HVPs, res.HVPs)
		}
		if c.blocks != nil {
			// When the first block is done, the total is its products plus
			// the second block's cap.
			o, err := HessianSpectrumOptions{Model: m, Top: c.top, Blocks: c.blocks}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			used := res.Blocks[0].HVPs
			want := [2]int{used, used + o.productCap(res.Blocks[1].Params)}
			if !slices.Contains(calls, want) {
				t.Errorf("%s: no progress report %v after the first block", c.what, want)
			}
			if sum := res.Blocks[0].HVPs + res.Blocks[1].HVPs; sum != res.HVPs {
				t.Errorf("%s: the blocks' products add up to %d, the run's are %d", c.what, sum, res.HVPs)
			}
		}
	}
}

// TestHessianDensityWidth: without Sigma the density's Gaussians have
// width (max node - min node)/500 and the grid is padded by 5 of them, so
// the grid spans 510 widths (to rounding); an operator with one
// eigenvalue (2 I, every node 2) falls back to 1e-3 of it, 0.002. Block
// pieces may be one long and end at the last parameter, not beyond.
func TestHessianDensityWidth(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	res, err := HessianSpectrum(context.Background(), b, HessianSpectrumOptions{Model: m, Density: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Density
	if span := d.Grid[len(d.Grid)-1] - d.Grid[0]; !(math.Abs(span/(510*d.Sigma)-1) <= 1e-12) {
		t.Errorf("grid span %v, sigma %v: want 510 sigma", span, d.Sigma)
	}
	o, err := HessianSpectrumOptions{Model: m, Density: true, Seed: 3}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	twoI := spectrum.Operator{Dim: 10, Apply: func(x, y engine.Buffer) error {
		if err := b.Copy(y, x); err != nil {
			return err
		}
		return b.Scal(10, 2, y, 1)
	}}
	r, _, err := analyseOperator(b, twoI, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Density == nil || !(math.Abs(r.Density.Sigma-0.002) <= 1e-15) {
		t.Errorf("density of 2 I: %+v, want sigma 0.002", r.Density)
	}
	for _, c := range []struct {
		p    Piece
		want int
	}{{Piece{42, 1}, 1}, {Piece{0, 43}, 43}, {Piece{43, 1}, 0}, {Piece{5, 0}, 0}, {Piece{-1, 2}, 0}} {
		n, err := HessianBlock{Name: "b", Pieces: []Piece{c.p}}.size(43)
		if (c.want == 0) != (err != nil) || n != c.want {
			t.Errorf("piece %+v of 43 parameters: size %d, %v", c.p, n, err)
		}
	}
}
