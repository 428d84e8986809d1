package spinglass

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// MaxP is the largest p NewPSpin takes.
const MaxP = 10

// PSpin is the spherical p-spin glass
//
//	H(s) = N^{-(p-1)/2} sum_{i1..ip} J_{i1..ip} s_{i1}...s_{ip},   |s|^2 = N,
//
// with J_{i1..ip} iid N(0,1): element i1 + N i2 + ... of J is normal number
// that of CouplingStream under Seed. H depends only on the symmetrised
// tensor, which the backend holds (N^p float64s) as an N^2 x N^{p-2}
// matrix: one Gemm against Kronecker powers of a batch of points gives their
// Hessians Hess H = p(p-1) N^{-(p-1)/2} J(s,..,s,.,.), from which
// grad H = Hess H s/(p-1) and H = s.grad H/p (Euler's identity).
type PSpin struct {
	P, N int
	Seed uint64

	b     engine.Backend
	j     engine.Buffer // symmetrised couplings (p >= 3)
	jhost []float64     // p = 2: the symmetrised N x N matrix
	scale float64       // N^{-(p-1)/2}
	g     spheres

	// work holds the scratch of a batch of cols points, grown on demand:
	// "s" (N x cols), "k2".."k<p-2>" (the Kronecker powers, N^q x cols) and
	// "out" (N^2 x cols).
	work *engine.Scope
}

// NewPSpin draws the couplings of a p-spin glass on N spins on backend b.
// It needs 2 <= p <= MaxP, N >= 2 and N^p <= MaxTensorElements. Close
// releases its buffers.
func NewPSpin(b engine.Backend, p, n int, seed uint64) (*PSpin, error) {
	if p < 2 || p > MaxP {
		return nil, fmt.Errorf("spinglass: p = %d; want 2 <= p <= %d", p, MaxP)
	}
	if n < 2 {
		return nil, fmt.Errorf("spinglass: N = %d; want N >= 2", n)
	}
	elems := 1
	for range p {
		if elems > MaxTensorElements/n {
			nmax := int(math.Floor(math.Pow(MaxTensorElements, 1/float64(p)) + 1e-9))
			for ipow(nmax+1, p) <= MaxTensorElements {
				nmax++
			}
			for ipow(nmax, p) > MaxTensorElements {
				nmax--
			}
			return nil, fmt.Errorf("spinglass: N = %d, p = %d: the coupling tensor has N^p > %d elements (%d MiB); at p = %d take N <= %d",
				n, p, MaxTensorElements, MaxTensorElements*8>>20, p, nmax)
		}
		elems *= n
	}
	j, err := couplings(b, elems, seed)
	if err != nil {
		return nil, err
	}
	host := make([]float64, elems)
	if err := b.Download(host, j); err != nil {
		_ = b.Free(j)
		return nil, fmt.Errorf("spinglass: couplings: %w", err)
	}
	symmetrize(host, n, p)
	m := &PSpin{P: p, N: n, Seed: seed, b: b, scale: math.Pow(float64(n), -float64(p-1)/2), g: newSpheres([]int{n}), work: engine.NewScope(b)}
	if p == 2 {
		_ = b.Free(j)
		m.jhost = host
		return m, nil
	}
	if err := b.Upload(j, host); err != nil {
		_ = b.Free(j)
		return nil, fmt.Errorf("spinglass: couplings: %w", err)
	}
	m.j = j
	return m, nil
}

func ipow(a, p int) int {
	r := 1
	for range p {
		r *= a
	}
	return r
}

// symmetrize replaces the N^p tensor t (column-major) by the average of its
// p! index permutations, in place: each orbit of multi-indices is read,
// averaged and written back.
func symmetrize(t []float64, n, p int) {
	if p == 1 {
		return
	}
	perms := permutations(p)
	pow := make([]int, p)
	pow[0] = 1
	for k := 1; k < p; k++ {
		pow[k] = pow[k-1] * n
	}
	idx := make([]int, p) // nondecreasing multi-index
	lin := make([]int, len(perms))
	inv := 1 / float64(len(perms))
	for {
		var s float64
		for q, pi := range perms {
			l := 0
			for k := range p {
				l += idx[pi[k]] * pow[k]
			}
			lin[q] = l
			s += t[l]
		}
		s *= inv
		for _, l := range lin {
			t[l] = s
		}
		// next nondecreasing multi-index
		k := p - 1
		for k >= 0 && idx[k] == n-1 {
			k--
		}
		if k < 0 {
			return
		}
		idx[k]++
		for i := k + 1; i < p; i++ {
			idx[i] = idx[k]
		}
	}
}

// permutations returns all permutations of 0..p-1.
func permutations(p int) [][]int {
	if p == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, q := range permutations(p - 1) {
		for pos := 0; pos <= len(q); pos++ {
			r := make([]int, 0, p)
			r = append(r, q[:pos]...)
			r = append(r, p-1)
			r = append(r, q[pos:]...)
			out = append(out, r)
		}
	}
	return out
}

// Close releases the backend buffers.
func (m *PSpin) Close() error {
	err := m.work.Close()
	if m.j != nil {
		err = errors.Join(err, m.b.Free(m.j))
		m.j = nil
	}
	return err
}

// At returns the energy, gradients, Hessians and index at s (|s|^2 = N).
func (m *PSpin) At(s []float64) (Local, error) { return at(m, s) }

func (m *PSpin) geom() spheres { return m.g }
func (m *PSpin) flips() bool   { return m.P%2 == 1 }

func (m *PSpin) maxBatch() int {
	n := m.N
	per := 8 * (n*n + n + n*n /* host Hessians */)
	for q := 2; q <= m.P-2; q++ {
		per += 8 * ipow(n, q)
	}
	return max(1, workBudget/per)
}

func (m *PSpin) eval(x []float64, cols int, e, eg, eh []float64) error {
	n, p := m.N, m.P
	nn := n * n
	if p == 2 {
		for c := range cols {
			h := eh[c*nn : (c+1)*nn]
			for i, v := range m.jhost {
				h[i] = 2 * m.scale * v
			}
		}
	} else {
		if m.j == nil {
			return fmt.Errorf("spinglass: p-spin used after Close")
		}
		w := m.work
		w.Reset()
		s, out := w.Scratch("s", n*cols), w.Scratch("out", nn*cols)
		w.Upload(s, x[:n*cols])
		// K_q = s (x) K_{q-1}, column by column: an n x n^{q-1} outer product.
		k := s
		for q := 2; q <= p-2; q++ {
			next := w.Scratch(fmt.Sprintf("k%d", q), ipow(n, q)*cols)
			prev := ipow(n, q-1)
			w.GemmStridedBatched(engine.NoTrans, engine.NoTrans, n, prev, 1, 1, s, n, n, k, 1, prev, 0, next, n, n*prev, cols)
			k = next
		}
		kk := ipow(n, p-2)
		w.Gemm(engine.NoTrans, engine.NoTrans, nn, cols, kk, float64(p*(p-1))*m.scale, m.j, nn, k, kk, 0, out, nn)
		w.Download(eh[:nn*cols], out)
		if err := w.Err(); err != nil {
			return fmt.Errorf("spinglass: p-spin Hessians: %w", err)
		}
	}
	// gradient = Hess s / (p-1), energy = s . grad / p
	for c := range cols {
		h, sc, gc := eh[c*nn:(c+1)*nn], x[c*n:(c+1)*n], eg[c*n:(c+1)*n]
		var en float64
		for i := range n {
			var v float64
			row := h[i*n : (i+1)*n]
			for j, a := range row {
				v += a * sc[j]
			}
			v /= float64(p - 1)
			gc[i] = v
			en += v * sc[i]
		}
		e[c] = en / float64(p)
	}
	return nil
}
