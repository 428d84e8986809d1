package reproduce

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestJudge: the three relations, at and beyond their tolerances, and NaN,
// which fails every relation.
func TestJudge(t *testing.T) {
	for _, c := range []struct {
		rel            Relation
		meas, exp, tol float64
		pass           bool
	}{
		{Within, 1.25, 1, 0.25, true}, // exactly at the tolerance (binary fractions)
		{Within, 1.2501, 1, 0.25, false},
		{Within, 0.7499, 1, 0.25, false},
		{Above, 1.2, 1, 0.1, true},
		{Above, 1.1, 1, 0.1, false}, // must exceed by more than the margin
		{Below, 0.8, 1, 0.1, true},
		{Below, 0.95, 1, 0.1, false},
		{AtMost, 8, 8, 0, true},
		{AtMost, 9, 8, 0, false},
		{Within, math.NaN(), 1, 0.1, false},
		{Above, math.NaN(), 1, 0.1, false},
		{Below, 0.5, 1, math.NaN(), false},
		{"about", 1, 1, 1, false},
	} {
		ch := Check{Measured: c.meas, Expected: c.exp, Tolerance: c.tol, Relation: c.rel}
		ch.judge()
		if ch.Pass != c.pass {
			t.Errorf("%s: measured %v expected %v tolerance %v: pass %v, want %v", c.rel, c.meas, c.exp, c.tol, ch.Pass, c.pass)
		}
	}
}

// TestTFactor: the tolerance factor is the Student t quantile at
// two-sided probability alpha = erfc(4/sqrt 2), the normal 4 sigma: for
// one degree of freedom (Cauchy) it is cot(pi alpha / 2), for two (2p -
// 1)/sqrt(2 p (1 - p)) with p = 1 - alpha/2 (closed forms), and for many
// samples the normal's 4.
func TestTFactor(t *testing.T) {
	if want := 6.334248366623996e-05; !(math.Abs(alpha-want) <= 1e-18) {
		t.Errorf("alpha %v; want %v", alpha, want)
	}
	p := 1 - alpha/2
	for _, c := range []struct {
		n    int
		want float64
	}{
		{2, 1 / math.Tan(math.Pi*alpha/2)},
		{3, (2*p - 1) / math.Sqrt(2*p*(1-p))},
		{1 << 30, 4},
	} {
		if got := tFactor(c.n); !(math.Abs(got-c.want) <= 1e-6*c.want) {
			t.Errorf("tFactor(%d) = %v; want %v", c.n, got, c.want)
		}
	}
	if !math.IsNaN(tFactor(1)) {
		t.Errorf("tFactor(1) = %v; want NaN (no standard error from one sample)", tFactor(1))
	}
}

// TestRichardson: data with an exact 1/N term extrapolate to the limit;
// the standard error is that of 2a - b for independent a and b.
func TestRichardson(t *testing.T) {
	f := func(N float64) float64 { return 1.3 + 7/N }
	x := richardson(summary{f(1000), 0.03, 16}, summary{f(500), 0.04, 12})
	if !(math.Abs(x.mean-1.3) <= 1e-14) || !(math.Abs(x.se-math.Sqrt(4*0.03*0.03+0.04*0.04)) <= 1e-15) || x.n != 12 {
		t.Errorf("richardson: %+v; want mean 1.3, se %v, 12 samples", x, math.Sqrt(4*0.03*0.03+0.04*0.04))
	}
	d := difference(summary{3, 0.3, 8}, summary{1, 0.4, 9})
	if d.mean != 2 || !(math.Abs(d.se-0.5) <= 1e-15) || d.n != 8 {
		t.Errorf("difference: %+v; want 2 +- 0.5, 8 samples", d)
	}
}

// TestSlopeAndMean: the least-squares slope of a line over a suffix, and
// the mean and standard error of a sample (closed forms).
func TestSlopeAndMean(t *testing.T) {
	y := []float64{9, 9, 1, 1.5, 2, 2.5, 3}
	if s := slope(y, 2); !(math.Abs(s-0.5) <= 1e-15) {
		t.Errorf("slope %v; want 0.5", s)
	}
	s := meanOf([]float64{1, 2, 3, 4})
	if s.mean != 2.5 || !(math.Abs(s.se-math.Sqrt(5.0/3/4)) <= 1e-15) || s.n != 4 {
		t.Errorf("meanOf: %+v; want 2.5 +- %v", s, math.Sqrt(5.0/3/4))
	}
}

// TestCheckJSON: non-finite numbers become null (JSON has no NaN), the
// rest round-trips.
func TestCheckJSON(t *testing.T) {
	c := within("x <b>", summary{1.5, math.NaN(), 1}, 1.25, math.Inf(1), "r", "s")
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back["std_err"] != nil || back["tolerance"] != nil || back["measured"] != 1.5 || back["expected"] != 1.25 || back["name"] != "x <b>" || back["samples"] != 1.0 {
		t.Errorf("JSON %s", js)
	}
	if !strings.Contains(c.Comparison(), "±") {
		t.Errorf("comparison %q", c.Comparison())
	}
}
