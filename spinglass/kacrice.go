package spinglass

import (
	"context"
	"fmt"
	"math"

	gquad "gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/options"
)

// KacRiceStream is the Philox stream of the GOE matrices ExpectedCritical
// draws.
const KacRiceStream uint64 = CouplingStream + 2

// KacRiceOptions configures ExpectedCritical. Zero values take the
// defaults in brackets.
type KacRiceOptions struct {
	// ULo, UHi bound the energy per dimension u = H/N of the points
	// counted, ULo < u <= UHi [the whole line: both zero count all].
	ULo, UHi float64
	// Samples: GOE matrices drawn [2000].
	Samples int
	// Indices: count indices 0..Indices-1 only [all N of them]; Total
	// and Euler then sum those, and the rest of Index is zero.
	Indices int
	// Seed names the draws.
	Seed uint64
	// Progress, when set, is called with (draws done, draws in all).
	Progress options.Progress
}

// KacRice is the expected number of critical points of the spherical
// p-spin, index by index, at a finite N.
type KacRice struct {
	P, N int
	// Index[k] estimates E Crt_{N,k}(ULo, UHi]: the mean number of
	// critical points of index k (on the whole sphere, a point and its
	// mirror counted apart) with energy per dimension in (ULo, UHi];
	// StdErr[k] is its Monte Carlo standard error.
	Index, StdErr []float64
	// Total sums Index; Euler = sum_k (-1)^k Index[k], which is the Euler
	// characteristic of the sphere, 1 + (-1)^(N-1), when the whole line is
	// counted (Morse), up to the sampling error.
	Total, Euler float64
	// TotalStdErr, EulerStdErr are their standard errors.
	TotalStdErr, EulerStdErr float64
	Samples                  int
}

// ExpectedCritical evaluates the Kac-Rice formula for the expected number
// of critical points of the spherical p-spin H (docs/science.md section
// 6) at a finite N, by index and in an energy window. At a point s of the
// sphere |s|^2 = N the Riemannian gradient (N - 1 components of variance
// p), the energy H (variance N) and the Euclidean Hessian on the tangent
// space M (a GOE matrix of size N - 1, off-diagonal variance p(p-1)/N,
// diagonal twice that) are independent, and the Riemannian Hessian is
// M - p u I with u = H/N. Kac-Rice with the sphere's area gives
//
//	E Crt_{N,k}(B) = A_N (2 pi p)^{-(N-1)/2} E_M int_B |det(M - p u I)|
//	                 1{k eigenvalues of M below p u} sqrt(N/(2 pi)) e^{-N u^2/2} du,
//
// A_N = 2 pi^{N/2} N^{(N-1)/2} / Gamma(N/2). This is exact at every N
// (Auffinger, Ben Arous and Cerny 2013 turn it into an expectation over a
// GOE of size N; the complexity curves Theta_k are its large-N limit).
// The u integral is done per drawn matrix between consecutive eigenvalues,
// where the integrand is a polynomial of degree N - 1 times a Gaussian and
// its logarithm is concave: by Gauss-Legendre with N/2 + 20 nodes on
// pieces no wider than the Gaussian's scale N^{-1/2}, out from the mode
// until the integrand is below e^-40 of its peak (logConcave); the
// expectation over M is a Monte Carlo mean over Samples draws, whose
// standard error is reported. Index-k counts whose window needs k
// eigenvalues far outside the semicircle (k >= 1 below -E_inf at large N)
// are large deviations the draws do not see: there the estimate is
// unreliable, and StdErr does not say so. Euler is a difference of counts
// that grow like e^{N Sigma}: at large N it cancels below float64's
// resolution and means nothing. Each draw costs about N^3 / 2 logarithms
// (all indices; Indices cuts it).
func ExpectedCritical(ctx context.Context, p, n int, opt KacRiceOptions) (*KacRice, error) {
	if p < 2 || n < 2 {
		return nil, fmt.Errorf("spinglass: expected critical points: p = %d, N = %d; want p >= 2 and N >= 2", p, n)
	}
	if n > 2000 {
		return nil, fmt.Errorf("spinglass: expected critical points: N = %d; this evaluation handles N <= 2000 (the counts pass float64's range near e^700)", n)
	}
	lo, hi := opt.ULo, opt.UHi
	if lo == 0 && hi == 0 {
		lo, hi = math.Inf(-1), math.Inf(1)
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || !(lo < hi) {
		return nil, fmt.Errorf("spinglass: expected critical points: energy window (%v, %v]; want ULo < UHi", opt.ULo, opt.UHi)
	}
	if opt.Indices < 0 {
		return nil, fmt.Errorf("spinglass: expected critical points: %d indices; want >= 1 (0: all)", opt.Indices)
	}
	if opt.Samples < 0 {
		return nil, fmt.Errorf("spinglass: expected critical points: %d samples; want >= 1 (0: 2000)", opt.Samples)
	}
	samples := opt.Samples
	if samples == 0 {
		samples = 2000
	}
	// Energies beyond 8 (per dimension) weigh less than e^{-32 N} times a
	// polynomial that the Gaussian beats by far at every N here.
	const uMax = 8.0
	lo, hi = math.Max(lo, -uMax), math.Min(hi, uMax)
	d := n - 1
	nf, pf := float64(n), float64(p)
	lgN, _ := math.Lgamma(nf / 2)
	logC := math.Log(2) + nf/2*math.Log(math.Pi) + (nf-1)/2*math.Log(nf) - lgN -
		(nf-1)/2*math.Log(2*math.Pi*pf) + 0.5*math.Log(nf/(2*math.Pi))
	offSD := math.Sqrt(pf * (pf - 1) / nf)
	ig := newLogConcave(n/2+20, 1/math.Sqrt(nf))
	maxK := d
	if opt.Indices > 0 {
		maxK = min(opt.Indices, n) - 1
	}

	sum, sq := make([]float64, n), make([]float64, n)
	var tot, tot2, eul, eul2 float64
	m := mat.NewSymDense(d, nil)
	var eig mat.EigenSym
	lam := make([]float64, d)
	for s := 0; s < samples; s++ {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		base := uint64(s) * uint64(d*d)
		for i := 0; i < d; i++ {
			m.SetSym(i, i, math.Sqrt2*offSD*rng.Normal(opt.Seed, KacRiceStream, base+uint64(i*d+i)))
			for j := i + 1; j < d; j++ {
				m.SetSym(i, j, offSD*rng.Normal(opt.Seed, KacRiceStream, base+uint64(i*d+j)))
			}
		}
		if !eig.Factorize(m, false) {
			return nil, fmt.Errorf("spinglass: expected critical points: eigenvalues of GOE draw %d did not converge", s)
		}
		eig.Values(lam)
		// Index k holds for p u between the k-th and (k+1)-th eigenvalues.
		logf := func(u float64) float64 {
			l := -nf * u * u / 2
			for _, e := range lam {
				l += math.Log(math.Abs(e - pf*u))
			}
			return l
		}
		var st, se float64
		for k := 0; k <= maxK; k++ {
			a, b := lo, hi
			if k > 0 {
				a = math.Max(a, lam[k-1]/pf)
			}
			if k < d {
				b = math.Min(b, lam[k]/pf)
			}
			v := 0.0
			if a < b {
				v = math.Exp(logC + ig.logIntegral(a, b, logf))
			}
			sum[k] += v
			sq[k] += v * v
			st += v
			if k%2 == 0 {
				se += v
			} else {
				se -= v
			}
		}
		tot, tot2, eul, eul2 = tot+st, tot2+st*st, eul+se, eul2+se*se
		if opt.Progress != nil {
			opt.Progress(s+1, samples)
		}
	}
	r := &KacRice{P: p, N: n, Index: make([]float64, n), StdErr: make([]float64, n), Samples: samples}
	sn := float64(samples)
	meanSE := func(s, s2 float64) (float64, float64) {
		mean := s / sn
		if samples < 2 {
			return mean, 0
		}
		return mean, math.Sqrt(math.Max(s2/sn-mean*mean, 0) / (sn - 1))
	}
	for k := range r.Index {
		r.Index[k], r.StdErr[k] = meanSE(sum[k], sq[k])
	}
	r.Total, r.TotalStdErr = meanSE(tot, tot2)
	r.Euler, r.EulerStdErr = meanSE(eul, eul2)
	// The standard errors square the per-draw counts: past about 1e154
	// they overflow though the counts do not.
	finite := func(x float64) bool { return !math.IsInf(x, 0) && !math.IsNaN(x) }
	ok := finite(r.Total) && finite(r.TotalStdErr) && finite(r.EulerStdErr)
	for _, e := range r.StdErr {
		ok = ok && finite(e)
	}
	if !ok {
		return nil, fmt.Errorf("spinglass: expected critical points: p = %d, N = %d: the counts (%.3g) or their squares overflow float64; use a smaller N", p, n, r.Total)
	}
	return r, nil
}

// logConcave integrates exp(logf) over an interval on which logf is
// concave (here: between consecutive eigenvalues, a sum of logarithms of
// linear functions and a downward parabola), in pieces of width at most
// width, each by Gauss-Legendre. On a long interval it finds the mode by
// ternary search and walks out from it both ways until a piece's largest
// value falls 40 below the mode's (e^-40 of it: below rounding).
type logConcave struct {
	x, w, vals []float64 // nodes, weights and scratch for the values
	width      float64
}

func newLogConcave(nodes int, width float64) *logConcave {
	g := &logConcave{x: make([]float64, nodes), w: make([]float64, nodes), vals: make([]float64, nodes), width: width}
	gquad.Legendre{}.FixedLocations(g.x, g.w, -1, 1)
	return g
}

// piece returns log int_a^b exp(logf) and the largest logf at the nodes.
func (g *logConcave) piece(a, b float64, logf func(float64) float64) (logInt, top float64) {
	h, c := (b-a)/2, (b+a)/2
	top = math.Inf(-1)
	vals := g.vals
	for i, t := range g.x {
		vals[i] = logf(c + h*t)
		top = math.Max(top, vals[i])
	}
	if math.IsInf(top, -1) {
		return top, top
	}
	s := 0.0
	for i, v := range vals {
		s += g.w[i] * math.Exp(v-top)
	}
	return top + math.Log(h*s), top
}

// logIntegral returns log int_a^b exp(logf(u)) du (-Inf when it is 0).
func (g *logConcave) logIntegral(a, b float64, logf func(float64) float64) float64 {
	if b-a <= g.width {
		l, _ := g.piece(a, b, logf)
		return l
	}
	lo, hi := a, b
	for range 100 {
		m1, m2 := lo+(hi-lo)/3, hi-(hi-lo)/3
		if logf(m1) < logf(m2) {
			lo = m1
		} else {
			hi = m2
		}
	}
	mode := (lo + hi) / 2
	peak := logf(mode)
	total := math.Inf(-1)
	add := func(l float64) {
		if l > total {
			total, l = l, total
		}
		if !math.IsInf(l, -1) {
			total += math.Log1p(math.Exp(l - total))
		}
	}
	for u := mode; u < b; u += g.width {
		l, top := g.piece(u, math.Min(u+g.width, b), logf)
		add(l)
		if top < peak-40 {
			break
		}
	}
	for u := mode; u > a; u -= g.width {
		l, top := g.piece(math.Max(u-g.width, a), u, logf)
		add(l)
		if top < peak-40 {
			break
		}
	}
	return total
}
