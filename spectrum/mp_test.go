package spectrum

import (
	"math"
	"strconv"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// wishartOp is A = X^T X / n for an n x p matrix X of Philox normals on the
// backend, applied as two Gemvs without forming A.
func wishartOp(t testing.TB, b engine.Backend, n, p int, seed uint64) Operator {
	sc := engine.NewScope(b)
	t.Cleanup(func() { sc.Close() })
	x, tmp := sc.Alloc(n*p), sc.Alloc(n)
	if err := sc.FillNormal(x, seed, 0, 0, 1); err != nil {
		t.Fatal(err)
	}
	return Operator{Dim: p, Apply: func(v, y engine.Buffer) error {
		if err := b.Gemv(engine.NoTrans, n, p, 1, x, n, v, 1, 0, tmp, 1); err != nil {
			return err
		}
		return b.Gemv(engine.Trans, n, p, 1/float64(n), x, n, tmp, 1, 0, y, 1)
	}}
}

// mpEdges returns l- and l+ = (1 -+ sqrt g)^2.
func mpEdges(g float64) (float64, float64) {
	return (1 - math.Sqrt(g)) * (1 - math.Sqrt(g)), (1 + math.Sqrt(g)) * (1 + math.Sqrt(g))
}

// mpDensity is the Marchenko-Pastur density sqrt((l+ - x)(x - l-))/(2 pi g x)
// (g <= 1).
func mpDensity(x, g float64) float64 {
	lo, hi := mpEdges(g)
	if x <= lo || x >= hi {
		return 0
	}
	return math.Sqrt((hi-x)*(x-lo)) / (2 * math.Pi * g * x)
}

// mpSmoothed is the MP density convolved with a Gaussian of width sigma, by
// the substitution x = l- + (l+ - l-)(1 - cos phi)/2, which turns the square
// root edges into a smooth periodic integrand (midpoint rule, 4000 points:
// error far below 1e-6).
func mpSmoothed(x, g, sigma float64) float64 {
	lo, hi := mpEdges(g)
	h := (hi - lo) / 2
	const m = 4000
	s := 0.0
	for k := 0; k < m; k++ {
		phi := math.Pi * (float64(k) + 0.5) / m
		t := lo + h*(1-math.Cos(phi))
		sin := math.Sin(phi)
		rho := h * h * sin * sin / (2 * math.Pi * g * t) // rho(t) dt/dphi
		z := (x - t) / sigma
		s += rho * math.Exp(-0.5*z*z)
	}
	return s * (math.Pi / m) / (sigma * math.Sqrt(2*math.Pi))
}

// TestMarchenkoPastur: the Wishart operator X^T X / n, X n x p Gaussian,
// p = 1000 and g = p/n = 0.25, 0.5.
//
// Density: SLQ (16 vectors, 40 steps) smoothed with sigma = 0.05 against the
// MP density smoothed with the same Gaussian, L1 distance on a grid over the
// whole smoothed support. The tolerance is the sum of
//
//   - finite size: the empirical spectrum of one p x p Wishart matrix is
//     rigid, its smoothed density within O(1/(p sigma)) = 0.02 of MP (the
//     exact eigenvalues of these matrices, by a dense solver, measured 0.005
//     and 0.010);
//   - SLQ sampling: the weights (u_i.v)^2 have variance about 2/p^2, so the
//     smoothed density has variance rho_{sigma/sqrt2}(x)/(p V sqrt(pi)
//     sigma) for V vectors and E L1 = sqrt(2/pi) int sd(x) dx (0.030 and
//     0.034, computed below); twice that is allowed.
//
// The Gauss rule itself is converged at 40 steps for this sigma (80 steps
// changed L1 by < 2%). Measured L1: 0.025 (g = 0.25) and 0.050 (g = 0.5)
// against tolerances 0.079 and 0.089. The L1 distance to the unsmoothed MP
// density is logged.
//
// Edges: Lanczos's largest and smallest eigenvalues against l+ and l-. The
// fluctuations are Tracy-Widom on the scales (Johnstone 2001; Ma 2012)
// s+ = (sqrt n + sqrt p)(1/sqrt n + 1/sqrt p)^{1/3}/n and
// s- = (sqrt n - sqrt p)(1/sqrt p - 1/sqrt n)^{1/3}/n (0.014 and 0.0014
// at g = 0.5), with TW1 mean -1.2 and sd 1.3 in those units; the tolerance
// is 8 s, more than 5 sd from the mean either way.
func TestMarchenkoPastur(t *testing.T) {
	b := enginetest.Open(t)
	p := 1000
	for _, g := range []float64{0.25, 0.5} {
		n := int(float64(p) / g)
		t.Run("g="+strconv.FormatFloat(g, 'g', -1, 64), func(t *testing.T) {
			op := wishartOp(t, b, n, p, 7)
			const vectors = 16
			lo, hi := mpEdges(g)
			q, err := SLQ(b, op, SLQOptions{Vectors: vectors, Steps: 40, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			const sigma = 0.05
			grid := make([]float64, 2001)
			a, z := lo-6*sigma, hi+6*sigma
			for i := range grid {
				grid[i] = a + (z-a)*float64(i)/float64(len(grid)-1)
			}
			rho, inside, err := q.Density(grid, sigma)
			if err != nil {
				t.Fatal(err)
			}
			diff, diffRaw, sd := make([]float64, len(grid)), make([]float64, len(grid)), make([]float64, len(grid))
			for i, x := range grid {
				diff[i] = math.Abs(rho[i] - mpSmoothed(x, g, sigma))
				diffRaw[i] = math.Abs(rho[i] - mpDensity(x, g))
				sd[i] = math.Sqrt(2 / math.Pi * mpSmoothed(x, g, sigma/math.Sqrt2) / (float64(p*vectors) * math.Sqrt(math.Pi) * sigma))
			}
			l1, l1Raw := trapezoid(grid, diff), trapezoid(grid, diffRaw)
			tol := 1/(float64(p)*sigma) + 2*trapezoid(grid, sd)
			t.Logf("n %d p %d: L1(SLQ, MP smoothed) %.4f (tolerance %.3f), L1(SLQ, MP) %.4f, SLQ mass inside grid %.6f", n, p, l1, tol, l1Raw, inside)
			if l1 > tol {
				t.Errorf("L1 distance to the smoothed MP density %.4f > %.3f", l1, tol)
			}
			if inside < 1-1e-6 {
				t.Errorf("only %.6f of the SLQ mass inside [l- - 6 sigma, l+ + 6 sigma]", inside)
			}

			sn, sp := math.Sqrt(float64(n)), math.Sqrt(float64(p))
			sPlus := (sn + sp) * math.Cbrt(1/sn+1/sp) / float64(n)
			sMinus := (sn - sp) * math.Cbrt(1/sp-1/sn) / float64(n)
			top, err := Lanczos(b, op, LanczosOptions{K: 1, Which: Largest})
			if err != nil {
				t.Fatal(err)
			}
			bottom, err := Lanczos(b, op, LanczosOptions{K: 1, Which: Smallest})
			if err != nil {
				t.Fatal(err)
			}
			if !top.Converged || !bottom.Converged {
				t.Fatalf("converged: largest %v, smallest %v", top.Converged, bottom.Converged)
			}
			lmax, lmin := top.Pairs[0].Value, bottom.Pairs[0].Value
			t.Logf("largest %.5f (l+ %.5f, %+.2f s+, %d products), smallest %.5f (l- %.5f, %+.2f s-, %d products)",
				lmax, hi, (lmax-hi)/sPlus, top.MatVecs, lmin, lo, (lmin-lo)/sMinus, bottom.MatVecs)
			if !(math.Abs(lmax-hi) <= 8*sPlus) {
				t.Errorf("largest eigenvalue %.5f is %.1f s+ from l+ = %.5f; want within 8", lmax, (lmax-hi)/sPlus, hi)
			}
			if !(math.Abs(lmin-lo) <= 8*sMinus) {
				t.Errorf("smallest eigenvalue %.5f is %.1f s- from l- = %.5f; want within 8", lmin, (lmin-lo)/sMinus, lo)
			}
		})
	}
}
