package manifold

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine/rng"
)

// CircleStream is the Philox stream (under the run's seed) from which a
// great circle's two basis vectors are drawn: element i of u0 is normal i,
// element i of u1 is normal N + i, before Gram-Schmidt.
const CircleStream = uint64(1) << 62

// Curve is a sampled curve with its first and second derivatives with
// respect to its parameter, as host column-major N x B matrices (one point
// per column). Closed curves are sampled at B equally spaced parameter values
// over one Period (the last point is not repeated), so the periodic
// trapezoid rule integrates smooth functions along them to spectral
// accuracy. Open curves are sampled at B equally spaced values over
// [0, Period] with both ends included, and integrated by the trapezoid rule.
type Curve struct {
	Width, Points int
	H, V, A       []float64
	Closed        bool
	Period        float64
}

// Step is the parameter spacing between samples.
func (c *Curve) Step() float64 {
	if c.Closed {
		return c.Period / float64(c.Points)
	}
	return c.Period / float64(c.Points-1)
}

// Check validates the curve's sizes and values.
func (c *Curve) Check() error {
	if c.Width < 1 || c.Points < 2 {
		return fmt.Errorf("curve: width %d, %d points; want width >= 1 and at least 2 points", c.Width, c.Points)
	}
	n := c.Width * c.Points
	for name, m := range map[string][]float64{"points": c.H, "first derivatives": c.V, "second derivatives": c.A} {
		if len(m) != n {
			return fmt.Errorf("curve: %s hold %d numbers; want width x points = %d", name, len(m), n)
		}
		for i, v := range m {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("curve: %s: element %d (point %d, coordinate %d) is %v", name, i, i/c.Width, i%c.Width, v)
			}
		}
	}
	if !(c.Period > 0) || math.IsInf(c.Period, 0) {
		return fmt.Errorf("curve: period %v; want a finite positive number", c.Period)
	}
	return nil
}

// Jet returns the curve as one N x 3B jet matrix [h | v | a].
func (c *Curve) Jet() []float64 {
	out := make([]float64, 0, 3*len(c.H))
	out = append(out, c.H...)
	out = append(out, c.V...)
	return append(out, c.A...)
}

// Circle returns the great circle h(theta) = sqrt(N q) (u0 cos theta + u1
// sin theta), theta = 2 pi j / B, with u0, u1 orthonormal random directions
// drawn from Philox (CircleStream under seed) and orthonormalised by
// Gram-Schmidt. Every point has |h|^2 / N = q exactly in exact arithmetic;
// kappa = 1/sqrt(N q) and L^G = 2 pi.
func Circle(width, points int, q float64, seed uint64) (*Curve, error) {
	if width < 2 {
		return nil, fmt.Errorf("circle: width %d; a circle needs at least 2 dimensions", width)
	}
	if points < 3 {
		return nil, fmt.Errorf("circle: %d points; want at least 3", points)
	}
	if !(q > 0) || math.IsInf(q, 0) {
		return nil, fmt.Errorf("circle: q = %v; want a finite q > 0 (the squared length per coordinate)", q)
	}
	u := make([]float64, 2*width)
	rng.FillNormal(u, seed, CircleStream, 0)
	u0, u1 := u[:width], u[width:]
	if err := orthonormalise(u0, u1); err != nil {
		return nil, fmt.Errorf("circle: %w", err)
	}
	r := math.Sqrt(float64(width) * q)
	c := &Curve{Width: width, Points: points, Closed: true, Period: 2 * math.Pi,
		H: make([]float64, width*points), V: make([]float64, width*points), A: make([]float64, width*points)}
	for j := 0; j < points; j++ {
		th := 2 * math.Pi * float64(j) / float64(points)
		cs, sn := math.Cos(th), math.Sin(th)
		for i := 0; i < width; i++ {
			k := i + j*width
			c.H[k] = r * (u0[i]*cs + u1[i]*sn)
			c.V[k] = r * (-u0[i]*sn + u1[i]*cs)
			c.A[k] = -c.H[k]
		}
	}
	return c, nil
}

// orthonormalise makes u0, u1 orthonormal by Gram-Schmidt (twice, for
// orthogonality to rounding).
func orthonormalise(u0, u1 []float64) error {
	dot := func(a, b []float64) float64 {
		s := 0.0
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	scale := func(a []float64) error {
		n := math.Sqrt(dot(a, a))
		if n == 0 {
			return errors.New("degenerate random direction")
		}
		for i := range a {
			a[i] /= n
		}
		return nil
	}
	if err := scale(u0); err != nil {
		return err
	}
	for pass := 0; pass < 2; pass++ {
		p := dot(u0, u1)
		for i := range u1 {
			u1[i] -= p * u0[i]
		}
	}
	return scale(u1)
}
