package spinglass

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine/rng"
)

// randomPoint returns a point of the product of spheres from Philox normals
// of a stream the models do not use.
func randomPoint(dims []int, seed uint64) []float64 {
	g := newSpheres(dims)
	x := make([]float64, g.d)
	for i := range x {
		x[i] = rng.Normal(seed, 99, uint64(i))
	}
	g.normalize(x)
	return x
}

// randomTangent returns a tangent vector at x (blockwise projected normals).
func randomTangent(dims []int, x []float64, seed uint64) []float64 {
	g := newSpheres(dims)
	xi := make([]float64, g.d)
	for i := range xi {
		xi[i] = rng.Normal(seed, 98, uint64(i))
	}
	return g.riemGradient(x, xi) // P xi
}

// geodesic returns the point at time t of the geodesic of the product of
// spheres through x with velocity xi: block l is cos(a t) w + sin(a t) xi/a,
// a = |xi_l| / sqrt(n_l).
func geodesic(dims []int, x, xi []float64, t float64) []float64 {
	g := newSpheres(dims)
	y := make([]float64, g.d)
	for l, n := range dims {
		w, v, o := g.block(x, l), g.block(xi, l), g.block(y, l)
		var s float64
		for _, a := range v {
			s += a * a
		}
		a := math.Sqrt(s / float64(n))
		for i := range w {
			if a == 0 {
				o[i] = w[i]
				continue
			}
			o[i] = math.Cos(a*t)*w[i] + math.Sin(a*t)*v[i]/a
		}
	}
	return y
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func quad(h []float64, x []float64) float64 {
	d := len(x)
	var s float64
	for i := range d {
		for j := range d {
			s += x[i] * h[i*d+j] * x[j]
		}
	}
	return s
}

// denseEigen returns the eigenvalues of a symmetric d x d row-major matrix.
func denseEigen(t *testing.T, a []float64, d int) []float64 {
	t.Helper()
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(d, append([]float64(nil), a...)), false) {
		t.Fatal("eigen-decomposition failed")
	}
	return es.Values(nil)
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / max(1, math.Abs(want))
}
