package manifold

import (
	"fmt"
	"math"
)

// CurvatureSummary condenses a curvature run into the numbers of one point
// of a finite-width phase diagram, each measured and, where the run has
// mean-field columns, predicted by the same formula applied to them.
type CurvatureSummary struct {
	SigmaW float64 `json:"sigma_w"`
	SigmaB float64 `json:"sigma_b"`
	Width  int     `json:"width"`
	Depth  int     `json:"depth"`
	// Chi1 is the growth of the squared Euclidean length per layer,
	// (L^D / L^0)^(2/D): a tangent vector's squared length grows by chi_1
	// per layer in a wide network, so this is the measured chi_1, and the
	// order-to-chaos boundary is where it crosses 1. For a circle at q*
	// (the default input) Chi1Theory is mean field's chi_1 itself.
	Chi1       float64  `json:"chi1"`
	Chi1Theory *float64 `json:"chi1_theory"`
	// KappaBar is kbar = sqrt(N) kappa at saturation: its mean over the
	// second half of the layers (D/2+1 .. D; layer 1 when D = 1).
	KappaBar       float64  `json:"kappa_bar"`
	KappaBarTheory *float64 `json:"kappa_bar_theory"`
	// GrassmannRate is the Grassmannian length's growth per layer over
	// the second half of the layers, (L^G_D / L^G_h)^(1/(D-h)) with
	// h = D/2 (the first layers are a transient).
	GrassmannRate       float64  `json:"grassmann_rate"`
	GrassmannRateTheory *float64 `json:"grassmann_rate_theory"`
}

// SummarizeCurvature returns the summary of a curvature run (see
// CurvatureSummary). It needs the layers of the JSON document (Layers)
// with positive lengths.
func SummarizeCurvature(r *CurvatureResult) (CurvatureSummary, error) {
	s := CurvatureSummary{SigmaW: r.SigmaW, SigmaB: r.SigmaB, Width: r.Width, Depth: r.Depth}
	ls := r.Layers
	d := len(ls) - 1
	if d < 1 || ls[0].Layer != 0 || ls[d].Layer != d {
		return s, fmt.Errorf("summarize curvature: want layers 0 to D, got %d layers", len(ls))
	}
	h := d / 2
	if h == d {
		h = 0
	}
	rate := func(a, b float64, n int) float64 { return math.Pow(b/a, 1/float64(n)) }
	for _, l := range []float64{ls[0].Length, ls[d].Length, ls[h].GrassmannLength, ls[d].GrassmannLength} {
		if !(l > 0) || math.IsInf(l, 0) {
			return s, fmt.Errorf("summarize curvature: a length is %v; want positive and finite", l)
		}
	}
	s.Chi1 = rate(ls[0].Length, ls[d].Length, d) * rate(ls[0].Length, ls[d].Length, d)
	s.GrassmannRate = rate(ls[h].GrassmannLength, ls[d].GrassmannLength, d-h)
	var kb, kbt float64
	theory := true
	for _, l := range ls[h+1:] {
		kb += l.KappaBar
		if l.KappaBarTheory == nil {
			theory = false
		} else {
			kbt += *l.KappaBarTheory
		}
	}
	n := float64(d - h)
	s.KappaBar = kb / n
	if theory {
		s.KappaBarTheory = ptr(kbt / n)
	}
	if a, b := ls[0].LengthTheory, ls[d].LengthTheory; a != nil && b != nil && *a > 0 && *b > 0 {
		g := rate(*a, *b, d)
		s.Chi1Theory = ptr(g * g)
	}
	if a, b := ls[h].GrassmannLengthTheory, ls[d].GrassmannLengthTheory; a != nil && b != nil && *a > 0 && *b > 0 {
		s.GrassmannRateTheory = ptr(rate(*a, *b, d-h))
	}
	return s, nil
}

func ptr(x float64) *float64 { return &x }
