package models

import (
	"cmp"
	"fmt"

	"github.com/netgeom/netgeom/engine"
)

// HessianOperator is the Hessian H of a Stack's mean loss in its parameters
// at fixed parameters and data, as a symmetric linear map on buffers of
// length Dim = NumParams: Apply(v, hv) overwrites hv with H v and does not
// write v. Its fields are those of spectrum.Operator, so
// spectrum.Operator(op) converts it for Lanczos, stochastic Lanczos
// quadrature and trace estimation (package models sits below the science
// packages and does not import them).
type HessianOperator struct {
	Dim   int
	Apply func(v, hv engine.Buffer) error
}

// HessianOperator returns the Hessian of the mean loss over the batch x
// (InDim x batch) with targets t (OutDim x batch) at theta, each product an
// exact HVP (the R-operator, Stack.HVP). The operator holds theta, x and t:
// the caller keeps them alive and unchanged while it is used. The Stack's
// scratch is shared, so one operator at a time per Stack, and not
// concurrently with the Stack's other calls.
func (s *Stack) HessianOperator(theta, x, t engine.Buffer, batch int) (HessianOperator, error) {
	if batch < 1 {
		return HessianOperator{}, fmt.Errorf("stack: Hessian operator: batch %d; must be >= 1", batch)
	}
	if err := cmp.Or(
		checkLen("stack: Hessian operator", "parameters", theta, s.NumParams()),
		checkLen("stack: Hessian operator", "inputs", x, s.InDim()*batch),
		checkLen("stack: Hessian operator", "targets", t, s.OutDim()*batch),
	); err != nil {
		return HessianOperator{}, err
	}
	return HessianOperator{
		Dim: s.NumParams(),
		Apply: func(v, hv engine.Buffer) error {
			return s.HVP(theta, x, t, batch, v, hv)
		},
	}, nil
}
