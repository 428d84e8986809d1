package spectrum

import (
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// TraceOptions configure Hutchinson's trace estimator.
type TraceOptions struct {
	// Samples is the number of Rademacher vectors, >= 2 (two are needed for
	// a standard error).
	Samples int
	// Seed picks the vectors: sample k holds the signs of the Philox normals
	// of stream k (the same vectors as SLQ's with the same seed, unscaled).
	Seed uint64
}

// TraceEstimate is the sample mean of z^T A z over Rademacher vectors z and
// its standard error (sample standard deviation / sqrt(Samples)).
type TraceEstimate struct {
	Value, StdErr float64
	Samples       int
}

// Trace estimates tr A by Hutchinson's method: E[z^T A z] = tr A for
// Rademacher z (independent +-1 entries), with variance 2 sum_{i != j}
// A_ij^2, smaller than for Gaussian vectors. Each sample costs one product.
func Trace(b engine.Backend, op Operator, opt TraceOptions) (TraceEstimate, error) {
	const fn = "trace"
	if err := op.check(fn, b); err != nil {
		return TraceEstimate{}, err
	}
	if opt.Samples < 2 {
		return TraceEstimate{}, fmt.Errorf("spectrum: trace: %d samples; want >= 2 for a standard error", opt.Samples)
	}
	n := op.Dim
	sc := engine.NewScope(b)
	defer sc.Close()
	z, y := sc.Alloc(n), sc.Alloc(n)
	if err := sc.Err(); err != nil {
		return TraceEstimate{}, fmt.Errorf("spectrum: trace: %w", err)
	}
	// Welford's running mean and sum of squared deviations.
	mean, m2 := 0.0, 0.0
	for k := 0; k < opt.Samples; k++ {
		if err := fillRademacher(b, z, y, opt.Seed, uint64(k)); err != nil {
			return TraceEstimate{}, fmt.Errorf("spectrum: trace: sample %d: %w", k, err)
		}
		if err := op.apply(fn, z, y, k+1); err != nil {
			return TraceEstimate{}, err
		}
		x, err := b.Dot(n, z, 1, y, 1)
		if err != nil {
			return TraceEstimate{}, fmt.Errorf("spectrum: trace: %w", err)
		}
		if !finite(x) {
			return TraceEstimate{}, fmt.Errorf("spectrum: trace: sample %d: %w", k, errNotFinite)
		}
		d := x - mean
		mean += d / float64(k+1)
		m2 += d * (x - mean)
	}
	s := float64(opt.Samples)
	return TraceEstimate{Value: mean, StdErr: math.Sqrt(m2 / (s - 1) / s), Samples: opt.Samples}, nil
}
