package models

import (
	"errors"
	"fmt"

	"github.com/netgeom/netgeom/engine"
)

// Jacobian is the input-output Jacobian J = dh^L/dx of a random network at
// one input, as matrix-free products on a backend through the network's
// layers: J v is the R-forward pass along the input tangent v (no
// parameter direction), J^T u the backward pass from u, both reading the
// state of one forward pass at the input (phi'(h^{l-1}) of every
// activation, the factors of every product layer, the attention weights).
// Every layer's parameters are kept on the backend (memory: the parameter
// count of the network). It serves Lanczos on J^T J for the singular
// values (docs/science.md section 4).
type Jacobian struct {
	b     engine.Backend
	net   *RandomNetwork
	theta engine.Buffer // every layer's parameters, in the flat layout
	tp    *tape
	p     *passes
	sc    *engine.Scope // owns theta and the input; the passes' scratch
}

// NewJacobian prepares J at the input x (length N_0) on backend b. Close
// releases its buffers.
func (n *RandomNetwork) NewJacobian(b engine.Backend, x []float64) (*Jacobian, error) {
	if len(x) != n.Width(0) {
		return nil, fmt.Errorf("jacobian: input has %d numbers; the network's input width is %d", len(x), n.Width(0))
	}
	if n.Depth() == 0 {
		return nil, fmt.Errorf("jacobian: the network has no layers")
	}
	sc := engine.NewScope(b)
	j := &Jacobian{b: b, net: n, sc: sc, tp: newTape(b, n.st, 1, 0, nil)}
	j.theta = sc.Alloc(n.st.np)
	in := sc.FromHost(x)
	if err := sc.Err(); err != nil {
		j.Close()
		return nil, err
	}
	for l := 1; l <= n.Depth(); l++ {
		blk := n.st.blocks[l]
		dst, err := blk.View(b, j.theta)
		if err == nil {
			err = n.draw(b, l, dst, blk.Off, blk.Off+blk.Len)
		}
		if err != nil {
			j.Close()
			return nil, fmt.Errorf("jacobian: %w", err)
		}
	}
	j.p = &passes{st: n.st, tp: j.tp, sc: engine.NewScope(b), cols: 1, x0: in}
	// The forward pass runs gemm as a forward pass of the network does, so
	// that phi'(h^l) is that of Run's h^l; the products are gemv.
	if _, err := j.p.forward(j.theta, needFirst); err != nil {
		j.Close()
		return nil, fmt.Errorf("jacobian: %w", err)
	}
	j.p.vec = true
	return j, nil
}

// Close frees the Jacobian's buffers.
func (j *Jacobian) Close() error {
	var errs []error
	if j.p != nil {
		errs = append(errs, j.p.sc.Close())
	}
	return errors.Join(append(errs, j.tp.close(), j.sc.Close())...)
}

// Apply sets y = J v (v of length N_0, y of length N_L).
func (j *Jacobian) Apply(v, y engine.Buffer) error {
	if err := j.p.rforward(j.theta, nil, v); err != nil {
		return err
	}
	out := j.p.buf(chainRX, len(j.net.st.steps), 0)
	if err := j.p.sc.Err(); err != nil {
		return err
	}
	return j.b.Copy(y, out)
}

// ApplyTranspose sets y = J^T u (u of length N_L, y of length N_0).
func (j *Jacobian) ApplyTranspose(u, y engine.Buffer) error {
	p := j.p
	p.sc.Reset()
	top := p.buf(chainG, len(j.net.st.steps), 0)
	p.sc.Copy(top, u)
	if err := p.sc.Err(); err != nil {
		return err
	}
	p.inputGrad = true
	defer func() { p.inputGrad = false }()
	if err := p.backward(j.theta, nil, false); err != nil {
		return err
	}
	g0 := p.buf(chainG, 0, 0)
	if err := p.sc.Err(); err != nil {
		return err
	}
	return j.b.Copy(y, g0)
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
func (n *RandomNetwork) JacobianMatrix(b engine.Backend, x []float64) ([]float64, error) {
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
