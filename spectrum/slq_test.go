package spectrum

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// wasserstein1 is the W1 distance between two discrete probability measures
// on the line: the integral of |F - G| over x, by merging the atoms.
func wasserstein1(x1, w1, x2, w2 []float64) float64 {
	type atom struct{ x, w float64 }
	var atoms []atom
	for i := range x1 {
		atoms = append(atoms, atom{x1[i], w1[i]})
	}
	for i := range x2 {
		atoms = append(atoms, atom{x2[i], -w2[i]})
	}
	slices.SortFunc(atoms, func(a, b atom) int { return cmpFloat(a.x, b.x) })
	d, cdf := 0.0, 0.0
	for i := 0; i+1 < len(atoms); i++ {
		cdf += atoms[i].w
		d += math.Abs(cdf) * (atoms[i+1].x - atoms[i].x)
	}
	return d
}

// subset returns the quadrature of vectors [lo, hi).
func subset(q Quadrature, lo, hi int) Quadrature {
	return Quadrature{Dim: q.Dim, Nodes: q.Nodes[lo:hi], Weights: q.Weights[lo:hi]}
}

// knownSpectrum1000 is a rotated spectrum of Dim 1000 (Haar Q from QR): a
// bulk uniform on [0, 1] with a gap to 5 outliers at 2..4.
func knownSpectrum1000(t testing.TB, b engine.Backend) (Operator, []float64) {
	n := 1000
	r := rand.New(rand.NewPCG(21, 22))
	d := make([]float64, n)
	for i := range d {
		d[i] = (float64(i) + 0.5) / float64(n-5)
	}
	copy(d[n-5:], []float64{2, 2.5, 3, 3.5, 4})
	return spectralOp(t, b, orthogonal(r, n), d), d
}

// groupW1 is the mean W1 distance to the exact eigenvalue distribution d
// over disjoint groups of size vectors of q.
func groupW1(q Quadrature, d []float64, size int) float64 {
	exact := slices.Sorted(slices.Values(d))
	uniform := make([]float64, len(d))
	for i := range uniform {
		uniform[i] = 1 / float64(len(d))
	}
	groups := len(q.Nodes) / size
	sum := 0.0
	for g := 0; g < groups; g++ {
		x, w := subset(q, g*size, (g+1)*size).Measure()
		sum += wasserstein1(x, w, exact, uniform)
	}
	return sum / float64(groups)
}

// TestSLQWasserstein: W1 distance between the SLQ measure and the exact
// eigenvalue distribution of known spectra of Dim 1000 (rotated by a Haar
// Q), with the two sources of error separated.
//
// "vectors": ten eigenvalues 0..9, each of multiplicity 100. Each probe's
// Krylov space has dimension 10, so 12 steps exhaust it and its Gauss rule
// is exact: nodes 0..9 with weights ||P_k v||^2 (mean 0.1, sd about
// sqrt(2 * 100)/1000 = 0.014). Only the sampling error is left, and it
// averages like 1/sqrt(vectors): W1 (mean over disjoint groups of one run of
// 64) must fall at every step and by at least 4x from 1 to 64 vectors
// (ideal 8x; measured 0.155, 0.077, 0.047, 0.017).
//
// "steps": a bulk uniform on [0, 1] and five outliers at 2..4. For large
// Dim every probe's spectral measure is nearly the same, so the nodes of
// different probes nearly coincide and the Gauss rule's discreteness (about
// bulk width / bulk nodes) does not average out over vectors: with 16
// vectors W1 must fall as Steps grows 10, 20, 40, 80 (measured 0.050,
// 0.020, 0.010, 0.008: ~1/Steps until the sampling error of 16 vectors,
// about 0.022/4, takes over), and be below 0.012 at 80 steps.
func TestSLQWasserstein(t *testing.T) {
	b := enginetest.Open(t)
	t.Run("vectors", func(t *testing.T) {
		n := 1000
		r := rand.New(rand.NewPCG(31, 32))
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(i / 100)
		}
		op := spectralOp(t, b, orthogonal(r, n), d)
		q, err := SLQ(b, op, SLQOptions{Vectors: 64, Steps: 12, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		for v := range q.Nodes {
			if len(q.Nodes[v]) != 10 {
				t.Fatalf("vector %d: %d nodes; want 10 (Krylov space exhausted)", v, len(q.Nodes[v]))
			}
		}
		var w1s []float64
		for _, size := range []int{1, 4, 16, 64} {
			w1 := groupW1(q, d, size)
			t.Logf("%2d vectors: mean W1 %.5f over %d groups", size, w1, 64/size)
			if len(w1s) > 0 && w1 >= w1s[len(w1s)-1] {
				t.Errorf("%d vectors: W1 %.5f did not fall", size, w1)
			}
			w1s = append(w1s, w1)
		}
		if w1s[0] < 4*w1s[3] {
			t.Errorf("W1 fell only from %.5f to %.5f from 1 to 64 vectors; want 4x", w1s[0], w1s[3])
		}
	})
	t.Run("steps", func(t *testing.T) {
		op, d := knownSpectrum1000(t, b)
		prev := math.Inf(1)
		for _, steps := range []int{10, 20, 40, 80} {
			q, err := SLQ(b, op, SLQOptions{Vectors: 16, Steps: steps, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			w1 := groupW1(q, d, 16)
			t.Logf("%2d steps: W1 %.5f with 16 vectors (1 vector: %.5f)", steps, w1, groupW1(q, d, 1))
			if w1 >= prev {
				t.Errorf("%d steps: W1 %.5f did not fall", steps, w1)
			}
			prev = w1
		}
		if prev > 0.012 {
			t.Errorf("W1 at 80 steps %.5f > 0.012", prev)
		}
	})
}

// TestSLQDensityNormalised: the smoothed density integrates to 1 by the
// trapezoid rule on a grid reaching 10 sigma beyond the nodes with spacing
// sigma/20 (the trapezoid rule on a Gaussian at that spacing is exact to far
// below 1e-6, and the tails beyond 10 sigma hold 1.5e-23), and the reported
// inside fraction is 1 to 1e-12; on a grid cut at the middle of the
// bulk the inside fraction (about 0.5) matches the trapezoid integral to
// 1e-5 (there the trapezoid rule has an end error h^2/12 |rho'| ~ 2e-6,
// the density being cut where it is steep on the scale sigma).
func TestSLQDensityNormalised(t *testing.T) {
	b := enginetest.Open(t)
	op, _ := knownSpectrum1000(t, b)
	q, err := SLQ(b, op, SLQOptions{Vectors: 4, Steps: 30, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for v, w := range q.Weights {
		s := 0.0
		for _, x := range w {
			s += x
		}
		if !(math.Abs(s-1) <= 1e-14) {
			t.Errorf("vector %d: weights sum to 1 %+.2e", v, s-1)
		}
		if !slices.IsSorted(q.Nodes[v]) {
			t.Errorf("vector %d: nodes not ascending", v)
		}
	}
	sigma := 0.02
	grid, err := DefaultGrid(q, 1+int(4.4/(sigma/20)), 10*sigma)
	if err != nil {
		t.Fatal(err)
	}
	rho, inside, err := q.Density(grid, sigma)
	if err != nil {
		t.Fatal(err)
	}
	if got := trapezoid(grid, rho); !(math.Abs(got-1) <= 1e-6) {
		t.Errorf("trapezoid integral %.9f; want 1 to 1e-6", got)
	}
	if !(math.Abs(inside-1) <= 1e-12) {
		t.Errorf("inside fraction %.15f; want 1", inside)
	}
	var cut []float64
	for _, x := range grid {
		if x <= 0.5 {
			cut = append(cut, x)
		}
	}
	rho, inside, err = q.Density(cut, sigma)
	if err != nil {
		t.Fatal(err)
	}
	if got := trapezoid(cut, rho); !(math.Abs(got-inside) <= 1e-5) || inside > 0.7 || inside < 0.3 {
		t.Errorf("grid cut at 0.5: trapezoid %.9f, inside %.9f; want equal to 1e-5 and about 0.5", got, inside)
	}
}

func trapezoid(x, y []float64) float64 {
	s := 0.0
	for i := 1; i < len(x); i++ {
		s += 0.5 * (x[i] - x[i-1]) * (y[i] + y[i-1])
	}
	return s
}

// TestSLQGaussRule: for each vector the quadrature is the Gauss rule of its
// spectral measure, exact for polynomials of degree < 2 Steps: sum w x^k =
// v^T A^k v for k = 0..3, with v regenerated here and the moments computed
// by explicit products (agreement to 1e-12 relative, rounding only). And
// Dim * Integrate(x) equals Hutchinson's Trace with the same seed (the same
// vectors, scaled by sqrt(Dim)) to 1e-12.
func TestSLQGaussRule(t *testing.T) {
	b := enginetest.Open(t)
	n := 300
	a := goe(rand.New(rand.NewPCG(2, 3)), n)
	for i := 0; i < n; i++ {
		a[i*n+i] += 3 // positive definite
	}
	op := denseOp(t, b, a, n)
	const seed = 17
	q, err := SLQ(b, op, SLQOptions{Vectors: 3, Steps: 8, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	sc := engine.NewScope(b)
	defer sc.Close()
	v, av, aav := sc.Alloc(n), sc.Alloc(n), sc.Alloc(n)
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for k := range q.Nodes {
		if err := fillRademacher(b, v, av, seed, uint64(k)); err != nil {
			t.Fatal(err)
		}
		b.Scal(n, 1/math.Sqrt(float64(n)), v, 1)
		op.Apply(v, av)
		op.Apply(av, aav)
		m1, _ := b.Dot(n, v, 1, av, 1)
		m2, _ := b.Dot(n, av, 1, av, 1)
		m3, _ := b.Dot(n, av, 1, aav, 1)
		for p, want := range []float64{1, m1, m2, m3} {
			got := 0.0
			for i, x := range q.Nodes[k] {
				got += q.Weights[k][i] * math.Pow(x, float64(p))
			}
			if !(math.Abs(got-want) <= 1e-12*math.Abs(want)) {
				t.Errorf("vector %d, moment %d: quadrature %.15g, v^T A^k v %.15g", k, p, got, want)
			}
		}
	}
	tr, err := Trace(b, op, TraceOptions{Samples: 3, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if got := float64(n) * q.Integrate(func(x float64) float64 { return x }); !(math.Abs(got-tr.Value) <= 1e-12*math.Abs(tr.Value)) {
		t.Errorf("Dim * Integrate(x) = %.15g; Trace = %.15g", got, tr.Value)
	}
}

// TestSLQExhausted: diag(d) with three distinct values. A Rademacher vector
// (entries +-1/sqrt(Dim)) puts weight (multiplicity)/Dim on each distinct
// value exactly, and its Krylov space has dimension 3, so every vector
// stops after 3 steps with exactly those nodes and weights (to 1e-13).
// Steps > Dim is capped, not an error.
func TestSLQExhausted(t *testing.T) {
	b := enginetest.Open(t)
	d := []float64{1, 1, 2, 2, 2, 5, 5, 5, 5, 5}
	q, err := SLQ(b, diagOp(t, b, d), SLQOptions{Vectors: 5, Steps: 50, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	wantX, wantW := []float64{1, 2, 5}, []float64{0.2, 0.3, 0.5}
	for v := range q.Nodes {
		if len(q.Nodes[v]) != 3 {
			t.Fatalf("vector %d: %d nodes %v; want 3", v, len(q.Nodes[v]), q.Nodes[v])
		}
		for i := range wantX {
			if !(math.Abs(q.Nodes[v][i]-wantX[i]) <= 1e-13) || !(math.Abs(q.Weights[v][i]-wantW[i]) <= 1e-13) {
				t.Errorf("vector %d, node %d: (%.15g, %.15g); want (%g, %g)", v, i, q.Nodes[v][i], q.Weights[v][i], wantX[i], wantW[i])
			}
		}
	}
	if q.MatVecs > 5*4 {
		t.Errorf("%d products; want at most 4 per vector", q.MatVecs)
	}
	// Dim 1: one step, one node.
	q, err = SLQ(b, diagOp(t, b, []float64{-3}), SLQOptions{Vectors: 2, Steps: 5})
	if err != nil || len(q.Nodes[0]) != 1 || q.Nodes[0][0] != -3 || q.Weights[0][0] != 1 {
		t.Errorf("Dim 1: %+v, %v", q, err)
	}
}

// TestSLQRepeatable: same seed, same bits; the probe vectors are exactly
// +-1/sqrt(Dim) with the signs of the Philox normals.
func TestSLQRepeatable(t *testing.T) {
	b := enginetest.Open(t)
	op, _ := knownSpectrum1000(t, b)
	opt := SLQOptions{Vectors: 3, Steps: 15, Seed: 99}
	q1, err := SLQ(b, op, opt)
	if err != nil {
		t.Fatal(err)
	}
	q2, _ := SLQ(b, op, opt)
	for v := range q1.Nodes {
		if !bitsEqual(q1.Nodes[v], q2.Nodes[v]) || !bitsEqual(q1.Weights[v], q2.Weights[v]) {
			t.Errorf("vector %d differs between runs", v)
		}
	}
	opt.Seed = 100
	q3, _ := SLQ(b, op, opt)
	if bitsEqual(q1.Nodes[0], q3.Nodes[0]) {
		t.Error("another seed gave the same nodes")
	}
}

// TestDensityAndGridErrors: bad arguments are errors.
func TestDensityAndGridErrors(t *testing.T) {
	q := Quadrature{Dim: 2, Nodes: [][]float64{{1, 2}}, Weights: [][]float64{{0.5, 0.5}}}
	for _, c := range []struct {
		grid  []float64
		sigma float64
		want  string
	}{
		{[]float64{0, 1}, 0, "sigma"},
		{[]float64{0, 1}, math.NaN(), "sigma"},
		{[]float64{0, 1}, math.Inf(1), "sigma"},
		{nil, 1, "empty grid"},
		{[]float64{1, 0}, 1, "ascending"},
		{[]float64{0, math.NaN()}, 1, "ascending"},
	} {
		if _, _, err := q.Density(c.grid, c.sigma); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Density(%v, %v): %v; want %q", c.grid, c.sigma, err, c.want)
		}
	}
	if _, _, err := (Quadrature{}).Density([]float64{0}, 1); err == nil {
		t.Error("empty quadrature: no error")
	}
	if !math.IsNaN((Quadrature{}).Integrate(math.Exp)) {
		t.Error("Integrate of an empty quadrature is not NaN")
	}
	if _, err := DefaultGrid(q, 1, 0); err == nil {
		t.Error("DefaultGrid with 1 point: no error")
	}
	if _, err := DefaultGrid(q, 10, -1); err == nil {
		t.Error("DefaultGrid with negative pad: no error")
	}
	if _, err := DefaultGrid(Quadrature{}, 10, 1); err == nil {
		t.Error("DefaultGrid of an empty quadrature: no error")
	}
	g, err := DefaultGrid(q, 3, 0.5)
	if err != nil || !slices.Equal(g, []float64{0.5, 1.5, 2.5}) {
		t.Errorf("DefaultGrid = %v, %v; want [0.5 1.5 2.5]", g, err)
	}
}

// TestSLQErrors: bad options are errors, never panics.
func TestSLQErrors(t *testing.T) {
	b := enginetest.Open(t)
	op := diagOp(t, b, []float64{1, 2, 3})
	for _, c := range []struct {
		op   Operator
		opt  SLQOptions
		want string
	}{
		{op, SLQOptions{Vectors: 0, Steps: 3}, "probe vectors"},
		{op, SLQOptions{Vectors: 1, Steps: 0}, "Lanczos steps"},
		{Operator{Dim: -1, Apply: op.Apply}, SLQOptions{Vectors: 1, Steps: 1}, "dimension -1"},
		{Operator{Dim: 3, Apply: func(x, y engine.Buffer) error { return b.Fill(y, math.Inf(1)) }}, SLQOptions{Vectors: 1, Steps: 2}, "non-finite"},
	} {
		if _, err := SLQ(b, c.op, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.opt, err, c.want)
		}
	}
	if _, err := SLQ(nil, op, SLQOptions{Vectors: 1, Steps: 1}); err == nil {
		t.Error("nil backend: no error")
	}
}
