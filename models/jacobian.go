package models

import (
	"fmt"

	"netgeom/engine"
)

// Jacobian is the input-output Jacobian J = dh^L/dx of a random network at
// one input, as matrix-free products on a backend: J v by the forward
// tangent recursion u^l = W^l (phi'(h^{l-1}) * u^{l-1}) and J^T u by the
// backward one, with the layer's derivatives phi'(h^{l-1}) computed once and
// the weights kept on the backend (memory: sum of N_l N_{l-1} numbers). It
// serves Lanczos on J^T J for the singular values (SCIENCE.md section 4).
type Jacobian struct {
	b       engine.Backend
	net     *RandomDense
	weights []engine.Buffer // W^l, l = 1..L at index l-1
	derivs  []engine.Buffer // phi'(h^{l-1}) at index l-1 (nil: the identity, for the raw input)
	scratch [2]engine.Buffer
}

// NewJacobian prepares J at the input x (length N_0) on backend b. Close
// releases its buffers.
func (n *RandomDense) NewJacobian(b engine.Backend, x []float64) (*Jacobian, error) {
	if len(x) != n.Width(0) {
		return nil, fmt.Errorf("jacobian: input has %d numbers; the network's input width is %d", len(x), n.Width(0))
	}
	j := &Jacobian{b: b, net: n}
	maxW := 0
	for _, w := range n.spec.Widths {
		maxW = max(maxW, w)
	}
	for k := range j.scratch {
		s, err := b.Alloc(engine.Float64, maxW)
		if err != nil {
			j.Close()
			return nil, err
		}
		j.scratch[k] = s
	}
	in, err := engine.FromHost(b, x)
	if err != nil {
		j.Close()
		return nil, err
	}
	defer b.Free(in)
	L := n.Depth()
	j.derivs = make([]engine.Buffer, L)
	j.weights = make([]engine.Buffer, L)
	out, err := n.Run(b, in, 1, RunOptions{}, func(l int, h engine.Buffer, width, _ int) error {
		if l == L {
			return nil
		}
		if l == 0 && !n.spec.ActivateInput {
			return nil // the first layer sees x itself: its derivative is the identity
		}
		d, err := b.Alloc(engine.Float64, width)
		if err != nil {
			return err
		}
		j.derivs[l] = d
		return b.ActivateDerivative(n.spec.Act.ID, 1, h, d)
	})
	if err != nil {
		j.Close()
		return nil, err
	}
	b.Free(out)
	for l := 1; l <= L; l++ {
		W, err := b.Alloc(engine.Float64, n.Width(l)*n.Width(l-1))
		if err != nil {
			j.Close()
			return nil, err
		}
		j.weights[l-1] = W
		bias, err := b.Alloc(engine.Float64, n.Width(l))
		if err != nil {
			j.Close()
			return nil, err
		}
		err = n.loadWeights(b, l, W, bias)
		b.Free(bias)
		if err != nil {
			j.Close()
			return nil, err
		}
	}
	return j, nil
}

// Close frees the Jacobian's buffers.
func (j *Jacobian) Close() {
	for _, x := range append(append(append([]engine.Buffer{}, j.weights...), j.derivs...), j.scratch[:]...) {
		if x != nil {
			j.b.Free(x)
		}
	}
	j.weights, j.derivs = nil, nil
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
		if err := b.Gemv(engine.Trans, nOut, nIn, 1, j.weights[l-1], nOut, cur, 1, 0, next, 1); err != nil {
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
