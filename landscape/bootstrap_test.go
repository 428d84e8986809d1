package landscape

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPairLookup: pairs (i, j), i < j, listed row by row, as Summarize
// lists its distances, are found from either order.
func TestPairLookup(t *testing.T) {
	const n = 5
	var pairs []float64
	for i := range n {
		for j := i + 1; j < n; j++ {
			pairs = append(pairs, float64(10*i+j))
		}
	}
	d := pairLookup(n, pairs)
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			if want := float64(10*min(i, j) + max(i, j)); d(i, j) != want {
				t.Errorf("pair (%d, %d): %v, want %v", i, j, d(i, j), want)
			}
		}
	}
}

// TestPairMedian: the median over pairs of distinct items, by hand.
// Points 0, 1, 3, 7 on a line: distances 1 3 7 2 6 4, median (3+4)/2.
// A resample [0 0 2] has two pairs of distinct items, both (0, 2): median
// 3. A resample of one item repeated has no pair.
func TestPairMedian(t *testing.T) {
	x := []float64{0, 1, 3, 7}
	d := func(i, j int) float64 { return math.Abs(x[i] - x[j]) }
	for _, c := range []struct {
		idx  []int
		want float64
		ok   bool
	}{{[]int{0, 1, 2, 3}, 3.5, true}, {[]int{0, 0, 2}, 3, true}, {[]int{1, 1, 1}, 0, false}} {
		got, ok := pairMedian(d, c.idx, nil)
		if got != c.want || ok != c.ok {
			t.Errorf("%v: %v, %v; want %v, %v", c.idx, got, ok, c.want, c.ok)
		}
	}
}

// TestSlopeBootstrapCoverage: y = 2 x + e with e ~ N(0, 1) and x ~ U(0, 1),
// 40 points: the least-squares slope's 95% percentile-bootstrap interval
// covers the true slope 2 in about 95% of 400 simulated data sets. The
// percentile interval undercovers slightly at this size (about 93% in the
// literature for n = 40); with 400 trials the binomial standard error is
// 1.1%, so [0.89, 0.99] allows four of them below and the bound from above.
// A slope computed with a wrong centring (the mean of y left out) or an
// interval from the wrong quantiles fails.
func TestSlopeBootstrapCoverage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const trials, n = 400, 40
	covered := 0
	x, y := make([]float64, n), make([]float64, n)
	for range trials {
		for i := range n {
			x[i] = r.Float64()
			y[i] = 2*x[i] + r.NormFloat64()
		}
		iv := bootstrap(n, 1000, r, func(idx []int) (float64, bool) { return slopeOf(x, y, idx) })
		if iv == nil {
			t.Fatal("no interval")
		}
		if iv.Lower <= 2 && 2 <= iv.Upper {
			covered++
		}
	}
	f := float64(covered) / trials
	t.Logf("coverage %.3f", f)
	if f < 0.89 || f > 0.99 {
		t.Errorf("coverage %.3f, want about 0.95 (0.89 to 0.99)", f)
	}
}

// TestSlopeExact: on points on a line the slope is the line's, in every
// resample with two distinct x (so the interval is that one number); with
// one distinct x there is no slope.
func TestSlopeExact(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4}
	y := []float64{1, -1, -3, -5, -7}
	iv := bootstrap(len(x), 500, rand.New(rand.NewPCG(3, 4)), func(idx []int) (float64, bool) { return slopeOf(x, y, idx) })
	near := func(v float64) bool { return math.Abs(v+2) <= 1e-14 } // rounding of the sums
	if iv == nil || !near(iv.Value) || !near(iv.Lower) || !near(iv.Upper) || iv.N != 5 || iv.Replicates > 500 || iv.Replicates < 490 {
		t.Errorf("interval %+v, want -2 throughout (to 1e-14), 5 items, nearly every one of 500 replicates", iv)
	}
	if _, ok := slopeOf(x, y, []int{2, 2, 2}); ok {
		t.Error("slope of one repeated point: want undefined")
	}
	if iv := bootstrap(1, 500, rand.New(rand.NewPCG(3, 4)), func(idx []int) (float64, bool) { return slopeOf(x, y, idx) }); iv != nil {
		t.Errorf("one point: interval %+v, want none", iv)
	}
}

// TestBootstrapPairDifference: the difference of two means, resampling the
// two samples independently, against the normal theory's interval:
// samples of 200 from N(0, 1) and N(1, 4) have a difference of means with
// standard error sqrt(1/200 + 4/200) = 0.158, so the 95% interval is
// about +-0.31 around the sample difference; the bootstrap's half-width
// agrees to 15% (the bootstrap's own Monte Carlo error at 2000 replicates
// is a few percent, the sample standard deviations' another few).
func TestBootstrapPairDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 200
	a, b := make([]float64, n), make([]float64, n)
	for i := range n {
		a[i] = r.NormFloat64()
		b[i] = 1 + 2*r.NormFloat64()
	}
	mean := func(v []float64, idx []int) float64 {
		s := 0.0
		for _, i := range idx {
			s += v[i]
		}
		return s / float64(len(idx))
	}
	iv := bootstrapPair(n, n, 2000, r, func(idx []int) (float64, bool) { return mean(b, idx[n:]) - mean(a, idx[:n]), true })
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if want := mean(b, all) - mean(a, all); iv.Value != want {
		t.Errorf("value %v, want the sample difference %v", iv.Value, want)
	}
	if iv.N != 2*n || iv.Replicates != 2000 {
		t.Errorf("N %d and %d replicates, want %d items and 2000", iv.N, iv.Replicates, 2*n)
	}
	sd := func(v []float64) float64 {
		m, s := mean(v, all), 0.0
		for _, x := range v {
			s += (x - m) * (x - m)
		}
		return math.Sqrt(s / n)
	}
	half := 1.96 * math.Sqrt((sd(a)*sd(a)+sd(b)*sd(b))/n)
	if got := (iv.Upper - iv.Lower) / 2; !(math.Abs(got-half) <= 0.15*half) {
		t.Errorf("half-width %.4f, want %.4f within 15%%", got, half)
	}
	if mid := (iv.Upper + iv.Lower) / 2; !(math.Abs(mid-iv.Value) <= 0.2*half) {
		t.Errorf("interval [%v, %v] not centred on %v", iv.Lower, iv.Upper, iv.Value)
	}
}

// TestVerdict: an interval below zero supports a claim of a decrease and
// contradicts one of an increase; one covering zero decides neither.
func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		side   int
		want   string
	}{{-2, -1, -1, Supported}, {-2, -1, 1, Contradicted}, {1, 2, -1, Contradicted}, {1, 2, 1, Supported},
		{-1, 1, -1, Undecided}, {0, 1, -1, Undecided}, {-1, 0, -1, Undecided}} {
		if got := verdict(&Interval{Lower: c.lo, Upper: c.hi}, c.side); got != c.want {
			t.Errorf("[%v, %v] side %d: %s, want %s", c.lo, c.hi, c.side, got, c.want)
		}
	}
	if verdict(nil, -1) != NotMeasurable {
		t.Error("no interval: want not measurable")
	}
}

// TestQuantileType7 against R's quantile(type = 7) on 1..10: 0.025 ->
// 1.225, 0.5 -> 5.5, 0.975 -> 9.775.
func TestQuantileType7(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for p, want := range map[float64]float64{0.025: 1.225, 0.5: 5.5, 0.975: 9.775, 1: 10, 0: 1} {
		if got := quantile(s, p); !(math.Abs(got-want) <= 1e-12) {
			t.Errorf("quantile %v: %v, want %v", p, got, want)
		}
	}
	if !slices.IsSorted(s) {
		t.Error("quantile changed its input")
	}
}

// TestBootstrapHalfDefined: an interval needs the statistic defined on at
// least half of the resamples: defined on exactly half of 4 (every other
// call after the sample's) gives an interval of 2 replicates, on one of 4
// none.
func TestBootstrapHalfDefined(t *testing.T) {
	for _, c := range []struct {
		every int // defined on every c.every-th resample
		want  int // replicates, or 0 for no interval
	}{{2, 2}, {4, 0}} {
		calls := 0
		iv := bootstrap(5, 4, rand.New(rand.NewPCG(1, 2)), func(idx []int) (float64, bool) {
			calls++
			if calls == 1 {
				return 1, true // the sample itself
			}
			return float64(calls), (calls-1)%c.every == 0
		})
		switch {
		case c.want == 0 && iv != nil:
			t.Errorf("defined on 1 of 4 resamples: interval %+v, want none", *iv)
		case c.want != 0 && (iv == nil || iv.Replicates != c.want || iv.N != 5):
			t.Errorf("defined on 2 of 4 resamples: interval %+v, want 2 replicates of 5 items", iv)
		}
	}
}
