package spinglass

import (
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// Layered is the layered spin glass: one weight vector w_l per layer on the
// sphere |w_l|^2 = n_l and the multilinear loss
//
//	E(w) = c sum_{i1..iL} J_{i1..iL} w_1[i1] ... w_L[iL],   c = sqrt(D / prod n_l),
//
// with J iid N(0,1) (element i1 + n_1 i2 + ... is that normal of
// CouplingStream under Seed) and D = sum n_l, so that Var E = D as Var H = N
// for the p-spin. Its critical points on the product of spheres are the real
// singular-vector tuples of J (SingularTupleCount counts the complex ones).
// The Hessian blocks J contracted with every w_k but two run on the backend,
// a batch of points at a time (batched Gemms for the contractions of the
// first or last remaining mode, one Gemm per slice for the middle ones).
type Layered struct {
	Dims []int
	D    int
	Seed uint64

	b     engine.Backend
	j     engine.Buffer // couplings, prod n_l (L >= 2)
	jhost []float64     // L = 1: the couplings themselves
	scale float64
	g     spheres
}

// SplitDims splits a total dimension into layers sizes as equal as
// possible, the larger ones first: SplitDims(60, 7) = [9 9 9 9 8 8 8].
func SplitDims(total, layers int) ([]int, error) {
	if layers < 1 || total < layers {
		return nil, fmt.Errorf("spinglass: split %d dimensions into %d layers: want 1 <= layers <= dimensions", total, layers)
	}
	out := make([]int, layers)
	for l := range out {
		out[l] = total / layers
		if l < total%layers {
			out[l]++
		}
	}
	return out, nil
}

// NewLayered draws the couplings of a layered spin glass with layer sizes
// dims (each >= 1, prod <= MaxTensorElements) on backend b. Close releases
// its buffers.
func NewLayered(b engine.Backend, dims []int, seed uint64) (*Layered, error) {
	if len(dims) == 0 {
		return nil, fmt.Errorf("spinglass: layered model with no layers")
	}
	elems, d := 1, 0
	for _, n := range dims {
		if n < 1 {
			return nil, fmt.Errorf("spinglass: layer sizes %v: every size must be >= 1", dims)
		}
		if elems > MaxTensorElements/n {
			return nil, fmt.Errorf("spinglass: layer sizes %v: the coupling tensor has more than %d elements (%d MiB); use fewer dimensions or more layers",
				dims, MaxTensorElements, MaxTensorElements*8>>20)
		}
		elems *= n
		d += n
	}
	j, err := couplings(b, elems, seed)
	if err != nil {
		return nil, err
	}
	m := &Layered{Dims: append([]int(nil), dims...), D: d, Seed: seed, b: b,
		scale: math.Sqrt(float64(d) / float64(elems)), g: newSpheres(dims)}
	if len(dims) == 1 {
		m.jhost = make([]float64, elems)
		err := b.Download(m.jhost, j)
		_ = b.Free(j)
		if err != nil {
			return nil, fmt.Errorf("spinglass: couplings: %w", err)
		}
		return m, nil
	}
	m.j = j
	return m, nil
}

// Close releases the backend buffers.
func (m *Layered) Close() error {
	if m.j == nil {
		return nil
	}
	err := m.b.Free(m.j)
	m.j = nil
	return err
}

// At returns the energy, gradients, Hessians and index at w (block l of
// length n_l and norm sqrt(n_l)).
func (m *Layered) At(w []float64) (Local, error) { return at(m, w) }

func (m *Layered) geom() spheres { return m.g }
func (m *Layered) flips() bool   { return true }

// size is prod n_l over layers a..b.
func (m *Layered) size(a, b int) int {
	s := 1
	for l := a; l <= b; l++ {
		s *= m.Dims[l]
	}
	return s
}

func (m *Layered) maxBatch() int {
	L := len(m.Dims)
	if L == 1 {
		return max(1, workBudget/(8*(m.D*m.D+m.D)))
	}
	// the first contractions hold prod/n_last and prod/n_first per point;
	// their descendants shrink geometrically (at most as much again).
	first := max(m.size(0, L-2), m.size(1, L-1), m.Dims[0]*m.Dims[L-1])
	per := 8 * (2*first + m.D*m.D + m.D)
	return max(1, workBudget/per)
}

// tnode is a batch of tensors over the layers a..b (one per point, or one
// shared by all when shared).
type tnode struct {
	buf    engine.Buffer
	a, b   int
	shared bool
}

type evalCtx struct {
	m    *Layered
	cols int
	x    []float64
	w    []engine.Buffer // w[l]: n_l x cols
	out  map[[2]int]tnode
}

func (m *Layered) eval(x []float64, cols int, e, eg, eh []float64) error {
	d, L := m.D, len(m.Dims)
	if L == 1 {
		for c := range cols {
			xc, gc := x[c*d:(c+1)*d], eg[c*d:(c+1)*d]
			var en float64
			for i, v := range m.jhost {
				gc[i] = m.scale * v
				en += gc[i] * xc[i]
			}
			e[c] = en
			clear(eh[c*d*d : (c+1)*d*d])
		}
		return nil
	}
	if m.j == nil {
		return fmt.Errorf("spinglass: layered model used after Close")
	}
	b := m.b
	ctx := &evalCtx{m: m, cols: cols, x: x, out: map[[2]int]tnode{}}
	// The points' blocks w live in sc; the contraction tree's tensors are
	// freed as soon as their descendants are made (blocks), and the
	// outputs here.
	sc := engine.NewScope(b)
	defer sc.Close()
	defer func() {
		for _, t := range ctx.out {
			if !t.shared {
				_ = b.Free(t.buf)
			}
		}
	}()
	for l := range m.Dims {
		var host []float64
		for c := range cols {
			host = append(host, m.g.block(x[c*d:(c+1)*d], l)...)
		}
		ctx.w = append(ctx.w, sc.FromHost(host))
		if err := sc.Err(); err != nil {
			return fmt.Errorf("spinglass: layered work buffers: %w", err)
		}
	}
	var pairs [][2]int
	for l := 0; l < L; l++ {
		for k := l + 1; k < L; k++ {
			pairs = append(pairs, [2]int{l, k})
		}
	}
	if _, err := ctx.blocks(tnode{buf: m.j, a: 0, b: L - 1, shared: true}, pairs); err != nil {
		return fmt.Errorf("spinglass: layered contractions: %w", err)
	}
	clear(eh[:d*d*cols])
	for _, pr := range pairs {
		t := ctx.out[pr]
		la, lb := pr[0], pr[1]
		na, nb := m.Dims[la], m.Dims[lb]
		blk := na * nb
		h := make([]float64, t.buf.Len())
		if err := b.Download(h, t.buf); err != nil {
			return err
		}
		oa, ob := m.g.offs[la], m.g.offs[lb]
		for c := range cols {
			tb := h
			if !t.shared {
				tb = h[c*blk : (c+1)*blk]
			}
			hc := eh[c*d*d : (c+1)*d*d]
			for jj := range nb {
				for ii := range na {
					v := m.scale * tb[ii+na*jj]
					hc[(oa+ii)*d+ob+jj] = v
					hc[(ob+jj)*d+oa+ii] = v
				}
			}
		}
	}
	// grad_l E = Hess_{l,k} w_k for any k != l (multilinearity); E = w_0 . grad_0 E.
	for c := range cols {
		xc, gc, hc := x[c*d:(c+1)*d], eg[c*d:(c+1)*d], eh[c*d*d:(c+1)*d*d]
		for l := range L {
			k := 0
			if l == 0 {
				k = 1
			}
			ok, lo, hi := m.g.offs[k], m.g.offs[l], m.g.offs[l+1]
			for i := lo; i < hi; i++ {
				var v float64
				for jj := range m.Dims[k] {
					v += hc[i*d+ok+jj] * xc[ok+jj]
				}
				gc[i] = v
			}
		}
		var en float64
		for i := 0; i < m.Dims[0]; i++ {
			en += xc[i] * gc[i]
		}
		e[c] = en
	}
	return nil
}

// blocks produces in ctx.out, for every pair (l, k) in pairs (a <= l < k <=
// b), the tensors over layers l and k left when t is contracted with every
// other w. It reports whether it kept t itself as an output.
func (ctx *evalCtx) blocks(t tnode, pairs [][2]int) (bool, error) {
	if len(pairs) == 0 {
		return false, nil
	}
	if t.b == t.a+1 {
		ctx.out[[2]int{t.a, t.b}] = t
		return true, nil
	}
	var p1, p2 [][2]int
	p3 := false
	for _, pr := range pairs {
		switch {
		case pr[1] < t.b:
			p1 = append(p1, pr)
		case pr[0] > t.a:
			p2 = append(p2, pr)
		default:
			p3 = true
		}
	}
	b := ctx.m.b
	for _, sub := range []struct {
		pairs [][2]int
		last  bool
	}{{p1, true}, {p2, false}} {
		if len(sub.pairs) == 0 {
			continue
		}
		c, err := ctx.contractEnd(t, sub.last)
		if err != nil {
			return false, err
		}
		kept, err := ctx.blocks(c, sub.pairs)
		if !kept {
			_ = b.Free(c.buf)
		}
		if err != nil {
			return false, err
		}
	}
	if p3 {
		c, err := ctx.contractMiddle(t)
		if err != nil {
			return false, err
		}
		ctx.out[[2]int{t.a, t.b}] = c
	}
	return false, nil
}

// contractEnd contracts the last (or first) layer of t with that layer's w.
func (ctx *evalCtx) contractEnd(t tnode, last bool) (tnode, error) {
	m, b, cols := ctx.m, ctx.m.b, ctx.cols
	var r, k, layer int
	out := tnode{a: t.a, b: t.b}
	if last {
		layer, out.b = t.b, t.b-1
		r = m.size(t.a, t.b-1)
	} else {
		layer, out.a = t.a, t.a+1
		r = m.size(t.a+1, t.b)
	}
	k = m.Dims[layer]
	buf, err := b.Alloc(engine.DTypeOf(b), r*cols)
	if err != nil {
		return out, err
	}
	out.buf = buf
	w := ctx.w[layer]
	switch {
	case last && t.shared: // (r x k) (k x cols)
		err = b.Gemm(engine.NoTrans, engine.NoTrans, r, cols, k, 1, t.buf, r, w, k, 0, buf, r)
	case last: // per point: (r x k) (k x 1)
		err = b.GemmStridedBatched(engine.NoTrans, engine.NoTrans, r, 1, k, 1, t.buf, r, r*k, w, k, k, 0, buf, r, r, cols)
	case t.shared: // (k x r)^T (k x cols)
		err = b.Gemm(engine.Trans, engine.NoTrans, r, cols, k, 1, t.buf, k, w, k, 0, buf, r)
	default:
		err = b.GemmStridedBatched(engine.Trans, engine.NoTrans, r, 1, k, 1, t.buf, k, k*r, w, k, k, 0, buf, r, r, cols)
	}
	if err != nil {
		_ = b.Free(buf)
		return out, err
	}
	return out, nil
}

// contractMiddle contracts the layers strictly between t.a and t.b with the
// Kronecker product of their w's, leaving an n_a x n_b matrix per point.
func (ctx *evalCtx) contractMiddle(t tnode) (tnode, error) {
	m, b, cols, d := ctx.m, ctx.m.b, ctx.cols, ctx.m.D
	na, nb := m.Dims[t.a], m.Dims[t.b]
	mid := m.size(t.a+1, t.b-1)
	kron := make([]float64, 0, mid*cols)
	for c := range cols {
		xc := ctx.x[c*d : (c+1)*d]
		v := []float64{1}
		for l := t.a + 1; l < t.b; l++ { // layer a+1 fastest
			w := m.g.block(xc, l)
			nv := make([]float64, 0, len(v)*len(w))
			for _, wy := range w {
				for _, y := range v {
					nv = append(nv, y*wy)
				}
			}
			v = nv
		}
		kron = append(kron, v...)
	}
	kb, err := b.Alloc(engine.DTypeOf(b), mid*cols)
	if err != nil {
		return tnode{}, err
	}
	defer b.Free(kb)
	if err := b.Upload(kb, kron); err != nil {
		return tnode{}, err
	}
	buf, err := b.Alloc(engine.DTypeOf(b), na*nb*cols)
	if err != nil {
		return tnode{}, err
	}
	out := tnode{buf: buf, a: t.a, b: t.b}
	for j := range nb {
		offA, offC := j*na*mid, j*na
		av, err := b.Slice(t.buf, offA, t.buf.Len()-offA)
		if err == nil {
			var cv engine.Buffer
			cv, err = b.Slice(buf, offC, buf.Len()-offC)
			if err == nil {
				if t.shared {
					err = b.Gemm(engine.NoTrans, engine.NoTrans, na, cols, mid, 1, av, na, kb, mid, 0, cv, na*nb)
				} else {
					err = b.GemmStridedBatched(engine.NoTrans, engine.NoTrans, na, 1, mid, 1, av, na, na*mid*nb, kb, mid, mid, 0, cv, na, na*nb, cols)
				}
			}
		}
		if err != nil {
			_ = b.Free(buf)
			return tnode{}, err
		}
	}
	return out, nil
}
