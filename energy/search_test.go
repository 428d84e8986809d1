package energy

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// rotatedCos is f(x) = sum_i cos((Q x)_i) in 3 dimensions with a fixed
// rotation Q (from the QR factorisation of a seeded Gaussian matrix). Its
// stationary points are exactly x = Q^T pi m for integer vectors m, with
// Hessian Q^T diag(-cos(pi m_i)) Q: eigenvalues -1 where m_i is even, +1
// where odd, so the index is the number of even m_i, and per period there
// are C(3, k) classes (m mod 2) of index k: 1, 3, 3, 1.
func rotatedCos() (Objective, *mat.Dense) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := mat.NewDense(3, 3, nil)
	for i := range 3 {
		for j := range 3 {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q mat.Dense
	qr.QTo(&q)
	y := make([]float64, 3)
	rot := func(x []float64) {
		for i := range 3 {
			y[i] = 0
			for j := range 3 {
				y[i] += q.At(i, j) * x[j]
			}
		}
	}
	f := func(x, grad []float64) float64 {
		rot(x)
		e := 0.0
		for i := range 3 {
			e += math.Cos(y[i])
		}
		if grad != nil {
			for j := range 3 {
				grad[j] = 0
				for i := range 3 {
					grad[j] -= math.Sin(y[i]) * q.At(i, j)
				}
			}
		}
		return e
	}
	hv := func(x, v, out []float64) {
		rot(x)
		for j := range 3 {
			out[j] = 0
		}
		for i := range 3 {
			qv := 0.0
			for k := range 3 {
				qv += q.At(i, k) * v[k]
			}
			for j := range 3 {
				out[j] -= math.Cos(y[i]) * qv * q.At(i, j)
			}
		}
	}
	return Func{N: 3, F: f, HV: hv}, &q
}

// TestFindStationaryByIndex: from 40 random starts per index k (in a box
// of side 2 pi), the index-k search (Quench for k = 0) ends at a point
// with gradient norm below 1e-8, Hessian index k, Q x / pi within 1e-8 of
// an integer vector with exactly k even entries; and the starts reach
// every one of the C(3, k) classes m mod 2 of index k.
func TestFindStationaryByIndex(t *testing.T) {
	obj, q := rotatedCos()
	rng := rand.New(rand.NewPCG(11, 12))
	for k := 0; k <= 3; k++ {
		classes := map[[3]int]bool{}
		for range 40 {
			x0 := make([]float64, 3)
			for i := range x0 {
				x0[i] = 2 * math.Pi * rng.Float64()
			}
			var p Point
			var err error
			if k == 0 {
				p, err = Quench(obj, x0, QuenchOptions{})
			} else {
				p, err = FindStationary(obj, x0, SearchOptions{Index: k, MaxStep: 0.3})
			}
			if err != nil {
				t.Fatalf("index %d from %v: %v", k, x0, err)
			}
			var m [3]int
			even := 0
			for i := range 3 {
				y := 0.0
				for j := range 3 {
					y += q.At(i, j) * p.X[j]
				}
				mi := math.Round(y / math.Pi)
				if !(math.Abs(y/math.Pi-mi) <= 1e-8) {
					t.Fatalf("index %d: Qx/pi = %v is not an integer vector (point %v)", k, y/math.Pi, p.X)
				}
				m[i] = ((int(mi) % 2) + 2) % 2
				if m[i] == 0 {
					even++
				}
			}
			if p.Index != k || even != k || p.GradNorm > 1e-8 {
				t.Errorf("index %d: found index %d with %d even entries, |g| %.2g", k, p.Index, even, p.GradNorm)
			}
			classes[m] = true
		}
		want := []int{1, 3, 3, 1}[k]
		if len(classes) != want {
			t.Errorf("index %d: %d classes reached, want %d: %v", k, len(classes), want, classes)
		}
	}
}

// TestFiniteHessVec: central differences of Müller-Brown's exact gradient
// against its exact Hessian at points around the surface, within 1e-7
// relative to the Hessian's largest entry (the step 6e-6 leaves an error
// of order h^2 times the third derivative, ~1e-8 relative here).
func TestFiniteHessVec(t *testing.T) {
	fd := Func{N: 2, F: mullerBrown}
	rng := rand.New(rand.NewPCG(5, 6))
	hv := make([]float64, 2)
	for range 50 {
		x := []float64{-1.5 + 2.7*rng.Float64(), -0.5 + 2.5*rng.Float64()}
		v := []float64{rng.NormFloat64(), rng.NormFloat64()}
		fd.HessVec(x, v, hv)
		h := MullerBrownHessian(x)
		scale := math.Max(math.Max(math.Abs(h[0][0]), math.Abs(h[1][1])), math.Abs(h[0][1])) * math.Hypot(v[0], v[1])
		for i := range 2 {
			want := h[i][0]*v[0] + h[i][1]*v[1]
			if !(math.Abs(hv[i]-want) <= 1e-7*scale) {
				t.Errorf("at %v along %v: component %d %.10g, exact %.10g", x, v, i, hv[i], want)
			}
		}
	}
}

// TestLanczosLowest: the 3 lowest eigenpairs of a 300 x 300 symmetric
// matrix with a known spectrum (Q diag(lambda) Q^T, lambda_i = i - 2 for
// i < 3, else 1 + i/300, Q orthogonal) agree with the truth to 1e-8, and
// so do LowestModes' on a quadratic objective above DenseLimit.
func TestLanczosLowest(t *testing.T) {
	const n = 300
	rng := rand.New(rand.NewPCG(8, 9))
	a := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q mat.Dense
	qr.QTo(&q)
	lam := make([]float64, n)
	for i := range lam {
		if i < 3 {
			lam[i] = float64(i) - 2
		} else {
			lam[i] = 1 + float64(i)/n
		}
	}
	var m mat.Dense
	m.Mul(&q, mat.NewDiagDense(n, lam))
	m.Mul(&m, q.T())
	apply := func(v, hv []float64) {
		mat.NewVecDense(n, hv).MulVec(&m, mat.NewVecDense(n, v))
	}
	obj := Func{N: n, F: func(x, g []float64) float64 {
		hx := make([]float64, n)
		apply(x, hx)
		if g != nil {
			copy(g, hx)
		}
		return dot(x, hx) / 2
	}, HV: func(_, v, hv []float64) { apply(v, hv) }}
	vals, vecs, err := LowestModes(obj, make([]float64, n), 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if !(math.Abs(vals[i]-lam[i]) <= 1e-8) {
			t.Errorf("eigenvalue %d: %.12f, want %v", i, vals[i], lam[i])
		}
		// |<u, q_i>| = 1 for the true eigenvector q_i (column i of Q).
		if c := math.Abs(dot(vecs[i], mat.Col(nil, i, &q))); !(math.Abs(c-1) <= 1e-8) {
			t.Errorf("eigenvector %d: overlap %.12f with the truth", i, c)
		}
	}
	if !slices.IsSorted(vals) {
		t.Errorf("eigenvalues not ascending: %v", vals)
	}
}

// TestFindStationaryLanczos: above DenseLimit (230 parameters), where the
// modes come from Lanczos and no Newton polish follows, the index-1
// search on f(x) = sum_i a_i cos(x_i) (a_i drawn in [1, 2]) from x_0 =
// 0.5, the other coordinates within 0.8 of pi, ends at a stationary point
// whose coordinates are all multiples of pi (within 1e-8), exactly one
// of them even (that is the index: cos has its maximum at even
// multiples), gradient norm below 1e-8, energy -sum a_i + 2 a_k to
// 1e-9 relative, and a quench from the same start at every coordinate an
// odd multiple.
func TestFindStationaryLanczos(t *testing.T) {
	const n = 230
	rng := rand.New(rand.NewPCG(1, 2))
	a := make([]float64, n)
	sum := 0.0
	for i := range a {
		a[i] = 1 + rng.Float64()
		sum += a[i]
	}
	obj := Func{N: n, F: func(x, g []float64) float64 {
		e := 0.0
		for i := range x {
			e += a[i] * math.Cos(x[i])
			if g != nil {
				g[i] = -a[i] * math.Sin(x[i])
			}
		}
		return e
	}, HV: func(x, v, hv []float64) {
		for i := range x {
			hv[i] = -a[i] * math.Cos(x[i]) * v[i]
		}
	}}
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = math.Pi + 0.8*(2*rng.Float64()-1)
	}
	x0[0] = 0.5
	check := func(p Point, index int) {
		t.Helper()
		var even []int
		for i, xi := range p.X {
			m := math.Round(xi / math.Pi)
			if !(math.Abs(xi/math.Pi-m) <= 1e-8) {
				t.Fatalf("coordinate %d is %v, not a multiple of pi", i, xi)
			}
			if int(m)%2 == 0 {
				even = append(even, i)
			}
		}
		want := -sum
		for _, i := range even {
			want += 2 * a[i]
		}
		if len(even) != index || p.Index != index || p.GradNorm > 1e-8 || !(math.Abs(p.Energy-want) <= 1e-9*sum) {
			t.Errorf("index %d: even coordinates %v, Hessian index %d, |g| %.2g, energy %.12f (want %.12f)", index, even, p.Index, p.GradNorm, p.Energy, want)
		}
	}
	p, err := FindStationary(obj, x0, SearchOptions{Index: 1, MaxStep: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	check(p, 1)
	q, err := Quench(obj, x0, QuenchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check(q, 0)
}
