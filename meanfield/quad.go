package meanfield

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/integrate/quad"
)

// Rule selects the quadrature rule for smooth activations.
type Rule int

const (
	// Sinc is the trapezoidal (sinc) rule in z with step 2^(-l/2) on [-zMax, zMax].
	Sinc Rule = iota
	// GaussHermite is Gauss-Hermite quadrature of order round(10 * 2^(l/2)).
	GaussHermite
)

// String returns "sinc" or "gauss-hermite".
func (r Rule) String() string {
	switch r {
	case Sinc:
		return "sinc"
	case GaussHermite:
		return "gauss-hermite"
	}
	return "Rule(?)"
}

const (
	// zMax truncates the Gaussian in 1-D: P(|z| > 9) = 2.3e-19.
	zMax = 9.0
	// rMax is the radius of the 2-D disk: the mass outside is e^{-32} =
	// 1.3e-14 and, with the integrand growing at most like r^2 (phi linear
	// at infinity), the neglected part stays below 1e-11 of the integral.
	rMax = 8.0
	// maxLevel bounds the refinement: sinc h = 2^-7.5 (3259 nodes), GH n = 1810.
	maxLevel = 15
	// minLevel-1 is where adaptive searches start (sinc h = 2^-0.5, GH n = 14).
	minLevel = 2
)

// rule holds nodes z (ascending, symmetric about 0) and weights w for
// E[f(z)], z ~ N(0, 1); the weights sum to 1 up to the truncation.
type rule struct {
	z, w     []float64
	diskOnce sync.Once
	jlo      []int // first j inside the disk of radius zMax for row i
}

var ruleCache [2][maxLevel + 1]struct {
	once sync.Once
	r    *rule
}

// getRule returns the cached rule of the given kind and level.
func getRule(kind Rule, level int) *rule {
	c := &ruleCache[kind][level]
	c.once.Do(func() {
		if kind == GaussHermite {
			c.r = newGHRule(ghOrder(level))
		} else {
			c.r = newSincRule(math.Pow(2, -float64(level)/2))
		}
	})
	return c.r
}

func ghOrder(level int) int { return int(math.Round(10 * math.Pow(2, float64(level)/2))) }

func newSincRule(h float64) *rule {
	k := int(math.Floor(zMax/h + 1e-9))
	r := &rule{z: make([]float64, 2*k+1), w: make([]float64, 2*k+1)}
	for i := -k; i <= k; i++ {
		z := float64(i) * h
		r.z[i+k] = z
		r.w[i+k] = h * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
	}
	return r
}

func newGHRule(n int) *rule {
	x := make([]float64, n)
	w := make([]float64, n)
	quad.Hermite{}.FixedLocations(x, w, math.Inf(-1), math.Inf(1))
	r := &rule{z: make([]float64, n), w: make([]float64, n)}
	for i := range x {
		r.z[i] = math.Sqrt2 * x[i]
		r.w[i] = w[i] / math.SqrtPi
	}
	// Symmetrise (the tabulated nodes are symmetric to rounding).
	for i := 0; i < n/2; i++ {
		j := n - 1 - i
		z := (r.z[j] - r.z[i]) / 2
		ww := (r.w[i] + r.w[j]) / 2
		r.z[i], r.z[j], r.w[i], r.w[j] = -z, z, ww, ww
	}
	if n%2 == 1 {
		r.z[n/2] = 0
	}
	return r
}

// mom1 are the 1-D moments at variance q: E[phi^2], E[phi'^2], E[phi^(2)^2],
// E[phi phi^(2)] of phi(sqrt(q) z), with their absolute-value integrals
// (scales for relative error tests).
type mom1 struct {
	pp, dd, ss, ps     float64
	app, add, ass, aps float64
}

// smooth1 integrates the 1-D moments of a smooth activation with rule r.
func smooth1(f *funcs, q float64, r *rule, onlyPP bool) mom1 {
	var m mom1
	sq := math.Sqrt(q)
	for i, z := range r.z {
		w := r.w[i]
		u := sq * z
		p := f.phi(u)
		m.pp += w * p * p
		if onlyPP {
			continue
		}
		d := f.d1(u)
		s := f.d2(u)
		m.dd += w * d * d
		m.ss += w * s * s
		m.ps += w * p * s
		m.aps += w * math.Abs(p*s)
	}
	m.app, m.add, m.ass = m.pp, m.dd, m.ss
	return m
}

// converged reports |a - b| <= tol * scale, with an absolute floor for
// moments that vanish identically (e.g. E[phi^(2)^2] for linear).
func converged(a, b, scale, tol float64) bool {
	return math.Abs(a-b) <= tol*scale+1e-300
}

func (a mom1) close(b mom1, tol float64, onlyPP bool) bool {
	if !converged(a.pp, b.pp, b.app, tol) {
		return false
	}
	if onlyPP {
		return true
	}
	return converged(a.dd, b.dd, b.add, tol) && converged(a.ss, b.ss, b.ass, tol) &&
		converged(a.ps, b.ps, b.aps, tol)
}

func (a mom1) relErr(b mom1) float64 {
	e := 0.0
	for _, t := range [][3]float64{{a.pp, b.pp, b.app}, {a.dd, b.dd, b.add}, {a.ss, b.ss, b.ass}, {a.ps, b.ps, b.aps}} {
		if t[2] > 0 {
			e = math.Max(e, math.Abs(t[0]-t[1])/t[2])
		}
	}
	return e
}

// levelCache remembers, per activation, rule and tolerance, the level that
// the 1-D moments need in each bucket of q (buckets of a factor sqrt 2,
// tested at their upper end), so that repeated evaluations (fixed-point
// iterations, grids) need one rule evaluation each.
var levelCache sync.Map // levelKey -> int

type levelKey struct {
	act    int
	rule   Rule
	tol    float64
	bucket int
	pd     bool
}

func qBucket(q float64) int {
	if q <= 0x1p-40 {
		return -80
	}
	return int(math.Ceil(2 * math.Log2(q)))
}

// adapt1 finds the smallest level l >= minLevel-1 whose moments agree with
// level l+1 to tol (so that level l's error, estimated by the difference, is
// within tol), and returns level l+1's moments (the more accurate), l and the
// difference.
func adapt1(f *funcs, kind Rule, q, tol float64, onlyPP bool) (mom1, int, float64, bool) {
	prev := smooth1(f, q, getRule(kind, minLevel-1), onlyPP)
	for l := minLevel; l <= maxLevel; l++ {
		cur := smooth1(f, q, getRule(kind, l), onlyPP)
		if prev.close(cur, tol, onlyPP) {
			return cur, l - 1, prev.relErr(cur), true
		}
		prev = cur
	}
	return prev, maxLevel, math.Inf(1), false
}

// levelFor returns the cached level for q: the level at which the 1-D
// moments (all four, or E[phi^2] and E[phi'^2] only when pd) are within tol,
// determined at the upper end of q's bucket.
func levelFor(f *funcs, kind Rule, q, tol float64, pd bool) (int, error) {
	b := qBucket(q)
	key := levelKey{int(f.id), kind, tol, b, pd}
	if v, ok := levelCache.Load(key); ok {
		return v.(int), nil
	}
	qb := math.Pow(2, float64(b)/2)
	if b == -80 {
		qb = 0x1p-40
	}
	var l int
	var ok bool
	if pd {
		l, ok = adaptPD(f, kind, qb, tol)
	} else {
		_, l, _, ok = adapt1(f, kind, qb, tol, false)
	}
	if !ok {
		return 0, errNoConvergence(f.name, kind, qb, tol)
	}
	levelCache.Store(key, l)
	return l, nil
}

// adaptPD is adapt1 for E[phi^2] and E[phi'^2] only (what the 2-D
// expectations integrate).
func adaptPD(f *funcs, kind Rule, q, tol float64) (int, bool) {
	prev := smooth1(f, q, getRule(kind, minLevel-1), false)
	for l := minLevel; l <= maxLevel; l++ {
		cur := smooth1(f, q, getRule(kind, l), false)
		if converged(prev.pp, cur.pp, cur.app, tol) && converged(prev.dd, cur.dd, cur.add, tol) {
			return l - 1, true
		}
		prev = cur
	}
	return maxLevel, false
}
