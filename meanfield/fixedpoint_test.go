package meanfield

import (
	"errors"
	"math"
	"testing"
)

// TestIllinois: the Illinois variant of regula falsi converges
// superlinearly (order about 1.44; Dowell and Jarratt 1971), so a root of
// a smooth function is reached to full double precision in a few dozen
// evaluations at most, where bisection from the same bracket needs about
// 50. Checked on roots known in closed form, with either end of the
// bracket the positive one, to 4 ulp, in at most 25 evaluations (observed
// 9 to 19, the most for x^10 - 0.5). An Illinois step that forgets to halve
// the retained end, or halves the wrong one, or an interpolation that falls
// back to bisection too often, fails the budget; a wrong interpolation
// formula misses the root or the budget.
func TestIllinois(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func(float64) float64
		a, b float64
		root float64
	}{
		{"x^3 - 2", func(x float64) float64 { return x*x*x - 2 }, 1, 2, math.Cbrt(2)},
		{"2 - x^3", func(x float64) float64 { return 2 - x*x*x }, 1, 2, math.Cbrt(2)},
		{"exp(x) - 3", func(x float64) float64 { return math.Exp(x) - 3 }, 0, 5, math.Log(3)},
		{"cos x - x", func(x float64) float64 { return math.Cos(x) - x }, 0, 1, 0.7390851332151607},
		{"x^10 - 0.5", func(x float64) float64 { return math.Pow(x, 10) - 0.5 }, 0, 1.5, math.Pow(0.5, 0.1)},
		{"tanh(4 (x - 0.3))", func(x float64) float64 { return math.Tanh(4 * (x - 0.3)) }, -2, 1, 0.3},
	} {
		for _, flip := range []bool{false, true} {
			evals := 0
			F := func(x float64) (float64, error) { evals++; return c.f(x), nil }
			a, b := c.a, c.b
			if flip {
				a, b = b, a
			}
			got, err := illinois(F, a, c.f(a), b, c.f(b))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !(math.Abs(got-c.root) <= 4*0x1p-52*math.Abs(c.root)) || evals > 25 {
				t.Errorf("%s on [%g, %g]: root %.17g (want %.17g) after %d evaluations (want <= 25)", c.name, a, b, got, c.root, evals)
			}
		}
	}
	// Ends that are roots are returned without evaluating; an unbracketed
	// interval and F's errors are reported.
	F := func(x float64) (float64, error) { return x - 1, nil }
	if r, _ := illinois(F, 1, 0, 3, 2); r != 1 {
		t.Errorf("root at the left end: got %v", r)
	}
	if r, _ := illinois(F, -1, -2, 1, 0); r != 1 {
		t.Errorf("root at the right end: got %v", r)
	}
	if _, err := illinois(F, 2, 1, 3, 2); err == nil {
		t.Error("no sign change: no error")
	}
	boom := errors.New("boom")
	if _, err := illinois(func(float64) (float64, error) { return 0, boom }, 0, -1, 2, 1); !errors.Is(err, boom) {
		t.Errorf("F's error: got %v", err)
	}
}

// TestFixedLengthIterations: for ReLU the length map is affine, V(q) =
// sigma_w^2 q / 2 + sigma_b^2, so q^l = q* + (q0 - q*) r^l with r =
// sigma_w^2 / 2 and q* = sigma_b^2 / (1 - r), and the layers to converge
// (the first l with |q^l - q*| <= 1e-8 max(q*, q0)) are the smallest l with
// r^l <= 1e-8 max(q*, q0) / |q0 - q*|. The cases keep that ratio away
// from a power of r (at least 1% from the boundary), so rounding cannot
// move the count; q* is exact to 1e-13 relative (the package's tolerance
// for piecewise-linear activations). The last case takes 884 layers, past
// the 200 that the fixed-point search itself iterates.
func TestFixedLengthIterations(t *testing.T) {
	for _, c := range []struct{ sw, sb, q0 float64 }{{1, 0.5, 3}, {1.2, 0.3, 0.01}, {0.5, 1, 40}, {1.35, 0.2, 1}, {0.9, 2, 0.5}, {1.4, 0.2, 1}} {
		m := mustModel(t, "relu", c.sw, c.sb, Options{})
		fp, err := m.FixedLength(c.q0)
		if err != nil {
			t.Fatal(err)
		}
		r := c.sw * c.sw / 2
		qs := c.sb * c.sb / (1 - r)
		x := math.Log(1e-8*math.Max(qs, c.q0)/math.Abs(c.q0-qs)) / math.Log(r)
		if f := x - math.Floor(x); f < 0.01 || f > 0.99 {
			t.Fatalf("case %+v sits at a boundary (%g layers); pick another", c, x)
		}
		want := int(math.Ceil(x))
		if fp.Iterations != want || !(math.Abs(fp.Q-qs) <= 1e-13*qs) {
			t.Errorf("relu sw=%g sb=%g q0=%g: %d iterations, q* = %.16g; want %d, %.16g", c.sw, c.sb, c.q0, fp.Iterations, fp.Q, want, qs)
		}
		// MaxIter counts layers inclusively: exactly want layers are
		// allowed, one fewer gives -1.
		for _, mi := range []int{want, want - 1} {
			fp, err := mustModel(t, "relu", c.sw, c.sb, Options{MaxIter: mi}).FixedLength(c.q0)
			if w := map[bool]int{true: want, false: -1}[mi == want]; err != nil || fp.Iterations != w {
				t.Errorf("relu sw=%g sb=%g q0=%g MaxIter %d: %d iterations (%v); want %d", c.sw, c.sb, c.q0, mi, fp.Iterations, err, w)
			}
		}
	}
}
