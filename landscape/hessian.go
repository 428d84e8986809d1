package landscape

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
	"github.com/netgeom/netgeom/spectrum"
	"github.com/netgeom/netgeom/spinglass"
	"github.com/netgeom/netgeom/train"
)

// HessianSpectrumOptions configure HessianSpectrum. At least one of Top,
// Trace, Density and Overlay must ask for something.
type HessianSpectrumOptions struct {
	// Model is the trained model; the operator is taken at its parameters
	// on its training set (Model.Train). Required.
	Model *train.Model
	// GaussNewton takes the Gauss-Newton matrix J^T H_z J instead of the
	// Hessian.
	GaussNewton bool
	// Chunk is the samples per batched pass (0: the models default, 4096).
	Chunk int

	// Top is the number of eigenvalues found by thick-restart Lanczos (0:
	// none), at the end of the spectrum Which names (the zero value:
	// the largest).
	Top   int
	Which spectrum.Which
	// Tol is Lanczos's relative residual tolerance: residual <=
	// Tol max(|lambda|, 1e-3 ||H||); 0 means 1e-8, or Float32Tol for a
	// model on a float32 backend, whose products carry relative errors
	// near 1e-6 of ||H|| (a smaller Tol is refused there).
	Tol float64
	// MaxBasis is the number of Lanczos basis vectors held (0: max(4 Top,
	// 40)) and MaxHVPs the cap on Lanczos's products (0: max(1000,
	// 20 basis)).
	MaxBasis, MaxHVPs int

	// Trace estimates the trace by Hutchinson's estimator with
	// TraceSamples Rademacher vectors (0: 100; at least 2).
	Trace        bool
	TraceSamples int

	// Density estimates the spectral density by stochastic Lanczos
	// quadrature, SLQVectors probe vectors (0: 5) of SLQSteps steps (0:
	// 80), smoothed by a Gaussian of width Sigma (0: 1/500 of the range of
	// the quadrature nodes) on a grid of Grid points (0: 2000; at least 2)
	// padded by 5 Sigma.
	Density              bool
	SLQVectors, SLQSteps int
	Sigma                float64
	Grid                 int
	// Overlay fits a random-matrix law to the density by least squares
	// (and implies Density): "semicircle" (Wigner) or "mp"
	// (Marchenko-Pastur of ratio MPRatio, 0 meaning 1); "" fits none.
	Overlay string
	MPRatio float64

	// Blocks, when not empty, studies the diagonal block of each (see
	// HessianBlock; LayerBlocks gives the layers' or the tensors') instead
	// of the whole operator: HessianSpectrumResult.Blocks.
	Blocks []HessianBlock
	// WrtActivations studies, instead of the parameter Hessian, the mean
	// over the training set of the Hessian of each sample's loss with
	// respect to the activations of layer Layer (after its activation
	// function; 0: the input features, the depth: the logits), or its
	// Gauss-Newton part: models.Hessian.ApplyActivations. Not with Blocks.
	WrtActivations bool
	Layer          int

	// Vectors keeps the unit eigenvectors of the Top pairs (on the host, in
	// HessianEigen.Vector).
	Vectors bool

	// Seed draws Lanczos's start vector and the trace's and the density's
	// probe vectors.
	Seed uint64
	// Progress, when set, is called after every Hessian-vector product
	// with the products so far and the most the run can take, and again
	// when the run, or a block, is done and its unused products leave the
	// total (the last call has done = total).
	Progress options.Progress
}

// HessianEigen is one Ritz pair (value, y), y a unit vector. Residual is
// ||H y - value y|| computed with one more Hessian-vector product per pair
// (so it carries that product's rounding, about 1e-16 ||H|| and up, and
// says how far the pair is from an eigenpair of the Hessian as computed).
// ResidualBound is Lanczos's own estimate |beta_k s_k| of the same norm:
// equal to it in exact arithmetic, it keeps shrinking below what float64
// can resolve (to 1e-19 and less), so it says only that the Krylov
// recurrence has converged.
type HessianEigen struct {
	Value         float64   `json:"value"`
	Residual      float64   `json:"residual"`
	ResidualBound float64   `json:"residual_bound"`
	Vector        []float64 `json:"-"` // with HessianSpectrumOptions.Vectors
}

// HessianTrace is Hutchinson's estimate of the trace with its standard
// error.
type HessianTrace struct {
	Value   float64 `json:"value"`
	StdErr  float64 `json:"stderr"`
	Samples int     `json:"samples"`
}

// HessianDensity is the smoothed spectral density on a grid.
type HessianDensity struct {
	Grid    []float64 `json:"grid"`
	Values  []float64 `json:"values"`
	Sigma   float64   `json:"sigma"`
	Vectors int       `json:"vectors"`
	Steps   int       `json:"steps"`
}

// HessianOverlay is a random-matrix law fitted to the measured density by
// least squares: the Wigner semicircle of radius 2 Scale, or the
// Marchenko-Pastur law of ratio Ratio and mean Scale.
type HessianOverlay struct {
	Law   string  `json:"law"`
	Scale float64 `json:"scale"`
	Ratio float64 `json:"ratio,omitempty"`
	// Values is the fitted law's density on the density's grid.
	Values []float64 `json:"-"`
}

// HessianSpectrumResult is the spectrum of a trained model's loss Hessian
// (or Gauss-Newton matrix). The fields tagged "-" describe the run for a
// title and are not part of the JSON document.
type HessianSpectrumResult struct {
	Model    string `json:"model"`
	Data     string `json:"data"`
	Samples  int    `json:"samples"`
	Params   int    `json:"params"`
	Operator string `json:"operator"` // "hessian" or "gauss-newton"
	// Wrt is what the operator differentiates with respect to:
	// "parameters", or "activations:L" (WrtActivations), and Dim its
	// dimension (Params, or layer L's width).
	Wrt string `json:"wrt"`
	Dim int    `json:"dim"`
	// DType is the precision of the products (the model's backend's);
	// Lanczos, the trace and the density run in float64.
	DType string  `json:"dtype"`
	Loss  float64 `json:"loss"` // the mean training loss
	// The analysis of the whole operator (empty with Blocks).
	HessianAnalysis
	// Blocks holds the analysis of each diagonal block when
	// HessianSpectrumOptions.Blocks asked for them (and the fields above
	// are then empty).
	Blocks      []HessianBlockResult `json:"blocks,omitempty"`
	HVPs        int                  `json:"hvps"`
	Seconds     float64              `json:"seconds"`
	Network     string               `json:"-"` // "4-16-16-3 tanh"
	LossName    string               `json:"-"` // "cross-entropy"
	LanczosHVPs int                  `json:"-"` // Lanczos's share of HVPs
}

// HessianSpectrum studies the Hessian of a trained model's mean training
// loss at its parameters (the weight-decay penalty of training is not
// included: it would add its coefficient to every eigenvalue), applied by
// exact Hessian-vector products: its extreme eigenvalues by Lanczos, its
// trace by Hutchinson's estimator, and its spectral density by stochastic
// Lanczos quadrature with an optional random-matrix fit.
func HessianSpectrum(ctx context.Context, b engine.Backend, opts HessianSpectrumOptions) (*HessianSpectrumResult, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	// The density's grid, its values, the fitted law's and their JSON and
	// CSV rows: well under 256 bytes a grid point.
	if err := memory.Check(int64(min(o.Grid, math.MaxInt32))<<8+40<<20, fmt.Sprintf("a density grid of %d points", o.Grid)); err != nil {
		return nil, fmt.Errorf("hessian: %w: use fewer grid points", err)
	}
	m := o.Model
	start := time.Now()
	h, err := models.NewHessian(m.Net, m.Net.Params(), m.Train, models.HessianOptions{Chunk: o.Chunk, GaussNewton: o.GaussNewton})
	if err != nil {
		return nil, err
	}
	defer h.Close()
	dim, wrt := h.Dim(), "parameters"
	if o.WrtActivations {
		if dim, err = h.ActivationDim(o.Layer); err != nil {
			return nil, fmt.Errorf("hessian: %w", err)
		}
		wrt = fmt.Sprintf("activations:%d", o.Layer)
		if o.Top > dim {
			return nil, fmt.Errorf("hessian: Top %d: layer %d has only %d activations", o.Top, o.Layer, dim)
		}
	}
	if o.Top > dim {
		return nil, fmt.Errorf("hessian: Top %d: the model has only %d parameters", o.Top, dim)
	}
	spec := m.Net.Spec()
	res := &HessianSpectrumResult{Model: m.Path, Data: m.Header.Data.Name, Samples: m.Train.N, Params: h.Dim(), Operator: "hessian", Wrt: wrt, Dim: dim, DType: engine.DTypeOf(m.Net.Backend()).String(),
		Loss: h.Loss(), HessianAnalysis: HessianAnalysis{Eigenvalues: []HessianEigen{}}, Network: spec.Describe() + " " + spec.Act.Name, LossName: spec.Loss.String()}
	if o.GaussNewton {
		res.Operator = "gauss-newton"
	}
	// Every product checks ctx and reports progress; the total shrinks
	// when Lanczos converges before its cap.
	dims := []int{dim}
	if len(o.Blocks) > 0 {
		dims = dims[:0]
		for _, bl := range o.Blocks {
			n, err := bl.size(dim)
			if err != nil {
				return nil, err
			}
			if o.Top > n {
				return nil, fmt.Errorf("hessian: Top %d: block %s has only %d parameters", o.Top, bl.Name, n)
			}
			dims = append(dims, n)
		}
	}
	total, done := 0, 0
	caps := make([]int, len(dims))
	for i, n := range dims {
		caps[i] = o.productCap(n)
		total += caps[i]
	}
	if engine.DTypeOf(b) != engine.Float64 {
		return nil, fmt.Errorf("hessian: the backend computes in %v; Lanczos, the trace and the density run in float64: give a float64 backend (the model's may be float32)", engine.DTypeOf(b))
	}
	// counted wraps a product with the context check and the progress, and
	// carries the vectors between b and the model's backend when they
	// differ (a float32 model: its products in float32, the rest in
	// float64).
	report := func() {
		if o.Progress != nil {
			o.Progress(done, max(total, done))
		}
	}
	counted := func(apply func(x, y engine.Buffer) error) func(x, y engine.Buffer) error {
		if nb := m.Net.Backend(); nb != b {
			apply = acrossBackends(b, nb, apply)
		}
		return func(x, y engine.Buffer) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := apply(x, y); err != nil {
				return err
			}
			done++
			report()
			return nil
		}
	}
	if len(o.Blocks) == 0 {
		apply := h.Apply
		if o.WrtActivations {
			apply = func(x, y engine.Buffer) error { return h.ApplyActivations(o.Layer, x, y) }
		}
		full := spectrum.Operator{Dim: dim, Apply: counted(apply)}
		r, lanczos, err := analyseOperator(b, full, o)
		if err != nil {
			return nil, err
		}
		res.HessianAnalysis, res.LanczosHVPs = r, lanczos
		total = done // the run is over: the bar ends full
		report()
	} else {
		sum := 0.0
		for i, bl := range o.Blocks {
			before, t0 := done, time.Now()
			spans := make([]models.Span, len(bl.Pieces))
			for k, p := range bl.Pieces {
				spans[k] = models.Span(p)
			}
			op := spectrum.Operator{Dim: dims[i], Apply: counted(func(x, y engine.Buffer) error { return h.ApplyBlock(spans, x, y) })}
			r, lanczos, err := analyseOperator(b, op, o)
			if err != nil {
				return nil, fmt.Errorf("block %s: %w", bl.Name, err)
			}
			total -= caps[i] - (done - before)
			report()
			res.LanczosHVPs += lanczos
			if r.Trace != nil {
				sum += r.Trace.Value
			}
			res.Blocks = append(res.Blocks, HessianBlockResult{Block: bl.Name, Params: dims[i], HessianAnalysis: r, HVPs: done - before, Seconds: time.Since(t0).Seconds()})
		}
		if o.Trace && sum != 0 {
			for i := range res.Blocks {
				share := res.Blocks[i].Trace.Value / sum
				res.Blocks[i].TraceShare = &share
			}
		}
	}
	res.HVPs = h.Products()
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// acrossBackends is apply, which works on buffers of nb, for buffers of b:
// each product's vector goes through the host both ways (float64 there),
// in one host buffer kept for all the products.
func acrossBackends(b, nb engine.Backend, apply func(x, y engine.Buffer) error) func(x, y engine.Buffer) error {
	var host []float64
	return func(x, y engine.Buffer) error {
		if n := max(x.Len(), y.Len()); len(host) < n {
			host = make([]float64, n)
		}
		if err := b.Download(host[:x.Len()], x); err != nil {
			return err
		}
		s := engine.NewScope(nb)
		defer s.Close()
		xn, yn := s.FromHost(host[:x.Len()]), s.Alloc(y.Len())
		if err := s.Err(); err != nil {
			return err
		}
		if err := apply(xn, yn); err != nil {
			return err
		}
		if err := nb.Download(host[:y.Len()], yn); err != nil {
			return err
		}
		return b.Upload(y, host[:y.Len()])
	}
}

// Float32Tol is the Lanczos tolerance of a float32 model's Hessian: its
// products differ from float64's by up to about 5e-7 of ||H||
// (models.TestFloat32Products), so a residual of Tol max(|lambda|, 1e-3
// ||H||) is reachable for every eigenvalue only with Tol well above
// 5e-7 / 1e-3.
const Float32Tol = 5e-3

// withDefaults fills in the documented defaults and checks the options.
func (o HessianSpectrumOptions) withDefaults() (HessianSpectrumOptions, error) {
	if o.Model == nil || o.Model.Net == nil || o.Model.Train == nil {
		return o, errors.New("hessian: Model: give a trained model with its training set (train.LoadModel)")
	}
	if o.Model.Header.Data == nil {
		return o, fmt.Errorf("hessian: Model %s records no training data", o.Model.Path)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.TraceSamples, 100)
	def(&o.SLQVectors, 5)
	def(&o.SLQSteps, 80)
	def(&o.Grid, 2000)
	f32 := engine.DTypeOf(o.Model.Net.Backend()) == engine.Float32
	if o.Tol == 0 {
		o.Tol = 1e-8
		if f32 {
			o.Tol = Float32Tol
		}
	}
	if f32 && o.Tol < Float32Tol {
		return o, fmt.Errorf("hessian: Tol %g: the model computes in float32, whose Hessian-vector products are accurate to about 1e-6 of the largest eigenvalue; Lanczos cannot meet a tolerance below %g there", o.Tol, Float32Tol)
	}
	if o.MPRatio == 0 {
		o.MPRatio = 1
	}
	switch o.Overlay {
	case "":
	case "semicircle", "mp":
		o.Density = true
	default:
		return o, fmt.Errorf("hessian: Overlay %q: want semicircle or mp (or empty for none)", o.Overlay)
	}
	switch {
	case o.WrtActivations && len(o.Blocks) > 0:
		return o, errors.New("hessian: WrtActivations and Blocks: choose one (blocks are of the parameter Hessian)")
	case o.Top == 0 && !o.Trace && !o.Density:
		return o, errors.New("hessian: nothing to compute: ask for Top eigenvalues, the Trace or the Density")
	case o.Top < 0 || o.MaxBasis < 0 || o.MaxHVPs < 0 || o.Chunk < 0:
		return o, fmt.Errorf("hessian: Top %d, MaxBasis %d, MaxHVPs %d, Chunk %d: want >= 0", o.Top, o.MaxBasis, o.MaxHVPs, o.Chunk)
	case o.TraceSamples < 2:
		return o, fmt.Errorf("hessian: TraceSamples %d: want at least 2 (a standard error needs two)", o.TraceSamples)
	case o.SLQVectors < 1 || o.SLQSteps < 1 || o.Grid < 2:
		return o, fmt.Errorf("hessian: SLQVectors %d, SLQSteps %d, Grid %d: want at least 1, 1 and 2", o.SLQVectors, o.SLQSteps, o.Grid)
	case !(o.Tol > 0) || math.IsInf(o.Tol, 0):
		return o, fmt.Errorf("hessian: Tol %v: want a finite tolerance > 0", o.Tol)
	case !(o.Sigma >= 0) || math.IsInf(o.Sigma, 0):
		return o, fmt.Errorf("hessian: Sigma %v: want a finite width >= 0 (0: automatic)", o.Sigma)
	case !(o.MPRatio > 0) || math.IsInf(o.MPRatio, 0):
		return o, fmt.Errorf("hessian: MPRatio %v: want a finite ratio > 0", o.MPRatio)
	case o.Which != spectrum.Largest && o.Which != spectrum.Smallest && o.Which != spectrum.LargestMagnitude:
		return o, fmt.Errorf("hessian: Which %v: want spectrum.Largest, Smallest or LargestMagnitude", o.Which)
	}
	return o, nil
}

// hessianWhich names an end of the spectrum as `netgeom hessian --which`
// does.
func hessianWhich(w spectrum.Which) string {
	if w == spectrum.LargestMagnitude {
		return "magnitude"
	}
	return w.String()
}

// hessianDensity runs SLQ, smooths its quadrature on a grid padded by
// 5 sigma (sigma 0: 1/500 of the range of the nodes) and fits the overlay.
func hessianDensity(b engine.Backend, op spectrum.Operator, o HessianSpectrumOptions) (*HessianDensity, *HessianOverlay, error) {
	q, err := spectrum.SLQ(b, op, spectrum.SLQOptions{Vectors: o.SLQVectors, Steps: o.SLQSteps, Seed: o.Seed})
	if err != nil {
		return nil, nil, err
	}
	sigma := o.Sigma
	if sigma == 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, ns := range q.Nodes {
			for _, t := range ns {
				lo, hi = math.Min(lo, t), math.Max(hi, t)
			}
		}
		sigma = (hi - lo) / 500
		if !(sigma > 0) {
			sigma = math.Max(1e-3*math.Abs(hi), 1e-12)
		}
	}
	grid, err := spectrum.DefaultGrid(q, o.Grid, 5*sigma)
	if err != nil {
		return nil, nil, err
	}
	vals, _, err := q.Density(grid, sigma)
	if err != nil {
		return nil, nil, err
	}
	d := &HessianDensity{Grid: grid, Values: vals, Sigma: sigma, Vectors: o.SLQVectors, Steps: min(o.SLQSteps, op.Dim)}
	if o.Overlay == "" {
		return d, nil, nil
	}
	ov := &HessianOverlay{Law: o.Overlay, Values: make([]float64, len(grid))}
	switch o.Overlay {
	case "semicircle":
		ov.Scale, err = spinglass.FitSemicircleDensity(grid, vals)
	case "mp":
		ov.Ratio = o.MPRatio
		ov.Scale, err = spinglass.FitMarchenkoPasturDensity(grid, vals, o.MPRatio)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("hessian: Overlay %s: %w", o.Overlay, err)
	}
	for i, x := range grid {
		if o.Overlay == "mp" {
			ov.Values[i] = spinglass.MarchenkoPastur(x, ov.Ratio, ov.Scale)
		} else {
			ov.Values[i] = spinglass.Semicircle(x, ov.Scale)
		}
	}
	return d, ov, nil
}

// ritzResiduals computes ||H y - value y|| for each Ritz pair with one
// product each, frees the pairs' vectors, and returns the pairs (with
// their vectors on the host when keep is set).
func ritzResiduals(b engine.Backend, op spectrum.Operator, pairs []spectrum.Eigenpair, keep bool) (eig []HessianEigen, err error) {
	defer func() {
		for _, p := range pairs {
			if p.Vector != nil {
				err = errors.Join(err, b.Free(p.Vector))
			}
		}
	}()
	hy, err := b.Alloc(engine.DTypeOf(b), op.Dim)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, b.Free(hy)) }()
	for _, p := range pairs {
		if err := op.Apply(p.Vector, hy); err != nil {
			return nil, err
		}
		if err := b.Axpy(op.Dim, -p.Value, p.Vector, 1, hy, 1); err != nil {
			return nil, err
		}
		r, err := b.Nrm2(op.Dim, hy, 1)
		if err != nil {
			return nil, err
		}
		e := HessianEigen{Value: p.Value, Residual: r, ResidualBound: p.Residual}
		if keep {
			e.Vector = make([]float64, op.Dim)
			if err := b.Download(e.Vector, p.Vector); err != nil {
				return nil, err
			}
		}
		eig = append(eig, e)
	}
	return eig, nil
}

// HessianBlock names a set of parameters S (pieces [Off, Off+Len) of the
// flat parameter layout, in order): the operator studied is then the
// diagonal block H_SS, applied by models.Hessian.ApplyBlock: the
// R-passes start at the first layer S touches and form parameter products
// only for the layers it touches, so a block of the last layers costs a
// fraction of a full Hessian-vector product.
type HessianBlock struct {
	Name   string
	Pieces []Piece
}

// Piece is a run [Off, Off+Len) of the flat parameter vector.
type Piece struct{ Off, Len int }

func (bl HessianBlock) size(dim int) (int, error) {
	n := 0
	for _, p := range bl.Pieces {
		if p.Off < 0 || p.Len < 1 || p.Off > dim-p.Len {
			return 0, fmt.Errorf("hessian: block %s: piece [%d, %d) outside the %d parameters", bl.Name, p.Off, p.Off+p.Len, dim)
		}
		n += p.Len
	}
	if n == 0 {
		return 0, fmt.Errorf("hessian: block %s is empty", bl.Name)
	}
	return n, nil
}

// HessianBlockResult is the analysis of one diagonal block: its
// eigenvalues, trace (and, with the trace, its share of the sum of the
// blocks' traces, which is the full trace when the blocks partition the
// parameters) and density, and the Hessian-vector products it took.
type HessianBlockResult struct {
	Block  string `json:"block"`
	Params int    `json:"params"`
	HessianAnalysis
	TraceShare *float64 `json:"trace_share,omitempty"`
	HVPs       int      `json:"hvps"`
	Seconds    float64  `json:"seconds"`
}

// HessianAnalysis is what HessianSpectrum finds for one operator (the
// whole Hessian or a block). Which is the end of the spectrum of the
// eigenvalues (largest, smallest or magnitude) and Converged whether every
// residual met the tolerance; both absent without eigenvalues.
type HessianAnalysis struct {
	Which       string          `json:"which,omitempty"`
	Converged   *bool           `json:"converged,omitempty"`
	Eigenvalues []HessianEigen  `json:"eigenvalues"`
	Trace       *HessianTrace   `json:"trace,omitempty"`
	Density     *HessianDensity `json:"density,omitempty"`
	Overlay     *HessianOverlay `json:"overlay,omitempty"`
}

// LayerBlocks partitions spec's parameters by layer ("layer 1", ...), or
// with byTensor by weight matrix and bias of every layer ("layer 1 W",
// "layer 1 b", ...).
func LayerBlocks(spec models.NetworkSpec, byTensor bool) []HessianBlock {
	var out []HessianBlock
	for l := 1; l < len(spec.Widths); l++ {
		blk := spec.Block(l)
		if !byTensor {
			out = append(out, HessianBlock{Name: fmt.Sprintf("layer %d", l), Pieces: []Piece{{blk.Off, blk.Len}}})
			continue
		}
		for _, t := range blk.Tensors {
			out = append(out, HessianBlock{Name: fmt.Sprintf("layer %d %s", l, t.Name), Pieces: []Piece{{t.Off, t.Len()}}})
		}
	}
	return out
}

// ParamBlocks partitions spec's parameters into two blocks, "weights"
// (every layer's weight matrices) and "biases" (every layer's biases),
// each the pieces of its tensors in layout order.
func ParamBlocks(spec models.NetworkSpec) []HessianBlock {
	out := []HessianBlock{{Name: "weights"}, {Name: "biases"}}
	for l := 1; l < len(spec.Widths); l++ {
		for _, t := range spec.Block(l).Tensors {
			k := 1
			if t.Weight {
				k = 0
			}
			out[k].Pieces = append(out[k].Pieces, Piece{t.Off, t.Len()})
		}
	}
	return out
}

// productCap bounds the products one operator of dimension n takes.
func (o HessianSpectrumOptions) productCap(n int) int {
	c := 0
	if o.Top > 0 {
		c = o.MaxHVPs
		if c == 0 {
			basis := o.MaxBasis
			if basis == 0 {
				basis = min(n, max(4*o.Top, 40))
			}
			c = max(1000, 20*basis)
		}
		c += o.Top // one product per pair for its residual
	}
	if o.Trace {
		c += o.TraceSamples
	}
	if o.Density {
		c += o.SLQVectors * min(o.SLQSteps, n)
	}
	return c
}

// analyseOperator runs what o asks for (Top eigenvalues, Trace, Density)
// on op, and returns it with the products Lanczos took.
func analyseOperator(b engine.Backend, op spectrum.Operator, o HessianSpectrumOptions) (HessianAnalysis, int, error) {
	r := HessianAnalysis{Eigenvalues: []HessianEigen{}}
	lanczos := 0
	if o.Top > 0 {
		lz, err := spectrum.Lanczos(b, op, spectrum.LanczosOptions{K: o.Top, Which: o.Which, Tol: o.Tol, MaxBasis: o.MaxBasis, MaxMatVecs: o.MaxHVPs, Seed: o.Seed, Vectors: true})
		if err != nil {
			return r, 0, err
		}
		r.Which, r.Converged, lanczos = hessianWhich(o.Which), &lz.Converged, lz.MatVecs
		if r.Eigenvalues, err = ritzResiduals(b, op, lz.Pairs, o.Vectors); err != nil {
			return r, 0, err
		}
	}
	if o.Trace {
		tr, err := spectrum.Trace(b, op, spectrum.TraceOptions{Samples: o.TraceSamples, Seed: o.Seed})
		if err != nil {
			return r, 0, err
		}
		r.Trace = &HessianTrace{Value: tr.Value, StdErr: tr.StdErr, Samples: tr.Samples}
	}
	if o.Density {
		var err error
		if r.Density, r.Overlay, err = hessianDensity(b, op, o); err != nil {
			return r, 0, err
		}
	}
	return r, lanczos, nil
}
