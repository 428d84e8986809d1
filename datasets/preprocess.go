package datasets

import (
	"fmt"
	"math"
	"slices"
)

// SplitIndices is Split's index form: it returns the sample indices of the
// training and test parts, each in increasing order. A regression set is
// split without strata: round(testFraction * N) samples drawn from the
// seed go to the test part. Every class c with n_c
// samples contributes round(testFraction * n_c) of them, chosen at random
// from the seed, to the test part (so a class with one sample may contribute
// none); the rest go to training. The result is a deterministic function of
// (d.Y, testFraction, seed). It is an error if testFraction is not strictly
// between 0 and 1, a label is out of range, or either part would be empty.
func SplitIndices(d *Dataset, testFraction float64, seed uint64) (train, test []int, err error) {
	if d == nil {
		return nil, nil, fmt.Errorf("datasets: Split: nil Dataset")
	}
	if !(testFraction > 0 && testFraction < 1) {
		return nil, nil, fmt.Errorf("datasets: Split: %s: testFraction = %v, expected 0 < testFraction < 1", d.Name, testFraction)
	}
	if d.Regression() {
		return splitRegression(d, testFraction, seed)
	}
	if len(d.Y) != d.N || d.Classes < 1 {
		return nil, nil, fmt.Errorf("datasets: Split: %s: inconsistent Dataset (N = %d, len(Y) = %d, Classes = %d)",
			d.Name, d.N, len(d.Y), d.Classes)
	}
	byClass := make([][]int, d.Classes)
	for i, y := range d.Y {
		if y < 0 || y >= d.Classes {
			return nil, nil, fmt.Errorf("datasets: Split: %s: sample %d has label %d, expected [0, %d)", d.Name, i, y, d.Classes)
		}
		byClass[y] = append(byClass[y], i)
	}
	r := newRand(seed, pcgSplit)
	for _, idx := range byClass {
		r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		nTest := int(math.Round(testFraction * float64(len(idx))))
		test = append(test, idx[:nTest]...)
		train = append(train, idx[nTest:]...)
	}
	return finishSplit(d, testFraction, train, test)
}

// finishSplit refuses a split that leaves either part empty and returns
// both parts in index order.
func finishSplit(d *Dataset, testFraction float64, train, test []int) ([]int, []int, error) {
	if len(train) == 0 || len(test) == 0 {
		return nil, nil, fmt.Errorf("datasets: Split: %s: testFraction %v of %d samples leaves %d for training and %d for test, expected both non-empty",
			d.Name, testFraction, d.N, len(train), len(test))
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test, nil
}

// splitRegression is SplitIndices for a regression set, which has no
// classes to stratify by: round(testFraction * N) samples drawn at random
// from the seed go to the test part.
func splitRegression(d *Dataset, testFraction float64, seed uint64) (train, test []int, err error) {
	perm := newRand(seed, pcgSplit).Perm(d.N)
	nTest := int(math.Round(testFraction * float64(d.N)))
	test, train = perm[:nTest], perm[nTest:]
	return finishSplit(d, testFraction, train, test)
}

// Split divides d into a training and a test part, stratified by class (see
// SplitIndices for the exact rule), seeded and deterministic. Both parts are
// copies and keep the samples in their original order, which for some sets
// (iris) is sorted by class: shuffle minibatches yourself.
func Split(d *Dataset, testFraction float64, seed uint64) (train, test *Dataset, err error) {
	tr, te, err := SplitIndices(d, testFraction, seed)
	if err != nil {
		return nil, nil, err
	}
	if len(d.X) != d.N*d.D {
		return nil, nil, fmt.Errorf("datasets: Split: %s: len(X) = %d, expected N*D = %d", d.Name, len(d.X), d.N*d.D)
	}
	return d.Subset(tr), d.Subset(te), nil
}

// Standardizer holds per-feature means and standard deviations, to map each
// feature to mean 0 and standard deviation 1. Fit it on the training set and
// apply it to both training and test sets.
type Standardizer struct{ Mean, Std []float64 }

// FitStandardizer computes each feature's mean and population standard
// deviation (dividing by N) over d. A constant feature (all values equal,
// like the always-blank corner pixels of digits) gets Std 1 and Mean equal to
// its value, so that it standardizes to exactly 0 instead of dividing by 0.
// An empty set gives Mean 0 and Std 1 throughout.
func FitStandardizer(d *Dataset) Standardizer {
	s := Standardizer{Mean: make([]float64, d.D), Std: make([]float64, d.D)}
	if d.N == 0 {
		for j := range s.Std {
			s.Std[j] = 1
		}
		return s
	}
	lo := slices.Clone(d.X[:d.D])
	hi := slices.Clone(d.X[:d.D])
	for i := range d.N {
		for j, v := range d.X[i*d.D : (i+1)*d.D] {
			s.Mean[j] += v
			lo[j] = min(lo[j], v)
			hi[j] = max(hi[j], v)
		}
	}
	for j := range s.Mean {
		s.Mean[j] /= float64(d.N)
	}
	for i := range d.N {
		for j, v := range d.X[i*d.D : (i+1)*d.D] {
			e := v - s.Mean[j]
			s.Std[j] += e * e
		}
	}
	for j := range s.Std {
		if lo[j] == hi[j] {
			s.Mean[j], s.Std[j] = lo[j], 1
			continue
		}
		s.Std[j] = math.Sqrt(s.Std[j] / float64(d.N))
	}
	return s
}

// Apply returns a copy of d with every feature standardized,
// (x - Mean) / Std. It panics if d has a different number of features than
// s was fitted on.
func (s Standardizer) Apply(d *Dataset) *Dataset {
	if len(s.Mean) != d.D || len(s.Std) != d.D {
		panic(fmt.Sprintf("datasets: Standardizer with %d/%d features applied to %s with %d", len(s.Mean), len(s.Std), d.Name, d.D))
	}
	out := d.Clone()
	for i := range d.N {
		row := out.X[i*d.D : (i+1)*d.D]
		for j := range row {
			row[j] = (row[j] - s.Mean[j]) / s.Std[j]
		}
	}
	return out
}
