package models

import (
	"fmt"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/layerkind"
)

// This file is the one driver of the layers: a network as the sequence of
// steps it runs (its layers' maps and the activations between them), the
// tape that holds the buffers of passes over chunks of samples, and the
// passes themselves (forward, backward, and the R-operator's forward and
// backward passes with the loss's Hessian in between), for trained and
// random networks alike.

// step is one layer map of a network, with its parameter block in the
// flat parameter vector (np = 0: none, as for an activation).
type step struct {
	layer
	num     int // the network's layer (1..L) it belongs to
	off, np int
}

// stack is a network as the sequence of its steps.
type stack struct {
	steps []step
	np    int
	// last[l] is the index of the last step of layer l (l = 1..L): its
	// output is the layer's output x_l.
	last []int
	// blocks[l] is layer l's parameter block (l = 1..L).
	blocks []Block
}

// newKindLayer returns the map of a layer of kind k from nIn to nOut
// features (attention: tokens of dimension D).
func newKindLayer(k layerkind.Kind, nIn, nOut, D int, residual bool) layer {
	switch k {
	case layerkind.Product:
		return &product{in: nIn, out: nOut}
	case layerkind.Attention:
		return &attention{d: D, t: nOut / D, residual: residual}
	}
	return &dense{in: nIn, out: nOut}
}

// add appends a step of layer l; kind layers take their block from blk.
func (s *stack) add(l int, ly layer, blk *Block) {
	st := step{layer: ly, num: l}
	if blk != nil {
		st.off, st.np = blk.Off, blk.Len
		s.np = max(s.np, blk.Off+blk.Len)
	}
	s.steps = append(s.steps, st)
	s.last[l] = len(s.steps) - 1
	if blk != nil {
		s.blocks[l] = *blk
	}
}

// trainedStack is spec's network as steps: each layer's map, followed by
// the activation for the dense hidden layers (y_l = phi(W_l x + b_l));
// product and attention layers and the output layer have none.
func trainedStack(spec NetworkSpec) *stack {
	L := len(spec.Widths) - 1
	s := &stack{last: make([]int, L+1), blocks: make([]Block, L+1)}
	for l := 1; l <= L; l++ {
		k := spec.Kind(l)
		blk := newBlock(l, k, spec.Widths[l-1], spec.Widths[l], spec.TokenDim, s.np)
		s.add(l, newKindLayer(k, spec.Widths[l-1], spec.Widths[l], spec.TokenDim, spec.Residual), &blk)
		if k == layerkind.Dense && l < L {
			s.add(l, &activate{n: spec.Widths[l], act: spec.Act.ID}, nil)
		}
	}
	return s
}

// randomStack is spec's network as steps: each layer's map, preceded by
// the activation (h^l = W^l phi(h^{l-1}) + b^l) except at the raw input.
func randomStack(spec RandomSpec) *stack {
	L := len(spec.Widths) - 1
	s := &stack{last: make([]int, L+1), blocks: make([]Block, L+1)}
	for l := 1; l <= L; l++ {
		if l > 1 || spec.ActivateInput {
			s.add(l, &activate{n: spec.Widths[l-1], act: spec.Act.ID}, nil)
		}
		blk := newBlock(l, spec.Kind(l), spec.Widths[l-1], spec.Widths[l], spec.TokenDim, s.np)
		s.add(l, newKindLayer(spec.Kind(l), spec.Widths[l-1], spec.Widths[l], spec.TokenDim, spec.Residual), &blk)
	}
	return s
}

func (s *stack) inDim() int  { return s.steps[0].inDim() }
func (s *stack) outDim() int { return s.steps[len(s.steps)-1].outDim() }

// tape item kinds.
type itemKind int

const (
	chainX  itemKind = iota // x[i]: the input of step i, i = 1..n (x[n]: the output)
	chainG                  // g[i] = dL/dx[i]
	chainRX                 // R{x[i]}
	chainRG                 // R{g[i]}
	slotBuf                 // slot k of step i
	probs                   // softmax of the logits
)

type item struct {
	kind itemKind
	i, k int
}

// tape holds the buffers of passes over chunks of samples. A buffer holds
// size numbers per sample, for a chunk of up to cap samples (the same
// buffer for every chunk) or, when whole says so, for all n samples of a
// data set (a Hessian operator's cache of the passes, where chunk [lo,
// lo+cols) has its own columns). Buffers are allocated on first use.
type tape struct {
	b      engine.Backend
	st     *stack
	cap, n int
	whole  func(item) bool
	bufs   map[item]engine.Buffer
	sc     *engine.Scope // owns the buffers
}

func newTape(b engine.Backend, st *stack, cap, n int, whole func(item) bool) *tape {
	return &tape{b: b, st: st, cap: cap, n: n, whole: whole, bufs: map[item]engine.Buffer{}, sc: engine.NewScope(b)}
}

// size is the numbers per sample of an item.
func (t *tape) size(it item) int {
	switch it.kind {
	case slotBuf:
		return t.st.steps[it.i].slots()[it.k].size
	case probs:
		return t.st.outDim()
	}
	if it.i == len(t.st.steps) {
		return t.st.outDim()
	}
	return t.st.steps[it.i].inDim()
}

// view returns item it's buffer for samples [lo, lo+cols).
func (t *tape) view(it item, lo, cols int) (engine.Buffer, error) {
	size := t.size(it)
	whole := t.whole != nil && t.whole(it)
	x, ok := t.bufs[it]
	if !ok {
		n := t.cap
		if whole {
			n = t.n
		}
		x = t.sc.Alloc(size * n)
		if err := t.sc.Err(); err != nil {
			t.sc.Reset()
			return nil, fmt.Errorf("scratch of %d numbers: %w", size*n, err)
		}
		t.bufs[it] = x
	}
	off := 0
	if whole {
		off = lo * size
	}
	return t.b.Slice(x, off, cols*size)
}

func (t *tape) close() error {
	clear(t.bufs)
	return t.sc.Close()
}

// passes drives a stack's steps over one chunk of a tape: cols samples
// starting at lo, the chunk's input x0 (inDim x cols).
type passes struct {
	st       *stack
	tp       *tape
	sc       *engine.Scope // the ops and temporaries of every call
	lo, cols int
	x0       engine.Buffer
	second   bool // the forward pass kept the second-order state
	vec      bool // frames ask for gemv at one column
	// inputGrad asks backward and rbackward for the gradient of the input
	// too (g[0], rg[0]).
	inputGrad bool
	// rx0 is the input tangent of the last R-forward pass.
	rx0 engine.Buffer
	// only, when not nil, restricts the R-passes (and the Gauss-Newton
	// backward pass) to part of the stack.
	only *restriction
}

// restriction restricts the R-passes to the steps from From on, with the
// parameter direction and the product on steps [Lo, Hi) only: the passes
// skip every product with a direction or a tangent known to be zero and
// every result not wanted. The R-forward pass starts at step From with the
// input tangent rx0 (nil: zero) and the R-backward pass ends there (with
// inputGrad, leaving R{g} of step From's input in the tape).
type restriction struct {
	From, Lo, Hi int
}

// from is the first step the R-passes run.
func (p *passes) from() int {
	if p.only == nil {
		return 0
	}
	return p.only.From
}

// rblockOf is blockOf for the R-passes: nil outside the restriction.
func (p *passes) rblockOf(x engine.Buffer, i int) engine.Buffer {
	if p.only != nil && (i < p.only.Lo || i >= p.only.Hi) {
		return nil
	}
	return p.blockOf(x, i)
}

// buf returns the chunk's view of an item, recording a failure on p.sc.
func (p *passes) buf(kind itemKind, i, k int) engine.Buffer {
	if kind == chainX && i == 0 {
		return p.x0
	}
	if p.sc.Err() != nil {
		return nil
	}
	v, err := p.tp.view(item{kind, i, k}, p.lo, p.cols)
	p.sc.Fail(err)
	return v
}

// frame returns step i's frame with its slots of the given classes (nil
// for the others).
func (p *passes) frame(i int, classes ...slotClass) *frame {
	f := &frame{cols: p.cols, x: p.buf(chainX, i, 0), y: p.buf(chainX, i+1, 0), sc: p.sc, vec: p.vec}
	sl := p.st.steps[i].slots()
	f.st = make([]engine.Buffer, len(sl))
	for k, s := range sl {
		for _, c := range classes {
			if s.class == c {
				f.st[k] = p.buf(slotBuf, i, k)
			}
		}
	}
	return f
}

// check returns the first failure of step i's ops, with the layer named.
func (p *passes) check(i int, what string) error {
	if err := p.sc.Err(); err != nil {
		p.sc.Reset()
		return fmt.Errorf("layer %d: %s: %w", p.st.steps[i].num, what, err)
	}
	return nil
}

// blockOf returns step i's parameter block in a flat vector (nil when x is
// nil or the step has none).
func (p *passes) blockOf(x engine.Buffer, i int) engine.Buffer {
	s := p.st.steps[i]
	if x == nil || s.np == 0 {
		return nil
	}
	return p.sc.View(x, s.off, s.np)
}

// forward runs the steps on the chunk, keeping what n asks for, and
// returns the output x[n] (a view valid until the next pass).
func (p *passes) forward(theta engine.Buffer, n need) (engine.Buffer, error) {
	p.sc.Reset()
	p.second = n >= needSecond
	for i, s := range p.st.steps {
		var f *frame
		switch n {
		case needValues:
			f = p.frame(i)
		case needFirst:
			f = p.frame(i, fwdSlot)
		default:
			f = p.frame(i, fwdSlot, fwd2Slot)
		}
		s.forward(f, block{p.tp.b, p.blockOf(theta, i), s.parts()}, n)
		if err := p.check(i, "forward"); err != nil {
			return nil, err
		}
	}
	return p.buf(chainX, len(p.st.steps), 0), p.sc.Err()
}

// backward propagates gy (nil: the chunk's g[n]) down the steps, adding
// the parameter gradient to grad when it is not nil. With gn it is the
// Gauss-Newton product's backward pass: gy is R-tangent storage (rg), and
// the second-order state is left alone.
func (p *passes) backward(theta, grad engine.Buffer, gn bool) error {
	p.sc.Reset()
	g := chainG
	if gn {
		g = chainRG
	}
	second := p.second && !gn
	from, gradOf := 0, p.blockOf
	if gn {
		from, gradOf = p.from(), p.rblockOf
	}
	for i := len(p.st.steps) - 1; i >= from; i-- {
		s := p.st.steps[i]
		f := p.frame(i, fwdSlot, fwd2Slot, bwdSlot)
		f.gy = p.buf(g, i+1, 0)
		if i > from || p.inputGrad {
			f.gx = p.buf(g, i, 0)
		}
		s.backward(f, p.blockOf(theta, i), gradOf(grad, i), second)
		if err := p.check(i, "backward"); err != nil {
			return err
		}
	}
	return nil
}

// rforward runs the R-forward pass along the parameter direction v (nil:
// zero) and the input tangent rx0 (nil: zero).
func (p *passes) rforward(theta, v, rx0 engine.Buffer) error {
	p.sc.Reset()
	p.rx0 = rx0
	from := p.from()
	for i := from; i < len(p.st.steps); i++ {
		s := p.st.steps[i]
		f := p.frame(i, fwdSlot, rSlot)
		f.rx, f.ry = rx0, p.buf(chainRX, i+1, 0)
		if i > from {
			f.rx = p.buf(chainRX, i, 0)
		}
		s.rforward(f, p.blockOf(theta, i), p.rblockOf(v, i))
		if err := p.check(i, "R-forward"); err != nil {
			return err
		}
	}
	return nil
}

// rbackward runs the R-backward pass from the chunk's rg[n], adding the
// Hessian-vector product to out.
func (p *passes) rbackward(theta, v, out engine.Buffer) error {
	p.sc.Reset()
	from := p.from()
	for i := len(p.st.steps) - 1; i >= from; i-- {
		s := p.st.steps[i]
		classes := []slotClass{fwdSlot, bwdSlot, rSlot}
		if p.second {
			classes = append(classes, fwd2Slot)
		}
		f := p.frame(i, classes...)
		f.gy, f.ry, f.rgy = p.buf(chainG, i+1, 0), p.buf(chainRX, i+1, 0), p.buf(chainRG, i+1, 0)
		f.rx = p.rx0
		if i > from {
			f.rx = p.buf(chainRX, i, 0)
		}
		if i > from || p.inputGrad {
			f.rgx = p.buf(chainRG, i, 0)
		}
		s.rbackward(f, p.blockOf(theta, i), p.rblockOf(v, i), p.rblockOf(out, i))
		if err := p.check(i, "R-backward"); err != nil {
			return err
		}
	}
	return nil
}

// loss returns the chunk's summed loss of its output against the targets t
// (C x cols), the mean being over nTotal samples; with wantDelta it leaves
// dL/dz in g[n] (and softmax(z) in the tape for cross-entropy).
func (p *passes) loss(loss Loss, t engine.Buffer, nTotal int, wantDelta bool) (float64, error) {
	n, c := len(p.st.steps), p.st.outDim()
	z := p.buf(chainX, n, 0)
	var delta, pr engine.Buffer
	if wantDelta {
		delta = p.buf(chainG, n, 0)
		if loss == CrossEntropy {
			pr = p.buf(probs, 0, 0)
		}
	}
	scratch := p.sc.Scratch("loss scratch", c*p.cols)
	if err := p.sc.Err(); err != nil {
		p.sc.Reset()
		return 0, err
	}
	sum, err := lossChunk(&p.sc.Recorder, loss, c, p.cols, nTotal, z, t, delta, pr, scratch)
	if err != nil {
		p.sc.Reset()
		return 0, fmt.Errorf("loss: %w", err)
	}
	return sum, nil
}

// lossHessian sets rg[n] = H_z R{z} from the chunk's rx[n] (the loss's
// Hessian in the logits, the mean being over nTotal samples).
func (p *passes) lossHessian(loss Loss, nTotal int) error {
	p.sc.Reset()
	n, c := len(p.st.steps), p.st.outDim()
	var pr engine.Buffer
	if loss == CrossEntropy {
		pr = p.buf(probs, 0, 0)
	}
	rz, out := p.buf(chainRX, n, 0), p.buf(chainRG, n, 0)
	scratch, dots := p.sc.Scratch("loss scratch", c*p.cols), p.sc.Scratch("loss dots", p.cols)
	lossHessian(&p.sc.Recorder, loss, c, p.cols, nTotal, pr, rz, out, scratch, dots)
	if err := p.sc.Err(); err != nil {
		p.sc.Reset()
		return fmt.Errorf("loss Hessian: %w", err)
	}
	return nil
}
