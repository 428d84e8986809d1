package energy

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// Richness is the Chao1 estimate of the number of distinct classes (here,
// minima) from how often each observed class was seen, with its 95%
// confidence interval and the sample's estimated coverage.
type Richness struct {
	// Observed is the number of classes seen; Singletons (f1) and
	// Doubletons (f2) those seen once and twice; Samples (n) the number of
	// observations.
	Observed   int `json:"observed"`
	Singletons int `json:"singletons"`
	Doubletons int `json:"doubletons"`
	Samples    int `json:"samples"`
	// Chao1 is the estimate: Observed + ((n-1)/n) f1^2 / (2 f2) when f2 >
	// 0 (Chao 1984, with the small-sample factor of Chao 1987), and the
	// bias-corrected Observed + ((n-1)/n) f1 (f1-1) / 2 when f2 = 0 (Chao
	// 2005; EstimateS user's guide, appendix B).
	Chao1 float64 `json:"chao1"`
	// BiasCorrected is Observed + ((n-1)/n) f1 (f1-1) / (2 (f2+1)) for
	// every f2.
	BiasCorrected float64 `json:"bias_corrected"`
	// Variance is the estimate's variance (Chao 1987, eq. 6 of the
	// EstimateS guide for f2 > 0; eq. 7 for f2 = 0; eq. 14's form when
	// f1 <= 1 and f2 = 0, where the estimate is Observed).
	Variance float64 `json:"variance"`
	// Lower and Upper bound the 95% interval. With T = Chao1 - Observed >
	// 0 it is the log-normal interval of Chao (1987): Observed + T/K to
	// Observed + T K, K = exp(1.96 sqrt(log(1 + Variance/T^2))), never
	// below Observed. With T = 0 it is EstimateS's eq. 14 interval
	// (Observed/(1-P) -+ 1.96 sqrt(Variance)/(1-P), P = sum_k f_k
	// exp(-k) / Observed, the lower end at least Observed).
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	// Coverage is Chao and Jost's (2012) estimate of the sample
	// coverage, the probability that a new observation falls in a class
	// already seen: 1 - (f1/n) ((n-1) f1 / ((n-1) f1 + 2 f2)) (with f1-1
	// for f1 and 2 for 2 f2 when f2 = 0); GoodTuring is Turing's 1 -
	// f1/n.
	Coverage   float64 `json:"coverage"`
	GoodTuring float64 `json:"good_turing"`
}

// Chao1 estimates the number of classes from abundances: counts[i] is how
// often class i was seen (zeros are ignored). It needs at least one
// observation.
func Chao1(counts []int) (Richness, error) {
	var r Richness
	freq := map[int]int{} // f_k
	for i, c := range counts {
		if c < 0 {
			return r, fmt.Errorf("chao1: class %d seen %d times", i, c)
		}
		if c == 0 {
			continue
		}
		r.Observed++
		r.Samples += c
		freq[c]++
	}
	if r.Samples == 0 {
		return r, fmt.Errorf("chao1: no observations")
	}
	s := float64(r.Observed)
	n := float64(r.Samples)
	f1, f2 := float64(freq[1]), float64(freq[2])
	r.Singletons, r.Doubletons = freq[1], freq[2]
	a := (n - 1) / n
	r.BiasCorrected = s + a*f1*(f1-1)/(2*(f2+1))
	r.GoodTuring = 1 - f1/n
	switch {
	case f2 > 0:
		r.Coverage = 1 - f1/n*((n-1)*f1/((n-1)*f1+2*f2))
	case f1 > 0:
		r.Coverage = 1 - f1/n*((n-1)*(f1-1)/((n-1)*(f1-1)+2))
	default:
		r.Coverage = 1
	}
	switch {
	case f2 > 0:
		q := f1 / f2
		r.Chao1 = s + a*f1*f1/(2*f2)
		r.Variance = f2 * (a*q*q/2 + a*a*q*q*q + a*a*q*q*q*q/4)
	case f1 > 1:
		r.Chao1 = s + a*f1*(f1-1)/2
		r.Variance = a*f1*(f1-1)/2 + a*a*f1*(2*f1-1)*(2*f1-1)/4 - a*a*f1*f1*f1*f1/(4*r.Chao1)
	default:
		r.Chao1 = s
	}
	t := r.Chao1 - s
	if t > 0 {
		k := math.Exp(1.96 * math.Sqrt(math.Log(1+r.Variance/(t*t))))
		r.Lower, r.Upper = s+t/k, s+t*k
		return r, nil
	}
	// No undetected classes estimated: EstimateS's eq. 14.
	var p, sumE, sumKE float64
	for _, k := range slices.Sorted(maps.Keys(freq)) { // a fixed order: bit-identical sums
		fk := freq[k]
		ek := math.Exp(-float64(k))
		p += float64(fk) * ek
		sumE += float64(fk) * (ek - ek*ek)
		sumKE += float64(k) * ek * float64(fk)
	}
	r.Variance = sumE - sumKE*sumKE/n
	p /= s
	half := 1.96 * math.Sqrt(math.Max(r.Variance, 0)) / (1 - p)
	r.Lower = math.Max(s, s/(1-p)-half)
	r.Upper = s/(1-p) + half
	return r, nil
}
