package manifold

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/cpu"
)

// LayerStats are the measures of one layer's image of a curve.
type LayerStats struct {
	Layer int
	Width int
	// Q is the mean over points of |h|^2 / N.
	Q float64
	// GBar is the mean over points of the metric g = |dh/dtheta|^2 over N.
	GBar float64
	// Length is the Euclidean length L^E = integral sqrt(g) dtheta.
	Length float64
	// GrassmannLength is L^G = integral kappa sqrt(g) dtheta, the length of
	// the curve traced by the unit tangent.
	GrassmannLength float64
	// KappaBar is the mean over points of kbar = sqrt(N) kappa, and
	// KappaBarQuantiles its 5, 25, 50, 75 and 95% quantiles.
	KappaBar          float64
	KappaBarQuantiles [5]float64
	// Kappa is the curvature at each point (nil unless kept).
	Kappa []float64

	// Whole-curve measures (present when the curve was run in one batch):
	// the variances along the principal components of the points (descending,
	// summing to the total variance), their participation ratio
	// (sum l)^2 / sum l^2, the number of components that explain 95% of the
	// variance, the first three principal coordinates of every point, and the
	// autocorrelation c(k * step) = mean_j h_j.h_{j+k} / (|h_j| |h_{j+k}|)
	// for k = 0..B/2 (closed curves; offsets wrap around).
	PCA                []float64
	ParticipationRatio float64
	PCA95              int
	Projections        [3][]float64
	Autocorr           []float64
}

// OverflowError is a curve's image that left float64's range at Layer:
// Quantity, a per-point dot product, is Inf or NaN there. Deep chaotic
// networks multiply lengths by about sqrt(chi_1) per layer, and ReLU or
// linear networks with a large sigma_w without bound.
type OverflowError struct {
	Layer    int
	Quantity string
}

func (e *OverflowError) Error() string {
	return fmt.Sprintf("layer %d: %s overflowed float64 (a network with chi_1 > 1 grows it geometrically with depth); lower the depth, sigma_w or the input's length", e.Layer, e.Quantity)
}

// RecorderOptions choose what a Recorder measures.
type RecorderOptions struct {
	// Gram enables the principal components and the autocorrelation, which
	// need the B x B Gram matrix of the points (B^2 numbers per layer).
	Gram bool
	// KeepKappa keeps the per-point curvature in LayerStats.Kappa.
	KeepKappa bool
	// Project lists the layers whose LayerStats.Projections are filled
	// (with Gram): only they need the Gram matrix's eigenvectors, an
	// eigendecomposition several times as costly as its values alone.
	Project []int
}

// Recorder is a models.Observer for jet passes of a curve: after each layer
// it computes, on the backend, the per-point dot products h.h, v.v, a.a and
// v.a (and the Gram matrix when asked), and turns them into LayerStats.
// A curve may be run in several chunks of points: call SetChunk before each
// pass; whole-curve measures need the curve in one chunk.
type Recorder struct {
	b      engine.Backend
	curve  *Curve
	opt    RecorderOptions
	offset int // first point of the current chunk
	chunk  int // points in the current chunk

	// per layer, per point: hh, gg, aa, va
	perPoint map[int]*[4][]float64
	widths   map[int]int
	gram     map[int][]float64
	layers   []int
}

// NewRecorder prepares a recorder for a curve on backend b.
func NewRecorder(b engine.Backend, c *Curve, opt RecorderOptions) *Recorder {
	return &Recorder{b: b, curve: c, opt: opt, chunk: c.Points,
		perPoint: map[int]*[4][]float64{}, widths: map[int]int{}, gram: map[int][]float64{}}
}

// SetChunk says that the next pass holds points [offset, offset+n).
func (r *Recorder) SetChunk(offset, n int) error {
	if offset < 0 || n < 1 || offset+n > r.curve.Points {
		return fmt.Errorf("recorder: chunk [%d, %d) outside the curve's %d points", offset, offset+n, r.curve.Points)
	}
	r.offset, r.chunk = offset, n
	return nil
}

// Observe implements models.Observer for a jet pass of the current chunk.
func (r *Recorder) Observe(layer int, hva engine.Buffer, width, cols int) error {
	B := r.chunk
	if cols != 3*B {
		return fmt.Errorf("recorder: layer %d has %d columns; a jet of %d points has %d", layer, cols, B, 3*B)
	}
	b := r.b
	part := func(k int) (engine.Buffer, error) { return b.Slice(hva, k*width*B, width*B) }
	h, err := part(0)
	if err != nil {
		return err
	}
	v, err := part(1)
	if err != nil {
		return err
	}
	a, err := part(2)
	if err != nil {
		return err
	}
	out, err := b.Alloc(engine.DTypeOf(b), 4*B)
	if err != nil {
		return err
	}
	defer b.Free(out)
	pairs := [4][2]engine.Buffer{{h, h}, {v, v}, {a, a}, {v, a}}
	for k, p := range pairs {
		o, err := b.Slice(out, k*B, B)
		if err != nil {
			return err
		}
		if err := b.ColumnDots(width, B, p[0], width, p[1], width, o); err != nil {
			return fmt.Errorf("recorder: layer %d: %w", layer, err)
		}
	}
	host := make([]float64, 4*B)
	if err := b.Download(host, out); err != nil {
		return err
	}
	for k, what := range [4]string{"|h|^2 (q)", "|dh/dtheta|^2 (the metric)", "|d^2h/dtheta^2|^2", "dh/dtheta . d^2h/dtheta^2"} {
		for _, x := range host[k*B : (k+1)*B] {
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return &OverflowError{Layer: layer, Quantity: what}
			}
		}
	}
	pp, ok := r.perPoint[layer]
	if !ok {
		pp = &[4][]float64{}
		for k := range pp {
			pp[k] = make([]float64, r.curve.Points)
		}
		r.perPoint[layer] = pp
		r.widths[layer] = width
		r.layers = append(r.layers, layer)
	}
	for k := 0; k < 4; k++ {
		copy(pp[k][r.offset:r.offset+B], host[k*B:(k+1)*B])
	}
	if r.opt.Gram && B == r.curve.Points {
		g, err := b.Alloc(engine.DTypeOf(b), B*B)
		if err != nil {
			return err
		}
		defer b.Free(g)
		if err := b.Gemm(engine.Trans, engine.NoTrans, B, B, width, 1, h, width, h, width, 0, g, B); err != nil {
			return fmt.Errorf("recorder: layer %d: gram: %w", layer, err)
		}
		gh := make([]float64, B*B)
		if err := b.Download(gh, g); err != nil {
			return err
		}
		r.gram[layer] = gh
	}
	return nil
}

// Stats returns the measures of every layer observed, in layer order.
func (r *Recorder) Stats() ([]LayerStats, error) {
	layers := append([]int(nil), r.layers...)
	sort.Ints(layers)
	out := make([]LayerStats, 0, len(layers))
	for _, l := range layers {
		s, err := r.layerStats(l)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (r *Recorder) layerStats(l int) (LayerStats, error) {
	pp, N := r.perPoint[l], r.widths[l]
	B := r.curve.Points
	hh, gg, aa, va := pp[0], pp[1], pp[2], pp[3]
	w := trapezoidWeights(B, r.curve.Step(), r.curve.Closed)
	s := LayerStats{Layer: l, Width: N}
	kbar := make([]float64, B)
	kappa := make([]float64, B)
	sqrtN := math.Sqrt(float64(N))
	for j := 0; j < B; j++ {
		if !(gg[j] > 0) {
			return s, fmt.Errorf("layer %d: point %d has a zero tangent (|dh/dtheta|^2 = %v): the curve's image is singular there", l, j, gg[j])
		}
		// kappa^2 = (|v|^2 |a|^2 - (v.a)^2) / |v|^6; the numerator is >= 0
		// in exact arithmetic (Cauchy-Schwarz), so clamp rounding below 0.
		num := max(0, gg[j]*aa[j]-va[j]*va[j])
		kappa[j] = math.Sqrt(num) / math.Pow(gg[j], 1.5)
		kbar[j] = sqrtN * kappa[j]
		sq := math.Sqrt(gg[j])
		s.Q += hh[j]
		s.GBar += gg[j]
		s.Length += w[j] * sq
		s.GrassmannLength += w[j] * kappa[j] * sq
		s.KappaBar += kbar[j]
	}
	s.Q /= float64(B) * float64(N)
	s.GBar /= float64(B) * float64(N)
	s.KappaBar /= float64(B)
	sorted := append([]float64(nil), kbar...)
	sort.Float64s(sorted)
	for i, p := range []float64{0.05, 0.25, 0.5, 0.75, 0.95} {
		s.KappaBarQuantiles[i] = quantile(sorted, p)
	}
	if r.opt.KeepKappa {
		s.Kappa = kappa
	}
	if g, ok := r.gram[l]; ok {
		if err := gramStats(&s, g, B, r.curve.Closed, slices.Contains(r.opt.Project, l)); err != nil {
			return s, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return s, nil
}

// trapezoidWeights returns the quadrature weights of B equally spaced
// samples: all equal to step for a closed curve (the periodic trapezoid
// rule), halved at both ends for an open one.
func trapezoidWeights(B int, step float64, closed bool) []float64 {
	w := make([]float64, B)
	for i := range w {
		w[i] = step
	}
	if !closed {
		w[0], w[B-1] = step/2, step/2
	}
	return w
}

// quantile of sorted data by linear interpolation between order statistics.
func quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	x := p * float64(len(sorted)-1)
	i := int(x)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := x - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

// gramStats fills the whole-curve measures from the B x B Gram matrix
// G_ij = h_i . h_j (symmetric, so its storage order does not matter), and
// with project the points' projections on their top three principal
// components.
func gramStats(s *LayerStats, g []float64, B int, closed bool, project bool) error {
	// Autocorrelation by offset.
	maxK := B / 2
	if !closed {
		maxK = B - 1
	}
	s.Autocorr = make([]float64, maxK+1)
	for k := 0; k <= maxK; k++ {
		sum, n := 0.0, 0
		for i := 0; i < B; i++ {
			j := i + k
			if j >= B {
				if !closed {
					break
				}
				j -= B
			}
			sum += g[i*B+j] / math.Sqrt(g[i*B+i]*g[j*B+j])
			n++
		}
		s.Autocorr[k] = sum / float64(n)
	}
	// Centred Gram matrix: C = J G J with J = I - 11^T/B. Its nonzero
	// eigenvalues divided by B are the variances along the principal
	// components of the points (those of the N x N covariance).
	rowMean := make([]float64, B)
	total := 0.0
	for i := 0; i < B; i++ {
		for j := 0; j < B; j++ {
			rowMean[i] += g[i*B+j]
		}
		total += rowMean[i]
		rowMean[i] /= float64(B)
	}
	total /= float64(B * B)
	c := make([]float64, B*B)
	for i := 0; i < B; i++ {
		for j := i; j < B; j++ {
			c[i*B+j] = g[i*B+j] - rowMean[i] - rowMean[j] + total
			c[j*B+i] = c[i*B+j]
		}
	}
	vals := make([]float64, B) // ascending
	if err := cpu.SymEigen(B, c, vals, project); err != nil {
		return fmt.Errorf("principal components: %w", err)
	}
	s.PCA = make([]float64, B)
	sum, sum2 := 0.0, 0.0
	for k := 0; k < B; k++ {
		v := max(0, vals[B-1-k]) / float64(B)
		s.PCA[k] = v
		sum += v
		sum2 += v * v
	}
	if sum > 0 {
		s.ParticipationRatio = sum * sum / sum2
		acc := 0.0
		for k, v := range s.PCA {
			acc += v
			if acc >= 0.95*sum {
				s.PCA95 = k + 1
				break
			}
		}
	}
	for k := 0; k < 3 && k < B && project; k++ {
		col := B - 1 - k
		sd := math.Sqrt(max(0, vals[col]))
		s.Projections[k] = make([]float64, B)
		for j := 0; j < B; j++ {
			s.Projections[k][j] = sd * c[col*B+j] // eigenvector col, column-major
		}
	}
	return nil
}
