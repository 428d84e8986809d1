package landscape

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/spectrum"
)

// TestCurvatureOf: the counts, trace and log-volume of a list of
// eigenvalues worked by hand. With max|lambda| = 3 and EigTol 1e-6, tau is
// 3e-6: -2 is negative, -1e-9 and 2e-6 are null, 0.5 and 3 are positive;
// the log-volume is -(log 0.5 + log 3)/2, the trace the plain sum.
func TestCurvatureOf(t *testing.T) {
	c := CurvatureOf([]float64{3, -1e-9, 0.5, -2, 2e-6}, 1e-6)
	if c.Index != 1 || c.Null != 2 || c.Positive != 2 || c.MinEig != -2 || c.MaxEig != 3 || c.Tol != 3e-6 {
		t.Errorf("%+v", c)
	}
	if want := -0.5 * (math.Log(0.5) + math.Log(3)); !(math.Abs(c.LogVolume-want) <= 1e-15) {
		t.Errorf("log-volume %v, want %v", c.LogVolume, want)
	}
	if want := 3 - 1e-9 + 0.5 - 2 + 2e-6; !(math.Abs(c.Trace-want) <= 1e-15) {
		t.Errorf("trace %v, want %v", c.Trace, want)
	}
}

// smallProblem is a tanh network 3-5-4-3 (59 parameters) at a random point
// on 30 random samples.
func smallProblem(t *testing.T, b engine.Backend) (*models.Network, *models.Data) {
	t.Helper()
	r := rand.New(rand.NewPCG(11, 12))
	spec := mlpSpec(t, "tanh", 3, 5, 4, 3)
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		t.Fatal(err)
	}
	theta := randomParams(r, net.NumParams())
	for i := range theta {
		theta[i] *= 0.8
	}
	if err := net.SetParams(theta); err != nil {
		t.Fatal(err)
	}
	return net, randomData(t, b, r, 30, 3, 3)
}

// fdHessian is the Hessian of the objective (mean loss + wd/2 |theta|^2)
// by central differences of the backpropagated gradient, step h,
// symmetrised: an oracle independent of the R-operator.
func fdHessian(t *testing.T, net *models.Network, d *models.Data, wd, h float64) *mat.SymDense {
	t.Helper()
	b := net.Backend()
	P := net.NumParams()
	theta, err := net.HostParams()
	if err != nil {
		t.Fatal(err)
	}
	e, err := net.NewEvaluator(0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	x, _ := net.NewParams()
	g, _ := net.NewParams()
	defer b.Free(x)
	defer b.Free(g)
	grad := func(p []float64) []float64 {
		if err := b.Upload(x, p); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Gradient(x, d, g); err != nil {
			t.Fatal(err)
		}
		out := make([]float64, P)
		if err := b.Download(out, g); err != nil {
			t.Fatal(err)
		}
		return out
	}
	cols := make([][]float64, P)
	for i := 0; i < P; i++ {
		p := append([]float64(nil), theta...)
		p[i] += h
		gp := grad(p)
		p[i] -= 2 * h
		gm := grad(p)
		cols[i] = make([]float64, P)
		for j := range gp {
			cols[i][j] = (gp[j] - gm[j]) / (2 * h)
		}
	}
	H := mat.NewSymDense(P, nil)
	for i := 0; i < P; i++ {
		for j := i; j < P; j++ {
			v := 0.5 * (cols[i][j] + cols[j][i])
			if i == j {
				v += wd
			}
			H.SetSym(i, j, v)
		}
	}
	return H
}

// TestDenseCurvatureFiniteDifferences: the dense Hessian of the objective
// (exact R-operator products plus wd I) has the eigenvalues of the
// finite-difference Hessian of the backpropagated gradient to 1e-6 max|lambda|
// (central differences with h = 1e-5: truncation h^2 |f”'| ~ 1e-10,
// rounding eps |grad| / h ~ 1e-11, so 1e-6 leaves a wide margin and still
// catches a dropped term of the R-operator or a missing wd); the random
// point is not a minimum, so the index is positive and must agree.
func TestDenseCurvatureFiniteDifferences(t *testing.T) {
	b := enginetest.Open(t)
	net, d := smallProblem(t, b)
	defer net.Close()
	defer d.Close()
	const wd = 0.05
	c, eigs, err := MeasureCurvature(net, net.Params(), d, CurvatureOptions{WeightDecay: wd})
	if err != nil {
		t.Fatal(err)
	}
	if c.Method != "dense" || len(eigs) != net.NumParams() {
		t.Fatalf("method %s with %d eigenvalues for %d parameters", c.Method, len(eigs), net.NumParams())
	}
	want, err := SymEigenvalues(fdHessian(t, net, d, wd, 1e-5))
	if err != nil {
		t.Fatal(err)
	}
	scale := math.Max(math.Abs(want[0]), math.Abs(want[len(want)-1]))
	for i := range want {
		if !(math.Abs(eigs[i]-want[i]) <= 1e-6*scale) {
			t.Fatalf("eigenvalue %d: %v, finite differences %v", i, eigs[i], want[i])
		}
	}
	fd := CurvatureOf(want, DefaultEigTol)
	if c.Index != fd.Index || c.Index == 0 || !(math.Abs(c.Trace-fd.Trace) <= 1e-6*scale*float64(len(want))) ||
		!(math.Abs(c.LogVolume-fd.LogVolume) <= 1e-4) {
		t.Errorf("curvature %+v, finite differences %+v", c, fd)
	}
}

// TestEstimatedCurvatureMatchesOracle: the estimates used above DenseMax.
// Lanczos's extreme eigenvalues match the dense ones to 1e-6 relative
// (its tolerance is 1e-8). SLQ with as many steps as parameters spans each
// probe vector's Krylov space, so its quadrature is exact for that vector:
// the log-volume estimate must equal -1/2 (P/V) sum_v z_v^T f(H) z_v /
// |z_v|^2, f = log above tau and 0 below, computed from the dense
// eigendecomposition with the same Rademacher vectors z_v (the signs of the
// Philox normals of streams 0..V-1), to 1e-8 relative; the index and
// positive counts are the same sums with indicator functions, rounded.
func TestEstimatedCurvatureMatchesOracle(t *testing.T) {
	b := enginetest.Open(t)
	net, d := smallProblem(t, b)
	defer net.Close()
	defer d.Close()
	const wd, seed, vectors = 0.05, 3, 4
	P := net.NumParams()
	dense, eigs, err := MeasureCurvature(net, net.Params(), d, CurvatureOptions{WeightDecay: wd})
	if err != nil {
		t.Fatal(err)
	}
	est, _, err := MeasureCurvature(net, net.Params(), d, CurvatureOptions{WeightDecay: wd, DenseMax: -1,
		SLQVectors: vectors, SLQSteps: P, TraceSamples: 200, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if est.Method != "lanczos-slq" {
		t.Fatalf("method %s", est.Method)
	}
	for _, pair := range [][2]float64{{est.MaxEig, dense.MaxEig}, {est.MinEig, dense.MinEig}} {
		if !(math.Abs(pair[0]-pair[1]) <= 1e-6*math.Abs(dense.MaxEig)) {
			t.Errorf("Lanczos extreme eigenvalue %v, dense %v", pair[0], pair[1])
		}
	}
	// Oracle from the dense eigendecomposition.
	h, err := models.NewHessian(net, net.Params(), d, models.HessianOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	H, err := DenseOperator(b, spectrum.Operator{Dim: P, Apply: func(x, y engine.Buffer) error {
		if err := h.Apply(x, y); err != nil {
			return err
		}
		return b.Axpy(P, wd, x, 1, y, 1)
	}})
	if err != nil {
		t.Fatal(err)
	}
	var es mat.EigenSym
	if !es.Factorize(H, true) {
		t.Fatal("eigensolver failed")
	}
	var U mat.Dense
	es.VectorsTo(&U)
	lam := es.Values(nil)
	tau := est.Tol
	quad := func(f func(float64) float64) float64 {
		total := 0.0
		for v := 0; v < vectors; v++ {
			g := make([]float64, P)
			rng.FillNormal(g, seed, uint64(v), 0)
			z := make([]float64, P)
			for i := range g {
				z[i] = -1
				if g[i] > 0 {
					z[i] = 1
				}
			}
			for k := 0; k < P; k++ { // z^T f(H) z / |z|^2 = sum_k f(lambda_k) (u_k.z)^2 / P
				uz := 0.0
				for i := 0; i < P; i++ {
					uz += U.At(i, k) * z[i]
				}
				total += f(lam[k]) * uz * uz / float64(P)
			}
		}
		return float64(P) * total / vectors
	}
	wantLV := -0.5 * quad(func(x float64) float64 {
		if x > tau {
			return math.Log(x)
		}
		return 0
	})
	wantNeg := math.Round(quad(func(x float64) float64 {
		if x < -tau {
			return 1
		}
		return 0
	}))
	if !(math.Abs(est.LogVolume-wantLV) <= 1e-8*math.Abs(wantLV)) {
		t.Errorf("SLQ log-volume %v, oracle with the same probe vectors %v (dense exact %v)", est.LogVolume, wantLV, dense.LogVolume)
	}
	if float64(est.Index) != wantNeg {
		t.Errorf("SLQ index %d, oracle %v (dense exact %d)", est.Index, wantNeg, dense.Index)
	}
	wantPos := math.Round(quad(func(x float64) float64 {
		if x > tau {
			return 1
		}
		return 0
	}))
	if float64(est.Positive) != wantPos || est.Null != P-est.Index-est.Positive {
		t.Errorf("SLQ counts: %d positive (oracle %v), %d null of %d with %d negative", est.Positive, wantPos, est.Null, P, est.Index)
	}
	// tau is its definition, EigTol times the largest |lambda|.
	if want := DefaultEigTol * math.Max(math.Abs(est.MaxEig), math.Abs(est.MinEig)); est.Tol != want {
		t.Errorf("tau %v, want %v", est.Tol, want)
	}
	// Hutchinson's trace with 200 samples: within 5 standard errors of the
	// exact trace is all a stochastic estimate can promise; the standard
	// error of Rademacher Hutchinson is sqrt(2 sum_{i != j} H_ij^2 / 200).
	off := 0.0
	for i := 0; i < P; i++ {
		for j := 0; j < P; j++ {
			if i != j {
				off += H.At(i, j) * H.At(i, j)
			}
		}
	}
	if se := math.Sqrt(2 * off / 200); !(math.Abs(est.Trace-dense.Trace) <= 5*se) {
		t.Errorf("Hutchinson trace %v, exact %v (standard error %v)", est.Trace, dense.Trace, se)
	}
	_ = eigs
}

// TestCurvatureOptions: each option at its smallest valid value runs (a
// weight decay of 0, one SLQ vector of one step, two trace samples, a
// tolerance just under 1), the values just outside are refused, and
// DenseMax is inclusive: a network of exactly DenseMax parameters is
// measured densely, one of DenseMax + 1 by Lanczos and SLQ. A dense
// operator of dimension 1 is its one entry.
func TestCurvatureOptions(t *testing.T) {
	b := enginetest.Open(t)
	net, d := smallProblem(t, b)
	defer net.Close()
	defer d.Close()
	P := net.NumParams()
	for _, o := range []CurvatureOptions{
		{WeightDecay: 0, DenseMax: -1, SLQVectors: 1, SLQSteps: 1, TraceSamples: 2, EigTol: 0.999},
	} {
		if _, _, err := MeasureCurvature(net, net.Params(), d, o); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	for _, o := range []CurvatureOptions{
		{WeightDecay: -1e-9}, {EigTol: 1}, {EigTol: -1e-3}, {SLQVectors: -1}, {SLQSteps: -1}, {TraceSamples: 1},
	} {
		if _, _, err := MeasureCurvature(net, net.Params(), d, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	for _, c := range []struct {
		denseMax int
		method   string
	}{{P, "dense"}, {P - 1, "lanczos-slq"}} {
		got, _, err := MeasureCurvature(net, net.Params(), d, CurvatureOptions{DenseMax: c.denseMax, SLQSteps: 20, TraceSamples: 4})
		if err != nil || got.Method != c.method {
			t.Errorf("DenseMax %d for %d parameters: method %q (%v), want %s", c.denseMax, P, got.Method, err, c.method)
		}
	}
	one, err := DenseOperator(b, spectrum.Operator{Dim: 1, Apply: func(x, y engine.Buffer) error {
		if err := b.Copy(y, x); err != nil {
			return err
		}
		return b.Scal(1, 2.5, y, 1)
	}})
	if err != nil || one.At(0, 0) != 2.5 {
		t.Errorf("1 x 1 dense operator: %v, %v", one, err)
	}
}
