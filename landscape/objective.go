package landscape

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/train"
)

// Objective is a network's training objective on a data set, the mean
// loss plus (wd/2) |theta|^2 (the census's), as an energy.Objective over
// host parameter vectors in the network's flat layout, so that the energy
// package's basin-hopping, elastic bands and eigenvector-following run on
// networks. Its value and gradient are train.Objective's (the one that
// training minimises), its Hessian-vector products the evaluator's exact
// R-operator plus the penalty's wd v. energy.Objective has no error results: the first
// failure of the engine is kept, every later call returns NaN, and Err
// reports it.
type Objective struct {
	b     engine.Backend
	ev    *models.Evaluator
	data  *models.Data
	wd    float64
	dim   int
	theta engine.Buffer
	g     engine.Buffer
	v     engine.Buffer
	err   error
	scope *engine.Scope
}

var _ energy.Objective = (*Objective)(nil)

// NewObjective returns the objective of net (its architecture; its own
// parameters are not used) on data with weight decay wd >= 0, evaluated
// in chunks of chunk samples (0: the models default). Close frees it.
func NewObjective(net *models.Network, data *models.Data, wd float64, chunk int) (*Objective, error) {
	if !(wd >= 0) || math.IsInf(wd, 0) {
		return nil, fmt.Errorf("objective: weight decay %v; want a finite number >= 0", wd)
	}
	if data == nil {
		return nil, errors.New("objective: no data")
	}
	ev, err := net.NewEvaluator(chunk)
	if err != nil {
		return nil, err
	}
	b := net.Backend()
	s := engine.NewScope(b)
	n := net.NumParams()
	o := &Objective{b: b, ev: ev, data: data, wd: wd, dim: n, scope: s}
	o.theta, o.g, o.v = s.Alloc(n), s.Alloc(n), s.Alloc(n)
	if err := s.Err(); err != nil {
		o.Close()
		return nil, err
	}
	return o, nil
}

// Dim is the number of parameters.
func (o *Objective) Dim() int { return o.dim }

// Err is the first failure of the engine, if any.
func (o *Objective) Err() error { return o.err }

func (o *Objective) fail(err error) float64 {
	if o.err == nil {
		o.err = err
	}
	return math.NaN()
}

// ValueGrad is the objective at x and, unless grad is nil, its gradient.
func (o *Objective) ValueGrad(x, grad []float64) float64 {
	if o.err != nil {
		return math.NaN()
	}
	if err := o.b.Upload(o.theta, x); err != nil {
		return o.fail(err)
	}
	var g engine.Buffer
	if grad != nil {
		g = o.g
	}
	f, err := train.Objective(o.b, o.ev, o.theta, o.data, o.wd, g)
	if err == nil && grad != nil {
		err = o.b.Download(grad, o.g)
	}
	if err != nil {
		return o.fail(err)
	}
	return f
}

// HessVec writes the objective's Hessian at x times v into hv.
func (o *Objective) HessVec(x, v, hv []float64) {
	if o.err != nil {
		for i := range hv {
			hv[i] = math.NaN()
		}
		return
	}
	err := o.b.Upload(o.theta, x)
	if err == nil {
		err = o.b.Upload(o.v, v)
	}
	if err == nil {
		err = o.ev.HVP(o.theta, o.data, o.v, o.g)
	}
	if err == nil {
		err = o.b.Download(hv, o.g)
	}
	if err != nil {
		o.fail(err)
		for i := range hv {
			hv[i] = math.NaN()
		}
		return
	}
	for i := range hv {
		hv[i] += o.wd * v[i]
	}
}

// Close frees the objective's buffers and evaluator.
func (o *Objective) Close() error {
	return errors.Join(o.scope.Close(), o.ev.Close())
}
