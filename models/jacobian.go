package models

import (
	"cmp"
	"fmt"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/layerkind"
)

// Jacobian is the input-output Jacobian J = dh^L/dx of a random network at
// one input, as matrix-free products on a backend: J v by the forward
// tangent recursion u^l = W^l (phi'(h^{l-1}) * u^{l-1}) and J^T u by the
// backward one, with the layer's derivatives phi'(h^{l-1}) computed once and
// the weights kept on the backend (memory: sum of N_l N_{l-1} numbers, twice
// for product layers). A product layer h = (W x + b) * (V x + c) has the
// tangent map dh = diag(w) W dx + diag(u) V dx with its factors u = W x + b,
// w = V x + c at the input, and the adjoint W^T (w * g) + V^T (u * g). It
// serves Lanczos on J^T J for the singular values (docs/science.md section 4).
type Jacobian struct {
	b       engine.Backend
	net     *RandomDense
	weights []engine.Buffer // W^l, l = 1..L at index l-1
	derivs  []engine.Buffer // phi'(h^{l-1}) at index l-1 (nil: the identity, for the raw input)
	// product layers only (nil for dense ones), index l-1: the second
	// factor's weights V^l and the factors' values u^l, w^l at the input.
	factorW, uvals, wvals []engine.Buffer
	scratch               [3]engine.Buffer
	sc                    *engine.Scope // owns every buffer above
}

// NewJacobian prepares J at the input x (length N_0) on backend b. Close
// releases its buffers.
func (n *RandomDense) NewJacobian(b engine.Backend, x []float64) (*Jacobian, error) {
	if len(x) != n.Width(0) {
		return nil, fmt.Errorf("jacobian: input has %d numbers; the network's input width is %d", len(x), n.Width(0))
	}
	L := n.Depth()
	j := &Jacobian{b: b, net: n, derivs: make([]engine.Buffer, L), weights: make([]engine.Buffer, L),
		factorW: make([]engine.Buffer, L), uvals: make([]engine.Buffer, L), wvals: make([]engine.Buffer, L),
		sc: engine.NewScope(b)}
	maxW := 0
	for _, w := range n.spec.Widths {
		maxW = max(maxW, w)
	}
	s := j.sc
	for k := range j.scratch {
		j.scratch[k] = s.Alloc(maxW)
	}
	// tmp holds what only this function needs: the input, the inputs of
	// the product layers, the biases of the dense layers.
	tmp := engine.NewScope(b)
	defer tmp.Close()
	in := tmp.FromHost(x)
	if err := cmp.Or(s.Err(), tmp.Err()); err != nil {
		j.Close()
		return nil, err
	}
	// inputs[l-1] = x^{l-1}, the input of product layer l.
	inputs := make([]engine.Buffer, L)
	out, err := n.Run(b, in, 1, RunOptions{}, func(l int, h engine.Buffer, width, _ int) error {
		if l == L {
			return nil
		}
		raw := l == 0 && !n.spec.ActivateInput // the first layer sees x itself
		if n.Kind(l+1) == layerkind.Product {
			xl := tmp.Alloc(width)
			inputs[l] = xl
			if raw {
				tmp.Copy(xl, h)
			} else {
				tmp.ActivateDerivative(n.spec.Act.ID, 0, h, xl)
			}
			if err := tmp.Err(); err != nil {
				return err
			}
		}
		if raw {
			return nil // its derivative is the identity
		}
		d := s.Alloc(width)
		j.derivs[l] = d
		return s.ActivateDerivative(n.spec.Act.ID, 1, h, d)
	})
	if err != nil {
		j.Close()
		return nil, err
	}
	b.Free(out)
	// load allocates layer l's weights (the second factor's when second)
	// and, for a product layer, returns the factor's value at the input.
	load := func(l int, second bool) (W, value engine.Buffer, err error) {
		nOut, nIn := n.Width(l), n.Width(l-1)
		W = s.Alloc(nOut * nIn)
		owner := tmp // a dense layer's bias is needed only to load it
		if inputs[l-1] != nil {
			owner = s // a product layer's is overwritten by its factor's value
		}
		bias := owner.Alloc(nOut)
		if err := cmp.Or(s.Err(), tmp.Err()); err != nil {
			return nil, nil, err
		}
		if err := n.loadWeights(b, l, second, W, bias); err != nil || inputs[l-1] == nil {
			return W, nil, err
		}
		// value = W x^{l-1} + bias, in place of the bias.
		if err := b.Gemv(engine.NoTrans, nOut, nIn, 1, W, nOut, inputs[l-1], 1, 1, bias, 1); err != nil {
			return W, nil, err
		}
		return W, bias, nil
	}
	for l := 1; l <= L; l++ {
		j.weights[l-1], j.uvals[l-1], err = load(l, false)
		if err == nil && n.Kind(l) == layerkind.Product {
			j.factorW[l-1], j.wvals[l-1], err = load(l, true)
		}
		if err != nil {
			j.Close()
			return nil, err
		}
	}
	return j, nil
}

// Close frees the Jacobian's buffers.
func (j *Jacobian) Close() {
	j.sc.Close()
	j.weights, j.derivs, j.factorW, j.uvals, j.wvals = nil, nil, nil, nil, nil
	j.scratch = [3]engine.Buffer{}
}

func (j *Jacobian) view(k, n int) engine.Buffer {
	v, _ := j.b.Slice(j.scratch[k], 0, n)
	return v
}

// Apply sets y = J v (v of length N_0, y of length N_L).
func (j *Jacobian) Apply(v, y engine.Buffer) error {
	b, n := j.b, j.net
	cur := j.view(0, n.Width(0))
	if err := b.Copy(cur, v); err != nil {
		return err
	}
	for l := 1; l <= n.Depth(); l++ {
		nIn, nOut := n.Width(l-1), n.Width(l)
		if d := j.derivs[l-1]; d != nil {
			if err := b.Hadamard(d, cur, cur); err != nil {
				return err
			}
		}
		next := j.view(l%2, nOut)
		if err := b.Gemv(engine.NoTrans, nOut, nIn, 1, j.weights[l-1], nOut, cur, 1, 0, next, 1); err != nil {
			return err
		}
		if n.Kind(l) == layerkind.Product {
			// next = w * (W dx) + u * (V dx)
			t := j.view(2, nOut)
			if err := b.Gemv(engine.NoTrans, nOut, nIn, 1, j.factorW[l-1], nOut, cur, 1, 0, t, 1); err != nil {
				return err
			}
			if err := b.Hadamard(j.uvals[l-1], t, t); err != nil {
				return err
			}
			if err := b.Hadamard(j.wvals[l-1], next, next); err != nil {
				return err
			}
			if err := b.Axpy(nOut, 1, t, 1, next, 1); err != nil {
				return err
			}
		}
		cur = next
	}
	return b.Copy(y, cur)
}

// ApplyTranspose sets y = J^T u (u of length N_L, y of length N_0).
func (j *Jacobian) ApplyTranspose(u, y engine.Buffer) error {
	b, n := j.b, j.net
	L := n.Depth()
	cur := j.view(L%2, n.Width(L))
	if err := b.Copy(cur, u); err != nil {
		return err
	}
	for l := L; l >= 1; l-- {
		nIn, nOut := n.Width(l-1), n.Width(l)
		next := j.view((l-1)%2, nIn)
		if n.Kind(l) == layerkind.Product {
			// next = W^T (w * g) + V^T (u * g)
			t := j.view(2, nOut)
			if err := b.Hadamard(j.wvals[l-1], cur, t); err != nil {
				return err
			}
			if err := b.Gemv(engine.Trans, nOut, nIn, 1, j.weights[l-1], nOut, t, 1, 0, next, 1); err != nil {
				return err
			}
			if err := b.Hadamard(j.uvals[l-1], cur, t); err != nil {
				return err
			}
			if err := b.Gemv(engine.Trans, nOut, nIn, 1, j.factorW[l-1], nOut, t, 1, 1, next, 1); err != nil {
				return err
			}
		} else if err := b.Gemv(engine.Trans, nOut, nIn, 1, j.weights[l-1], nOut, cur, 1, 0, next, 1); err != nil {
			return err
		}
		if d := j.derivs[l-1]; d != nil {
			if err := b.Hadamard(d, next, next); err != nil {
				return err
			}
		}
		cur = next
	}
	return b.Copy(y, cur)
}

// Gram sets y = J^T J v, using tmp (length N_L) in between: the symmetric
// operator whose eigenvalues are J's squared singular values.
func (j *Jacobian) Gram(v, y, tmp engine.Buffer) error {
	if err := j.Apply(v, tmp); err != nil {
		return err
	}
	return j.ApplyTranspose(tmp, y)
}

// JacobianMatrix returns the dense Jacobian J = dh^L/dx at x (N_L x N_0,
// column-major), column j from the jet along the unit vector e_j: N_0 jets
// in one batch. For moderate widths (memory 3 N_0 max(N_l) numbers).
func (n *RandomDense) JacobianMatrix(b engine.Backend, x []float64) ([]float64, error) {
	N0, NL := n.Width(0), n.Width(n.Depth())
	if len(x) != N0 {
		return nil, fmt.Errorf("jacobian: input has %d numbers; the network's input width is %d", len(x), N0)
	}
	jet := make([]float64, 3*N0*N0)
	for j := 0; j < N0; j++ {
		copy(jet[j*N0:(j+1)*N0], x)
		jet[N0*N0+j*N0+j] = 1
	}
	in, err := engine.FromHost(b, jet)
	if err != nil {
		return nil, err
	}
	defer b.Free(in)
	out, err := n.Run(b, in, N0, RunOptions{Jet: true}, nil)
	if err != nil {
		return nil, err
	}
	defer b.Free(out)
	v, err := b.Slice(out, NL*N0, NL*N0)
	if err != nil {
		return nil, err
	}
	return engine.ToHost(b, v)
}
