package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Second words of the PCG state, one per generator, so that the same seed
// gives independent streams in different generators.
const (
	pcgSpirals = 0x6e6574676d_01 // "netgm" 1
	pcgCircles = 0x6e6574676d_02
	pcgMixture = 0x6e6574676d_03
	pcgTeacher = 0x6e6574676d_04
	pcgSplit   = 0x6e6574676d_05
)

// MaxSyntheticElements bounds the size of a synthetic set (n times the
// number of features), 2^27 values or 1 GiB: larger requests are refused as
// bad arguments rather than attempted.
const MaxSyntheticElements = 1 << 27

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// checkSize validates n samples of d features.
func checkSize(fn string, n, minN, d int) error {
	if n < minN {
		return fmt.Errorf("datasets: %s: n = %d, expected at least %d", fn, n, minN)
	}
	if d < 1 {
		return fmt.Errorf("datasets: %s: d = %d features, expected at least 1", fn, d)
	}
	if n > MaxSyntheticElements/d {
		return fmt.Errorf("datasets: %s: %d samples x %d features is more than %d values", fn, n, d, MaxSyntheticElements)
	}
	return nil
}

func checkNoise(fn string, noise float64) error {
	if !(noise >= 0) || math.IsInf(noise, 0) {
		return fmt.Errorf("datasets: %s: noise = %v, expected a finite value >= 0", fn, noise)
	}
	return nil
}

// TwoSpirals returns n points in the plane on two interleaved spirals, the
// classic hard-to-separate set: for sample i, class c = i mod 2 (class 0
// gets the extra sample when n is odd), t uniform in [0, 1), and the point is
// t (cos(3πt + cπ), sin(3πt + cπ)) plus isotropic Gaussian noise of standard
// deviation noise. Each spiral makes 1.5 turns out to radius 1. n must be at
// least 2 and noise finite and >= 0.
func TwoSpirals(n int, noise float64, seed uint64) (*Dataset, error) {
	if err := checkSize("TwoSpirals", n, 2, 2); err != nil {
		return nil, err
	}
	if err := checkNoise("TwoSpirals", noise); err != nil {
		return nil, err
	}
	r := newRand(seed, pcgSpirals)
	d := &Dataset{Name: "spirals", X: make([]float64, 2*n), Y: make([]int, n), N: n, D: 2, Classes: 2}
	for i := range n {
		c := i % 2
		t := r.Float64()
		a := 3*math.Pi*t + float64(c)*math.Pi
		d.X[2*i] = t*math.Cos(a) + noise*r.NormFloat64()
		d.X[2*i+1] = t*math.Sin(a) + noise*r.NormFloat64()
		d.Y[i] = c
	}
	return d, nil
}

// Circles returns n points in the plane on two concentric circles, like
// scikit-learn's make_circles: class 0 (even i; the extra sample when n is
// odd) on the circle of radius 1, class 1 (odd i) on the circle of radius
// factor, at uniformly random angles, plus isotropic Gaussian noise of
// standard deviation noise. n must be at least 2, noise finite and >= 0, and
// 0 < factor < 1.
func Circles(n int, noise, factor float64, seed uint64) (*Dataset, error) {
	if err := checkSize("Circles", n, 2, 2); err != nil {
		return nil, err
	}
	if err := checkNoise("Circles", noise); err != nil {
		return nil, err
	}
	if !(factor > 0 && factor < 1) {
		return nil, fmt.Errorf("datasets: Circles: factor = %v, expected 0 < factor < 1 (inner radius / outer radius)", factor)
	}
	r := newRand(seed, pcgCircles)
	d := &Dataset{Name: "circles", X: make([]float64, 2*n), Y: make([]int, n), N: n, D: 2, Classes: 2}
	for i := range n {
		c := i % 2
		rad := 1.0
		if c == 1 {
			rad = factor
		}
		a := 2 * math.Pi * r.Float64()
		d.X[2*i] = rad*math.Cos(a) + noise*r.NormFloat64()
		d.X[2*i+1] = rad*math.Sin(a) + noise*r.NormFloat64()
		d.Y[i] = c
	}
	return d, nil
}

// GaussianMixture returns n points in d dimensions from k unit-variance
// isotropic Gaussians, sample i of class i mod k, with class means placed so
// that every pair is at least separation apart (see MixtureMeans). n must be
// at least k, d at least 1, k at least 2, and separation finite and >= 0.
func GaussianMixture(n, d, k int, separation float64, seed uint64) (*Dataset, error) {
	if k < 2 {
		return nil, fmt.Errorf("datasets: GaussianMixture: k = %d classes, expected at least 2", k)
	}
	if err := checkSize("GaussianMixture", n, k, d); err != nil {
		return nil, err
	}
	if !(separation >= 0) || math.IsInf(separation, 0) {
		return nil, fmt.Errorf("datasets: GaussianMixture: separation = %v, expected a finite value >= 0", separation)
	}
	if k > MaxSyntheticElements/d {
		return nil, fmt.Errorf("datasets: GaussianMixture: %d means x %d features is too large", k, d)
	}
	means := MixtureMeans(d, k, separation)
	r := newRand(seed, pcgMixture)
	ds := &Dataset{Name: "gaussian-mixture", X: make([]float64, n*d), Y: make([]int, n), N: n, D: d, Classes: k}
	for i := range n {
		c := i % k
		for j := range d {
			ds.X[i*d+j] = means[c*d+j] + r.NormFloat64()
		}
		ds.Y[i] = c
	}
	return ds, nil
}

// MixtureMeans returns the k class means (k x d, row-major) GaussianMixture
// uses, centred on the origin: if d >= k, the vertices of a regular simplex,
// (separation/√2) e_j minus their centroid, all pairs exactly separation
// apart; else if d >= 2, k points evenly spaced on a circle in the first two
// coordinates with neighbours separation apart; else (d == 1) k points
// separation apart on the line.
func MixtureMeans(d, k int, separation float64) []float64 {
	m := make([]float64, k*d)
	switch {
	case d >= k:
		s := separation / math.Sqrt2
		for j := range k {
			for l := range k {
				m[j*d+l] = -s / float64(k)
			}
			m[j*d+j] += s
		}
	case d >= 2:
		rad := separation / (2 * math.Sin(math.Pi/float64(k)))
		for j := range k {
			a := 2 * math.Pi * float64(j) / float64(k)
			m[j*d] = rad * math.Cos(a)
			m[j*d+1] = rad * math.Sin(a)
		}
	default:
		for j := range k {
			m[j] = separation * (float64(j) - float64(k-1)/2)
		}
	}
	return m
}

// teacherNet is a one-hidden-layer tanh network x -> W2 tanh(W1 x).
type teacherNet struct {
	d, hidden, classes int
	w1, w2             []float64 // hidden x d, classes x hidden, row-major
}

// newTeacher draws W1 with entries N(0, 1/d) (unit-variance pre-activations
// on standard Gaussian inputs) and W2 with entries N(0, 1/hidden).
func newTeacher(r *rand.Rand, d, hidden, classes int) *teacherNet {
	t := &teacherNet{d: d, hidden: hidden, classes: classes,
		w1: make([]float64, hidden*d), w2: make([]float64, classes*hidden)}
	s1, s2 := 1/math.Sqrt(float64(d)), 1/math.Sqrt(float64(hidden))
	for i := range t.w1 {
		t.w1[i] = s1 * r.NormFloat64()
	}
	for i := range t.w2 {
		t.w2[i] = s2 * r.NormFloat64()
	}
	return t
}

// label returns argmax_c (W2 tanh(W1 x))_c (the first on ties); h is scratch
// of length hidden.
func (t *teacherNet) label(x, h []float64) int {
	for u := range t.hidden {
		s := 0.0
		for j, w := range t.w1[u*t.d : (u+1)*t.d] {
			s += w * x[j]
		}
		h[u] = math.Tanh(s)
	}
	best, bestV := 0, math.Inf(-1)
	for c := range t.classes {
		s := 0.0
		for u, w := range t.w2[c*t.hidden : (c+1)*t.hidden] {
			s += w * h[u]
		}
		if s > bestV {
			best, bestV = c, s
		}
	}
	return best
}

// Teacher returns n standard Gaussian inputs in d dimensions labelled by a
// random teacher: a one-hidden-layer network with hidden tanh units and no
// biases, x -> argmax W2 tanh(W1 x), with W1 entries N(0, 1/d) and W2 entries
// N(0, 1/hidden), both drawn from the seed. The classes need not be balanced,
// and a class may be absent for small n. n, d and hidden must be at least 1
// and classes at least 2.
func Teacher(n, d, classes, hidden int, seed uint64) (*Dataset, error) {
	if classes < 2 {
		return nil, fmt.Errorf("datasets: Teacher: classes = %d, expected at least 2", classes)
	}
	if hidden < 1 {
		return nil, fmt.Errorf("datasets: Teacher: hidden = %d units, expected at least 1", hidden)
	}
	if err := checkSize("Teacher", n, 1, d); err != nil {
		return nil, err
	}
	if hidden > MaxSyntheticElements/d || classes > MaxSyntheticElements/hidden {
		return nil, fmt.Errorf("datasets: Teacher: network %d -> %d -> %d is too large", d, hidden, classes)
	}
	r := newRand(seed, pcgTeacher)
	net := newTeacher(r, d, hidden, classes)
	ds := &Dataset{Name: "teacher", X: make([]float64, n*d), Y: make([]int, n), N: n, D: d, Classes: classes}
	h := make([]float64, hidden)
	for i := range n {
		x := ds.X[i*d : (i+1)*d]
		for j := range x {
			x[j] = r.NormFloat64()
		}
		ds.Y[i] = net.label(x, h)
	}
	return ds, nil
}
