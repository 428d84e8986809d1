package models

import "github.com/netgeom/netgeom/engine"

// dense is the affine map of a dense layer, y = W x + b, with W Out x In
// (column-major) and then b (Out) as its one parameter part. Its
// activation is a layer of its own (activate) that follows it in a trained
// network and precedes the next one in a random network. Notation of the
// passes (Pearlmutter 1994; v = (dW, db) the parameter direction):
//
//	forward      y = W x + b
//	backward     gW += gy x^T,  gb += gy 1,  gx = W^T gy
//	R-forward    R{y} = W R{x} + dW x + db
//	R-backward   rgW += R{gy} x^T + gy R{x}^T,  rgb += R{gy} 1,
//	             R{gx} = W^T R{gy} + dW^T gy
//
// in this order of operations, which is the order of the dense passes
// netgeom has always used (so their results are unchanged to the bit).
type dense struct{ in, out int }

func (l *dense) inDim() int         { return l.in }
func (l *dense) outDim() int        { return l.out }
func (l *dense) parts() []int       { return []int{l.out*l.in + l.out} }
func (l *dense) slots() []slot      { return nil }
func (l *dense) readsInput() bool   { return true }
func (l *dense) readsOutGrad() bool { return true }

// wb returns the views W and b of a parameter block.
func (l *dense) wb(s *engine.Scope, theta engine.Buffer) (W, b engine.Buffer) {
	v := split(s, theta, l.out*l.in, l.out)
	return v[0], v[1]
}

func (l *dense) forward(f *frame, p params, _ need) {
	th, err := p.part(0)
	if f.sc.Fail(err) != nil {
		return
	}
	W, b := l.wb(f.sc, th)
	mul(f, engine.NoTrans, l.out, l.in, W, f.x, f.cols, 0, f.y)
	f.sc.AddBias(l.out, f.cols, b, f.y, l.out)
}

// jet: one product over the 3 cols columns [x | v | a]; the bias shifts
// the values only (the derivatives of a constant are 0).
func (l *dense) jet(f *frame, p params) {
	th, err := p.part(0)
	if f.sc.Fail(err) != nil {
		return
	}
	W, b := l.wb(f.sc, th)
	mul(f, engine.NoTrans, l.out, l.in, W, f.x, 3*f.cols, 0, f.y)
	f.sc.AddBias(l.out, f.cols, b, f.y, l.out)
}

func (l *dense) backward(f *frame, theta, gtheta engine.Buffer, _ bool) {
	if gtheta != nil {
		gW, gb := l.wb(f.sc, gtheta)
		outer(f, l.out, l.in, f.gy, f.x, f.cols, gW, gb)
	}
	if f.gx != nil {
		W, _ := l.wb(f.sc, theta)
		mul(f, engine.Trans, l.out, l.in, W, f.gy, f.cols, 0, f.gx)
	}
}

func (l *dense) rforward(f *frame, theta, dtheta engine.Buffer) {
	s := f.sc
	beta := 0.0
	if f.rx != nil {
		W, _ := l.wb(s, theta)
		mul(f, engine.NoTrans, l.out, l.in, W, f.rx, f.cols, 0, f.ry)
		beta = 1
	}
	if dtheta != nil {
		dW, db := l.wb(s, dtheta)
		mul(f, engine.NoTrans, l.out, l.in, dW, f.x, f.cols, beta, f.ry)
		s.AddBias(l.out, f.cols, db, f.ry, l.out)
	} else if f.rx == nil {
		s.Fill(f.ry, 0)
	}
}

func (l *dense) rbackward(f *frame, theta, dtheta, rgtheta engine.Buffer) {
	s := f.sc
	if rgtheta != nil {
		gW, gb := l.wb(s, rgtheta)
		outer(f, l.out, l.in, f.rgy, f.x, f.cols, gW, gb)
		if f.rx != nil {
			outer(f, l.out, l.in, f.gy, f.rx, f.cols, gW, nil)
		}
	}
	if f.rgx != nil {
		W, _ := l.wb(s, theta)
		mul(f, engine.Trans, l.out, l.in, W, f.rgy, f.cols, 0, f.rgx)
		if dtheta != nil {
			dW, _ := l.wb(s, dtheta)
			mul(f, engine.Trans, l.out, l.in, dW, f.gy, f.cols, 1, f.rgx)
		}
	}
}
