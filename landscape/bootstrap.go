package landscape

import (
	"math"
	"math/rand/v2"
	"slices"
)

// DefaultBootstrap is the number of bootstrap replicates of Compare's
// intervals.
const DefaultBootstrap = 2000

// Interval is a statistic with its 95% percentile-bootstrap interval
// (Efron and Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13):
// Value on the sample itself, Lower and Upper the 2.5% and 97.5% quantiles
// (type 7) of the statistic over Replicates resamples of the items with
// replacement. Replicates counts the resamples on which the statistic was
// defined (a slope needs two distinct x values, a median of pairs two
// distinct items); N is the number of items.
type Interval struct {
	Value      float64 `json:"value"`
	Lower      float64 `json:"lower"`
	Upper      float64 `json:"upper"`
	N          int     `json:"n"`
	Replicates int     `json:"replicates"`
}

// bootstrap returns the percentile interval of stat over reps resamples
// of the indices 0..n-1 drawn by r. stat gets the resampled indices (with
// repeats) and reports whether it is defined on them. It returns nil when
// stat is undefined on the sample or on more than half of the resamples:
// no interval is then honest.
func bootstrap(n, reps int, r *rand.Rand, stat func(idx []int) (float64, bool)) *Interval {
	return bootstrapPair(n, 0, reps, r, stat)
}

// bootstrapPair is bootstrap over two independent samples of na and nb
// items, resampled separately: stat gets na indices into the first, then
// nb into the second.
func bootstrapPair(na, nb, reps int, r *rand.Rand, stat func(idx []int) (float64, bool)) *Interval {
	idx := make([]int, na+nb)
	for i := range na {
		idx[i] = i
	}
	for i := range nb {
		idx[na+i] = i
	}
	v, ok := stat(idx)
	if !ok {
		return nil
	}
	vals := make([]float64, 0, reps)
	for range reps {
		for i := range na {
			idx[i] = r.IntN(na)
		}
		for i := range nb {
			idx[na+i] = r.IntN(nb)
		}
		if x, ok := stat(idx); ok {
			vals = append(vals, x)
		}
	}
	if 2*len(vals) < reps {
		return nil
	}
	slices.Sort(vals)
	return &Interval{Value: v, Lower: quantile(vals, 0.025), Upper: quantile(vals, 0.975), N: na + nb, Replicates: len(vals)}
}

// quantile returns the p-quantile of sorted s, interpolating linearly
// between order statistics (type 7 of Hyndman and Fan; NewStats uses it too).
func quantile(s []float64, p float64) float64 {
	h := p * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// slopeOf returns the least-squares slope of y on x over the items idx
// (repeats counted), and false when the x values of idx are all equal.
func slopeOf(x, y []float64, idx []int) (float64, bool) {
	var mx, my float64
	for _, i := range idx {
		mx += x[i]
		my += y[i]
	}
	n := float64(len(idx))
	mx /= n
	my /= n
	var sxy, sxx float64
	for _, i := range idx {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	if !(sxx > 0) {
		return 0, false
	}
	return sxy / sxx, true
}

// pairMedian returns the median of d over the pairs of items of idx that
// are distinct items (a resampled item paired with its own copy has no
// distance), where d(i, j) is the value of pair (i, j); false when there
// is no such pair.
func pairMedian(d func(i, j int) float64, idx []int, buf []float64) (float64, bool) {
	buf = buf[:0]
	for a, i := range idx {
		for _, j := range idx[a+1:] {
			if i != j {
				buf = append(buf, d(i, j))
			}
		}
	}
	if len(buf) == 0 {
		return 0, false
	}
	slices.Sort(buf)
	return quantile(buf, 0.5), true
}

// pairLookup turns values of the pairs (i, j), i < j, of n items listed
// row by row (as DepthSummary's distances) into a symmetric lookup.
func pairLookup(n int, pairs []float64) func(i, j int) float64 {
	return func(i, j int) float64 {
		if i > j {
			i, j = j, i
		}
		// Row i starts after the i rows above it, of n-1, n-2, ... pairs.
		return pairs[i*(2*n-i-1)/2+(j-i-1)]
	}
}
