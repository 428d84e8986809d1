package spinglass

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine/rng"
)

// integrate computes int_lo^hi f(x) dx for a density with square-root edges
// at lo and hi by the substitution x = c + h cos(theta), which makes the
// integrand smooth, and the midpoint rule in theta (spectrally accurate).
func integrate(f func(float64) float64, lo, hi float64) float64 {
	c, h := (lo+hi)/2, (hi-lo)/2
	const n = 4000
	var s float64
	for i := range n {
		th := math.Pi * (float64(i) + 0.5) / n
		s += f(c+h*math.Cos(th)) * h * math.Sin(th)
	}
	return s * math.Pi / n
}

// TestMarchenkoPasturMoments: the continuous part has mass 1 for g <= 1 and
// 1/g for g > 1 (the rest is the atom at 0); the law has mean scale and
// variance scale^2 g (atom included). Quadrature error is far below 1e-9.
func TestMarchenkoPasturMoments(t *testing.T) {
	for _, g := range []float64{0.1, 0.5, 1, 2.5} {
		sc := 1.7
		lo, hi := MarchenkoPasturEdges(g, sc)
		f := func(x float64) float64 { return MarchenkoPastur(x, g, sc) }
		m0 := integrate(f, lo, hi)
		m1 := integrate(func(x float64) float64 { return x * f(x) }, lo, hi)
		m2 := integrate(func(x float64) float64 { return x * x * f(x) }, lo, hi)
		if want := 1 - MarchenkoPasturAtom(g); !(math.Abs(m0-want) <= 1e-9) {
			t.Errorf("g=%v: mass %v, want %v", g, m0, want)
		}
		if !(math.Abs(m1-sc) <= 1e-9) {
			t.Errorf("g=%v: mean %v, want %v", g, m1, sc)
		}
		if v := m2 - m1*m1; !(math.Abs(v-sc*sc*g) <= 1e-9) {
			t.Errorf("g=%v: variance %v, want %v", g, v, sc*sc*g)
		}
	}
	if !math.IsNaN(MarchenkoPastur(1, 0, 1)) || !math.IsNaN(MarchenkoPastur(1, 1, -1)) {
		t.Error("bad g or scale should give NaN")
	}
}

// TestSemicircleMoments: mass 1 and variance s^2 (quadrature, 1e-9).
func TestSemicircleMoments(t *testing.T) {
	s := 0.8
	f := func(x float64) float64 { return Semicircle(x, s) }
	m0 := integrate(f, -2*s, 2*s)
	m2 := integrate(func(x float64) float64 { return x * x * f(x) }, -2*s, 2*s)
	if !(math.Abs(m0-1) <= 1e-9) || !(math.Abs(m2-s*s) <= 1e-9) {
		t.Errorf("mass %v, variance %v; want 1, %v", m0, m2, s*s)
	}
}

// goe returns the eigenvalues of an n x n GOE matrix whose semicircle has
// scale s: off-diagonal entries of variance s^2/n, diagonal 2 s^2/n.
func goe(t *testing.T, n int, s float64, seed uint64) []float64 {
	a := make([]float64, n*n)
	k := uint64(0)
	for i := range n {
		for j := i; j < n; j++ {
			v := rng.Normal(seed, 5, k) * s / math.Sqrt(float64(n))
			k++
			if i == j {
				v *= math.Sqrt2
			}
			a[i*n+j], a[j*n+i] = v, v
		}
	}
	return denseEigen(t, a, n)
}

// TestFitSemicircle: the moment fit of a 400 x 400 GOE of scale 1.3 returns
// 1.3 to 2% (the eigenvalues' mean square is sum H_ij^2 / n, whose relative
// fluctuation is about sqrt(2)/n and whose mean is s^2 (1 + 1/n)); the
// least-squares fit to the exact density on a grid returns s to 1e-6.
func TestFitSemicircle(t *testing.T) {
	s, err := FitSemicircle(goe(t, 400, 1.3, 1))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s-1.3)/1.3 > 0.02 {
		t.Errorf("moment fit %v, want 1.3", s)
	}
	var x, rho []float64
	for i := range 200 {
		xi := -3 + 6*float64(i)/199
		x = append(x, xi)
		rho = append(rho, Semicircle(xi, 1.1))
	}
	s, err = FitSemicircleDensity(x, rho)
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(s-1.1) <= 1e-6) {
		t.Errorf("density fit %v, want 1.1", s)
	}
	if _, err := FitSemicircle(nil); err == nil {
		t.Error("FitSemicircle(nil): want an error")
	}
	if _, err := FitSemicircle([]float64{math.NaN()}); err == nil {
		t.Error("FitSemicircle(NaN): want an error")
	}
}

// TestFitMarchenkoPastur: eigenvalues of X X^T / m for X a 100 x 400 matrix
// of N(0, 0.7) entries follow MP with g = 1/4 and scale 0.7; their mean is
// tr(X X^T)/(100 m), within 1% of 0.7 (relative fluctuation sqrt(2/40000)).
// The density fit on exact data recovers the scale to 1e-6.
func TestFitMarchenkoPastur(t *testing.T) {
	p, m, v := 100, 400, 0.7
	x := make([]float64, p*m)
	for i := range x {
		x[i] = rng.Normal(3, 6, uint64(i)) * math.Sqrt(v)
	}
	w := make([]float64, p*p)
	for i := range p {
		for j := range p {
			var s float64
			for k := range m {
				s += x[i*m+k] * x[j*m+k]
			}
			w[i*p+j] = s / float64(m)
		}
	}
	sc, err := FitMarchenkoPastur(denseEigen(t, w, p), 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(sc-v)/v > 0.01 {
		t.Errorf("moment fit %v, want %v", sc, v)
	}
	lo, hi := MarchenkoPasturEdges(0.25, 2.2)
	var xs, rho []float64
	for i := range 300 {
		xi := lo - 0.5 + (hi-lo+1)*float64(i)/299
		xs = append(xs, xi)
		rho = append(rho, MarchenkoPastur(xi, 0.25, 2.2))
	}
	sc, err = FitMarchenkoPasturDensity(xs, rho, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(sc-2.2) <= 1e-6) {
		t.Errorf("density fit %v, want 2.2", sc)
	}
	if _, err := FitMarchenkoPastur([]float64{1, 2}, 0); err == nil {
		t.Error("g = 0: want an error")
	}
}

// TestCriticalEnergy: e_c(0) = (1 + 1)/16 = 1/8 and e_c(1) = (1 - 20 - 8 +
// 27)/16 = 0 exactly; e_c decreases on [0, 1] (de_c/dphi = (-20 - 16 phi +
// 12 sqrt(1 + 8 phi))/16 < 0 there).
func TestCriticalEnergy(t *testing.T) {
	if e := CriticalEnergy(0); e != 0.125 {
		t.Errorf("e_c(0) = %v, want 1/8", e)
	}
	if e := CriticalEnergy(1); !(math.Abs(e) <= 1e-15) {
		t.Errorf("e_c(1) = %v, want 0", e)
	}
	prev := math.Inf(1)
	for phi := 0.0; phi <= 1; phi += 0.05 {
		e := CriticalEnergy(phi)
		if !(e < prev) {
			t.Errorf("e_c(%v) = %v does not decrease", phi, e)
		}
		prev = e
	}
	if !math.IsNaN(CriticalEnergy(-1)) {
		t.Error("e_c(-1) should be NaN")
	}
}

// TestIndexLawFit: on exact data alpha = 0.3 (e - 0.1)^{3/2} the least-squares
// prefactor is 0.3 and the log-log exponent 3/2, to rounding (1e-12).
func TestIndexLawFit(t *testing.T) {
	var e, a []float64
	for x := 0.0; x < 1; x += 0.02 {
		e = append(e, x)
		a = append(a, IndexLaw(x, 0.1, 0.3))
	}
	a0, err := FitIndexLaw(e, a, 0.1)
	if err != nil || !(math.Abs(a0-0.3) <= 1e-12) {
		t.Errorf("alpha0 = %v, %v; want 0.3", a0, err)
	}
	b, pre, err := FitPowerLaw(e, a, 0.1)
	if err != nil || !(math.Abs(b-1.5) <= 1e-12) || !(math.Abs(pre-0.3) <= 1e-12) {
		t.Errorf("exponent %v, prefactor %v, %v; want 1.5, 0.3", b, pre, err)
	}
	if _, err := FitIndexLaw(e, a, 5); err == nil {
		t.Error("no energy above e_c: want an error")
	}
}
