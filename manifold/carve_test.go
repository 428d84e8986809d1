package manifold

import (
	"math"
	"sort"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/models"
)

// oneLayer returns a one-layer network on the raw input (no activation of
// the input) and its host weights.
func oneLayer(t *testing.T, act string, kind layerkind.Kind, nIn, nOut int, seed uint64) (*models.RandomNetwork, []float64, []float64, []float64, []float64) {
	t.Helper()
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: []int{nIn, nOut}, Act: mustAct(t, act), SigmaW: 1, SigmaB: 0.4, Seed: seed, Kinds: []layerkind.Kind{kind}})
	if err != nil {
		t.Fatal(err)
	}
	par, err := net.HostParams(1)
	if err != nil {
		t.Fatal(err)
	}
	W, bw := par[0], par[1]
	var V, cv []float64
	if kind == layerkind.Product {
		V, cv = par[2], par[3]
	}
	return net, W, bw, V, cv
}

// affineAlong returns, for each output neuron, (alpha, beta) with
// W x(t) + b = alpha + beta t along the line path, and for the circle
// path (c, A, B) with W x(theta) + b = c + A cos theta + B sin theta.
func affineAlong(W, bias []float64, path Path, nIn, nOut int) (c, A, B []float64) {
	x0, x1, xq := make([]float64, nIn), make([]float64, nIn), make([]float64, nIn)
	path.At(0, x0)
	path.At(0.25, xq)
	path.At(0.5, x1)
	c, A, B = make([]float64, nOut), make([]float64, nOut), make([]float64, nOut)
	dot := func(i int, x []float64) float64 {
		s := 0.0
		for j := 0; j < nIn; j++ {
			s += W[i+j*nOut] * x[j]
		}
		return s
	}
	for i := 0; i < nOut; i++ {
		f0, fq, f1 := dot(i, x0), dot(i, xq), dot(i, x1)
		if path.Closed { // x(0) = r u0, x(1/4) = r u1, x(1/2) = -r u0
			c[i], A[i], B[i] = bias[i], f0, fq
		} else { // linear in t: value at 0 and slope from t = 0.5
			c[i], A[i] = bias[i]+f0, 2*(f1-f0)
		}
	}
	return c, A, B
}

// TestCountOneLayerReLU: along a line, the pre-activation of neuron i of a
// one-layer relu network is alpha_i + beta_i t, which changes sign once at
// t_i = -alpha_i/beta_i when 0 < t_i < 1: the pattern changes at the
// distinct t_i (closed form) and the readout G = Beta . relu(h) is linear
// between them, so its sign changes are counted exactly from its values at
// the breakpoints. Each neuron flips at most once, so no change can hide:
// even 2 samples (the end points) plus bisection must find them all. Along
// the circle, c + A cos + B sin changes sign twice when |c| < sqrt(A^2 + B^2).
func TestCountOneLayerReLU(t *testing.T) {
	b := enginetest.Open(t)
	const nIn, nOut = 10, 40
	net, W, bias, _, _ := oneLayer(t, "relu", layerkind.Dense, nIn, nOut, 3)
	beta := NewReadout(nOut, 3).Beta
	line, _ := LinePath(nIn, 1, 5)
	c, A, _ := affineAlong(W, bias, line, nIn, nOut)
	var roots []float64
	for i := range c {
		if r := -c[i] / A[i]; r > 0 && r < 1 {
			roots = append(roots, r)
		}
	}
	sort.Float64s(roots)
	G := func(t float64) float64 {
		s := 0.0
		for i := range c {
			s += beta[i] * math.Max(0, c[i]+A[i]*t)
		}
		return s
	}
	knots := append(append([]float64{0}, roots...), 1)
	wantSigns := 0
	for k := 1; k < len(knots); k++ {
		if (G(knots[k-1]) >= 0) != (G(knots[k]) >= 0) {
			wantSigns++
		}
	}
	for _, S := range []int{1, 2, 1000} {
		got, err := CountAlongPath(b, net, line, CountOptions{Samples: S, Readout: beta})
		if err != nil {
			t.Fatal(err)
		}
		if got.PatternChanges != len(roots) || got.Pieces != len(roots)+1 || got.SignChanges != wantSigns {
			t.Errorf("line, %d samples: %d pattern changes, %d pieces, %d sign changes; want %d, %d, %d", S, got.PatternChanges, got.Pieces, got.SignChanges, len(roots), len(roots)+1, wantSigns)
		}
	}
	circle, _ := CirclePath(nIn, 1, 5)
	c, A, B := affineAlong(W, bias, circle, nIn, nOut)
	want := 0
	for i := range c {
		if math.Abs(c[i]) < math.Hypot(A[i], B[i]) {
			want += 2
		}
	}
	got, err := CountAlongPath(b, net, circle, CountOptions{Samples: 500, Readout: beta})
	if err != nil {
		t.Fatal(err)
	}
	if got.PatternChanges != want || got.Pieces != want || got.SignChanges%2 != 0 {
		t.Errorf("circle: %d pattern changes (%d pieces), %d sign changes; want %d and an even count", got.PatternChanges, got.Pieces, got.SignChanges, want)
	}
}

// TestCountProductQuadratic: a one-layer product network with linear
// activation is a quadratic along a line, G(t) = sum_i beta_i (a_i + b_i t)
// (c_i + d_i t), whose real roots in (0, 1) are the sign changes (closed
// form), and a trigonometric polynomial P + Q cos 2 theta + R sin 2 theta
// along the circle: 4 sign changes when |P| < sqrt(Q^2 + R^2), else 0. A
// smooth activation has no pattern (PatternChanges = Pieces = -1).
func TestCountProductQuadratic(t *testing.T) {
	b := enginetest.Open(t)
	const nIn, nOut = 6, 9
	for seed := uint64(1); seed <= 6; seed++ {
		net, W, bw, V, cv := oneLayer(t, "linear", layerkind.Product, nIn, nOut, seed)
		beta := NewReadout(nOut, seed).Beta
		line, _ := LinePath(nIn, 1, seed)
		a, bb, _ := affineAlong(W, bw, line, nIn, nOut)
		c, d, _ := affineAlong(V, cv, line, nIn, nOut)
		var q2, q1, q0 float64
		for i := range a {
			q2 += beta[i] * bb[i] * d[i]
			q1 += beta[i] * (a[i]*d[i] + bb[i]*c[i])
			q0 += beta[i] * a[i] * c[i]
		}
		want := 0
		if disc := q1*q1 - 4*q2*q0; disc > 0 {
			for _, r := range []float64{(-q1 + math.Sqrt(disc)) / (2 * q2), (-q1 - math.Sqrt(disc)) / (2 * q2)} {
				if r > 0 && r < 1 {
					want++
				}
			}
		}
		got, err := CountAlongPath(b, net, line, CountOptions{Samples: 50, Readout: beta})
		if err != nil {
			t.Fatal(err)
		}
		if got.SignChanges != want || got.PatternChanges != -1 || got.Pieces != -1 {
			t.Errorf("seed %d line: %d sign changes (pattern %d), closed form %d", seed, got.SignChanges, got.PatternChanges, want)
		}
		circle, _ := CirclePath(nIn, 1, seed)
		a, A1, B1 := affineAlong(W, bw, circle, nIn, nOut)
		c, C1, D1 := affineAlong(V, cv, circle, nIn, nOut)
		// (a + A cos + B sin)(c + C cos + D sin) = P + Q cos 2t + R sin 2t + first harmonics
		var P, Q, R, h1c, h1s float64
		for i := range a {
			P += beta[i] * (a[i]*c[i] + (A1[i]*C1[i]+B1[i]*D1[i])/2)
			Q += beta[i] * (A1[i]*C1[i] - B1[i]*D1[i]) / 2
			R += beta[i] * (A1[i]*D1[i] + B1[i]*C1[i]) / 2
			h1c += beta[i] * (a[i]*C1[i] + c[i]*A1[i])
			h1s += beta[i] * (a[i]*D1[i] + c[i]*B1[i])
		}
		// With biases the first harmonic is present: count the roots of
		// the degree-2 trigonometric polynomial by fine sampling of the
		// closed form (1e5 points: its roots are simple and farther apart).
		Gc := func(th float64) float64 {
			return P + Q*math.Cos(2*th) + R*math.Sin(2*th) + h1c*math.Cos(th) + h1s*math.Sin(th)
		}
		wantC := 0
		const M = 100000
		for k := 0; k < M; k++ {
			if (Gc(2*math.Pi*float64(k)/M) >= 0) != (Gc(2*math.Pi*float64(k+1)/M) >= 0) {
				wantC++
			}
		}
		gotC, err := CountAlongPath(b, net, circle, CountOptions{Samples: 64, Readout: beta})
		if err != nil {
			t.Fatal(err)
		}
		if gotC.SignChanges != wantC || wantC > 4 {
			t.Errorf("seed %d circle: %d sign changes, closed form %d (at most 4)", seed, gotC.SignChanges, wantC)
		}
	}
}

// TestCountDeepAgainstDenseSampling: for deeper relu and polynomial product
// networks, the refined count from 200 samples equals plain counting over
// 200,000 samples (an independent brute force at 1000 times the spacing),
// and the product network's sign changes respect the degree bounds: at
// most 2^L along a line (a polynomial of degree 2^L) and 2^(L+1) along the
// circle (a trigonometric polynomial of degree 2^L), even on the circle.
func TestCountDeepAgainstDenseSampling(t *testing.T) {
	b := enginetest.Open(t)
	const N, L = 12, 3
	for _, c := range []struct {
		act  string
		kind layerkind.Kind
	}{{"relu", layerkind.Dense}, {"linear", layerkind.Product}} {
		kinds := make([]layerkind.Kind, L)
		for i := range kinds {
			kinds[i] = c.kind
		}
		net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(N, L), Act: mustAct(t, c.act), SigmaW: 1.4, SigmaB: 0.3, Seed: 7, Kinds: kinds})
		for _, closed := range []bool{false, true} {
			var path Path
			if closed {
				path, _ = CirclePath(N, 1, 2)
			} else {
				path, _ = LinePath(N, 1, 2)
			}
			got, err := CountAlongPath(b, net, path, CountOptions{Samples: 200, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			brute, err := CountAlongPath(b, net, path, CountOptions{Samples: 200000, Resolution: 1, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			if got.PatternChanges != brute.PatternChanges || got.SignChanges != brute.SignChanges {
				t.Errorf("%s closed %v: refined %d pattern / %d sign changes; 200,000 samples %d / %d", c.act, closed, got.PatternChanges, got.SignChanges, brute.PatternChanges, brute.SignChanges)
			}
			if c.kind == layerkind.Product {
				bound := 1 << L
				if closed {
					bound *= 2
				}
				if got.SignChanges > bound || (closed && got.SignChanges%2 != 0) {
					t.Errorf("product closed %v: %d sign changes; degree bound %d (even on a closed path)", closed, got.SignChanges, bound)
				}
			}
			t.Logf("%s closed %v: %d pieces, %d sign changes (%d evaluations)", c.act, closed, got.Pieces, got.SignChanges, got.Evaluations)
		}
	}
}
