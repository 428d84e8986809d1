package energy

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestChao1Textbook reproduces the Chao1 estimates of the tropical ant
// data of Chao and Chiu ("Species richness: estimation and comparison",
// Wiley StatsRef, 2016; the "edge" assemblage, as transcribed in the
// tabula R package's tests, tests/testthat/test-Chao.R): 334 species, 1978
// individuals, 113 singletons and 50 doubletons; Chao1 461.625 and the
// bias-corrected form 458.016, both to the three decimals given. The
// coverage is checked against its closed form, 1 - (113/1978) (1977 * 113
// / (1977 * 113 + 100)), and the interval against the log-normal formula
// worked by hand from the variance's closed form.
func TestChao1Textbook(t *testing.T) {
	abund := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 25, 27, 28, 30, 32, 34, 35, 36, 37, 41, 45, 46, 49, 52, 89, 110, 123, 140}
	times := []int{113, 50, 39, 29, 15, 11, 13, 5, 6, 6, 3, 4, 3, 5, 2, 5, 2, 2, 2, 2, 1, 2, 1, 1, 1, 1, 1, 0, 0, 2, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0}
	var counts []int
	for i, a := range abund {
		for range times[i] {
			counts = append(counts, a)
		}
	}
	r, err := Chao1(counts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Observed != 334 || r.Samples != 1978 || r.Singletons != 113 || r.Doubletons != 50 {
		t.Fatalf("observed %d, n %d, f1 %d, f2 %d; want 334, 1978, 113, 50", r.Observed, r.Samples, r.Singletons, r.Doubletons)
	}
	if math.Round(r.Chao1*1000)/1000 != 461.625 || math.Round(r.BiasCorrected*1000)/1000 != 458.016 {
		t.Errorf("Chao1 %.4f, bias-corrected %.4f; published 461.625 and 458.016", r.Chao1, r.BiasCorrected)
	}
	wantC := 1 - 113.0/1978*(1977.0*113/(1977.0*113+100))
	if !(math.Abs(r.Coverage-wantC) <= 1e-15) || !(math.Abs(r.GoodTuring-(1-113.0/1978)) <= 1e-15) {
		t.Errorf("coverage %.17g, Good-Turing %.17g; want %.17g, %.17g", r.Coverage, r.GoodTuring, wantC, 1-113.0/1978)
	}
	// By hand: A = 1977/1978, q = 113/50 = 2.26; var = 50 (A q^2/2 + A^2
	// q^3 + A^2 q^4/4); T = 127.625..., K = exp(1.96 sqrt(log(1+var/T^2))).
	a, q := 1977.0/1978, 2.26
	v := 50 * (a*q*q/2 + a*a*q*q*q + a*a*q*q*q*q/4)
	tt := a * 113 * 113 / 100
	k := math.Exp(1.96 * math.Sqrt(math.Log(1+v/(tt*tt))))
	if !(math.Abs(r.Variance-v) <= 1e-9*v) || !(math.Abs(r.Lower-(334+tt/k)) <= 1e-9) || !(math.Abs(r.Upper-(334+tt*k)) <= 1e-9) {
		t.Errorf("variance %.6f, interval [%.4f, %.4f]; want %.6f, [%.4f, %.4f]", r.Variance, r.Lower, r.Upper, v, 334+tt/k, 334+tt*k)
	}
	t.Logf("edge ants: Chao1 %.3f [%.1f, %.1f], s.e. %.1f, coverage %.4f", r.Chao1, r.Lower, r.Upper, math.Sqrt(r.Variance), r.Coverage)
}

// TestChao1Branches: the bias-corrected form when f2 = 0 and the
// no-singleton interval, by hand.
func TestChao1Branches(t *testing.T) {
	// f1 = 3, f2 = 0, S = 4, n = 6: 4 + (5/6) 3 2 / 2 = 6.5.
	r, err := Chao1([]int{1, 1, 1, 3, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(r.Chao1-6.5) <= 1e-12) || !(r.Lower > 4 && r.Lower < 6.5 && r.Upper > 6.5) {
		t.Errorf("f2 = 0: Chao1 %v [%v, %v]; want 6.5 inside an interval above 4", r.Chao1, r.Lower, r.Upper)
	}
	// Coverage with f2 = 0: 1 - (3/6) (5 * 2 / (5 * 2 + 2)) = 7/12.
	if !(math.Abs(r.Coverage-7.0/12) <= 1e-15) {
		t.Errorf("coverage %v, want 7/12", r.Coverage)
	}
	// No singletons: the estimate is what was seen, the interval starts there.
	r, err = Chao1([]int{2, 3, 5})
	if err != nil {
		t.Fatal(err)
	}
	if r.Chao1 != 3 || r.Lower != 3 || !(r.Upper >= 3) || r.Coverage != 1 {
		t.Errorf("f1 = 0: Chao1 %v [%v, %v], coverage %v", r.Chao1, r.Lower, r.Upper, r.Coverage)
	}
	if _, err := Chao1([]int{0, 0}); err == nil {
		t.Error("no observations: no error")
	}
	if _, err := Chao1([]int{1, -1}); err == nil {
		t.Error("a negative count: no error")
	}
}

// TestChao1Coverage: 200 classes with log-normal abundances (sigma 0.5,
// so the commonest is about 20 times the rarest), 600 draws, 2000
// repetitions. The 95% interval covered the truth in 1900 of 2000
// repetitions (0.950) when this test was written; the test asks for
// 0.93 to 0.97, three binomial standard deviations (0.0049) around 0.95
// and a little more. The coverage estimate's mean error against the true
// coverage of each sample (the total probability of the classes seen) is
// within 0.002 (it was 0.0003).
func TestChao1Coverage(t *testing.T) {
	const classes, draws, reps = 200, 600, 2000
	rng := rand.New(rand.NewPCG(7, 9))
	p := make([]float64, classes)
	sum := 0.0
	for i := range p {
		p[i] = math.Exp(0.5 * rng.NormFloat64())
		sum += p[i]
	}
	cum := make([]float64, classes)
	c := 0.0
	for i := range p {
		p[i] /= sum
		c += p[i]
		cum[i] = c
	}
	covered := 0
	covErr := 0.0
	counts := make([]int, classes)
	for range reps {
		clear(counts)
		for range draws {
			i := min(sort.SearchFloat64s(cum, rng.Float64()), classes-1)
			counts[i]++
		}
		r, err := Chao1(counts)
		if err != nil {
			t.Fatal(err)
		}
		if r.Lower <= classes && classes <= r.Upper {
			covered++
		}
		seen := 0.0
		for i, k := range counts {
			if k > 0 {
				seen += p[i]
			}
		}
		covErr += r.Coverage - seen
	}
	frac := float64(covered) / reps
	t.Logf("interval covered %d classes in %d of %d repetitions (%.3f); coverage estimate's mean error %.4f", classes, covered, reps, frac, covErr/reps)
	if frac < 0.93 || frac > 0.97 {
		t.Errorf("coverage of the 95%% interval %.3f, want 0.93 to 0.97", frac)
	}
	if !(math.Abs(covErr/reps) <= 0.002) {
		t.Errorf("coverage estimate's mean error %.4f, want within 0.002", covErr/reps)
	}
}
