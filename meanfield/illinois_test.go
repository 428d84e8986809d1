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
			if math.Abs(got-c.root) > 4*0x1p-52*math.Abs(c.root) || evals > 25 {
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
