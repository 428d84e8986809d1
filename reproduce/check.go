package reproduce

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Relation is how a check compares its measured value with the expected
// one.
type Relation string

const (
	// Within: |Measured - Expected| <= Tolerance.
	Within Relation = "within"
	// Above: Measured - Tolerance > Expected (the measurement exceeds the
	// expected bound by more than its tolerance).
	Above Relation = "above"
	// Below: Measured + Tolerance < Expected.
	Below Relation = "below"
	// AtMost: Measured <= Expected + Tolerance (an exact bound).
	AtMost Relation = "at most"
)

// Check is one quantitative claim of a paper, tested: a measured value
// beside its expected value (a theory, a closed form or a published
// number), compared within a stated tolerance. A failing check is
// reported, never dropped.
type Check struct {
	// Name says what is compared, with the settings that distinguish it
	// from its neighbours ("L^E growth per layer, sigma_w 4, N 1000").
	Name     string   `json:"name"`
	Measured float64  `json:"measured"`
	Expected float64  `json:"expected"`
	Relation Relation `json:"relation"`
	// Tolerance is the allowed deviation (Within) or margin (Above, Below).
	Tolerance float64 `json:"tolerance"`
	// StdErr is the standard error of Measured (0 when it is exact, a
	// closed form or a deterministic computation), estimated from Samples
	// independent samples (networks, boundary points).
	StdErr  float64 `json:"std_err"`
	Samples int     `json:"samples"`
	// Reason says why the tolerance is what it is: the sample sizes and
	// their standard errors, the finite-size terms and their bounds.
	Reason string `json:"reason"`
	// Source says where Expected comes from: the formula and the function
	// that computes it, or the paper and place of a published number.
	Source string `json:"source"`
	Pass   bool   `json:"pass"`
}

// judge sets c.Pass from the relation. NaN anywhere fails.
func (c *Check) judge() {
	switch c.Relation {
	case Within:
		c.Pass = math.Abs(c.Measured-c.Expected) <= c.Tolerance
	case Above:
		c.Pass = c.Measured-c.Tolerance > c.Expected
	case Below:
		c.Pass = c.Measured+c.Tolerance < c.Expected
	case AtMost:
		c.Pass = c.Measured <= c.Expected+c.Tolerance
	default:
		c.Pass = false
	}
}

// Deviation is the measured value's distance from the expected one in
// standard errors (NaN without a standard error).
func (c Check) Deviation() float64 {
	if !(c.StdErr > 0) {
		return math.NaN()
	}
	return (c.Measured - c.Expected) / c.StdErr
}

// Verdict is "pass" or "FAIL".
func (c Check) Verdict() string {
	if c.Pass {
		return "pass"
	}
	return "FAIL"
}

// Comparison renders the relation for a reader: "= 1.31 ± 0.02",
// "> 1 + 0.05".
func (c Check) Comparison() string {
	switch c.Relation {
	case Within:
		return fmt.Sprintf("%s ± %s", num(c.Expected), num(c.Tolerance))
	case Above:
		return fmt.Sprintf("> %s by more than %s", num(c.Expected), num(c.Tolerance))
	case Below:
		return fmt.Sprintf("< %s by more than %s", num(c.Expected), num(c.Tolerance))
	case AtMost:
		if c.Tolerance == 0 {
			return fmt.Sprintf("≤ %s", num(c.Expected))
		}
		return fmt.Sprintf("≤ %s + %s", num(c.Expected), num(c.Tolerance))
	}
	return string(c.Relation)
}

// num prints a number to 5 significant digits.
func num(x float64) string { return fmt.Sprintf("%.5g", x) }

// within builds a judged Within check of a measurement s.
func within(name string, s summary, expected, tol float64, reason, source string) Check {
	c := Check{Name: name, Measured: s.mean, StdErr: s.se, Samples: s.n, Expected: expected, Relation: Within, Tolerance: tol, Reason: reason, Source: source}
	c.judge()
	return c
}

// above builds a judged Above check of a measurement s.
func above(name string, s summary, bound, margin float64, reason, source string) Check {
	c := Check{Name: name, Measured: s.mean, StdErr: s.se, Samples: s.n, Expected: bound, Relation: Above, Tolerance: margin, Reason: reason, Source: source}
	c.judge()
	return c
}

// exact is a measurement without sampling error.
func exact(x float64) summary { return summary{mean: x} }

// summary is a mean over n independent samples with its standard error.
type summary struct {
	mean, se float64
	n        int
}

// alpha is the probability with which a correct measurement fails its
// check by chance: that of a normal variable beyond 4 standard deviations
// (two-sided), 6.3e-5, so a report of a hundred checks fails by chance
// about once in 160 runs while a discrepancy of a few standard errors is
// caught.
var alpha = math.Erfc(4 / math.Sqrt2)

// tFactor is the number of standard errors a tolerance allows for a mean
// of n samples whose standard error was estimated from their spread: the
// Student t quantile with n - 1 degrees of freedom at two-sided alpha (4.0
// for many samples, 5.5 for 16, 8.5 for 8: a standard error estimated from
// few samples is itself uncertain). NaN for fewer than two samples.
func tFactor(n int) float64 {
	if n < 2 {
		return math.NaN()
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - alpha/2)
}

// tTol is tFactor(s.n) standard errors of s.
func tTol(s summary) float64 { return tFactor(s.n) * s.se }

// tText says how many standard errors a tolerance allows and why.
func tText(n int) string {
	return fmt.Sprintf("%.2f standard errors (the Student t quantile for %d samples at two-sided probability %.2g, that of 4 sigma)", tFactor(n), n, alpha)
}

// meanOf summarises v.
func meanOf(v []float64) summary {
	m, se := meanSE(v)
	return summary{m, se, len(v)}
}

// meanSE returns the mean of v and its standard error (the sample standard
// deviation over sqrt(n)); the standard error is NaN for fewer than two
// values.
func meanSE(v []float64) (mean, se float64) {
	n := float64(len(v))
	for _, x := range v {
		mean += x / n
	}
	if len(v) < 2 {
		return mean, math.NaN()
	}
	ss := 0.0
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}

// slope is the least-squares slope of y[i] against i over i = from..len-1.
func slope(y []float64, from int) float64 {
	n := float64(len(y) - from)
	var sx, sy, sxx, sxy float64
	for i := from; i < len(y); i++ {
		x := float64(i)
		sx += x
		sy += y[i]
		sxx += x * x
		sxy += x * y[i]
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// richardson extrapolates a quantity measured at widths N (a) and N/2 (b)
// to infinite width, removing the O(1/N) term: 2a - b, with standard error
// sqrt(4 sa^2 + sb^2) (independent networks) and, conservatively, the
// samples of the smaller group.
func richardson(a, b summary) summary {
	return summary{2*a.mean - b.mean, math.Sqrt(4*a.se*a.se + b.se*b.se), min(a.n, b.n)}
}

// difference is a - b for independent measurements, with the samples of
// the smaller group (conservative degrees of freedom).
func difference(a, b summary) summary {
	return summary{a.mean - b.mean, math.Hypot(a.se, b.se), min(a.n, b.n)}
}
