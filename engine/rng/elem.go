package rng

import "math"

// Elementary functions built from exact IEEE-754 operations only.
//
// Transcription rules (for the CUDA port): every binary operator below is one
// double operation rounded to nearest-even; expressions are evaluated left to
// right as parenthesised; float64(a*b) marks a product that must be rounded
// before it is used (it is never fused with the following + or -). Bit
// manipulation uses the high and low 32-bit words of the IEEE representation,
// as in fdlibm (__HI/__LO). The constants are listed with their exact bit
// patterns.

const (
	ln2Hi = 6.93147180369123816490e-01 // 0x3FE62E42FEE00000
	ln2Lo = 1.90821492927058770002e-10 // 0x3DEA39EF35793C76
	two54 = 1.80143985094819840000e+16 // 0x4350000000000000
	lg1   = 6.666666666666735130e-01   // 0x3FE5555555555593
	lg2   = 3.999999999940941908e-01   // 0x3FD999999997FA04
	lg3   = 2.857142874366239149e-01   // 0x3FD2492494229359
	lg4   = 2.222219843214978396e-01   // 0x3FCC71C51D8E78AF
	lg5   = 1.818357216161805012e-01   // 0x3FC7466496CB03DE
	lg6   = 1.531383769920937332e-01   // 0x3FC39A09D078C69F
	lg7   = 1.479819860511658591e-01   // 0x3FC2F112DF3E5244
	third = 0.33333333333333333        // 0x3FD5555555555555
)

// hiWord returns the high 32 bits of x's representation as a signed int32
// (fdlibm's __HI).
func hiWord(x float64) int32 { return int32(math.Float64bits(x) >> 32) }

// Log returns the natural logarithm of x. It is fdlibm's __ieee754_log
// (e_log.c), error < 1 ulp, using only + - * / and bit manipulation.
//
// Special cases are those of math.Log:
//
//	Log(+Inf) = +Inf
//	Log(0) = Log(-0) = -Inf
//	Log(x < 0) = NaN (including -Inf)
//	Log(NaN) = NaN
//
// Subnormal x > 0 is handled exactly (scaled by 2^54 first). There Log is
// correct but differs from math.Log on amd64, which mishandles subnormals
// (golang/go#56600: math.Log(5e-324) = -709.09 instead of -744.44).
func Log(x float64) float64 {
	hx := hiWord(x)
	k := int32(0)
	if hx < 0x00100000 { // x < 2^-1022, including 0, subnormals and negatives
		if math.Float64bits(x)&^(1<<63) == 0 {
			return math.Inf(-1) // log(+-0) = -Inf
		}
		if hx < 0 {
			return math.NaN() // log(negative) = NaN
		}
		k -= 54
		x = float64(x * two54) // subnormal: scale up (exact)
		hx = hiWord(x)
	}
	if hx >= 0x7ff00000 {
		return x + x // +Inf or NaN
	}
	k += hx>>20 - 1023
	hx &= 0x000fffff
	i := (hx + 0x95f64) & 0x100000
	// Normalize x or x/2 so that sqrt(2)/2 <= x < sqrt(2): replace the high
	// word, keep the low word.
	x = math.Float64frombits(uint64(uint32(hx|(i^0x3ff00000)))<<32 | math.Float64bits(x)&0xffffffff)
	k += i >> 20
	f := x - 1.0
	if 0x000fffff&(2+hx) < 3 { // -2^-20 <= f < 2^-20
		if f == 0 {
			if k == 0 {
				return 0
			}
			dk := float64(k)
			return float64(dk*ln2Hi) + float64(dk*ln2Lo)
		}
		R := float64(float64(f*f) * (0.5 - float64(third*f)))
		if k == 0 {
			return f - R
		}
		dk := float64(k)
		return float64(dk*ln2Hi) - ((R - float64(dk*ln2Lo)) - f)
	}
	s := f / (2.0 + f)
	dk := float64(k)
	z := float64(s * s)
	i = hx - 0x6147a
	w := float64(z * z)
	j := 0x6b851 - hx
	t1 := float64(w * (lg2 + float64(w*(lg4+float64(w*lg6)))))
	t2 := float64(z * (lg1 + float64(w*(lg3+float64(w*(lg5+float64(w*lg7)))))))
	i |= j
	R := t2 + t1
	if i > 0 {
		hfsq := float64(float64(0.5*f) * f)
		if k == 0 {
			return f - (hfsq - float64(s*(hfsq+R)))
		}
		return float64(dk*ln2Hi) - ((hfsq - (float64(s*(hfsq+R)) + float64(dk*ln2Lo))) - f)
	}
	if k == 0 {
		return f - float64(s*(f-R))
	}
	return float64(dk*ln2Hi) - ((float64(s*(f-R)) - float64(dk*ln2Lo)) - f)
}

// Polynomial coefficients of FreeBSD msun's k_sin.c and k_cos.c.
const (
	sinS1 = -1.66666666666666324348e-01 // 0xBFC5555555555549
	sinS2 = 8.33333333332248946124e-03  // 0x3F8111111110F8A6
	sinS3 = -1.98412698298579493134e-04 // 0xBF2A01A019C161D5
	sinS4 = 2.75573137070700676789e-06  // 0x3EC71DE357B1FE7D
	sinS5 = -2.50507602534068634195e-08 // 0xBE5AE5E68A2B9CEB
	sinS6 = 1.58969099521155010221e-10  // 0x3DE5D93A5ACFD57C

	cosC1 = 4.16666666666666019037e-02  // 0x3FA555555555554C
	cosC2 = -1.38888888888741095749e-03 // 0xBF56C16C16C15177
	cosC3 = 2.48015872894767294178e-05  // 0x3EFA01A019CB1590
	cosC4 = -2.75573143513906633035e-07 // 0xBE927E4F809C52AD
	cosC5 = 2.08757232129817482790e-09  // 0x3E21EE9EBDB4B1C4
	cosC6 = -1.13596475577881948265e-11 // 0xBDA8FAE9BE8838D4
)

// sinKernel is __kernel_sin(x, y, iy) of FreeBSD msun: sin(x+y) for
// |x+y| <~ pi/4, y the tail of x; iy = 0 means y is taken as 0.
func sinKernel(x, y float64, iy int) float64 {
	z := float64(x * x)
	w := float64(z * z)
	r := (sinS2 + float64(z*(sinS3+float64(z*sinS4)))) + float64(float64(z*w)*(sinS5+float64(z*sinS6)))
	v := float64(z * x)
	if iy == 0 {
		return x + float64(v*(sinS1+float64(z*r)))
	}
	return x - ((float64(z*(float64(0.5*y)-float64(v*r))) - y) - float64(v*sinS1))
}

// cosKernel is __kernel_cos(x, y) of FreeBSD msun: cos(x+y) for
// |x+y| <~ pi/4, y the tail of x.
func cosKernel(x, y float64) float64 {
	z := float64(x * x)
	w := float64(z * z)
	r := float64(z*(cosC1+float64(z*(cosC2+float64(z*cosC3))))) +
		float64(float64(w*w)*(cosC4+float64(z*(cosC5+float64(z*cosC6)))))
	hz := float64(0.5 * z)
	w = 1.0 - hz
	return w + (((1.0 - w) - hz) + (float64(z*r) - float64(x*y)))
}

// Constants of the pi/2 reduction (FreeBSD msun e_rem_pio2.c).
const (
	invPio2 = 6.36619772367581382433e-01 // 0x3FE45F306DC9C883, 2/pi
	pio2_1  = 1.57079632673412561417e+00 // 0x3FF921FB54400000, first 33 bits of pi/2
	pio2_1t = 6.07710050650619224932e-11 // 0x3DD0B4611A626331, pi/2 - pio2_1
	pio2_2  = 6.07710050630396597660e-11 // 0x3DD0B4611A600000, second 33 bits
	pio2_2t = 2.02226624879595063154e-21 // 0x3BA3198A2E037073, pi/2 - (pio2_1+pio2_2)
	pio2_3  = 2.02226624871116645580e-21 // 0x3BA3198A2E000000, third 33 bits
	pio2_3t = 8.47842766036889956997e-32 // 0x397B839A252049C1, pi/2 - (pio2_1+pio2_2+pio2_3)
	// rnd is 1.5*2^52: (t + rnd) - rnd rounds |t| < 2^51 to the nearest
	// integer (ties to even) with two exact-rounding additions.
	rnd = 0x1.8p52 // 0x4338000000000000

	// trigMaxHi: Sin and Cos accept |x| whose high word is below this, i.e.
	// |x| < 0x1.921fbp+20 = 1647099.25 ~= 2^20*pi/2 (the range of the
	// "medium" reduction, where n*pio2_1 is exact).
	trigMaxHi = 0x413921fb
)

// TrigMax is the bound of the domain of Sin and Cos: both return NaN for
// |x| >= TrigMax (about 2^20*pi/2 = 524288*pi).
const TrigMax = 0x1.921fbp+20

// remPio2 reduces x (pi/4 < |x| < TrigMax) to y0+y1 = x - n*pi/2 with
// |y0+y1| <~ pi/4, the "medium" case of __ieee754_rem_pio2: three-stage
// Cody-Waite reduction, the later stages used only when cancellation calls
// for them (the exponent tests on j-i). Good to about 2^-(85..151) absolute.
func remPio2(x float64) (n int, y0, y1 float64) {
	fn := (float64(x*invPio2) + rnd) - rnd
	n = int(fn)
	r := x - float64(fn*pio2_1) // fn*pio2_1 is exact: |fn| < 2^20
	w := float64(fn * pio2_1t)
	j := (hiWord(x) & 0x7fffffff) >> 20
	y0 = r - w
	if j-(hiWord(y0)>>20&0x7ff) > 16 { // 2nd iteration needed, good to 118 bits
		t := r
		w = float64(fn * pio2_2)
		r = t - w
		w = float64(fn*pio2_2t) - ((t - r) - w)
		y0 = r - w
		if j-(hiWord(y0)>>20&0x7ff) > 49 { // 3rd iteration, 151 bits
			t = r
			w = float64(fn * pio2_3)
			r = t - w
			w = float64(fn*pio2_3t) - ((t - r) - w)
			y0 = r - w
		}
	}
	y1 = (r - y0) - w
	return n, y0, y1
}

// Sin returns the sine of x (radians), error < 1 ulp, for |x| < TrigMax
// (about 1.647e6). It is FreeBSD msun's s_sin.c with the medium-range pi/2
// reduction only.
//
// Special cases:
//
//	Sin(+-0) = +-0
//	Sin(+-Inf) = NaN
//	Sin(NaN) = NaN
//	Sin(x) = NaN for |x| >= TrigMax (no large-argument reduction is done)
func Sin(x float64) float64 {
	ix := hiWord(x) & 0x7fffffff
	if ix <= 0x3fe921fb { // |x| <~ pi/4
		if ix < 0x3e500000 { // |x| < 2^-26
			return x
		}
		return sinKernel(x, 0, 0)
	}
	if ix >= trigMaxHi { // out of range, Inf or NaN
		return math.NaN()
	}
	n, y0, y1 := remPio2(x)
	switch n & 3 {
	case 0:
		return sinKernel(y0, y1, 1)
	case 1:
		return cosKernel(y0, y1)
	case 2:
		return -sinKernel(y0, y1, 1)
	default:
		return -cosKernel(y0, y1)
	}
}

// Cos returns the cosine of x (radians), error < 1 ulp, for |x| < TrigMax
// (about 1.647e6). It is FreeBSD msun's s_cos.c with the medium-range pi/2
// reduction only.
//
// Special cases:
//
//	Cos(+-Inf) = NaN
//	Cos(NaN) = NaN
//	Cos(x) = NaN for |x| >= TrigMax (no large-argument reduction is done)
func Cos(x float64) float64 {
	ix := hiWord(x) & 0x7fffffff
	if ix <= 0x3fe921fb { // |x| <~ pi/4
		if ix < 0x3e46a09e { // |x| < 2^-27*sqrt(2)
			return 1
		}
		return cosKernel(x, 0)
	}
	if ix >= trigMaxHi {
		return math.NaN()
	}
	n, y0, y1 := remPio2(x)
	switch n & 3 {
	case 0:
		return cosKernel(y0, y1)
	case 1:
		return -sinKernel(y0, y1, 1)
	case 2:
		return -cosKernel(y0, y1)
	default:
		return sinKernel(y0, y1, 1)
	}
}
