package rng

import (
	"math"
	"math/rand"
	"slices"
	"testing"
)

func bitsEqual(a, b []float64) (int, bool) {
	if len(a) != len(b) {
		return -1, false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i, false
		}
	}
	return 0, true
}

// TestUniform53 checks the uniform map. Tolerance: exact (every step is
// exact by construction): u*2^53 must be the odd integer 2*(x>>12)+1.
func TestUniform53(t *testing.T) {
	if u := Uniform53(0); u != 0x1p-53 {
		t.Errorf("Uniform53(0) = %v, want 2^-53", u)
	}
	if u := Uniform53(math.MaxUint64); u != 1-0x1p-53 {
		t.Errorf("Uniform53(max) = %v, want 1-2^-53", u)
	}
	rg := rand.New(rand.NewSource(3))
	for range 100000 {
		x := rg.Uint64()
		u := Uniform53(x)
		if !(u > 0 && u < 1) || u*0x1p53 != float64(2*(x>>12)+1) {
			t.Fatalf("Uniform53(%x) = %v is not (2m+1)*2^-53", x, u)
		}
	}
}

// TestBoxMullerAngle checks the exact quadrant reduction against the naive
// r*cos(2*pi*u2), r*sin(2*pi*u2) computed with package math. Tolerance:
// 1e-14*r absolute: the naive angle 2*pi*u2 carries an absolute error of up
// to ~1e-15, so only absolute agreement can be asked for; a wrong quadrant or
// sign would be off by O(r).
func TestBoxMullerAngle(t *testing.T) {
	rg := rand.New(rand.NewSource(4))
	for range 200000 {
		w := [4]uint32{rg.Uint32(), rg.Uint32(), rg.Uint32(), rg.Uint32()}
		c, s := boxMuller(uint64(w[1])<<32|uint64(w[0]), uint64(w[3])<<32|uint64(w[2]))
		u1 := Uniform53(uint64(w[1])<<32 | uint64(w[0]))
		u2 := Uniform53(uint64(w[3])<<32 | uint64(w[2]))
		r := math.Sqrt(-2 * math.Log(u1))
		th := 2 * math.Pi * u2
		if !(math.Abs(c-r*math.Cos(th)) <= 1e-14*r) || !(math.Abs(s-r*math.Sin(th)) <= 1e-14*r) {
			t.Fatalf("w=%08x: got (%v, %v), naive (%v, %v)", w, c, s, r*math.Cos(th), r*math.Sin(th))
		}
	}
}

// TestNormalStatistics checks 10^6 normals of (seed 1, stream 0) against
// N(0,1). Tolerances: 5 standard errors for the moments (SE of the mean
// 1/sqrt(n), of the variance sqrt(2/n), of the skewness sqrt(6/n), of the
// excess kurtosis sqrt(24/n)); Kolmogorov-Smirnov D < 1.63/sqrt(n), the 1%
// critical value, with the normal CDF from math.Erf.
func TestNormalStatistics(t *testing.T) {
	n := 1000000
	if testing.Short() {
		n = 100000
	}
	x := make([]float64, n)
	FillNormal(x, 1, 0, 0)
	fn := float64(n)
	var sum float64
	for _, v := range x {
		sum += v
	}
	mean := sum / fn
	var m2, m3, m4 float64
	for _, v := range x {
		d := v - mean
		d2 := d * d
		m2 += d2
		m3 += d2 * d
		m4 += d2 * d2
	}
	m2 /= fn
	m3 /= fn
	m4 /= fn
	variance := m2 * fn / (fn - 1)
	skew := m3 / math.Pow(m2, 1.5)
	kurt := m4/(m2*m2) - 3

	slices.Sort(x)
	var dks float64
	for i, v := range x {
		f := 0.5 * (1 + math.Erf(v/math.Sqrt2))
		dks = max(dks, f-float64(i)/fn, float64(i+1)/fn-f)
	}

	checks := []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"mean", mean, 0, 5 / math.Sqrt(fn)},
		{"variance", variance, 1, 5 * math.Sqrt(2/fn)},
		{"skewness", skew, 0, 5 * math.Sqrt(6/fn)},
		{"excess kurtosis", kurt, 0, 5 * math.Sqrt(24/fn)},
		{"KS D", dks, 0, 1.63 / math.Sqrt(fn)},
	}
	for _, c := range checks {
		t.Logf("%-16s = %+.6f (tolerance %.6f, %.2f of it)", c.name, c.got, c.tol, math.Abs(c.got-c.want)/c.tol)
		if !(math.Abs(c.got-c.want) < c.tol) {
			t.Errorf("%s = %v, want %v +- %v", c.name, c.got, c.want, c.tol)
		}
	}
	t.Logf("min %.4f, max %.4f", x[0], x[n-1])
}

// TestFillNormalChunking checks that any split of an index range gives the
// same bits. Tolerance: exact.
func TestFillNormalChunking(t *testing.T) {
	const n = 1000003
	const seed, stream = 42, 3
	whole := make([]float64, n)
	FillNormal(whole, seed, stream, 0)
	for _, cuts := range [][]int{
		{0, 1, 8, 333, n},
		{0, 2, 7, 8, 9, 10, 1000, 1001, 999999, n},
		{0, n},
	} {
		pieces := make([]float64, n)
		for k := 0; k+1 < len(cuts); k++ {
			FillNormal(pieces[cuts[k]:cuts[k+1]], seed, stream, uint64(cuts[k]))
		}
		if i, ok := bitsEqual(whole, pieces); !ok {
			t.Errorf("cuts %v: element %d differs: %v vs %v", cuts, i, whole[i], pieces[i])
		}
	}
	// Element-wise against Normal on a sample, including the ends and the
	// piece boundaries.
	idx := []int{0, 1, 2, 7, 8, 332, 333, 334, n - 2, n - 1}
	for i := 0; i < n; i += 997 {
		idx = append(idx, i)
	}
	for _, i := range idx {
		if got := Normal(seed, stream, uint64(i)); math.Float64bits(got) != math.Float64bits(whole[i]) {
			t.Errorf("Normal(%d) = %v, FillNormal gave %v", i, got, whole[i])
		}
	}
	// Empty and single-element fills.
	FillNormal(nil, seed, stream, 5)
	one := []float64{0}
	FillNormal(one, seed, stream, 333)
	if one[0] != whole[333] {
		t.Errorf("single odd element: %v vs %v", one[0], whole[333])
	}
}

// TestFillNormalLargeIndices checks indices above 2^32 (the high counter
// word) and the wrap of start+j modulo 2^64. Tolerance: exact.
func TestFillNormalLargeIndices(t *testing.T) {
	for _, start := range []uint64{1<<32 - 3, 1<<33 + 1, math.MaxUint64 - 4} {
		got := make([]float64, 10)
		FillNormal(got, 9, 1<<40, start)
		for j := range got {
			if want := Normal(9, 1<<40, start+uint64(j)); math.Float64bits(got[j]) != math.Float64bits(want) {
				t.Errorf("start %x, j %d: %v vs %v", start, j, got[j], want)
			}
		}
	}
}

// TestStreamsAndSeedsDiffer checks that different streams and seeds (also
// differing only in the high 32-bit word) give unrelated sequences.
// Tolerance: no equal element among the first 1000 (for independent
// continuous values a coincidence has probability ~1e-13).
func TestStreamsAndSeedsDiffer(t *testing.T) {
	const n = 1000
	ref := make([]float64, n)
	FillNormal(ref, 1, 0, 0)
	for _, c := range []struct{ seed, stream uint64 }{
		{1, 1}, {1, 1 << 32}, {2, 0}, {1 | 1<<32, 0}, {0, 0},
	} {
		x := make([]float64, n)
		FillNormal(x, c.seed, c.stream, 0)
		for i := range x {
			if x[i] == ref[i] {
				t.Errorf("seed %x stream %x: element %d equals that of seed 1 stream 0", c.seed, c.stream, i)
				break
			}
		}
	}
	// Sliding check: stream 1 is not stream 0 shifted.
	x := make([]float64, n)
	FillNormal(x, 1, 1, 0)
	for _, v := range x {
		if slices.Contains(ref, v) {
			t.Errorf("stream 1 value %v occurs in stream 0", v)
		}
	}
}

// TestDeterminism checks that repeated calls give identical bits.
// Tolerance: exact.
func TestDeterminism(t *testing.T) {
	a := make([]float64, 4097)
	b := make([]float64, 4097)
	FillNormal(a, 0xdeadbeef, 7, 1001)
	FillNormal(b, 0xdeadbeef, 7, 1001)
	if i, ok := bitsEqual(a, b); !ok {
		t.Errorf("element %d differs between calls", i)
	}
	for i := uint64(0); i < 100; i++ {
		if math.Float64bits(Normal(5, 6, i)) != math.Float64bits(Normal(5, 6, i)) {
			t.Errorf("Normal(5, 6, %d) not deterministic", i)
		}
	}
}

// BenchmarkFillNormal measures single-goroutine throughput of FillNormal.
func BenchmarkFillNormal(b *testing.B) {
	const n = 1 << 16
	dst := make([]float64, n)
	b.SetBytes(8 * n)
	var start uint64
	for b.Loop() {
		FillNormal(dst, 1, 0, start)
		start += n
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "normals/s")
}

// BenchmarkNormal measures the cost of one isolated Normal call (which
// computes the whole pair and discards one).
func BenchmarkNormal(b *testing.B) {
	var s float64
	var i uint64
	for b.Loop() {
		s += Normal(1, 0, i)
		i++
	}
	_ = s
}
