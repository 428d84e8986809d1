package meanfield

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/netgeom/netgeom/activation"
)

// DerivativeMoment returns mu_k = E[phi'(sqrt(q) z)^(2k)], z ~ N(0, 1), the
// moments of Pennington et al. (2017) for the spectrum of the input-output
// Jacobian (mu_1 = chi_1 / sigma_w^2). It integrates by Gauss-Legendre
// (40 nodes per piece) over z in [-12, 12], cut into pieces no wider than
// min(0.5, 0.5/sqrt(q)) (phi'(sqrt(q) z) varies on the scale 1/sqrt(q)) and
// at the activation's kinks (z = kink / sqrt(q)), so step-like derivatives
// are integrated exactly to rounding; the Gaussian tail beyond |z| = 12 is
// below 1e-32.
func (m *Model) DerivativeMoment(q float64, k int) (float64, error) {
	if err := checkQ("q", q); err != nil {
		return 0, err
	}
	if k < 1 {
		return 0, fmt.Errorf("meanfield: moment order %d; want k >= 1", k)
	}
	f := func(z float64) float64 {
		d := m.f.d1(math.Sqrt(q) * z)
		return math.Pow(d*d, float64(k)) * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
	}
	if q == 0 {
		d := m.f.d10
		return math.Pow(d*d, float64(k)), nil
	}
	w := math.Min(0.5, 0.5/math.Sqrt(q))
	pieces := min(int(math.Ceil(24/w)), 20000)
	cuts := make([]float64, 0, pieces+3)
	for i := 0; i <= pieces; i++ {
		cuts = append(cuts, -12+24*float64(i)/float64(pieces))
	}
	if act, err := activation.ByID(m.f.id); err == nil {
		for _, x := range act.Kinks {
			if z := x / math.Sqrt(q); z > -12 && z < 12 {
				cuts = append(cuts, z)
			}
		}
	}
	sort.Float64s(cuts)
	s := 0.0
	for i := 1; i < len(cuts); i++ {
		if cuts[i] > cuts[i-1] {
			s += quad.Fixed(f, cuts[i-1], cuts[i], 40, quad.Legendre{}, 0)
		}
	}
	return s, nil
}

// JacobianMoments predicts the mean and variance of the squared singular
// values of a depth-L network's input-output Jacobian at the fixed point q*:
// the mean is chi_1^L; at criticality (chi_1 = 1) the variance is
// L (mu2/mu1^2 - 1 - s1), s1 = -1 for Gaussian and 0 for orthogonal weights
// (Pennington, Schoenholz, Ganguli 2017; docs/science.md section 4). Off
// criticality the variance formula does not apply and ok is false.
func (m *Model) JacobianMoments(qStar float64, L int, orthogonal bool) (mean, variance float64, ok bool, err error) {
	mu1, err := m.DerivativeMoment(qStar, 1)
	if err != nil {
		return 0, 0, false, err
	}
	mu2, err := m.DerivativeMoment(qStar, 2)
	if err != nil {
		return 0, 0, false, err
	}
	chi1 := m.sw2 * mu1
	mean = math.Pow(chi1, float64(L))
	if math.Abs(chi1-1) > 1e-6 || mu1 == 0 {
		return mean, 0, false, nil
	}
	s1 := -1.0
	if orthogonal {
		s1 = 0
	}
	return mean, float64(L) * (mu2/(mu1*mu1) - 1 - s1), true, nil
}
