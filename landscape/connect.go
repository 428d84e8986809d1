package landscape

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// PathPoint is the network at one point theta(t) of a path between two
// parameter vectors.
type PathPoint struct {
	T float64 `json:"t"`
	// TrainLoss is the mean loss over the training set, Objective the
	// training objective (TrainLoss + (wd/2) |theta(t)|^2), TestLoss the
	// mean loss over the test set (0 without one).
	TrainLoss float64 `json:"train_loss"`
	Objective float64 `json:"objective"`
	TestLoss  float64 `json:"test_loss"`
}

// Path is the loss along a path from a (t = 0) to b (t = 1).
type Path struct {
	Kind   string      `json:"kind"` // "linear" or "bezier"
	Points []PathPoint `json:"points"`
	// Barrier is max_t TrainLoss(t) - max(TrainLoss(0), TrainLoss(1)) over
	// the evaluated points: how far the path climbs above the higher of
	// its ends (<= 0: it never does). ObjectiveBarrier is the same for the
	// objective. BarrierT is where the train loss peaks.
	Barrier          float64 `json:"barrier"`
	ObjectiveBarrier float64 `json:"objective_barrier"`
	BarrierT         float64 `json:"barrier_t"`
}

// PathEvaluator evaluates networks of one spec on a training set and an
// optional test set, at host parameter vectors.
type PathEvaluator struct {
	Net         *models.Network
	Train, Test *models.Data
	// WeightDecay of the objective (mean loss + (wd/2) |theta|^2).
	WeightDecay float64
	e           *models.Evaluator
	g           engine.Buffer // gradient scratch, allocated on first use
}

// NewPathEvaluator makes an evaluator for net (whose own parameters it
// overwrites) on train and test (nil: none).
func NewPathEvaluator(net *models.Network, train, test *models.Data, weightDecay float64) (*PathEvaluator, error) {
	if !(weightDecay >= 0) || math.IsInf(weightDecay, 0) {
		return nil, fmt.Errorf("path: weight decay %v; want a finite number >= 0", weightDecay)
	}
	e, err := net.NewEvaluator(0)
	if err != nil {
		return nil, err
	}
	return &PathEvaluator{Net: net, Train: train, Test: test, WeightDecay: weightDecay, e: e}, nil
}

// Close releases the evaluator's scratch.
func (pe *PathEvaluator) Close() error {
	errs := []error{pe.e.Close()}
	if pe.g != nil {
		errs = append(errs, pe.Net.Backend().Free(pe.g))
		pe.g = nil
	}
	return errors.Join(errs...)
}

// At evaluates the point theta (host) at path position t.
func (pe *PathEvaluator) At(t float64, theta []float64) (PathPoint, error) {
	if err := pe.Net.SetParams(theta); err != nil {
		return PathPoint{}, err
	}
	pt := PathPoint{T: t}
	var err error
	if pt.TrainLoss, err = pe.e.Loss(pe.Net.Params(), pe.Train); err != nil {
		return pt, err
	}
	pt.Objective = pt.TrainLoss + 0.5*pe.WeightDecay*dot(theta, theta)
	if pe.Test != nil {
		if pt.TestLoss, err = pe.e.Loss(pe.Net.Params(), pe.Test); err != nil {
			return pt, err
		}
	}
	return pt, nil
}

// gradient returns the objective and its gradient at theta (host).
func (pe *PathEvaluator) gradient(theta, grad []float64) (float64, error) {
	if err := pe.Net.SetParams(theta); err != nil {
		return 0, err
	}
	if pe.g == nil {
		g, err := pe.Net.NewParams()
		if err != nil {
			return 0, err
		}
		pe.g = g
	}
	loss, err := pe.e.Gradient(pe.Net.Params(), pe.Train, pe.g)
	if err != nil {
		return 0, err
	}
	if err := pe.Net.Backend().Download(grad, pe.g); err != nil {
		return 0, err
	}
	for i, v := range theta {
		grad[i] += pe.WeightDecay * v
	}
	return loss + 0.5*pe.WeightDecay*dot(theta, theta), nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Grid returns n >= 2 equally spaced points from 0 to 1.
func Grid(n int) []float64 {
	ts := make([]float64, n)
	for i := range ts {
		ts[i] = float64(i) / float64(n-1)
	}
	ts[n-1] = 1
	return ts
}

// LinearPath evaluates theta(t) = (1 - t) a + t b at n >= 2 equally spaced
// t in [0, 1].
func LinearPath(pe *PathEvaluator, a, b []float64, n int) (Path, error) {
	return evalPath(pe, "linear", n, func(t float64, out []float64) {
		for i := range out {
			out[i] = (1-t)*a[i] + t*b[i]
		}
	}, len(a), len(b))
}

// Bezier returns the point t of the quadratic Bezier curve with ends a, b
// and control point c: (1-t)^2 a + 2 t (1-t) c + t^2 b, into out.
func Bezier(a, b, c []float64, t float64, out []float64) {
	wa, wc, wb := (1-t)*(1-t), 2*t*(1-t), t*t
	for i := range out {
		out[i] = wa*a[i] + wc*c[i] + wb*b[i]
	}
}

// BezierPath evaluates the quadratic Bezier curve with control point c at
// n >= 2 equally spaced t in [0, 1].
func BezierPath(pe *PathEvaluator, a, b, c []float64, n int) (Path, error) {
	if len(c) != len(a) {
		return Path{}, fmt.Errorf("path: control point of %d parameters for ends of %d", len(c), len(a))
	}
	return evalPath(pe, "bezier", n, func(t float64, out []float64) { Bezier(a, b, c, t, out) }, len(a), len(b))
}

func evalPath(pe *PathEvaluator, kind string, n int, at func(float64, []float64), na, nb int) (Path, error) {
	P := pe.Net.NumParams()
	if na != P || nb != P {
		return Path{}, fmt.Errorf("path: ends of %d and %d parameters for a network of %d", na, nb, P)
	}
	if n < 2 {
		return Path{}, fmt.Errorf("path: %d points; want >= 2", n)
	}
	p := Path{Kind: kind}
	theta := make([]float64, P)
	for _, t := range Grid(n) {
		at(t, theta)
		pt, err := pe.At(t, theta)
		if err != nil {
			return p, err
		}
		p.Points = append(p.Points, pt)
	}
	p.Barrier, p.BarrierT = barrier(p.Points, func(q PathPoint) float64 { return q.TrainLoss })
	p.ObjectiveBarrier, _ = barrier(p.Points, func(q PathPoint) float64 { return q.Objective })
	return p, nil
}

// barrier returns max_t f - max(f(first), f(last)) and the t of the max.
func barrier(pts []PathPoint, f func(PathPoint) float64) (float64, float64) {
	top, at := math.Inf(-1), 0.0
	for _, q := range pts {
		if v := f(q); v > top {
			top, at = v, q.T
		}
	}
	return top - math.Max(f(pts[0]), f(pts[len(pts)-1])), at
}

// Defaults of BezierOptions.
const (
	DefaultBezierSteps = 1000
	DefaultBezierLR    = 0.01
	DefaultBezierBatch = 4
)

// BezierOptions configure TrainBezier. Zero values take the defaults.
type BezierOptions struct {
	// Steps of Adam (default 1000) at learning rate LR (default 0.01).
	Steps int
	LR    float64
	// Batch: each step averages the gradient over Batch values of t, one
	// uniform in each of the Batch equal parts of [0, 1] (stratified;
	// default 4).
	Batch int
	// Seed draws the t values.
	Seed uint64
	// Progress, when set, is called after every step.
	Progress func(step, steps int, objective float64)
}

// BezierResult is a trained control point.
type BezierResult struct {
	Control []float64
	// Objective is the mean objective over the last step's t values.
	Objective float64
	Steps     int
}

// BezierObjective returns the mean over ts of the training objective at
// the points theta(t) of the quadratic Bezier curve (a, c, b), and its
// gradient in the control point c into grad: the mean of 2 t (1 - t)
// grad_theta(theta(t)).
func BezierObjective(pe *PathEvaluator, a, b, c, ts []float64, grad []float64) (float64, error) {
	P := pe.Net.NumParams()
	if len(a) != P || len(b) != P || len(c) != P || len(grad) != P || len(ts) == 0 {
		return 0, fmt.Errorf("bezier: ends, control point and gradient of %d, %d, %d, %d parameters for a network of %d, %d values of t",
			len(a), len(b), len(c), len(grad), P, len(ts))
	}
	clear(grad)
	theta, g := make([]float64, P), make([]float64, P)
	obj := 0.0
	for _, t := range ts {
		Bezier(a, b, c, t, theta)
		f, err := pe.gradient(theta, g)
		if err != nil {
			return 0, err
		}
		obj += f / float64(len(ts))
		w := 2 * t * (1 - t) / float64(len(ts))
		for i := range grad {
			grad[i] += w * g[i]
		}
	}
	return obj, nil
}

// TrainBezier trains the control point c of the quadratic Bezier curve
// from a to b to minimise the training objective averaged over t uniform
// in [0, 1] (Garipov et al. 2018): the gradient in c of the objective at
// theta(t) is 2 t (1 - t) grad(theta(t)). It starts from the midpoint
// (a + b)/2, where the curve is the straight segment, and runs Adam
// (beta 0.9, 0.999, epsilon 1e-8) on stochastic, stratified t.
func TrainBezier(pe *PathEvaluator, a, b []float64, opt BezierOptions) (BezierResult, error) {
	P := pe.Net.NumParams()
	if len(a) != P || len(b) != P {
		return BezierResult{}, fmt.Errorf("bezier: ends of %d and %d parameters for a network of %d", len(a), len(b), P)
	}
	if opt.Steps == 0 {
		opt.Steps = DefaultBezierSteps
	}
	if opt.LR == 0 {
		opt.LR = DefaultBezierLR
	}
	if opt.Batch == 0 {
		opt.Batch = DefaultBezierBatch
	}
	if opt.Steps < 1 || opt.Batch < 1 || !(opt.LR > 0) || math.IsInf(opt.LR, 0) {
		return BezierResult{}, fmt.Errorf("bezier: %d steps, batch %d, learning rate %v; want >= 1, >= 1, > 0", opt.Steps, opt.Batch, opt.LR)
	}
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	c := make([]float64, P)
	for i := range c {
		c[i] = 0.5 * (a[i] + b[i])
	}
	m, v, gc := make([]float64, P), make([]float64, P), make([]float64, P)
	ts := make([]float64, opt.Batch)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x62657a696572))
	res := BezierResult{}
	for step := 1; step <= opt.Steps; step++ {
		for k := range ts {
			ts[k] = (float64(k) + rng.Float64()) / float64(opt.Batch)
		}
		obj, err := BezierObjective(pe, a, b, c, ts, gc)
		if err != nil {
			return res, err
		}
		if math.IsNaN(obj) || math.IsInf(obj, 0) {
			return res, fmt.Errorf("bezier: the objective became %v at step %d; lower the learning rate", obj, step)
		}
		c1, c2 := 1-math.Pow(beta1, float64(step)), 1-math.Pow(beta2, float64(step))
		for i, gi := range gc {
			m[i] = beta1*m[i] + (1-beta1)*gi
			v[i] = beta2*v[i] + (1-beta2)*gi*gi
			c[i] -= opt.LR * (m[i] / c1) / (math.Sqrt(v[i]/c2) + eps)
		}
		res.Objective, res.Steps = obj, step
		if opt.Progress != nil {
			opt.Progress(step, opt.Steps, obj)
		}
	}
	res.Control = c
	return res, nil
}
