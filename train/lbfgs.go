package train

import (
	"math"

	"github.com/netgeom/netgeom/engine"
)

// Strong Wolfe line search constants (Nocedal and Wright, section 3.1):
// sufficient decrease c1, curvature c2 (0.9 is their choice for
// quasi-Newton methods).
const (
	wolfeC1      = 1e-4
	wolfeC2      = 0.9
	maxBracket   = 40
	maxZoom      = 40
	curvatureEps = 1e-12 // a pair with s.y <= curvatureEps |s| |y| is skipped
)

// lbfgs runs limited-memory BFGS from the network's parameters. All vector
// work is Dot, Axpy, Scal and Copy on the backend, recorded on one Scope
// that also owns the work vectors.
func (t *trainer) lbfgs() (Result, error) {
	m := t.opt.History
	P := t.net.NumParams()
	sc := engine.NewScope(t.b)
	defer sc.Close()
	x := t.net.Params()
	g, d, xt, gt := sc.Alloc(P), sc.Alloc(P), sc.Alloc(P), sc.Alloc(P)
	S, Y := make([]engine.Buffer, m), make([]engine.Buffer, m)
	for i := range S {
		S[i] = sc.Alloc(P)
	}
	for i := range Y {
		Y[i] = sc.Alloc(P)
	}
	if err := sc.Err(); err != nil {
		return Result{}, err
	}
	rho := make([]float64, m)
	alpha := make([]float64, m)
	stored, newest := 0, -1 // ring buffer of correction pairs

	loss, norm, err := t.gradient(x, t.data, g)
	if err != nil {
		return t.res, err
	}
	// dot is u . v, or 0 once an op has failed (sc.Err says so).
	dot := func(u, v engine.Buffer) float64 {
		r, _ := sc.Dot(P, u, 1, v, 1)
		return r
	}
	for {
		if stop := t.check(loss, norm); stop != "" {
			t.res.Stop, t.res.Loss, t.res.GradNorm = stop, loss, norm
			return t.res, nil
		}
		if t.res.Steps >= t.opt.Steps {
			t.res.Stop, t.res.Loss, t.res.GradNorm = StopSteps, loss, norm
			return t.res, nil
		}
		twoLoop(sc, P, g, d, S, Y, rho, alpha, stored, newest)
		dphi0 := dot(g, d)
		if err := sc.Err(); err != nil {
			return t.res, err
		}
		a1 := 1.0
		if dphi0 >= 0 || stored == 0 {
			// No history, or not a descent direction (rounding): restart
			// from steepest descent with a step of length LearningRate
			// (at most 1 / |g| scaled).
			stored, newest = 0, -1
			sc.Copy(d, g)
			if err := sc.Scal(P, -1, d, 1); err != nil {
				return t.res, err
			}
			dphi0 = -norm * norm
			a1 = t.opt.LearningRate * math.Min(1, 1/norm)
		}
		ls := lineSearch{t: t, x: x, d: d, xt: xt, gt: gt, f0: loss, dphi0: dphi0}
		a, fa, ok, err := ls.run(a1)
		if err != nil {
			return t.res, err
		}
		if !ok {
			t.res.Stop, t.res.Loss, t.res.GradNorm = StopNoDescent, loss, norm
			return t.res, nil
		}
		if err := ls.at(a); err != nil { // make sure xt, gt hold the accepted point
			return t.res, err
		}
		// s = xt - x, y = gt - g, into the oldest slot.
		slot := (newest + 1) % m
		sc.Copy(S[slot], xt)
		sc.Axpy(P, -1, x, 1, S[slot], 1)
		sc.Copy(Y[slot], gt)
		sc.Axpy(P, -1, g, 1, Y[slot], 1)
		sy := dot(S[slot], Y[slot])
		ss := dot(S[slot], S[slot])
		yy := dot(Y[slot], Y[slot])
		if err := sc.Err(); err != nil {
			return t.res, err
		}
		if sy > curvatureEps*math.Sqrt(ss*yy) {
			rho[slot] = 1 / sy
			newest = slot
			stored = min(stored+1, m)
		}
		sc.Copy(x, xt)
		sc.Copy(g, gt)
		loss = fa
		if norm, err = sc.Nrm2(P, g, 1); err != nil {
			return t.res, err
		}
		t.res.Steps++
	}
}

// twoLoop sets d = -H g by Nocedal and Wright's two-loop recursion
// (algorithm 7.4): H is the inverse-Hessian approximation that the BFGS
// update builds from H0 = (s.y / y.y) I (the newest pair's scaling, eq.
// 7.20; the identity without pairs) with the stored pairs (S[i], Y[i]),
// rho[i] = 1 / (s_i . y_i), oldest first. The pairs sit in a ring of
// len(S) slots whose newest is slot newest; alpha is scratch. Failures are
// recorded on sc.
func twoLoop(sc *engine.Scope, P int, g, d engine.Buffer, S, Y []engine.Buffer, rho, alpha []float64, stored, newest int) {
	m := len(S)
	dot := func(u, v engine.Buffer) float64 {
		r, _ := sc.Dot(P, u, 1, v, 1)
		return r
	}
	sc.Copy(d, g)
	for k := 0; k < stored; k++ {
		i := (newest - k + m) % m
		alpha[i] = rho[i] * dot(S[i], d)
		sc.Axpy(P, -alpha[i], Y[i], 1, d, 1)
	}
	if stored > 0 {
		sy := dot(S[newest], Y[newest])
		yy := dot(Y[newest], Y[newest])
		sc.Scal(P, sy/yy, d, 1)
	}
	for k := stored - 1; k >= 0; k-- {
		i := (newest - k + m) % m
		yr := dot(Y[i], d)
		sc.Axpy(P, alpha[i]-rho[i]*yr, S[i], 1, d, 1)
	}
	sc.Scal(P, -1, d, 1)
}

// lineSearch finds a step a along d from x satisfying the strong Wolfe
// conditions (Nocedal and Wright, algorithms 3.5 and 3.6, with cubic
// interpolation safeguarded to the middle 80% of the bracket). Each trial
// evaluates the full-batch loss and gradient at xt = x + a d into gt.
type lineSearch struct {
	t            *trainer
	x, d, xt, gt engine.Buffer
	f0, dphi0    float64
	last         float64 // the step whose point xt, gt hold (-1: none)
	evaluated    bool
}

// eval sets xt = x + a d, gt = grad f(xt) and returns f(xt) and gt . d.
func (ls *lineSearch) eval(a float64) (float64, float64, error) {
	t, P := ls.t, ls.t.net.NumParams()
	ops := engine.Ops(t.b)
	ops.Copy(ls.xt, ls.x)
	if err := ops.Axpy(P, a, ls.d, 1, ls.xt, 1); err != nil {
		return 0, 0, err
	}
	f, err := t.objective(ls.xt, t.data, ls.gt)
	if err != nil {
		return 0, 0, err
	}
	dphi, err := t.b.Dot(P, ls.gt, 1, ls.d, 1)
	if err != nil {
		return 0, 0, err
	}
	ls.last, ls.evaluated = a, true
	if math.IsNaN(f) || math.IsNaN(dphi) {
		f, dphi = math.Inf(1), math.Inf(1) // treat as too far: the search backs off
	}
	return f, dphi, nil
}

// at makes xt, gt hold the point of step a.
func (ls *lineSearch) at(a float64) error {
	if ls.evaluated && ls.last == a {
		return nil
	}
	_, _, err := ls.eval(a)
	return err
}

// run returns the accepted step and its loss; ok is false when no step
// lowers the loss (the minimum is reached to rounding).
func (ls *lineSearch) run(a1 float64) (a, fa float64, ok bool, err error) {
	aPrev, fPrev, dPrev := 0.0, ls.f0, ls.dphi0
	a = a1
	for i := 0; i < maxBracket; i++ {
		f, dphi, err := ls.eval(a)
		if err != nil {
			return 0, 0, false, err
		}
		if f > ls.f0+wolfeC1*a*ls.dphi0 || (i > 0 && f >= fPrev) {
			return ls.zoom(aPrev, fPrev, dPrev, a, f, dphi)
		}
		if math.Abs(dphi) <= -wolfeC2*ls.dphi0 {
			return a, f, true, nil
		}
		if dphi >= 0 {
			return ls.zoom(a, f, dphi, aPrev, fPrev, dPrev)
		}
		aPrev, fPrev, dPrev = a, f, dphi
		a *= 2
	}
	return aPrev, fPrev, aPrev > 0 && fPrev < ls.f0, nil
}

// zoom narrows a bracket [lo, hi] (lo: the end with the lower loss that
// satisfies sufficient decrease) to a strong Wolfe step.
func (ls *lineSearch) zoom(lo, flo, dlo, hi, fhi, dhi float64) (float64, float64, bool, error) {
	for j := 0; j < maxZoom; j++ {
		width := hi - lo
		a := cubicMin(lo, flo, dlo, hi, fhi, dhi)
		if edge := 0.1 * math.Abs(width); math.IsNaN(a) || a < math.Min(lo, hi)+edge || a > math.Max(lo, hi)-edge {
			a = lo + 0.5*width
		}
		f, dphi, err := ls.eval(a)
		if err != nil {
			return 0, 0, false, err
		}
		if f > ls.f0+wolfeC1*a*ls.dphi0 || f >= flo {
			hi, fhi, dhi = a, f, dphi
		} else {
			if math.Abs(dphi) <= -wolfeC2*ls.dphi0 {
				return a, f, true, nil
			}
			if dphi*(hi-lo) >= 0 {
				hi, fhi, dhi = lo, flo, dlo
			}
			lo, flo, dlo = a, f, dphi
		}
		if math.Abs(hi-lo) <= 1e-15*math.Max(1, math.Abs(lo)) {
			break
		}
	}
	// The bracket collapsed: accept lo if it lowered the loss at all.
	return lo, flo, lo != 0 && flo < ls.f0, nil
}

// cubicMin is the minimiser of the cubic interpolating f and f' at a and
// b (Nocedal and Wright, equation 3.59); NaN when it has none.
func cubicMin(a, fa, da, b, fb, db float64) float64 {
	d1 := da + db - 3*(fa-fb)/(a-b)
	disc := d1*d1 - da*db
	if disc < 0 || a == b {
		return math.NaN()
	}
	d2 := math.Copysign(math.Sqrt(disc), b-a)
	return b - (b-a)*(db+d2-d1)/(db-da+2*d2)
}
