package models

import (
	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
)

// activate applies an activation phi elementwise, y = phi(x): the
// nonlinearity of a dense layer, a layer of its own with no parameters.
// Its slots are phi'(x) (kept for the first-order passes) and phi^(2)(x)
// (for the R-operator), which backward turns into phi^(2)(x) gy, the only
// form the R-backward pass needs:
//
//	backward     gx = phi'(x) gy
//	R-forward    R{y} = phi'(x) R{x}
//	R-backward   R{gx} = phi'(x) R{gy} + (phi^(2)(x) gy) R{x}
type activate struct {
	n   int
	act activation.ID
}

const (
	slotD1 = iota // phi'(x)
	slotD2        // phi^(2)(x), then phi^(2)(x) gy
)

func (l *activate) inDim() int         { return l.n }
func (l *activate) outDim() int        { return l.n }
func (l *activate) parts() []int       { return nil }
func (l *activate) readsInput() bool   { return false }
func (l *activate) readsOutGrad() bool { return false }
func (l *activate) slots() []slot {
	return []slot{slotD1: {fwdSlot, l.n}, slotD2: {fwd2Slot, l.n}}
}

func (l *activate) forward(f *frame, _ params, n need) {
	s := f.sc
	if n >= needFirst {
		s.ActivateDerivative(l.act, 1, f.x, f.st[slotD1])
	}
	if n >= needSecond {
		s.ActivateDerivative(l.act, 2, f.x, f.st[slotD2])
	}
	s.ActivateDerivative(l.act, 0, f.x, f.y)
}

// jet is the fused activation jet: y = phi(x), dy = phi'(x) v, ddy =
// phi^(2)(x) v^2 + phi'(x) a.
func (l *activate) jet(f *frame, _ params) {
	s, m := f.sc, l.n*f.cols
	s.ActivateJet(l.act, third(s, f.x, 0, m), third(s, f.x, 1, m), third(s, f.x, 2, m),
		third(s, f.y, 0, m), third(s, f.y, 1, m), third(s, f.y, 2, m))
}

func (l *activate) backward(f *frame, _, _ engine.Buffer, second bool) {
	s := f.sc
	if second {
		s.Hadamard(f.st[slotD2], f.gy, f.st[slotD2])
	}
	if f.gx != nil {
		s.Hadamard(f.st[slotD1], f.gy, f.gx)
	}
}

func (l *activate) rforward(f *frame, _, _ engine.Buffer) {
	if f.rx == nil {
		f.sc.Fill(f.ry, 0)
		return
	}
	f.sc.Hadamard(f.st[slotD1], f.rx, f.ry)
}

func (l *activate) rbackward(f *frame, _, _, _ engine.Buffer) {
	if f.rgx == nil {
		return
	}
	s := f.sc
	s.Hadamard(f.st[slotD1], f.rgy, f.rgx)
	if f.rx != nil && f.st[slotD2] != nil {
		t := s.Scratch("act t", l.n*f.cols)
		s.Hadamard(f.st[slotD2], f.rx, t)
		s.Axpy(l.n*f.cols, 1, t, 1, f.rgx, 1)
	}
}
