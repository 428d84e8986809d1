package cpu

import (
	"math"

	"github.com/netgeom/netgeom/engine"
)

// Softmax implements engine.Backend. Each column is handled by one
// goroutine: its maximum, then the sum of exp(x_i - max) in index order,
// then the outputs, each read of x_i coming before the write of out_i so
// that the call may run in place.
func (b *Backend) Softmax(m, n int, x engine.Buffer, ldx int, out engine.Buffer, ldo int, log bool) error {
	const op = "softmax"
	d, err := b.data(op, x, out)
	if err != nil {
		return err
	}
	if err := engine.CheckMatrix(op, "X", m, n, ldx, len(d[0])); err != nil {
		return err
	}
	if err := engine.CheckMatrix(op, "Out", m, n, ldo, len(d[1])); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	xs, os := d[0], d[1]
	b.parallelCols(m, n, func(j int) {
		cx, co := xs[j*ldx:j*ldx+m], os[j*ldo:j*ldo+m]
		mx := cx[0]
		for _, v := range cx[1:] {
			if v > mx {
				mx = v
			}
		}
		s := 0.0
		for _, v := range cx {
			s += math.Exp(v - mx)
		}
		if log {
			ls := math.Log(s)
			for i, v := range cx {
				co[i] = (v - mx) - ls
			}
			return
		}
		for i, v := range cx {
			co[i] = math.Exp(v-mx) / s
		}
	})
	return nil
}

// ScaleColumns implements engine.Backend.
func (b *Backend) ScaleColumns(m, n int, s engine.Buffer, x engine.Buffer, ldx int) error {
	const op = "scale columns"
	d, err := b.data(op, s, x)
	if err != nil {
		return err
	}
	if err := engine.CheckVector(op, "s", n, 1, len(d[0])); err != nil {
		return err
	}
	if err := engine.CheckMatrix(op, "X", m, n, ldx, len(d[1])); err != nil {
		return err
	}
	ss, xs := d[0], d[1]
	b.parallelCols(m, n, func(j int) {
		c, f := xs[j*ldx:j*ldx+m], ss[j]
		for i := range c {
			c[i] *= f
		}
	})
	return nil
}
