package models

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// Data is a labelled set on a backend: inputs X (D x N) and targets T
// (C x N), one sample per column (column-major, leading dimensions D and
// C), and the class labels on the host for accuracies (nil for regression
// targets).
type Data struct {
	b       engine.Backend
	X, T    engine.Buffer
	N, D, C int
	Labels  []int
	view    bool
}

// NewData uploads x (N samples of d features, sample i at x[i*d:(i+1)*d],
// which is the D x N column-major matrix) and targets t (N x c the same
// way). labels may be nil; if not, it has N entries in [0, c).
func NewData(b engine.Backend, x []float64, d int, t []float64, c int, labels []int) (*Data, error) {
	if d < 1 || c < 1 {
		return nil, fmt.Errorf("data: %d features and %d targets per sample; want >= 1 each", d, c)
	}
	if len(x)%d != 0 {
		return nil, fmt.Errorf("data: %d input values are not a whole number of %d-feature samples", len(x), d)
	}
	n := len(x) / d
	if n < 1 {
		return nil, errors.New("data: no samples")
	}
	if len(t) != n*c {
		return nil, fmt.Errorf("data: %d target values for %d samples of %d targets", len(t), n, c)
	}
	if labels != nil {
		if len(labels) != n {
			return nil, fmt.Errorf("data: %d labels for %d samples", len(labels), n)
		}
		for i, y := range labels {
			if y < 0 || y >= c {
				return nil, fmt.Errorf("data: sample %d has label %d; want [0, %d)", i, y, c)
			}
		}
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("data: sample %d feature %d is %v; want finite values", i/d, i%d, v)
		}
	}
	s := engine.NewScope(b)
	defer s.Close()
	X, T := s.FromHost(x), s.FromHost(t)
	if err := s.Err(); err != nil {
		return nil, err
	}
	return &Data{b: b, X: s.Keep(X), T: s.Keep(T), N: n, D: d, C: c, Labels: append([]int(nil), labels...)}, nil
}

// Columns returns samples [lo, hi) as views of d (no copy; freeing the
// views is a no-op, and they are invalid once d is freed).
func (d *Data) Columns(lo, hi int) (*Data, error) {
	if lo < 0 || hi > d.N || lo >= hi {
		return nil, fmt.Errorf("data: columns [%d, %d) of %d samples", lo, hi, d.N)
	}
	X, err := d.b.Slice(d.X, lo*d.D, (hi-lo)*d.D)
	if err != nil {
		return nil, err
	}
	T, err := d.b.Slice(d.T, lo*d.C, (hi-lo)*d.C)
	if err != nil {
		return nil, err
	}
	var labels []int
	if d.Labels != nil {
		labels = d.Labels[lo:hi:hi]
	}
	return &Data{b: d.b, X: X, T: T, N: hi - lo, D: d.D, C: d.C, Labels: labels, view: true}, nil
}

// Upload replaces the contents of d (same shape) with new samples: x and t
// as for NewData, labels nil or N entries. Minibatch training reshuffles
// the samples into the same buffers this way.
func (d *Data) Upload(x, t []float64, labels []int) error {
	if len(x) != d.N*d.D || len(t) != d.N*d.C || (labels != nil && len(labels) != d.N) {
		return fmt.Errorf("data: upload of %d inputs, %d targets, %d labels into %d samples of %d features and %d targets",
			len(x), len(t), len(labels), d.N, d.D, d.C)
	}
	ops := engine.Ops(d.b)
	ops.Upload(d.X, x)
	ops.Upload(d.T, t)
	if err := ops.Err(); err != nil {
		return err
	}
	if labels != nil {
		d.Labels = append(d.Labels[:0:0], labels...)
	}
	return nil
}

// Close releases the buffers (a no-op for views made by Columns, and for
// a nil or closed Data).
func (d *Data) Close() error {
	if d == nil || d.view {
		return nil
	}
	var errs []error
	if d.X != nil {
		errs = append(errs, d.b.Free(d.X))
	}
	if d.T != nil {
		errs = append(errs, d.b.Free(d.T))
	}
	d.X, d.T = nil, nil
	return errors.Join(errs...)
}
