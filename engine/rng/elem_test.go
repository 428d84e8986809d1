package rng

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
)

// Accuracy tests of Log, Sin and Cos.
//
// Two references are used:
//
//  1. The math package, on dense samples (10^6 points and more). Tolerance:
//     1 ulp, measured as |Float64bits(a) - Float64bits(b)| for same-sign
//     values. Both implementations are faithful (error < 1 ulp from the true
//     value), so they may legitimately disagree in the last bit, but a bug in
//     the reduction or a wrong coefficient shows up as many ulps.
//  2. A 256-bit math/big reference on smaller samples (big is slow), giving
//     the true error in fractional ulps. Tolerance: < 1 ulp (fdlibm's bound).
//     This is also the reference for subnormal Log arguments, where math.Log
//     is wrong on amd64 (golang/go#56600: log_amd64.s does not normalize
//     subnormals, e.g. math.Log(5e-324) = -709.09 instead of -744.44).

// ulpDiff is |Float64bits(a) - Float64bits(b)| for same-sign a, b; it returns
// MaxUint64 when the signs differ (unless both are zero) or either is NaN.
func ulpDiff(a, b float64) uint64 {
	if a == b {
		return 0
	}
	if math.IsNaN(a) || math.IsNaN(b) || math.Signbit(a) != math.Signbit(b) {
		return math.MaxUint64
	}
	x, y := math.Float64bits(a), math.Float64bits(b)
	if x > y {
		return x - y
	}
	return y - x
}

// ulpStats tracks the maximum ulp difference and where it occurred.
type ulpStats struct {
	max   uint64
	at    float64
	n     int
	exact int
}

func (s *ulpStats) add(x, got, want float64) {
	d := ulpDiff(got, want)
	s.n++
	if d == 0 {
		s.exact++
	}
	if d > s.max || s.n == 1 {
		s.max, s.at = d, x
	}
}

func (s *ulpStats) check(t *testing.T, name string, tol uint64) {
	t.Helper()
	t.Logf("%s: %d points, max %d ulp (at x=%v), %.4f%% bit-identical", name, s.n, s.max, s.at, 100*float64(s.exact)/float64(s.n))
	if s.max > tol {
		t.Errorf("%s: max error %d ulp at x=%v (%x), want <= %d", name, s.max, s.at, math.Float64bits(s.at), tol)
	}
}

// ---- 256-bit reference ----

const refPrec = 256

func bf(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }

// atanSeries returns sum_k (-1)^k x^(2k+1)/(2k+1) if alt, else
// sum_k x^(2k+1)/(2k+1) (atanh), for small |x|.
func atanSeries(x *big.Float, alt bool) *big.Float {
	sum := new(big.Float).SetPrec(refPrec).Set(x)
	x2 := new(big.Float).SetPrec(refPrec).Mul(x, x)
	pow := new(big.Float).SetPrec(refPrec).Set(x)
	term := new(big.Float).SetPrec(refPrec)
	for k := 1; ; k++ {
		pow.Mul(pow, x2)
		term.Quo(pow, bf(float64(2*k+1)))
		if term.Sign() == 0 || term.MantExp(nil)-sum.MantExp(nil) < -refPrec-8 {
			return sum
		}
		if alt && k%2 == 1 {
			sum.Sub(sum, term)
		} else {
			sum.Add(sum, term)
		}
	}
}

var refPi, refLn2 = func() (*big.Float, *big.Float) {
	// Machin: pi = 16 atan(1/5) - 4 atan(1/239); ln 2 = 2 atanh(1/3).
	a := atanSeries(new(big.Float).SetPrec(refPrec).Quo(bf(1), bf(5)), true)
	b := atanSeries(new(big.Float).SetPrec(refPrec).Quo(bf(1), bf(239)), true)
	pi := new(big.Float).SetPrec(refPrec).Sub(a.Mul(a, bf(16)), b.Mul(b, bf(4)))
	l := atanSeries(new(big.Float).SetPrec(refPrec).Quo(bf(1), bf(3)), false)
	return pi, l.Mul(l, bf(2))
}()

// refLog returns ln(x) for finite x > 0 (subnormals included).
func refLog(x float64) *big.Float {
	m, e := math.Frexp(x) // x = m*2^e, 0.5 <= m < 1, exact also for subnormals
	if m < math.Sqrt2/2 {
		m *= 2
		e--
	}
	// ln m = 2 atanh((m-1)/(m+1))
	t := new(big.Float).SetPrec(refPrec).Quo(bf(m-1), new(big.Float).SetPrec(refPrec).Add(bf(m), bf(1)))
	r := atanSeries(t, false)
	r.Mul(r, bf(2))
	return r.Add(r, new(big.Float).SetPrec(refPrec).Mul(refLn2, bf(float64(e))))
}

// refSinCos returns sin(x) and cos(x) for finite x.
func refSinCos(x float64) (*big.Float, *big.Float) {
	pio2 := new(big.Float).SetPrec(refPrec).Quo(refPi, bf(2))
	q := new(big.Float).SetPrec(refPrec).Quo(bf(x), pio2)
	nf, _ := q.Float64()
	n := math.Round(nf)
	r := new(big.Float).SetPrec(refPrec).Sub(bf(x), new(big.Float).SetPrec(refPrec).Mul(pio2, bf(n)))
	r2 := new(big.Float).SetPrec(refPrec).Mul(r, r)
	// Taylor series of sin r and cos r, |r| <~ pi/4.
	s := new(big.Float).SetPrec(refPrec).Set(r)
	c := bf(1)
	ts := new(big.Float).SetPrec(refPrec).Set(r)
	tc := bf(1)
	for k := 1; k < 200; k++ {
		ts.Mul(ts, r2)
		ts.Quo(ts, bf(float64((2*k)*(2*k+1))))
		ts.Neg(ts)
		tc.Mul(tc, r2)
		tc.Quo(tc, bf(float64((2*k-1)*(2*k))))
		tc.Neg(tc)
		s.Add(s, ts)
		c.Add(c, tc)
		if tc.Sign() == 0 || tc.MantExp(nil) < -refPrec-8 {
			break
		}
	}
	switch int64(n) & 3 {
	case 0:
		return s, c
	case 1:
		return c, s.Neg(s)
	case 2:
		return s.Neg(s), c.Neg(c)
	default:
		return c.Neg(c), s
	}
}

// ulpErr returns |got - ref| / ulp(ref), ulp(ref) being the spacing of
// doubles at the magnitude of ref (the subnormal spacing 2^-1074 at least).
func ulpErr(got float64, ref *big.Float) float64 {
	d := new(big.Float).SetPrec(refPrec).Sub(bf(got), ref)
	d.Abs(d)
	if ref.Sign() == 0 {
		f, _ := d.Float64()
		return f / 0x1p-1074
	}
	e := ref.MantExp(nil) - 1 // 2^e <= |ref| < 2^(e+1)
	ulpExp := max(e-52, -1074)
	f, _ := new(big.Float).SetMantExp(d, -ulpExp).Float64()
	return f
}

type refStats struct {
	max float64
	at  float64
	n   int
}

func (s *refStats) add(x, got float64, ref *big.Float) {
	e := ulpErr(got, ref)
	s.n++
	if e > s.max {
		s.max, s.at = e, x
	}
}

func (s *refStats) check(t *testing.T, name string) {
	t.Helper()
	t.Logf("%s vs 256-bit reference: %d points, max error %.3f ulp (at x=%v)", name, s.n, s.max, s.at)
	if !(s.max < 1) {
		t.Errorf("%s: error %.3f ulp at x=%v (%x), want < 1", name, s.max, s.at, math.Float64bits(s.at))
	}
}

// ---- samples ----

// randNormalFloat returns a random positive normal double, log-uniform over
// all binades: uniform biased exponent in [1, 2046] and uniform mantissa.
func randNormalFloat(rg *rand.Rand) float64 {
	return math.Float64frombits(uint64(1+rg.Intn(2046))<<52 | rg.Uint64()&(1<<52-1))
}

func randSubnormal(rg *rand.Rand) float64 {
	m := rg.Uint64() & (1<<52 - 1)
	m >>= uint(rg.Intn(52)) // spread over the subnormal binades
	if m == 0 {
		m = 1
	}
	return math.Float64frombits(m)
}

func nSamples(t *testing.T, n int) int {
	if testing.Short() {
		return n / 10
	}
	return n
}

func TestLogSpecialCases(t *testing.T) {
	// Tolerance: exact (special values are defined, not approximated).
	for _, x := range []float64{math.Inf(1), 0, math.Copysign(0, -1), -1, -5e-324, math.Inf(-1), math.NaN(), 1, 2, 0.5, 5e-324, math.MaxFloat64} {
		got, want := Log(x), math.Log(x)
		if x == 5e-324 {
			want = -744.4400719213812 // math.Log is wrong here on amd64 (golang/go#56600)
		}
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("Log(%v) = %v, want %v", x, got, want)
		}
	}
	if Log(1) != 0 || math.Signbit(Log(1)) {
		t.Errorf("Log(1) = %v, want +0", Log(1))
	}
}

func TestLogVsMath(t *testing.T) {
	rg := rand.New(rand.NewSource(11))
	var all, near1, unif ulpStats
	// Log-uniform over all normal binades.
	for range nSamples(t, 1000000) {
		x := randNormalFloat(rg)
		all.add(x, Log(x), math.Log(x))
	}
	// Dense grid around 1: consecutive doubles on both sides, then a
	// coarser grid on [0.5, 2] (covers the |f| < 2^-20 path and the i > 0 /
	// i <= 0 branches).
	one := math.Float64bits(1)
	for k := uint64(0); k < 50000; k++ {
		for _, x := range []float64{math.Float64frombits(one + k), math.Float64frombits(one - k)} {
			near1.add(x, Log(x), math.Log(x))
		}
	}
	grid := nSamples(t, 300000)
	for k := range grid {
		x := 0.5 + 1.5*float64(k)/float64(grid)
		near1.add(x, Log(x), math.Log(x))
	}
	// The arguments the normal generator actually uses.
	for range nSamples(t, 200000) {
		x := Uniform53(rg.Uint64())
		unif.add(x, Log(x), math.Log(x))
	}
	all.check(t, "Log, all normal binades, vs math.Log", 1)
	near1.check(t, "Log, near 1, vs math.Log", 1)
	unif.check(t, "Log, Uniform53 outputs, vs math.Log", 1)
}

func TestLogVsBig(t *testing.T) {
	rg := rand.New(rand.NewSource(12))
	var normal, sub, near1 refStats
	for range nSamples(t, 20000) {
		x := randNormalFloat(rg)
		normal.add(x, Log(x), refLog(x))
	}
	for _, x := range []float64{5e-324, 1e-323, 0x1p-1060, math.Float64frombits(1<<52 - 1)} {
		sub.add(x, Log(x), refLog(x))
	}
	for range nSamples(t, 5000) {
		x := randSubnormal(rg)
		sub.add(x, Log(x), refLog(x))
	}
	for range nSamples(t, 5000) {
		x := 1 + (rg.Float64()-0.5)*math.Ldexp(1, -rg.Intn(50))
		near1.add(x, Log(x), refLog(x))
	}
	normal.check(t, "Log, normal binades")
	sub.check(t, "Log, subnormals")
	near1.check(t, "Log, near 1")
}

// nearestDouble returns the double nearest to k*pi/4.
func nearestDouble(k int) float64 {
	pio4 := new(big.Float).SetPrec(refPrec).Quo(refPi, bf(4))
	f, _ := pio4.Mul(pio4, bf(float64(k))).Float64()
	return f
}

// trigPointsNearMultiples returns doubles within a few ulps of k*pi/4 for
// small k and for a spread of large k up to TrigMax.
func trigPointsNearMultiples() []float64 {
	var ks []int
	for k := -64; k <= 64; k++ {
		ks = append(ks, k)
	}
	kmax := int(math.Floor(TrigMax / (math.Pi / 4)))
	for k := 100; k < kmax; k = k*5/4 + 1 {
		ks = append(ks, k, -k)
	}
	ks = append(ks, kmax-1, -(kmax - 1))
	var xs []float64
	for _, k := range ks {
		x := nearestDouble(k)
		xs = append(xs, x)
		for d := 1.0; d <= 3; d++ {
			xs = append(xs, x+d*ulpOf(x), x-d*ulpOf(x))
		}
	}
	return xs
}

func ulpOf(x float64) float64 {
	if x == 0 {
		return 5e-324
	}
	return math.Nextafter(math.Abs(x), math.Inf(1)) - math.Abs(x)
}

func TestSinCosSpecialCases(t *testing.T) {
	// Tolerance: exact.
	negZero := math.Copysign(0, -1)
	if s := Sin(negZero); s != 0 || !math.Signbit(s) {
		t.Errorf("Sin(-0) = %v, want -0", s)
	}
	if s := Sin(0); s != 0 || math.Signbit(s) {
		t.Errorf("Sin(+0) = %v, want +0", s)
	}
	if c := Cos(negZero); c != 1 {
		t.Errorf("Cos(-0) = %v, want 1", c)
	}
	for _, x := range []float64{math.Inf(1), math.Inf(-1), math.NaN(), TrigMax, -TrigMax, 1e7, -1e300} {
		if !math.IsNaN(Sin(x)) || !math.IsNaN(Cos(x)) {
			t.Errorf("Sin/Cos(%v) = %v, %v, want NaN", x, Sin(x), Cos(x))
		}
	}
	// Just inside the range.
	x := math.Nextafter(TrigMax, 0)
	if d := ulpDiff(Sin(x), math.Sin(x)); d > 1 {
		t.Errorf("Sin(%v) = %v, math.Sin = %v", x, Sin(x), math.Sin(x))
	}
	if d := ulpDiff(Cos(x), math.Cos(x)); d > 1 {
		t.Errorf("Cos(%v) = %v, math.Cos = %v", x, Cos(x), math.Cos(x))
	}
}

func TestSinCosVsMath(t *testing.T) {
	rg := rand.New(rand.NewSource(13))
	var s2pi, c2pi, sFull, cFull, sMul, cMul ulpStats
	for range nSamples(t, 1000000) {
		x := (2*rg.Float64() - 1) * 2 * math.Pi
		s2pi.add(x, Sin(x), math.Sin(x))
		c2pi.add(x, Cos(x), math.Cos(x))
	}
	for range nSamples(t, 300000) {
		x := (2*rg.Float64() - 1) * TrigMax
		if rg.Intn(2) == 0 { // log-uniform magnitudes too
			x = math.Copysign(math.Exp2(-30+51*rg.Float64()), x)
			if math.Abs(x) >= TrigMax {
				continue
			}
		}
		sFull.add(x, Sin(x), math.Sin(x))
		cFull.add(x, Cos(x), math.Cos(x))
	}
	// Near k*pi/4, compare with math only where the function is not close to
	// one of its zeros: math.Sin/Cos reduce with a pi/4 of about 3x27 bits
	// and lose relative accuracy near zeros (up to ~10^5 ulp measured, e.g.
	// math.Cos near -29*pi/2), so there TestSinCosVsBig is the judge; the
	// disagreement is only logged.
	var sZero, cZero ulpStats
	for _, x := range trigPointsNearMultiples() {
		if !(math.Abs(math.Sin(x)) <= 1e-3) {
			sMul.add(x, Sin(x), math.Sin(x))
		} else {
			sZero.add(x, Sin(x), math.Sin(x))
		}
		if !(math.Abs(math.Cos(x)) <= 1e-3) {
			cMul.add(x, Cos(x), math.Cos(x))
		} else {
			cZero.add(x, Cos(x), math.Cos(x))
		}
	}
	t.Logf("(informational) Sin near zeros k*pi: %d points, math.Sin differs by up to %d ulp", sZero.n, sZero.max)
	t.Logf("(informational) Cos near zeros (k+1/2)*pi: %d points, math.Cos differs by up to %d ulp", cZero.n, cZero.max)
	s2pi.check(t, "Sin on [-2pi, 2pi] vs math.Sin", 1)
	c2pi.check(t, "Cos on [-2pi, 2pi] vs math.Cos", 1)
	sFull.check(t, "Sin on (-TrigMax, TrigMax) vs math.Sin", 1)
	cFull.check(t, "Cos on (-TrigMax, TrigMax) vs math.Cos", 1)
	sMul.check(t, "Sin near k*pi/4 (|sin| > 1e-3) vs math.Sin", 1)
	cMul.check(t, "Cos near k*pi/4 (|cos| > 1e-3) vs math.Cos", 1)
}

func TestSinCosVsBig(t *testing.T) {
	rg := rand.New(rand.NewSource(14))
	var s, c refStats
	var xs []float64
	for range nSamples(t, 10000) {
		xs = append(xs, (2*rg.Float64()-1)*2*math.Pi)
	}
	for range nSamples(t, 10000) {
		xs = append(xs, (2*rg.Float64()-1)*TrigMax)
	}
	xs = append(xs, trigPointsNearMultiples()...)
	for _, x := range xs {
		rs, rc := refSinCos(x)
		s.add(x, Sin(x), rs)
		c.add(x, Cos(x), rc)
	}
	s.check(t, "Sin")
	c.check(t, "Cos")
}
