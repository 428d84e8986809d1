package spinglass

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestExpectedCriticalExact checks the finite-N Kac-Rice evaluation
// against counts that hold exactly at every N. For p = 2 the Hamiltonian
// is a quadratic form N^{-1/2} s^T J s on the sphere: its critical points
// are the 2N points +-v_k on the eigenvectors of the symmetric part of J,
// two of each index k, so E Crt_{N,k} = 2 for every k. Tolerance: 4
// Monte Carlo standard errors (4000 GOE draws; 2-3% relative), so a wrong
// constant in the prefactor or the energy's weight (a factor of 2, sqrt(2)
// or pi) fails by many standard errors. For p = 3 the index law must be
// mirror-symmetric (H(-s) = -H(s) maps index k to N-1-k).
func TestExpectedCriticalExact(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{3, 6} {
		r, err := ExpectedCritical(ctx, 2, n, KacRiceOptions{Samples: 4000, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range r.Index {
			if !(math.Abs(v-2) <= 4*r.StdErr[k]) {
				t.Errorf("p=2 N=%d: E Crt_%d = %.4f +- %.4f, want 2", n, k, v, r.StdErr[k])
			}
		}
		if !(math.Abs(r.Total-float64(2*n)) <= 4*r.TotalStdErr) {
			t.Errorf("p=2 N=%d: E Crt = %.4f +- %.4f, want %d", n, r.Total, r.TotalStdErr, 2*n)
		}
	}
	for _, n := range []int{4, 5} {
		r, err := ExpectedCritical(ctx, 3, n, KacRiceOptions{Samples: 4000, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < n/2; k++ {
			if d := r.Index[k] - r.Index[n-1-k]; !(math.Abs(d) <= 4*math.Hypot(r.StdErr[k], r.StdErr[n-1-k])) {
				t.Errorf("p=3 N=%d: E Crt_%d = %.4f, E Crt_%d = %.4f; want equal (mirror)", n, k, r.Index[k], n-1-k, r.Index[n-1-k])
			}
		}
	}
}

// TestExpectedCriticalABCForm: Auffinger, Ben Arous and Cerny (CPAM 2013)
// turn the same Kac-Rice integral into an expectation over a GOE of size
// N, with E M_ij^2 = (1 + delta_ij) / (2N) and lambda_0 <= lambda_1 <= ...
// its eigenvalues:
//
//	E Crt_{N,k}(B) = 2 sqrt(2/p) (p-1)^{N/2}
//	    E[exp(-N (p-2) lambda_k^2 / (2p)) 1{lambda_k in sqrt(p / (2(p-1))) B}].
//
// No energy integral and another matrix size: an independent evaluation
// (drawn here with math/rand and gonum, not Philox), whose constants
// differ from ExpectedCritical's at every step. At p = 3, N = 4 and 5, for
// every index, over the whole line and below u = -1.2, the two agree
// within 4 combined standard errors (the ABC form's are several times
// smaller: no energy to integrate). Observed: within 2.2 (`go test -run ABCForm -v`).
func TestExpectedCriticalABCForm(t *testing.T) {
	const p = 3
	for _, n := range []int{4, 5} {
		for _, hi := range []float64{0, -1.2} {
			opt := KacRiceOptions{Samples: 4000, Seed: 5}
			if hi != 0 {
				opt.ULo, opt.UHi = -100, hi
			}
			r, err := ExpectedCritical(context.Background(), p, n, opt)
			if err != nil {
				t.Fatal(err)
			}
			mean, se := abcForm(p, n, hi, 20000, uint64(n))
			for k := range n {
				t.Logf("N=%d u <= %v index %d: ExpectedCritical %.4f +- %.4f, ABC's form %.4f +- %.4f", n, hi, k, r.Index[k], r.StdErr[k], mean[k], se[k])
				if d := r.Index[k] - mean[k]; !(math.Abs(d) <= 4*math.Hypot(r.StdErr[k], se[k])) {
					t.Errorf("N=%d u <= %v index %d: ExpectedCritical %.4f +- %.4f, ABC's form %.4f +- %.4f", n, hi, k, r.Index[k], r.StdErr[k], mean[k], se[k])
				}
			}
		}
	}
}

// abcForm evaluates ABC's GOE-of-size-N form of E Crt_{N,k}(-inf, hi] (the
// whole line for hi = 0) by Monte Carlo over draws GOE matrices, returning
// the means and standard errors for k = 0..n-1.
func abcForm(p, n int, hi float64, draws int, seed uint64) (mean, se []float64) {
	r := rand.New(rand.NewPCG(seed, 1234))
	pf, nf := float64(p), float64(n)
	pre := 2 * math.Sqrt(2/pf) * math.Pow(pf-1, nf/2)
	scale := math.Sqrt(pf / (2 * (pf - 1)))
	m := mat.NewSymDense(n, nil)
	var eig mat.EigenSym
	sum, sq := make([]float64, n), make([]float64, n)
	for range draws {
		for i := range n {
			m.SetSym(i, i, r.NormFloat64()/math.Sqrt(nf))
			for j := i + 1; j < n; j++ {
				m.SetSym(i, j, r.NormFloat64()/math.Sqrt(2*nf))
			}
		}
		eig.Factorize(m, false)
		lam := eig.Values(nil)
		for k, l := range lam {
			v := 0.0
			if hi == 0 || l <= scale*hi {
				v = pre * math.Exp(-nf*(pf-2)*l*l/(2*pf))
			}
			sum[k] += v
			sq[k] += v * v
		}
	}
	mean, se = make([]float64, n), make([]float64, n)
	for k := range n {
		mean[k] = sum[k] / float64(draws)
		se[k] = math.Sqrt((sq[k]/float64(draws) - mean[k]*mean[k]) / float64(draws-1))
	}
	return mean, se
}

// TestPSpinCountsByIndex: the census's counts of critical points by
// index and energy follow the Kac-Rice expectation at the same N. At
// p = 3, N = 5 a census finds every critical point of an instance: it is
// run with more starts until the points (up to sign: real eigenvectors of
// the coupling tensor, of the parity of the 2^N - 1 complex ones) are odd
// in number and satisfy Morse's sum (-1)^k = 1 (Euler characteristic of
// S^4, half of it per mirror pair). Over 40 instances the mean count of
// each index, among energies u <= -1.2 (where the minima of the
// complexity curve Theta_0 live) and u > -1.2, must agree with
// ExpectedCritical within 3.5 combined standard errors (the census's from
// the spread over instances, 39 degrees of freedom: a two-sided 0.1%
// level per comparison). Observed: within 1.0 (`go test -run CountsByIndex -v`).
func TestPSpinCountsByIndex(t *testing.T) {
	b := enginetest.Open(t)
	const n, instances, cut = 5, 40, -1.2
	// count[w][k][s]: instance s's points of index k in window w (0: u <=
	// cut, 1: u > cut), each reported point with its mirror (-u, N-1-k).
	var count [2][n][instances]float64
	for s := range instances {
		m, err := NewPSpin(b, 3, n, uint64(s+1))
		if err != nil {
			t.Fatal(err)
		}
		var c Census
		complete := false
		for _, starts := range []int{300, 1200, 4800} {
			if c, err = m.Census(CensusOptions{MinimaStarts: 20, SaddleStarts: starts, Seed: uint64(s + 1)}); err != nil {
				t.Fatal(err)
			}
			if complete = morse(c) == 1 && len(c.Points)%2 == 1; complete {
				break
			}
		}
		m.Close()
		if !complete {
			t.Fatalf("instance %d: census with 4800 saddle starts incomplete: %d points, Morse sum %d", s+1, len(c.Points), morse(c))
		}
		window := func(u float64) int {
			if u <= cut {
				return 0
			}
			return 1
		}
		for _, p := range c.Points {
			count[window(p.Energy)][p.Index][s]++
			count[window(-p.Energy)][n-1-p.Index][s]++
		}
	}
	windows := [2][2]float64{{math.Inf(-1), cut}, {cut, math.Inf(1)}}
	for w, win := range windows {
		r, err := ExpectedCritical(context.Background(), 3, n, KacRiceOptions{ULo: math.Max(win[0], -1e3), UHi: math.Min(win[1], 1e3), Samples: 4000, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		for k := range n {
			var mean, sq float64
			for _, v := range count[w][k] {
				mean += v
				sq += v * v
			}
			mean /= instances
			se := math.Sqrt(math.Max(sq/instances-mean*mean, 0) / (instances - 1))
			tol := 3.5 * math.Hypot(se, r.StdErr[k])
			if r.Index[k] < 0.01 && mean == 0 {
				continue
			}
			t.Logf("u in (%v, %v], index %d: census %.3f +- %.3f per instance, Kac-Rice %.3f +- %.3f (%.2f standard errors)", win[0], win[1], k, mean, se, r.Index[k], r.StdErr[k], (mean-r.Index[k])/math.Hypot(se, r.StdErr[k]))
			if !(math.Abs(mean-r.Index[k]) <= tol) {
				t.Errorf("u in (%v, %v], index %d: census %.3f +- %.3f per instance, Kac-Rice %.3f +- %.3f", win[0], win[1], k, mean, se, r.Index[k], r.StdErr[k])
			}
		}
	}
}

// TestExpectedCriticalLimit: the finite-N expectation approaches ABC's
// complexity, (1/N) log E Crt_{N,0}(-inf, u] -> Theta_0(u), here below
// -E_inf (u = -1.7 at p = 3), where minima need no large deviation of
// the GOE and the draws see them. Laplace's method makes the gap
// Theta_0(u) - (1/N) log E (a log N + b)/N; at N = 50, 100, 200 N times
// the gap is 2.98, 2.96 and 3.30 (200 draws). Asserted: the gap is
// positive, shrinks with N and N times it stays in (1, 5). A wrong exponent (p for p - 1 in the prefactor, a
// wrong variance of the energy or of the Hessian) shifts the limit by
// O(1) and N times the gap by tens to hundreds.
func TestExpectedCriticalLimit(t *testing.T) {
	const p, u = 3, -1.7
	theta := Theta(p, 0, u)
	prev := math.Inf(1)
	for _, n := range []int{50, 100, 200} {
		r, err := ExpectedCritical(context.Background(), p, n, KacRiceOptions{ULo: -10, UHi: u, Samples: 200, Seed: 4, Indices: 1})
		if err != nil {
			t.Fatal(err)
		}
		gap := theta - math.Log(r.Index[0])/float64(n)
		t.Logf("N=%d: Theta_0(%v) - (1/N) log E Crt_0 = %.5f, N times it %.3f", n, u, gap, float64(n)*gap)
		if !(gap > 0 && gap < prev && float64(n)*gap > 1 && float64(n)*gap < 5) {
			t.Errorf("N=%d: Theta_0 - (1/N) log E Crt_0(-inf, %v] = %.5f (N times it %.2f), previous gap %.5f", n, u, gap, float64(n)*gap, prev)
		}
		prev = gap
	}
}

// TestExpectedCriticalErrors: bad arguments are refused with what was wrong.
func TestExpectedCriticalErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		p, n int
		opt  KacRiceOptions
	}{
		{1, 5, KacRiceOptions{}},
		{3, 1, KacRiceOptions{}},
		{3, 2001, KacRiceOptions{}},
		{3, 5, KacRiceOptions{ULo: 1, UHi: 1}},
		{3, 5, KacRiceOptions{ULo: math.NaN(), UHi: 1}},
		{3, 5, KacRiceOptions{Samples: -1}},
		{3, 5, KacRiceOptions{Indices: -1}},
	} {
		if _, err := ExpectedCritical(ctx, c.p, c.n, c.opt); err == nil {
			t.Errorf("p=%d N=%d %+v: no error", c.p, c.n, c.opt)
		}
	}
	// p = 10, N = 400: counts near 1e191, whose squares (for the standard
	// errors) overflow: an error, not NaN standard errors.
	if _, err := ExpectedCritical(ctx, 10, 400, KacRiceOptions{Samples: 2, Seed: 1}); err == nil || !strings.Contains(err.Error(), "overflow") {
		t.Errorf("p=10 N=400: %v; want an overflow error", err)
	}
	// Progress counts the draws.
	var calls, last int
	if _, err := ExpectedCritical(ctx, 3, 3, KacRiceOptions{Samples: 5, Progress: func(done, total int) { calls, last = calls+1, done*10+total }}); err != nil || calls != 5 || last != 55 {
		t.Errorf("progress: %d calls, last %d (%v); want 5 calls ending at 5 of 5", calls, last, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ExpectedCritical(cctx, 3, 5, KacRiceOptions{}); err == nil {
		t.Error("cancelled context: no error")
	}
}
