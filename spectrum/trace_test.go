package spectrum

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/engine/rng"
)

// TestRademacher: the probe vectors are exactly +-1, with the sign of the
// Philox normal rng.Normal(seed, stream, i) (the oracle, computed on the
// host), and the same on a second call.
func TestRademacher(t *testing.T) {
	b := enginetest.Open(t)
	n := 100_003 // more than one parallel chunk, odd
	sc := engine.NewScope(b)
	defer sc.Close()
	bufs := []engine.Buffer{sc.Alloc(n), sc.Alloc(n)}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	const seed, stream = 42, 3
	if err := fillRademacher(b, bufs[0], bufs[1], seed, stream); err != nil {
		t.Fatal(err)
	}
	z := mustDownload(t, b, bufs[0])
	plus := 0
	for i, x := range z {
		want := -1.0
		if rng.Normal(seed, stream, uint64(i)) > 0 {
			want = 1
		}
		if x != want {
			t.Fatalf("z[%d] = %v; want %v", i, x, want)
		}
		if x > 0 {
			plus++
		}
	}
	// Fair coin: |plus - n/2| within 5 sd = 5 sqrt(n)/2.
	if d := math.Abs(float64(plus) - float64(n)/2); d > 2.5*math.Sqrt(float64(n)) {
		t.Errorf("%d of %d entries are +1", plus, n)
	}
}

// traceMatrix is a 300 x 300 symmetric matrix with a large diagonal
// (5 + N(0,1)) and off-diagonal N(0, 1/n) entries: the variance of z^T A z
// is 2 sum_{i != j} A_ij^2 for Rademacher z (about 2n = 600 here) but
// 2 sum_ij A_ij^2 (about 2n * 26 more) for Gaussian z, so the measured
// variance tells the two apart.
func traceMatrix(n int) ([]float64, float64, float64) {
	r := rand.New(rand.NewPCG(8, 8))
	a := goe(r, n)
	trace, off := 0.0, 0.0
	for i := 0; i < n; i++ {
		a[i*n+i] = 5 + r.NormFloat64()
		trace += a[i*n+i]
		for j := 0; j < n; j++ {
			if j != i {
				off += a[i*n+j] * a[i*n+j]
			}
		}
	}
	return a, trace, 2 * off
}

// TestTraceHutchinson: for several seeds the estimate is within 3 standard
// errors of the exact trace (a 0.3% event per seed for a normal estimate;
// the seeds are fixed, so the test is deterministic); the variance
// StdErr^2 * Samples estimates 2 sum_{i != j} A_ij^2 within 25% (its sampling
// error at 400 samples is about sqrt(2/400) ~ 7%, plus the fourth-moment
// excess); and StdErr shrinks like 1/sqrt(Samples): from 100 to 1600
// samples by a factor within [3.2, 5] (ideally 4; the two sample standard
// deviations are good to ~7% and ~2%).
func TestTraceHutchinson(t *testing.T) {
	b := enginetest.Open(t)
	n := 300
	a, exact, variance := traceMatrix(n)
	op := denseOp(t, b, a, n)
	for seed := uint64(1); seed <= 5; seed++ {
		est, err := Trace(b, op, TraceOptions{Samples: 400, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		z := (est.Value - exact) / est.StdErr
		v := est.StdErr * est.StdErr * float64(est.Samples)
		t.Logf("seed %d: %.4f +- %.4f (exact %.4f, %+.2f se); variance %.1f (theory %.1f)", seed, est.Value, est.StdErr, exact, z, v, variance)
		if !(math.Abs(z) <= 3) || est.Samples != 400 {
			t.Errorf("seed %d: estimate %.4f is %.2f standard errors from %.4f", seed, est.Value, z, exact)
		}
		if !(math.Abs(v/variance-1) <= 0.25) {
			t.Errorf("seed %d: variance %.1f; Rademacher theory %.1f", seed, v, variance)
		}
	}
	small, err := Trace(b, op, TraceOptions{Samples: 100, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	large, err := Trace(b, op, TraceOptions{Samples: 1600, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	ratio := small.StdErr / large.StdErr
	t.Logf("StdErr %.4f at 100 samples, %.4f at 1600: ratio %.2f (ideal 4)", small.StdErr, large.StdErr, ratio)
	if ratio < 3.2 || ratio > 5 {
		t.Errorf("StdErr ratio %.2f from 100 to 1600 samples; want within [3.2, 5]", ratio)
	}
	again, _ := Trace(b, op, TraceOptions{Samples: 100, Seed: 9})
	if again != small {
		t.Errorf("same seed: %+v then %+v", small, again)
	}
}

// TestTraceDiagonal: for a diagonal operator z^T A z = tr A for every
// Rademacher z, so the estimate is exact and the standard error is 0 (up to
// rounding in the sum, 1e-12 relative).
func TestTraceDiagonal(t *testing.T) {
	b := enginetest.Open(t)
	d := []float64{1, -2, 3.5, 4, 0.25}
	est, err := Trace(b, diagOp(t, b, d), TraceOptions{Samples: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(est.Value-6.75) <= 1e-12*6.75) || est.StdErr > 1e-12 {
		t.Errorf("diagonal: %+v; want 6.75 +- 0", est)
	}
}

// TestTraceErrors: bad input is an error.
func TestTraceErrors(t *testing.T) {
	b := enginetest.Open(t)
	op := diagOp(t, b, []float64{1, 2})
	for _, c := range []struct {
		op   Operator
		opt  TraceOptions
		want string
	}{
		{op, TraceOptions{Samples: 1}, "samples"},
		{Operator{Dim: 2}, TraceOptions{Samples: 2}, "no Apply"},
		{Operator{Dim: 2, Apply: func(x, y engine.Buffer) error { return b.Fill(y, math.NaN()) }}, TraceOptions{Samples: 2}, "non-finite"},
	} {
		if _, err := Trace(b, c.op, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.opt, err, c.want)
		}
	}
	if _, err := Trace(nil, op, TraceOptions{Samples: 2}); err == nil {
		t.Error("nil backend: no error")
	}
}
