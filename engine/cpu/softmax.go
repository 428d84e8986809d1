package cpu

import "math"

// Softmax implements engine.Kernels. Each column is handled by one
// goroutine: its maximum, then the sum of exp(x_i - max) in index order,
// then the outputs, each read of x_i coming before the write of out_i so
// that the call may run in place; in float64 (float32 outputs rounded
// once).
func (b *kernels[F]) Softmax(m, n int, xs []F, ldx int, os []F, ldo int, log bool) error {
	b.parallelCols(m, n, func(j int) {
		cx, co := xs[j*ldx:j*ldx+m], os[j*ldo:j*ldo+m]
		mx := float64(cx[0])
		for _, v := range cx[1:] {
			if float64(v) > mx {
				mx = float64(v)
			}
		}
		s := 0.0
		for _, v := range cx {
			s += math.Exp(float64(v) - mx)
		}
		if log {
			ls := math.Log(s)
			for i, v := range cx {
				co[i] = F((float64(v) - mx) - ls)
			}
			return
		}
		for i, v := range cx {
			co[i] = F(math.Exp(float64(v)-mx) / s)
		}
	})
	return nil
}

// ScaleColumns implements engine.Kernels.
func (b *kernels[F]) ScaleColumns(m, n int, ss, xs []F, ldx int) error {
	b.parallelCols(m, n, func(j int) {
		c, f := xs[j*ldx:j*ldx+m], ss[j]
		for i := range c {
			c[i] *= f
		}
	})
	return nil
}
