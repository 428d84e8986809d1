package activation

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// mustByID returns the activation for id or fails the test.
func mustByID(t *testing.T, id ID) Func {
	t.Helper()
	f, err := ByID(id)
	if err != nil {
		t.Fatalf("ByID(%d): %v", int(id), err)
	}
	return f
}

// all returns every defined activation.
func all(t *testing.T) []Func {
	t.Helper()
	var fs []Func
	for id := ID(0); id < numIDs; id++ {
		fs = append(fs, mustByID(t, id))
	}
	return fs
}

// levels returns Phi, D1, D2, D3 of f (index = derivative order).
func levels(f Func) [4]func(float64) float64 {
	return [4]func(float64) float64{f.Phi, f.D1, f.D2, f.D3}
}

// near reports |got-want| <= tol * max(1, |want|) (absolute near 0,
// relative for large values).
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// TestIDsStable pins the integer values of the IDs and the canonical names:
// CUDA kernels switch on these integers, so they must never change.
func TestIDsStable(t *testing.T) {
	want := []string{"tanh", "erf", "relu", "linear", "sigmoid", "softplus", "hard-tanh", "sin", "gelu", "swish"}
	ids := []ID{Tanh, Erf, ReLU, Linear, Sigmoid, Softplus, HardTanh, Sin, GELU, Swish}
	for i, id := range ids {
		if int(id) != i {
			t.Errorf("%s = %d, want %d", want[i], int(id), i)
		}
		if id.String() != want[i] {
			t.Errorf("ID(%d).String() = %q, want %q", i, id.String(), want[i])
		}
	}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
}

// TestAnalyticValues checks values at points where the answer is known in
// closed form or was computed independently with mpmath at 30 digits
// (mpmath.erf, mpmath.ncdf, mpmath.diff). Tolerance 1e-14 (relative for
// |want| > 1, else absolute): a few ulps of rounding through exp/erf/tanh and
// a handful of arithmetic operations; the lower-tail cases use a relative
// tolerance of 1e-12 because there the value itself is tiny and the point is
// that no cancellation destroys it.
func TestAnalyticValues(t *testing.T) {
	const sqrtPi = 1.772453850905516027298167483341 // sqrt(pi)
	cases := []struct {
		id    ID
		level int // 0 = phi, 1..3 = derivative order
		x     float64
		want  float64
	}{
		// tanh: tanh(0)=0, tanh'(0)=1, tanh''(0)=0, tanh'''(0)=-2 (series x - x^3/3).
		{Tanh, 0, 0, 0}, {Tanh, 1, 0, 1}, {Tanh, 2, 0, 0}, {Tanh, 3, 0, -2},
		{Tanh, 1, 1, 0.419974341614026069394496739042}, // sech^2(1)
		{Tanh, 2, 0.5, -0.726861981383587275539836913584},
		{Tanh, 3, 0.5, -0.565209288259770360865672921465},
		// erf: erf(1) (A&S Table 7.1), erf'(0)=2/sqrt(pi), erf'''(0)=-4/sqrt(pi).
		{Erf, 0, 1, 0.842700792949714869341220635083},
		{Erf, 1, 0, 2 / sqrtPi}, {Erf, 2, 0, 0}, {Erf, 3, 0, -4 / sqrtPi},
		{Erf, 2, 0.5, -0.878782578935444794093723954824},
		{Erf, 3, 0.5, -0.878782578935444794093723954824}, // D3/D2 = (4x^2-2)/(-2x) = 1 at x = 1/2
		// relu with its kink conventions: phi'(0) = 0, phi'(x>0) = 1, no deltas.
		{ReLU, 0, -3, 0}, {ReLU, 0, 2.5, 2.5}, {ReLU, 1, 0, 0}, {ReLU, 1, 1e-300, 1},
		{ReLU, 1, -1, 0}, {ReLU, 2, 0, 0}, {ReLU, 3, 0, 0},
		// linear.
		{Linear, 0, -7.25, -7.25}, {Linear, 1, 3, 1}, {Linear, 2, 3, 0}, {Linear, 3, 3, 0},
		// sigmoid: s(0)=1/2, s'(0)=1/4, s''(0)=0, s'''(0)=-1/8; s(1)=1/(1+1/e).
		{Sigmoid, 0, 0, 0.5}, {Sigmoid, 1, 0, 0.25}, {Sigmoid, 2, 0, 0}, {Sigmoid, 3, 0, -0.125},
		{Sigmoid, 0, 1, 0.731058578630004879251159241822},
		{Sigmoid, 2, 1, -0.090857747672948409442479614198},
		{Sigmoid, 3, 1, -0.0353255805162356475541045575916},
		{Sigmoid, 0, 1000, 1}, {Sigmoid, 0, -1000, 0}, // e^-1000 underflows to 0
		// softplus: log 2 at 0, log(1+e) at 1, derivatives are sigmoid's.
		{Softplus, 0, 0, math.Ln2}, {Softplus, 1, 0, 0.5}, {Softplus, 2, 0, 0.25}, {Softplus, 3, 0, 0},
		{Softplus, 0, 1, 1.31326168751822283404899549497},
		{Softplus, 0, 1000, 1000}, {Softplus, 0, -1000, 0}, // true value e^-1000 underflows
		// hard-tanh with its kink conventions: phi' = 1 only on the open interval.
		{HardTanh, 0, 0.3, 0.3}, {HardTanh, 0, 2, 1}, {HardTanh, 0, -2, -1},
		{HardTanh, 1, 0, 1}, {HardTanh, 1, 1, 0}, {HardTanh, 1, -1, 0}, {HardTanh, 1, 0.999, 1},
		{HardTanh, 1, 1.5, 0}, {HardTanh, 2, 0, 0}, {HardTanh, 3, 0, 0},
		// sin.
		{Sin, 0, math.Pi / 6, 0.5}, {Sin, 1, 0, 1}, {Sin, 2, math.Pi / 2, -1}, {Sin, 3, 0, -1},
		// gelu: gelu(1) = Phi(1); gelu'(0) = 1/2; gelu''(0) = 2 pdf(0) = sqrt(2/pi).
		{GELU, 0, 1, 0.841344746068542948585232545632}, {GELU, 0, 0, 0},
		{GELU, 1, 0, 0.5}, {GELU, 2, 0, 0.797884560802865355879892119869}, {GELU, 3, 0, 0},
		{GELU, 1, 1, 1.08331547058768629838306273857},
		{GELU, 2, 1, 0.241970724519143349797830192936},
		{GELU, 3, 1, -0.725912173557430049393490578807},
		// swish: swish'(0) = 1/2, swish''(0) = 1/2, swish'''(0) = 0, swish(1) = s(1).
		{Swish, 0, 1, 0.731058578630004879251159241822}, {Swish, 1, 0, 0.5},
		{Swish, 2, 0, 0.5}, {Swish, 3, 0, 0},
		{Swish, 1, 1, 0.927670511871486731788583975408},
		{Swish, 2, 1, 0.302366118810015295632369852974},
		{Swish, 3, 1, -0.307898823535080875881543400185},
		{Swish, 0, 1000, 1000},
	}
	for _, c := range cases {
		f := mustByID(t, c.id)
		got := levels(f)[c.level](c.x)
		if !near(got, c.want, 1e-14) {
			t.Errorf("%s level %d at %g = %.17g, want %.17g", f.Name, c.level, c.x, got, c.want)
		}
	}

	// Lower tails, relative tolerance 1e-12 (mpmath references).
	tails := []struct {
		id   ID
		x    float64
		want float64
	}{
		{GELU, -5, -0.00000143325785939596955836876166437}, // -5 Phi(-5)
		{Softplus, -30, 9.35762296883973677414241121536e-14},
	}
	for _, c := range tails {
		f := mustByID(t, c.id)
		if got := f.Phi(c.x); !(math.Abs(got-c.want) <= 1e-12*math.Abs(c.want)) {
			t.Errorf("%s(%g) = %.17g, want %.17g", f.Name, c.x, got, c.want)
		}
	}
}

// TestDerivativesFiniteDifference checks D1, D2, D3 against the 4th-order
// central difference (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / (12h) of the
// level below, with h = 1e-4, on a grid over [-6, 6] that stays away from
// kinks. Error budget: truncation is h^4/30 |f^(5)| ~ 3e-18 |f^(5)|, and
// rounding is about (18/12) eps |f| / h ~ 2e-12 |f|; on this grid |f| <= ~6
// and the higher derivatives are O(10), so the total is ~1e-11. A tolerance
// of 1e-8 (relative above 1, absolute below) leaves a wide margin while still
// catching any wrong sign or coefficient, which errs by O(1e-2) or more.
func TestDerivativesFiniteDifference(t *testing.T) {
	const h, tol = 1e-4, 1e-8
	fd := func(f func(float64) float64, x float64) float64 {
		return (-f(x+2*h) + 8*f(x+h) - 8*f(x-h) + f(x-2*h)) / (12 * h)
	}
	for _, f := range all(t) {
		lv := levels(f)
		checked := 0
		for x := -6.0 + 0.0137; x <= 6; x += 0.25 {
			nearKink := false
			for _, k := range f.Kinks {
				if math.Abs(x-k) < 10*h {
					nearKink = true
				}
			}
			if nearKink {
				continue
			}
			for k := 1; k <= 3; k++ {
				want := fd(lv[k-1], x)
				if got := lv[k](x); !near(got, want, tol) {
					t.Errorf("%s: D%d(%g) = %.12g, finite difference of level %d gives %.12g", f.Name, k, x, got, k-1, want)
				}
			}
			checked++
		}
		if checked < 40 {
			t.Errorf("%s: only %d grid points checked", f.Name, checked)
		}
	}
}

// TestOddFlag checks that Odd is truthful on a grid over [-10, 10]: for odd
// activations phi(-x) = -phi(x) to 1e-15 (the math package's tanh, erf and
// sin are exactly odd, so this is rounding only) and, as a consequence, D1
// and D3 are even and D2 is odd; for the others phi(-x) + phi(x) exceeds
// 1e-3 at some grid point (they are far from odd).
func TestOddFlag(t *testing.T) {
	wantOdd := map[ID]bool{Tanh: true, Erf: true, Linear: true, HardTanh: true, Sin: true}
	for _, f := range all(t) {
		if f.Odd != wantOdd[f.ID] {
			t.Errorf("%s: Odd = %v, want %v", f.Name, f.Odd, wantOdd[f.ID])
		}
		lv := levels(f)
		maxDev := 0.0
		for x := -10.0; x <= 10; x += 0.1 {
			maxDev = math.Max(maxDev, math.Abs(f.Phi(-x)+f.Phi(x)))
			if !f.Odd {
				continue
			}
			for k, sign := range []float64{-1, 1, -1, 1} { // phi odd, D1 even, D2 odd, D3 even
				if a, b := lv[k](-x), sign*lv[k](x); !near(a, b, 1e-15) {
					t.Errorf("%s: level %d at -%g = %g, want %g", f.Name, k, x, a, b)
				}
			}
		}
		if !f.Odd && maxDev <= 1e-3 {
			t.Errorf("%s: not marked Odd but phi(-x) = -phi(x) on the whole grid (max dev %g)", f.Name, maxDev)
		}
	}
}

// TestStability checks that phi and all derivatives are finite (no NaN or
// Inf) at x in {±1e3, ±1e2, ±40}, where every true value is finite.
func TestStability(t *testing.T) {
	xs := []float64{1e3, -1e3, 1e2, -1e2, 40, -40}
	for _, f := range all(t) {
		for k, g := range levels(f) {
			for _, x := range xs {
				if v := g(x); math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%s level %d at %g = %v", f.Name, k, x, v)
				}
			}
		}
	}
}

// TestKinks checks the declared kinks, Smooth, and that the returned Kinks
// slice is a fresh copy (mutating it must not affect later lookups).
func TestKinks(t *testing.T) {
	want := map[ID][]float64{ReLU: {0}, HardTanh: {-1, 1}}
	for _, f := range all(t) {
		if !slices.Equal(f.Kinks, want[f.ID]) {
			t.Errorf("%s: Kinks = %v, want %v", f.Name, f.Kinks, want[f.ID])
		}
		if f.Smooth() != (len(want[f.ID]) == 0) {
			t.Errorf("%s: Smooth() = %v", f.Name, f.Smooth())
		}
	}
	f := mustByID(t, HardTanh)
	f.Kinks[0] = 42
	if g := mustByID(t, HardTanh); g.Kinks[0] != -1 {
		t.Errorf("Kinks shared between lookups: got %v", g.Kinks)
	}
}

// TestLookup checks that every canonical name round-trips (also in upper
// case), the aliases "logistic" and "hardtanh" resolve, an unknown name gives
// an error naming it and listing every valid name, and out-of-range IDs fail.
func TestLookup(t *testing.T) {
	for i, name := range Names() {
		for _, n := range []string{name, strings.ToUpper(name)} {
			f, err := Lookup(n)
			if err != nil {
				t.Errorf("Lookup(%q): %v", n, err)
				continue
			}
			if f.ID != ID(i) || f.Name != name || f.ID.String() != name {
				t.Errorf("Lookup(%q) = {ID %d, Name %q}, want {%d, %q}", n, int(f.ID), f.Name, i, name)
			}
			if f.Phi == nil || f.D1 == nil || f.D2 == nil || f.D3 == nil {
				t.Errorf("Lookup(%q): nil function field", n)
			}
		}
	}
	for alias, id := range map[string]ID{"logistic": Sigmoid, "Logistic": Sigmoid, "hardtanh": HardTanh, "HardTanh": HardTanh} {
		if f, err := Lookup(alias); err != nil || f.ID != id || f.Name != id.String() {
			t.Errorf("Lookup(%q) = %v, %v; want %s", alias, f.ID, err, id)
		}
	}
	_, err := Lookup("foo")
	if err == nil {
		t.Fatal(`Lookup("foo") succeeded`)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `unknown activation "foo": valid names are tanh, erf, relu,`) {
		t.Errorf("unexpected error message %q", msg)
	}
	for _, name := range Names() {
		if !strings.Contains(msg, name) {
			t.Errorf("error %q does not list %q", msg, name)
		}
	}
	for _, id := range []ID{-1, numIDs, 1000} {
		if _, err := ByID(id); err == nil {
			t.Errorf("ByID(%d) succeeded", int(id))
		}
	}
	if s := ID(1000).String(); s != "ID(1000)" {
		t.Errorf("ID(1000).String() = %q", s)
	}
}

// TestJetIsPhiD1D2: every activation's fused Jet returns exactly the bits
// of Phi, D1 and D2 called one by one (NaN for NaN; the CPU backend's second-order jet
// uses Jet, and the design promises that fusing changes no bit), at
// special points, around the kinks, and at 20001 points over [-40, 40].
func TestJetIsPhiD1D2(t *testing.T) {
	xs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 1, -1, 0.5, 20, -20, 700, -700, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64}
	for i := 0; i <= 20000; i++ {
		xs = append(xs, -40+float64(i)*0.004)
	}
	for _, name := range Names() {
		f, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range f.Kinks {
			xs = append(xs, k, math.Nextafter(k, math.Inf(1)), math.Nextafter(k, math.Inf(-1)))
		}
		for _, x := range xs {
			phi, d1, d2 := f.Jet(x)
			for j, pair := range [3][2]float64{{phi, f.Phi(x)}, {d1, f.D1(x)}, {d2, f.D2(x)}} {
				if math.Float64bits(pair[0]) != math.Float64bits(pair[1]) && !(math.IsNaN(pair[0]) && math.IsNaN(pair[1])) { // a NaN's payload may come from either operand
					t.Fatalf("%s at %v: Jet's %d-th %v, alone %v", name, x, j, pair[0], pair[1])
				}
			}
		}
	}
}
