package spinglass

import (
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/engine/rng"
)

// bruteP returns H, its Euclidean gradient and Hessian at s from the raw,
// unsymmetrised couplings (Philox normals read one by one), summing over
// every multi-index and every position: an oracle independent of the
// symmetrisation, the Kronecker powers and the Gemm.
func bruteP(p, n int, seed uint64, s []float64) (float64, []float64, []float64) {
	scale := math.Pow(float64(n), -float64(p-1)/2)
	idx := make([]int, p)
	total := ipow(n, p)
	var e float64
	g := make([]float64, n)
	h := make([]float64, n*n)
	for lin := range total {
		r := lin
		for k := range p {
			idx[k] = r % n
			r /= n
		}
		j := rng.Normal(seed, CouplingStream, uint64(lin)) * scale
		prod := func(skip1, skip2 int) float64 {
			v := j
			for k := range p {
				if k != skip1 && k != skip2 {
					v *= s[idx[k]]
				}
			}
			return v
		}
		e += prod(-1, -1)
		for a := range p {
			g[idx[a]] += prod(a, -1)
			for b := range p {
				if b != a {
					h[idx[a]*n+idx[b]] += prod(a, b)
				}
			}
		}
	}
	return e, g, h
}

// TestPSpinOracle: energy, gradient and Hessian on the engine equal the
// brute-force sums over the raw couplings to rounding (1e-12 relative to
// the entries' scale), for p = 2, 3, 4, 5.
func TestPSpinOracle(t *testing.T) {
	b := enginetest.Open(t)
	for _, c := range []struct{ p, n int }{{2, 6}, {3, 7}, {4, 5}, {5, 4}} {
		m, err := NewPSpin(b, c.p, c.n, 11)
		if err != nil {
			t.Fatal(err)
		}
		s := randomPoint([]int{c.n}, 3)
		loc, err := m.At(s)
		if err != nil {
			t.Fatal(err)
		}
		e, g, h := bruteP(c.p, c.n, 11, s)
		if relErr(loc.Energy, e) > 1e-12 {
			t.Errorf("p=%d: H = %v, brute force %v", c.p, loc.Energy, e)
		}
		for i := range g {
			if relErr(loc.Gradient[i], g[i]) > 1e-12 {
				t.Errorf("p=%d: grad[%d] = %v, brute force %v", c.p, i, loc.Gradient[i], g[i])
			}
		}
		for i := range h {
			if relErr(loc.Hessian[i], h[i]) > 1e-12 {
				t.Errorf("p=%d: Hess[%d] = %v, brute force %v", c.p, i, loc.Hessian[i], h[i])
				break
			}
		}
		m.Close()
	}
}

// checkGeodesic compares the Riemannian gradient and Hessian of a model at x
// with central finite differences of E along the geodesic through x with a
// random tangent velocity xi: d/dt E = grad_R . xi, d^2/dt^2 E = xi . Hess_R
// xi (the geodesic's acceleration is normal, so no gradient term enters).
// With h = 1e-3 the truncation error is h^2/6 |E”'| resp. h^2/12 |E””|,
// about 1e-7 of the derivatives' scale, and rounding adds eps |E| / h^2 ~
// 1e-10: 1e-5 relative to max(1, |value|) leaves margin; dropping the
// -lambda P term of the Hessian changes the second derivative by order 1.
func checkGeodesic(t *testing.T, at func([]float64) (Local, error), dims []int, seed uint64) {
	t.Helper()
	x := randomPoint(dims, seed)
	xi := randomTangent(dims, x, seed+1)
	loc, err := at(x)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-3
	f := func(tt float64) float64 {
		l, err := at(geodesic(dims, x, xi, tt))
		if err != nil {
			t.Fatal(err)
		}
		return l.Energy
	}
	fp, fm, f0 := f(h), f(-h), loc.Energy
	d1 := (fp - fm) / (2 * h)
	d2 := (fp - 2*f0 + fm) / (h * h)
	if g := dot(loc.RiemannianGradient, xi); relErr(g, d1) > 1e-5 {
		t.Errorf("%v: grad_R . xi = %.10g, finite difference %.10g", dims, g, d1)
	}
	if q := quad(loc.RiemannianHessian, xi); relErr(q, d2) > 1e-5 {
		t.Errorf("%v: xi . Hess_R xi = %.10g, finite difference %.10g", dims, q, d2)
	}
}

// TestPSpinGeodesic: the Riemannian gradient and Hessian of the p-spin
// against finite differences along geodesics of the sphere (p = 2, 3, 4).
func TestPSpinGeodesic(t *testing.T) {
	b := enginetest.Open(t)
	for _, c := range []struct{ p, n int }{{2, 9}, {3, 12}, {4, 8}} {
		m, err := NewPSpin(b, c.p, c.n, 5)
		if err != nil {
			t.Fatal(err)
		}
		for seed := uint64(1); seed <= 3; seed++ {
			checkGeodesic(t, m.At, []int{c.n}, seed)
		}
		m.Close()
	}
}

// TestTangentEigenvalues: the eigenvalues on the tangent space (Householder
// frame) are those of the ambient Riemannian Hessian with its normal
// direction (an exact zero: P s = 0) removed, by a dense eigensolver on the
// ambient matrix; rounding only (1e-10 of the spectrum's scale).
func TestTangentEigenvalues(t *testing.T) {
	b := enginetest.Open(t)
	m, err := NewPSpin(b, 3, 15, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	loc, err := m.At(randomPoint([]int{15}, 4))
	if err != nil {
		t.Fatal(err)
	}
	amb := denseEigen(t, loc.RiemannianHessian, 15)
	// drop the eigenvalue closest to 0 (the normal direction)
	k := 0
	for i, v := range amb {
		if math.Abs(v) < math.Abs(amb[k]) {
			k = i
		}
	}
	if !(math.Abs(amb[k]) <= 1e-10) {
		t.Fatalf("ambient Hessian has no zero eigenvalue: %v", amb)
	}
	amb = append(amb[:k], amb[k+1:]...)
	if len(amb) != len(loc.Eigenvalues) {
		t.Fatalf("%d tangent eigenvalues, want %d", len(loc.Eigenvalues), len(amb))
	}
	for i := range amb {
		if !(math.Abs(amb[i]-loc.Eigenvalues[i]) <= 1e-10) {
			t.Errorf("eigenvalue %d: tangent %v, ambient %v", i, loc.Eigenvalues[i], amb[i])
		}
	}
}

// TestPSpinP2Census: for p = 2 the critical points are the eigenvectors of
// the symmetrised coupling matrix A, s = sqrt(N) v_k with u = H/N =
// lambda_k / sqrt(N) and index k (eigenvalues ascending): the census must
// find exactly N distinct points (s and -s are one for even p) with those
// energies to 1e-10 (Newton polishes to |grad| < 1e-9 sqrt N) and indices.
func TestPSpinP2Census(t *testing.T) {
	b := enginetest.Open(t)
	n := 8
	m, err := NewPSpin(b, 2, n, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err := m.Census(CensusOptions{MinimaStarts: 20, SaddleStarts: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := make([]float64, n*n)
	for i := range n {
		for j := range n {
			a[i*n+j] = 0.5 * (rng.Normal(4, CouplingStream, uint64(i+n*j)) + rng.Normal(4, CouplingStream, uint64(j+n*i)))
		}
	}
	lam := denseEigen(t, a, n)
	if len(c.Points) != n || c.Mirrored {
		t.Fatalf("%d points (mirrored %v), want %d unmirrored", len(c.Points), c.Mirrored, n)
	}
	for k, p := range c.Points {
		if want := lam[k] / math.Sqrt(float64(n)); !(math.Abs(p.Energy-want) <= 1e-10) || p.Index != k {
			t.Errorf("point %d: u = %v index %d; want u = %v index %d", k, p.Energy, p.Index, want, k)
		}
	}
}

// circleCritical returns the energies per dimension of the critical points
// of the p-spin with N = 2 on the circle s = sqrt 2 (cos th, sin th), found
// by sign changes of dH/dth on a fine grid refined by bisection: an oracle
// independent of the census.
func circleCritical(t *testing.T, m *PSpin) []float64 {
	const grid = 20000
	at := func(th float64) Local {
		l, err := m.At([]float64{math.Sqrt2 * math.Cos(th), math.Sqrt2 * math.Sin(th)})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	deriv := func(th float64) float64 {
		l := at(th)
		return dot(l.Gradient, []float64{-math.Sqrt2 * math.Sin(th), math.Sqrt2 * math.Cos(th)})
	}
	var us []float64
	for i := range grid {
		a, bb := 2*math.Pi*float64(i)/grid, 2*math.Pi*float64(i+1)/grid
		fa, fb := deriv(a), deriv(bb)
		if fa == 0 || fa*fb > 0 {
			continue
		}
		for range 60 {
			mid := 0.5 * (a + bb)
			if fm := deriv(mid); fm*fa > 0 {
				a, fa = mid, fm
			} else {
				bb = mid
			}
		}
		us = append(us, at(0.5*(a+bb)).Energy/2)
	}
	return us
}

// TestPSpinCircle: on N = 2 (a circle), the census finds exactly the
// critical points of the brute-force scan; for odd p it reports each
// antipodal pair once, at its energy <= 0. Energies agree to 1e-9.
func TestPSpinCircle(t *testing.T) {
	b := enginetest.Open(t)
	for _, p := range []int{3, 4, 5} {
		m, err := NewPSpin(b, p, 2, 9)
		if err != nil {
			t.Fatal(err)
		}
		want := circleCritical(t, m)
		if p%2 == 1 {
			var neg []float64
			for _, u := range want {
				if u < 0 {
					neg = append(neg, u)
				}
			}
			want = neg
		} else {
			// s and -s are one point: keep one of each pair of equal energies
			sort.Float64s(want)
			var one []float64
			for i := 0; i < len(want); i += 2 {
				one = append(one, want[i])
			}
			want = one
		}
		sort.Float64s(want)
		c, err := m.Census(CensusOptions{MinimaStarts: 20, SaddleStarts: 60})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Points) != len(want) {
			t.Fatalf("p=%d: census %d points, scan %d (%v)", p, len(c.Points), len(want), want)
		}
		for i, pt := range c.Points {
			if !(math.Abs(pt.Energy-want[i]) <= 1e-9) {
				t.Errorf("p=%d: point %d at u = %v, scan %v", p, i, pt.Energy, want[i])
			}
		}
		m.Close()
	}
}

// morse returns sum over points of (-1)^index.
func morse(c Census) int {
	s := 0
	for _, p := range c.Points {
		if p.Index%2 == 0 {
			s++
		} else {
			s--
		}
	}
	return s
}

// TestPSpinSmallCounts: at N = 3 the real critical points of a generic
// p-spin (up to sign) are real eigenvectors of its symmetric tensor: at most
// EigenvectorCount(p, 3) (7 for p = 3, 13 for p = 4) and of the same parity
// (the non-real ones come in conjugate pairs). Morse theory on S^2 (Euler
// characteristic 2): for odd p each reported point and its mirror (index
// 2 - k, same parity) give sum (-1)^k = 1; for even p, s and -s have the
// same index and again sum (-1)^k = 1.
func TestPSpinSmallCounts(t *testing.T) {
	b := enginetest.Open(t)
	for _, p := range []int{3, 4} {
		for _, seed := range []uint64{1, 2, 3} {
			m, err := NewPSpin(b, p, 3, seed)
			if err != nil {
				t.Fatal(err)
			}
			c, err := m.Census(CensusOptions{MinimaStarts: 40, SaddleStarts: 160})
			if err != nil {
				t.Fatal(err)
			}
			bound, _ := EigenvectorCount(p, 3)
			n := int64(len(c.Points))
			if n > bound.Int64() || (n-bound.Int64())%2 != 0 {
				t.Errorf("p=%d seed %d: %d points; want <= %v and of its parity", p, seed, n, bound)
			}
			if s := morse(c); s != 1 {
				t.Errorf("p=%d seed %d: sum (-1)^index = %d, want 1 (Morse, chi(S^2) = 2)", p, seed, s)
			}
			for _, pt := range c.Points {
				if pt.GradNorm > 1e-9 {
					t.Errorf("p=%d: point with |grad|/sqrt N = %v above the tolerance", p, pt.GradNorm)
				}
			}
			m.Close()
		}
	}
}

// TestPSpinThreshold: at p = 3, N = 40 the minima lie near the band
// [-E0, -E_inf] = [-1.657, -1.633]. Finite size: a critical point at u is
// a minimum when the smallest eigenvalue of its GOE Hessian (semicircle
// radius 2 sqrt(p(p-1)), shifted by -p u) is >= 0, i.e. u <= -E_inf (1 +
// N^{-2/3} chi/2) with chi a Tracy-Widom (beta = 1) variable; minima thus
// reach above -E_inf by a few E_inf N^{-2/3} (= 0.14 at N = 40). We allow
// 3 E_inf N^{-2/3} above -E_inf and E_inf N^{-2/3} below -E0.
// The index grows with the energy: it follows (N-1) IndexFraction(u) (the
// semicircle's fraction below p u) to within 2 on average (the eigenvalue
// count of a GOE fluctuates by O(sqrt(log N)/pi) < 1), and its rank
// correlation with the energy exceeds 0.9.
func TestPSpinThreshold(t *testing.T) {
	b := enginetest.Open(t)
	n := 40
	m, err := NewPSpin(b, 3, n, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err := m.Census(CensusOptions{MinimaStarts: 100, SaddleStarts: 100})
	if err != nil {
		t.Fatal(err)
	}
	einf := EInf(3)
	e0, _ := Ek(3, 0)
	fs := einf * math.Pow(float64(n), -2.0/3)
	mins := c.Minima()
	if len(mins) < 5 {
		t.Fatalf("only %d minima", len(mins))
	}
	for _, p := range mins {
		if p.Energy > -einf+3*fs || p.Energy < -e0-fs {
			t.Errorf("minimum at u = %.4f outside [-E0 - %.3f, -E_inf + %.3f] = [%.4f, %.4f]", p.Energy, fs, 3*fs, -e0-fs, -einf+3*fs)
		}
	}
	var dev float64
	for _, p := range c.Points {
		dev += math.Abs(float64(p.Index) - float64(n-1)*IndexFraction(3, p.Energy))
	}
	if dev /= float64(len(c.Points)); dev > 2 {
		t.Errorf("mean |index - (N-1) IndexFraction(u)| = %.2f, want <= 2", dev)
	}
	if rho := spearman(c.Points); rho < 0.9 {
		t.Errorf("rank correlation of index and energy %.3f, want > 0.9", rho)
	}
	if c.Failed > c.MinimaStarts/5+c.SaddleStarts/5 {
		t.Errorf("%d of %d starts failed", c.Failed, c.MinimaStarts+c.SaddleStarts)
	}
}

// spearman returns the rank correlation of energy and index (average ranks
// for ties).
func spearman(pts []CriticalPoint) float64 {
	rank := func(v []float64) []float64 {
		n := len(v)
		ix := make([]int, n)
		for i := range ix {
			ix[i] = i
		}
		sort.SliceStable(ix, func(a, b int) bool { return v[ix[a]] < v[ix[b]] })
		r := make([]float64, n)
		for i := 0; i < n; {
			j := i
			for j+1 < n && v[ix[j+1]] == v[ix[i]] {
				j++
			}
			for k := i; k <= j; k++ {
				r[ix[k]] = float64(i+j) / 2
			}
			i = j + 1
		}
		return r
	}
	e, k := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		e[i], k[i] = p.Energy, float64(p.Index)
	}
	re, rk := rank(e), rank(k)
	var me, mk float64
	for i := range re {
		me += re[i]
		mk += rk[i]
	}
	me /= float64(len(re))
	mk /= float64(len(rk))
	var sxy, sxx, syy float64
	for i := range re {
		sxy += (re[i] - me) * (rk[i] - mk)
		sxx += (re[i] - me) * (re[i] - me)
		syy += (rk[i] - mk) * (rk[i] - mk)
	}
	return sxy / math.Sqrt(sxx*syy)
}

// TestCensusReproducible: the same seeds give the same census, bit for bit.
func TestCensusReproducible(t *testing.T) {
	b := enginetest.Open(t)
	run := func() Census {
		m, err := NewPSpin(b, 3, 10, 3)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		c, err := m.Census(CensusOptions{MinimaStarts: 10, SaddleStarts: 20, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, c := run(), run()
	if len(a.Points) != len(c.Points) {
		t.Fatalf("%d vs %d points", len(a.Points), len(c.Points))
	}
	for i := range a.Points {
		if a.Points[i].Energy != c.Points[i].Energy || a.Points[i].Index != c.Points[i].Index {
			t.Errorf("point %d differs: %+v vs %+v", i, a.Points[i], c.Points[i])
		}
	}
}

func TestPSpinErrors(t *testing.T) {
	b := enginetest.Open(t)
	for _, c := range []struct {
		p, n int
		msg  string
	}{{1, 10, "p = 1"}, {MaxP + 1, 3, "want 2 <="}, {3, 1, "N = 1"}, {4, 77, "N <= 76"}, {3, 323, "N <= 322"}} {
		_, err := NewPSpin(b, c.p, c.n, 1)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("NewPSpin(p=%d, N=%d): error %v, want one containing %q", c.p, c.n, err, c.msg)
		}
	}
	if _, err := NewPSpin(nil, 3, 5, 1); err == nil {
		t.Error("nil backend: want an error")
	}
	m, err := NewPSpin(b, 3, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.At([]float64{1, 2, 3}); err == nil {
		t.Error("At with a short point: want an error")
	}
	if _, err := m.At([]float64{1, 1, 1, 1, 0}); err == nil {
		t.Error("At off the sphere: want an error")
	}
	if _, err := m.At([]float64{math.NaN(), 1, 1, 1, 1}); err == nil {
		t.Error("At with NaN: want an error")
	}
	for _, o := range []CensusOptions{{}, {MinimaStarts: -1, SaddleStarts: 3}, {MinimaStarts: 1, Tol: -1}, {MinimaStarts: 1, Overlap: 1}, {MinimaStarts: 1, Tol: math.NaN()}} {
		if _, err := m.Census(o); err == nil {
			t.Errorf("Census(%+v): want an error", o)
		}
	}
}
