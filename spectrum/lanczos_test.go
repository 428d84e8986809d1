package spectrum

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// checkPairs compares Lanczos pairs with the oracle's wanted eigenvalues and
// checks the Ritz vectors by explicit products:
//
//   - values: |theta - lambda| <= relTol * max(|lambda|, 1e-3 ||A||), the
//     same scale as the convergence test;
//   - true residual ||A y - theta y|| <= 2 * bound + 1e-12 ||A||: the bound
//     is the exact-arithmetic residual (measured ratio true/bound 1.00, or
//     below 1 where dropped residuals make it an over-estimate), and the
//     product itself is only good to rounding, about sqrt(Dim) eps ||A|| ~
//     1e-14 ||A|| here, so the floor 1e-12 ||A|| has a margin of 100;
//   - the bound meets the tolerance it claims when Converged;
//   - orthonormality |y_i . y_j - delta_ij| <= 1e-10 (full
//     reorthogonalisation keeps the basis orthogonal to ~1e-15).
func checkPairs(t *testing.T, b engine.Backend, op Operator, res LanczosResult, want []float64, relTol, anorm float64) {
	t.Helper()
	if len(res.Pairs) != len(want) {
		t.Fatalf("%d pairs, want %d", len(res.Pairs), len(want))
	}
	n := op.Dim
	ay, err := b.Alloc(engine.Float64, n)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(ay)
	var ys [][]float64
	worstVal, worstRes, worstRatio := 0.0, 0.0, 0.0
	for i, p := range res.Pairs {
		scale := max(math.Abs(want[i]), floorRel*anorm)
		if e := math.Abs(p.Value - want[i]); e > relTol*scale {
			t.Errorf("pair %d: value %.15g, oracle %.15g: error %.2e > %.0e * %.3g", i, p.Value, want[i], e, relTol, scale)
		} else {
			worstVal = max(worstVal, e/scale)
		}
		if res.Converged && p.Residual > DefaultTol*max(math.Abs(p.Value), floorRel*anorm)*(1+1e-12) {
			t.Errorf("pair %d: converged but bound %.2e > tol * %.3g", i, p.Residual, scale)
		}
		if p.Vector == nil {
			continue
		}
		if err := op.Apply(p.Vector, ay); err != nil {
			t.Fatal(err)
		}
		if err := b.Axpy(n, -p.Value, p.Vector, 1, ay, 1); err != nil {
			t.Fatal(err)
		}
		r, _ := b.Nrm2(n, ay, 1)
		if r > 2*p.Residual+1e-12*anorm {
			t.Errorf("pair %d (%.6g): true residual %.2e > 2 * bound %.2e + 1e-12 ||A||", i, p.Value, r, p.Residual)
		}
		worstRes = max(worstRes, r/anorm)
		if p.Residual > 1e-13*anorm { // below that the product's rounding dominates
			worstRatio = max(worstRatio, r/p.Residual)
		}
		ys = append(ys, mustDownload(t, b, p.Vector))
		b.Free(p.Vector)
	}
	worstOrth := 0.0
	for i := range ys {
		for j := 0; j <= i; j++ {
			d := 0.0
			for k := range ys[i] {
				d += ys[i][k] * ys[j][k]
			}
			if i == j {
				d--
			}
			worstOrth = max(worstOrth, math.Abs(d))
		}
	}
	if worstOrth > 1e-10 {
		t.Errorf("Ritz vectors: max |y_i.y_j - delta_ij| = %.2e > 1e-10", worstOrth)
	}
	t.Logf("max rel value error %.1e, max true residual/||A|| %.1e, max true residual/bound %.2f, max orthogonality error %.1e; %d products, %d restarts, %d fresh",
		worstVal, worstRes, worstRatio, worstOrth, res.MatVecs, res.Restarts, res.Fresh)
}

func maxAbs(ev []float64) float64 { return max(math.Abs(ev[0]), math.Abs(ev[len(ev)-1])) }

var allWhich = []Which{Largest, Smallest, LargestMagnitude}

// TestLanczosGOE: random symmetric (GOE) matrices, whose edge eigenvalues
// are close together (spacing ~ Dim^{-2/3}), against gonum's dense
// EigenSym. Default Tol 1e-10 bounds the eigenvalue error by the residual,
// so 1e-8 relative leaves a factor 100.
func TestLanczosGOE(t *testing.T) {
	b := enginetest.Open(t)
	sizes := []int{50, 300, 2000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	for _, n := range sizes {
		r := rand.New(rand.NewPCG(uint64(n), 7))
		a := goe(r, n)
		ev := eigenvalues(t, a, n)
		op := denseOp(t, b, a, n)
		for _, which := range allWhich {
			t.Run(which.String()+"/"+strconv.Itoa(n), func(t *testing.T) {
				res, err := Lanczos(b, op, LanczosOptions{K: 10, Which: which, Vectors: true, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Converged || res.Exact {
					t.Fatalf("converged %v, exact %v; want converged and not exact (Dim %d > MaxBasis)", res.Converged, res.Exact, n)
				}
				checkPairs(t, b, op, res, wanted(ev, 10, which), 1e-8, maxAbs(ev))
			})
		}
	}
}

// knownSpectrum is Q diag(d) Q^T (Dim 400, Q Haar) with a triple eigenvalue
// 10, a near-double 10 - 1e-7 (relative gap 1e-8), a double 9, a double -11
// and -12 at the bottom, and a bulk uniform in [0, 5].
func knownSpectrum(r *rand.Rand) (a []float64, ev []float64) {
	n := 400
	d := make([]float64, n)
	for i := range d {
		d[i] = 5 * r.Float64()
	}
	copy(d, []float64{10, 10, 10, 10 - 1e-7, 9, 9, -12, -11, -11})
	q := orthogonal(r, n)
	a = rotated(q, d)
	return a, d
}

// TestLanczosRepeatedAndClustered: repeated and clustered eigenvalues of
// a rotated known spectrum, with Verify (so that every copy of a repeated
// eigenvalue is guaranteed a chance, not left to rounding). The oracle is
// EigenSym of the formed matrix (equal to the known d up to 1e-14 or so).
func TestLanczosRepeatedAndClustered(t *testing.T) {
	b := enginetest.Open(t)
	a, _ := knownSpectrum(rand.New(rand.NewPCG(3, 4)))
	n := 400
	ev := eigenvalues(t, a, n)
	op := denseOp(t, b, a, n)
	for _, which := range allWhich {
		t.Run(which.String(), func(t *testing.T) {
			res, err := Lanczos(b, op, LanczosOptions{K: 10, Which: which, Vectors: true, Verify: true, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Converged {
				t.Fatal("not converged")
			}
			checkPairs(t, b, op, res, wanted(ev, 10, which), 1e-8, maxAbs(ev))
		})
	}
}

// TestLanczosVerifyFindsMissedCopy: diag(d) with every value of
// {0, 0.001, ..., 0.999} twice and a triple 3: the 6th largest is the
// second copy of 0.999. Plain Lanczos converges K = 6 pairs before rounding
// reveals that copy (logged; a documented limitation of single-vector
// Krylov methods); with Verify the locked restart from a fresh vector
// finds it. Values are exact binary fractions of the diagonal, so 1e-8.
func TestLanczosVerifyFindsMissedCopy(t *testing.T) {
	b := enginetest.Open(t)
	n := 2000
	d := make([]float64, n)
	for i := range d {
		d[i] = float64(i%1000) / 1000
	}
	d[5], d[6], d[7], d[9] = 3, 3, 3, 2.5
	op := diagOp(t, b, d)
	want := wanted(d, 6, Largest)
	plain, err := Lanczos(b, op, LanczosOptions{K: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("without Verify: 6th value %.15g (true %.15g) after %d products", plain.Pairs[5].Value, want[5], plain.MatVecs)
	res, err := Lanczos(b, op, LanczosOptions{K: 6, Verify: true, Vectors: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged || res.Fresh < 1 {
		t.Fatalf("converged %v, fresh %d; want converged after at least one fresh start", res.Converged, res.Fresh)
	}
	checkPairs(t, b, op, res, want, 1e-8, 3)
}

// TestLanczosLowRankPlusIdentity: I + U U^T with U 500 x 5 has five spikes
// and the eigenvalue 1 with multiplicity 495. The Krylov space of one start
// vector has dimension 6; the other copies of 1 enter when it is exhausted.
// Also U U^T alone (PSD, null space of dimension 495): the smallest pairs
// are zeros, converged on the absolute scale Tol * 1e-3 ||A||.
func TestLanczosLowRankPlusIdentity(t *testing.T) {
	b := enginetest.Open(t)
	r := rand.New(rand.NewPCG(5, 6))
	n, rank := 500, 5
	u := make([]float64, n*rank)
	for i := range u {
		u[i] = 2 * r.NormFloat64() / math.Sqrt(float64(n))
	}
	lowRank := func(shift float64) []float64 {
		a := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for c := 0; c < rank; c++ {
					s += u[i*rank+c] * u[j*rank+c]
				}
				a[i*n+j] = s
			}
			a[i*n+i] += shift
		}
		return a
	}
	cases := []struct {
		name  string
		shift float64
		k     int
		which Which
	}{
		{"spikes+ones", 1, 8, Largest},
		{"ones", 1, 6, Smallest},
		{"nullspace", 0, 6, Smallest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := lowRank(c.shift)
			ev := eigenvalues(t, a, n)
			op := denseOp(t, b, a, n)
			res, err := Lanczos(b, op, LanczosOptions{K: c.k, Which: c.which, Vectors: true})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Converged {
				t.Fatal("not converged")
			}
			checkPairs(t, b, op, res, wanted(ev, c.k, c.which), 1e-8, maxAbs(ev))
		})
	}
}

// TestLanczosExact: with Dim <= MaxBasis the basis spans the space and the
// Ritz values are the eigenvalues to rounding (1e-12 relative to ||A||),
// including K = Dim and Dim = 1, and a matrix with a multiplicity-5
// eigenvalue (the Krylov space is exhausted and fresh vectors fill it).
func TestLanczosExact(t *testing.T) {
	b := enginetest.Open(t)
	r := rand.New(rand.NewPCG(9, 9))
	cases := []struct {
		name string
		n, k int
		a    []float64
	}{
		{"goe30", 30, 10, goe(r, 30)},
		{"all12", 12, 12, goe(r, 12)},
		{"dim1", 1, 1, []float64{-2.5}},
	}
	d := []float64{2, 2, 2, 2, 2, -1, 0.5, 3, 0.25, 1, 1.5, -0.75, 4, 0, 0.1, 0.2, -2, 7, 2.5, 3.5}
	cases = append(cases, struct {
		name string
		n, k int
		a    []float64
	}{"multiplicity5", len(d), 8, rotated(orthogonal(r, len(d)), d)})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := eigenvalues(t, c.a, c.n)
			op := denseOp(t, b, c.a, c.n)
			for _, which := range allWhich {
				res, err := Lanczos(b, op, LanczosOptions{K: c.k, Which: which, Vectors: true})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Exact || !res.Converged || res.MatVecs != c.n {
					t.Errorf("%v: exact %v, converged %v, %d products; want exact and converged after Dim = %d", which, res.Exact, res.Converged, res.MatVecs, c.n)
				}
				checkPairs(t, b, op, res, wanted(ev, c.k, which), 1e-12, maxAbs(ev))
			}
		})
	}
}

// TestLanczosZeroOperator: A = 0 (Dim 100 > MaxBasis 40) exhausts the
// Krylov space at every step; fresh vectors fill the basis and the pairs
// are exactly 0 with zero residual.
func TestLanczosZeroOperator(t *testing.T) {
	b := enginetest.Open(t)
	op := Operator{Dim: 100, Apply: func(x, y engine.Buffer) error { return b.Fill(y, 0) }}
	res, err := Lanczos(b, op, LanczosOptions{K: 3, Which: LargestMagnitude})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged || res.MatVecs != 40 || res.Fresh != 40 {
		t.Errorf("converged %v, %d products, %d fresh; want converged after 40 with 40 fresh", res.Converged, res.MatVecs, res.Fresh)
	}
	for i, p := range res.Pairs {
		if p.Value != 0 || p.Residual != 0 {
			t.Errorf("pair %d: %+v; want 0, 0", i, p)
		}
	}
}

// TestLanczosRepeatable: the same seed gives the same bits; another seed
// the same values to the tolerance but different bits.
func TestLanczosRepeatable(t *testing.T) {
	b := enginetest.Open(t)
	n := 300
	a := goe(rand.New(rand.NewPCG(11, 12)), n)
	op := denseOp(t, b, a, n)
	run := func(seed uint64) ([]float64, []float64) {
		res, err := Lanczos(b, op, LanczosOptions{K: 4, Vectors: true, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		var vals, vec []float64
		for _, p := range res.Pairs {
			vals = append(vals, p.Value, p.Residual)
			vec = append(vec, mustDownload(t, b, p.Vector)...)
			b.Free(p.Vector)
		}
		return vals, vec
	}
	v1, y1 := run(5)
	v2, y2 := run(5)
	if !bitsEqual(v1, v2) || !bitsEqual(y1, y2) {
		t.Error("same seed: results differ")
	}
	v3, _ := run(6)
	if bitsEqual(v1, v3) {
		t.Error("different seeds: identical bits")
	}
	for i := 0; i < len(v1); i += 2 {
		if !(math.Abs(v1[i]-v3[i]) <= 1e-8*math.Abs(v1[i])) {
			t.Errorf("pair %d: %v with seed 5, %v with seed 6", i/2, v1[i], v3[i])
		}
	}
}

func bitsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestLanczosProgressAndBudget: Progress sees a growing product count and
// ends at or below Tol when converged; a tiny MaxMatVecs ends unconverged
// without an error.
func TestLanczosProgressAndBudget(t *testing.T) {
	b := enginetest.Open(t)
	n := 300
	op := denseOp(t, b, goe(rand.New(rand.NewPCG(1, 1)), n), n)
	last, calls, worst := 0, 0, 0.0
	res, err := Lanczos(b, op, LanczosOptions{K: 3, Progress: func(mv int, w float64) {
		if mv <= last {
			t.Errorf("progress: products %d after %d", mv, last)
		}
		last, worst = mv, w
		calls++
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != res.MatVecs || !res.Converged || worst > DefaultTol {
		t.Errorf("progress: %d calls, last %d of %d products, worst %.2e; converged %v", calls, last, res.MatVecs, worst, res.Converged)
	}
	res, err = Lanczos(b, op, LanczosOptions{K: 3, MaxMatVecs: 45})
	if err != nil {
		t.Fatal(err)
	}
	if res.Converged || res.MatVecs != 45 || len(res.Pairs) != 3 {
		t.Errorf("budget 45: converged %v after %d products with %d pairs; want unconverged after 45 with 3", res.Converged, res.MatVecs, len(res.Pairs))
	}
}

// TestLanczosErrors: bad input is an error with context, never a panic.
func TestLanczosErrors(t *testing.T) {
	b := enginetest.Open(t)
	op := diagOp(t, b, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	boom := errors.New("boom")
	cases := []struct {
		name string
		b    engine.Backend
		op   Operator
		opt  LanczosOptions
		want string
	}{
		{"nil backend", nil, op, LanczosOptions{K: 1}, "nil backend"},
		{"dim 0", b, Operator{Dim: 0, Apply: op.Apply}, LanczosOptions{K: 1}, "dimension 0"},
		{"no apply", b, Operator{Dim: 10}, LanczosOptions{K: 1}, "no Apply"},
		{"K 0", b, op, LanczosOptions{K: 0}, "K = 0"},
		{"K > Dim", b, op, LanczosOptions{K: 11}, "K = 11"},
		{"which", b, op, LanczosOptions{K: 1, Which: 7}, "unknown Which"},
		{"basis", b, op, LanczosOptions{K: 3, MaxBasis: 4}, "MaxBasis 4"},
		{"negative basis", b, op, LanczosOptions{K: 3, MaxBasis: -1}, "MaxBasis -1"},
		{"negative budget", b, op, LanczosOptions{K: 3, MaxMatVecs: -1}, "MaxMatVecs -1"},
		{"budget below a basis", b, op, LanczosOptions{K: 3, MaxMatVecs: 9}, "MaxMatVecs 9"},
		{"tol", b, op, LanczosOptions{K: 1, Tol: -1}, "Tol -1"},
		{"tol NaN", b, op, LanczosOptions{K: 1, Tol: math.NaN()}, "Tol NaN"},
		{"operator error", b, Operator{Dim: 10, Apply: func(x, y engine.Buffer) error { return boom }}, LanczosOptions{K: 1}, "boom"},
		{"operator NaN", b, Operator{Dim: 10, Apply: func(x, y engine.Buffer) error { return b.Fill(y, math.NaN()) }}, LanczosOptions{K: 1}, "non-finite"},
		{"engine error", b, Operator{Dim: 10, Apply: func(x, y engine.Buffer) error {
			return b.Gemv(engine.NoTrans, 5, 5, 1, x, 5, y, 1, 0, x, 1) // wrong shape use, must surface
		}}, LanczosOptions{K: 1}, "gemv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Lanczos(c.b, c.op, c.opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v; want one containing %q", err, c.want)
			}
		})
	}
}

// TestLanczosDefaults: the documented defaults and limits, at their exact
// boundaries. On a 200 x 200 operator with K = 1 the default basis is
// max(4K, 40) = 40 vectors: a budget of 40 products (one fill) is accepted
// and 39 refused naming the 40; with K = 15 it is 4K = 60. A basis of K+2
// is the smallest allowed and K+1 refused; a basis of Dim or more is exact
// (every eigenvalue found, no restart). The default budget is max(1000, 20
// MaxBasis): a tolerance no residual meets (1e-300) runs it out, 1000
// products at MaxBasis 40 and 1200 at 60, with restarts (the basis filled
// and was restarted); a budget of one fill ends without a restart.
func TestLanczosDefaults(t *testing.T) {
	b := enginetest.Open(t)
	n := 200
	op := denseOp(t, b, goe(rand.New(rand.NewPCG(2, 2)), n), n)
	if _, err := Lanczos(b, op, LanczosOptions{K: 1, MaxMatVecs: 40}); err != nil {
		t.Errorf("K 1, budget 40: %v", err)
	}
	for k, want := range map[int]string{1: "(40 products)", 15: "(60 products)"} {
		if _, err := Lanczos(b, op, LanczosOptions{K: k, MaxMatVecs: 39}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("K %d, budget 39: %v; want a refusal naming %s", k, err, want)
		}
	}
	if _, err := Lanczos(b, op, LanczosOptions{K: 3, MaxBasis: 5, MaxMatVecs: 100}); err != nil {
		t.Errorf("K 3, basis 5: %v", err)
	}
	if _, err := Lanczos(b, op, LanczosOptions{K: 3, MaxBasis: 4}); err == nil {
		t.Error("K 3, basis 4: no error")
	}
	small := diagOp(t, b, []float64{5, 1, 4, 2, 3})
	res, err := Lanczos(b, small, LanczosOptions{K: 5, MaxBasis: 5, Which: Smallest})
	if err != nil || !res.Exact || res.Restarts != 0 || len(res.Pairs) != 5 {
		t.Fatalf("basis = Dim: exact %v, %d restarts, %d pairs, %v", res.Exact, res.Restarts, len(res.Pairs), err)
	}
	for i, p := range res.Pairs {
		if !(math.Abs(p.Value-float64(i+1)) <= 1e-14) {
			t.Errorf("pair %d: %v, want %d", i, p.Value, i+1)
		}
	}
	for k, want := range map[int]int{1: 1000, 15: 1200} {
		res, err := Lanczos(b, op, LanczosOptions{K: k, Tol: 1e-300})
		if err != nil || res.Converged || res.MatVecs != want || res.Restarts < 1 {
			t.Errorf("K %d, tolerance 1e-300: %d products, %d restarts, converged %v, %v; want %d products, restarts", k, res.MatVecs, res.Restarts, res.Converged, err, want)
		}
	}
	res, err = Lanczos(b, op, LanczosOptions{K: 1, Tol: 1e-300, MaxMatVecs: 40})
	if err != nil || res.MatVecs != 40 || res.Restarts != 0 {
		t.Errorf("one fill: %d products, %d restarts, %v", res.MatVecs, res.Restarts, err)
	}
}
