package energy

import (
	"fmt"
	"math"
	"slices"
)

// NEBOptions configure NEB. Zero values are the defaults.
type NEBOptions struct {
	// Images is the number of images between the end points (0: 16).
	Images int
	// Spring is the spring constant (0: the root mean square of the
	// gradient over the initial images divided by the length of one
	// segment of the initial straight band, so that springs and gradient
	// are of one scale).
	Spring float64
	// Steps bounds the FIRE steps (0: 2000).
	Steps int
	// ForceTol is the root mean square of the band's force per
	// coordinate at which it has converged (0: 1e-3 times its initial
	// value).
	ForceTol float64
	// MaxStep caps how far an image moves in one step (0: half the length
	// of one initial segment).
	MaxStep float64
	// NoClimb turns off the climbing image.
	NoClimb bool
}

// Band is a converged (or stopped) elastic band.
type Band struct {
	Images   [][]float64 // end points included
	Energies []float64
	// Climbing is the image of highest energy, the climbing image when
	// climbing was on.
	Climbing int
	// Steps taken; RMSForce is the root mean square of the final force
	// per coordinate; Converged reports RMSForce <= ForceTol.
	Steps     int
	RMSForce  float64
	Converged bool
}

// NEB relaxes an elastic band of images between a and b, on a straight
// line at first, by the doubly-nudged elastic band (Trygubenko and Wales,
// J. Chem. Phys. 120, 2082 (2004)): on each image the gradient's
// component perpendicular to the tangent (Henkelman and Jónsson's
// improved tangent, J. Chem. Phys. 113, 9978 (2000)), the spring force's
// component along it, and the part of the spring force's perpendicular
// component orthogonal to the perpendicular gradient. From the moment the
// force's RMS drops below ten times ForceTol (or half the steps are
// spent), the highest image climbs (Henkelman, Uberuaga and Jónsson, J.
// Chem. Phys. 113, 9901 (2000)): its force is minus the gradient with its
// tangential component reversed, and no springs. The band moves by FIRE
// (Bitzek et al., Phys. Rev. Lett. 97, 170201 (2006)) with each image's
// step capped at MaxStep.
func NEB(obj Objective, a, b []float64, opt NEBOptions) (Band, error) {
	if err := checkDim(obj, a, "the first end point"); err != nil {
		return Band{}, fmt.Errorf("neb: %w", err)
	}
	if err := checkDim(obj, b, "the second end point"); err != nil {
		return Band{}, fmt.Errorf("neb: %w", err)
	}
	if err := checkNonNegative("energy.NEB", optField{"Images", float64(opt.Images)}, optField{"Spring", opt.Spring}, optField{"Steps", float64(opt.Steps)},
		optField{"ForceTol", opt.ForceTol}, optField{"MaxStep", opt.MaxStep}); err != nil {
		return Band{}, err
	}
	if opt.Images == 0 {
		opt.Images = 16
	}
	if opt.Steps == 0 {
		opt.Steps = 2000
	}
	n := len(a)
	m := opt.Images + 2
	seg := Euclidean(a, b) / float64(m-1)
	if seg == 0 {
		return Band{}, fmt.Errorf("neb: the end points coincide")
	}
	if opt.MaxStep == 0 {
		opt.MaxStep = seg / 2
	}
	x := make([][]float64, m)
	for i := range x {
		x[i] = make([]float64, n)
		t := float64(i) / float64(m-1)
		for j := range x[i] {
			x[i][j] = (1-t)*a[j] + t*b[j]
		}
	}
	e := make([]float64, m)
	g := make([][]float64, m)
	for i := range g {
		g[i] = make([]float64, n)
	}
	evalAll := func() error {
		for i := range x {
			var err error
			if e[i], err = evalGrad(obj, x[i], g[i]); err != nil {
				return fmt.Errorf("neb: image %d: %w", i, err)
			}
		}
		return nil
	}
	if err := evalAll(); err != nil {
		return Band{}, err
	}
	if opt.Spring == 0 {
		s := 0.0
		for i := 1; i < m-1; i++ {
			s += dot(g[i], g[i])
		}
		opt.Spring = math.Sqrt(s/float64((m-2)*n)) / seg
		if opt.Spring == 0 {
			opt.Spring = 1
		}
	}
	f := make([][]float64, m)
	v := make([][]float64, m)
	for i := range f {
		f[i] = make([]float64, n)
		v[i] = make([]float64, n)
	}
	tau := make([]float64, n)
	gp := make([]float64, n)
	fs := make([]float64, n)
	highest := func() int {
		hi := 1
		for i := 2; i < m-1; i++ {
			if e[i] > e[hi] {
				hi = i
			}
		}
		return hi
	}
	forces := func(climb int) float64 {
		ss := 0.0
		for i := 1; i < m-1; i++ {
			tangent(x[i-1], x[i], x[i+1], e[i-1], e[i], e[i+1], tau)
			gt := dot(g[i], tau)
			if i == climb {
				for j := range f[i] {
					f[i][j] = -g[i][j] + 2*gt*tau[j]
				}
			} else {
				for j := range gp {
					gp[j] = g[i][j] - gt*tau[j]
					fs[j] = opt.Spring * (x[i+1][j] - 2*x[i][j] + x[i-1][j])
				}
				par := opt.Spring * (Euclidean(x[i+1], x[i]) - Euclidean(x[i], x[i-1]))
				fst := dot(fs, tau)
				for j := range fs {
					fs[j] -= fst * tau[j] // perpendicular spring force
				}
				if gpn := norm(gp); gpn > 0 {
					axpy(-dot(fs, gp)/(gpn*gpn), gp, fs) // doubly nudged
				}
				for j := range f[i] {
					f[i][j] = -gp[j] + par*tau[j] + fs[j]
				}
			}
			ss += dot(f[i], f[i])
		}
		return math.Sqrt(ss / float64((m-2)*n))
	}
	climb := -1
	rms := forces(climb)
	if opt.ForceTol == 0 {
		opt.ForceTol = 1e-3 * rms
	}
	// FIRE, with the time step scaled so that the first move is MaxStep/10.
	const (
		nMin   = 5
		fInc   = 1.1
		fDec   = 0.5
		alpha0 = 0.1
		fAlpha = 0.99
	)
	fmax := 0.0
	for i := 1; i < m-1; i++ {
		fmax = math.Max(fmax, norm(f[i]))
	}
	dt := 0.1
	if fmax > 0 {
		dt = math.Sqrt(opt.MaxStep / 10 / fmax)
	}
	dtMax := 10 * dt
	alpha := alpha0
	since := 0
	band := Band{}
	step := 0
	for ; step < opt.Steps; step++ {
		if climb < 0 && !opt.NoClimb && (rms <= 10*opt.ForceTol || step >= opt.Steps/2) {
			climb = highest()
			rms = forces(climb)
		}
		if rms <= opt.ForceTol {
			band.Converged = true
			break
		}
		pw, vv, ff := 0.0, 0.0, 0.0
		for i := 1; i < m-1; i++ {
			pw += dot(f[i], v[i])
			vv += dot(v[i], v[i])
			ff += dot(f[i], f[i])
		}
		if pw > 0 {
			since++
			if since > nMin {
				dt = math.Min(dt*fInc, dtMax)
				alpha *= fAlpha
			}
			vn, fn := math.Sqrt(vv), math.Sqrt(ff)
			for i := 1; i < m-1; i++ {
				for j := range v[i] {
					v[i][j] = (1-alpha)*v[i][j] + alpha*vn*f[i][j]/fn
				}
			}
		} else {
			since = 0
			dt *= fDec
			alpha = alpha0
			for i := range v {
				clear(v[i])
			}
		}
		for i := 1; i < m-1; i++ {
			axpy(dt, f[i], v[i])
			d := slices.Clone(v[i])
			for j := range d {
				d[j] *= dt
			}
			if dn := norm(d); dn > opt.MaxStep {
				for j := range d {
					d[j] *= opt.MaxStep / dn
				}
			}
			axpy(1, d, x[i])
		}
		if err := evalAll(); err != nil {
			return Band{}, err
		}
		if climb >= 0 {
			climb = highest()
		}
		rms = forces(climb)
	}
	band.Images, band.Energies = x, e
	band.Climbing = highest()
	band.Steps, band.RMSForce = step, rms
	return band, nil
}

// tangent writes into tau the unit improved tangent at image x between
// xm and xp with energies em, e, ep (Henkelman and Jónsson 2000): the
// segment towards the higher neighbour where the energy is monotonic
// there, else their energy-weighted mix.
func tangent(xm, x, xp []float64, em, e, ep float64, tau []float64) {
	n := len(x)
	tp := make([]float64, n)
	tm := make([]float64, n)
	for j := range x {
		tp[j] = xp[j] - x[j]
		tm[j] = x[j] - xm[j]
	}
	switch {
	case ep > e && e > em:
		copy(tau, tp)
	case ep < e && e < em:
		copy(tau, tm)
	default:
		dmax := math.Max(math.Abs(ep-e), math.Abs(em-e))
		dmin := math.Min(math.Abs(ep-e), math.Abs(em-e))
		wp, wm := dmin, dmax
		if ep > em {
			wp, wm = dmax, dmin
		}
		for j := range tau {
			tau[j] = wp*tp[j] + wm*tm[j]
		}
	}
	tn := norm(tau)
	if tn == 0 {
		for j := range tau {
			tau[j] = tp[j] + tm[j]
		}
		tn = norm(tau)
	}
	for j := range tau {
		tau[j] /= tn
	}
}
