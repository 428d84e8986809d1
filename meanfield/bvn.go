package meanfield

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// Standard normal helpers, accurate in both tails.

// normQ is the upper tail P(Z > x) = erfc(x/sqrt2)/2.
func normQ(x float64) float64 { return 0.5 * math.Erfc(x/math.Sqrt2) }

// normPhi is the CDF P(Z <= x).
func normPhi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normPDF is the standard normal density (0 at +-Inf).
func normPDF(x float64) float64 {
	if math.IsInf(x, 0) {
		return 0
	}
	return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
}

// xpdf is x * pdf(x), 0 at +-Inf.
func xpdf(x float64) float64 {
	if math.IsInf(x, 0) {
		return 0
	}
	return x * normPDF(x)
}

var glX, glW = func() ([]float64, []float64) {
	x := make([]float64, 20)
	w := make([]float64, 20)
	quad.Legendre{}.FixedLocations(x, w, -1, 1)
	return x, w
}()

// bvnUpper is P(X > h, Y > k) for a standard bivariate normal with
// correlation r, by Genz's method (A. Genz, "Numerical computation of
// rectangular bivariate and trivariate normal and t probabilities",
// Statistics and Computing 14 (2004) 251-260; Drezner and Wesolowsky 1990),
// with the 20-point Gauss-Legendre rule throughout. Absolute accuracy about
// 1e-15. h and k may be infinite; |r| <= 1.
func bvnUpper(h, k, r float64) float64 {
	switch {
	case math.IsInf(h, 1) || math.IsInf(k, 1):
		return 0
	case math.IsInf(h, -1):
		return normQ(k)
	case math.IsInf(k, -1):
		return normQ(h)
	}
	if r >= 1 {
		return normQ(math.Max(h, k))
	}
	if r <= -1 {
		// Y = -X: h < X < -k.
		if -k <= h {
			return 0
		}
		return gaussMass(h, -k)
	}
	hk := h * k
	var bvn float64
	if math.Abs(r) < 0.925 {
		hs := (h*h + k*k) / 2
		asr := math.Asin(r)
		for i, x := range glX {
			sn := math.Sin(asr * (x + 1) / 2)
			bvn += glW[i] * math.Exp((sn*hk-hs)/(1-sn*sn))
		}
		bvn = bvn*asr/(4*math.Pi) + normQ(h)*normQ(k)
	} else {
		if r < 0 {
			k = -k
			hk = -hk
		}
		as := (1 - r) * (1 + r)
		a := math.Sqrt(as)
		bs := (h - k) * (h - k)
		c := (4 - hk) / 8
		d := (12 - hk) / 16
		bvn = a * math.Exp(-(bs/as+hk)/2) * (1 - c*(bs-as)*(1-d*bs/5)/3 + c*d*as*as/5)
		if hk > -160 {
			b := math.Sqrt(bs)
			bvn -= math.Exp(-hk/2) * math.Sqrt(2*math.Pi) * normPhi(-b/a) * b * (1 - c*bs*(1-d*bs/5)/3)
		}
		a /= 2
		for i, x := range glX {
			xs := a * (x + 1)
			xs *= xs
			rs := math.Sqrt(1 - xs)
			asr := -(bs/xs + hk) / 2
			if asr > -100 {
				bvn += a * glW[i] * math.Exp(asr) * (math.Exp(-hk*xs/(2*(1+rs)*(1+rs)))/rs - (1 + c*xs*(1+d*xs)))
			}
		}
		bvn = -bvn / (2 * math.Pi)
		if r > 0 {
			bvn += normQ(math.Max(h, k))
		} else {
			bvn = -bvn
			if k > h {
				if h < 0 {
					bvn += normPhi(k) - normPhi(h)
				} else {
					bvn += normQ(h) - normQ(k)
				}
			}
		}
	}
	return math.Max(0, math.Min(1, bvn))
}

// gaussMass is P(a < Z < b), accurate when both ends lie in one tail.
func gaussMass(a, b float64) float64 {
	if b <= a {
		return 0
	}
	switch {
	case a >= 0:
		return normQ(a) - normQ(b)
	case b <= 0:
		return normPhi(b) - normPhi(a)
	}
	return 1 - normPhi(a) - normQ(b)
}
