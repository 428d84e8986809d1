package meanfield

import "math"

// Closed-form Gaussian expectations for erf, relu and linear. They are the
// references the quadrature is tested against. Arguments are the variances
// q11, q22 >= 0 and covariance q12 of the centred Gaussian pair (u1, u2).

// ErfKernel is E[erf(u1) erf(u2)] = (2/pi) asin(2 q12 / sqrt((1+2q11)(1+2q22))).
func ErfKernel(q11, q22, q12 float64) float64 {
	return 2 / math.Pi * math.Asin(clamp1(2*q12/math.Sqrt((1+2*q11)*(1+2*q22))))
}

// ErfDerivKernel is E[erf'(u1) erf'(u2)] = (4/pi) / sqrt((1+2q11)(1+2q22) - 4 q12^2).
func ErfDerivKernel(q11, q22, q12 float64) float64 {
	return 4 / math.Pi / math.Sqrt((1+2*q11)*(1+2*q22)-4*q12*q12)
}

// ErfChi2 is E[erf^(2)(u)^2] at variance q: (16/pi) q (1+4q)^(-3/2).
func ErfChi2(q float64) float64 { return 16 / math.Pi * q * math.Pow(1+4*q, -1.5) }

// ErfLengthSlope is d/dq E[erf(sqrt(q) z)^2] = (4/pi) / ((1+2q) sqrt(1+4q)),
// i.e. E[erf'^2 + erf erf^(2)], the length-map slope per sigma_w^2.
func ErfLengthSlope(q float64) float64 { return 4 / math.Pi / ((1 + 2*q) * math.Sqrt(1+4*q)) }

// ReLUKernel is the arc-cosine kernel E[relu(u1) relu(u2)] =
// sqrt(q11 q22)/(2 pi) (sin t + (pi - t) cos t), t = acos(q12/sqrt(q11 q22)).
func ReLUKernel(q11, q22, q12 float64) float64 {
	s := math.Sqrt(q11 * q22)
	if s == 0 {
		return 0
	}
	t := math.Acos(clamp1(q12 / s))
	return s / (2 * math.Pi) * (math.Sin(t) + (math.Pi-t)*math.Cos(t))
}

// ReLUDerivKernel is E[step(u1) step(u2)] = (pi - t)/(2 pi).
func ReLUDerivKernel(q11, q22, q12 float64) float64 {
	s := math.Sqrt(q11 * q22)
	if s == 0 {
		return 0.25
	}
	return (math.Pi - math.Acos(clamp1(q12/s))) / (2 * math.Pi)
}

// ReLUOneMinusC is 1 - C(c) for the relu C-map at sigma_b = 0, written as
// delta - (sin t - t cos t)/pi with delta = 1 - c and t = 2 asin(sqrt(delta/2))
// so that it keeps full relative accuracy as c -> 1.
func ReLUOneMinusC(delta float64) float64 {
	t := 2 * math.Asin(math.Sqrt(delta/2))
	var g float64 // sin t - t cos t = t^3/3 - t^5/30 + t^7/840 - ...
	if t < 1e-2 {
		t2 := t * t
		g = t * t2 * (1.0/3 - t2/30 + t2*t2/840)
	} else {
		g = math.Sin(t) - t*math.Cos(t)
	}
	return delta - g/math.Pi
}

// LinearKernel is E[u1 u2] = q12; E[1 * 1] = 1 for the derivatives.
func LinearKernel(q11, q22, q12 float64) float64 { return q12 }

func clamp1(x float64) float64 { return math.Max(-1, math.Min(1, x)) }
