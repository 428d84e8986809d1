package spinglass

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/options"
)

// Default numbers of random starts of the studies, split evenly between
// minima and saddle starts when the options leave both at zero.
const (
	// DefaultPSpinStarts is the number of starts of a PSpinStudy.
	DefaultPSpinStarts = 1000
	// DefaultLayeredStarts is the number of starts per layer count of a
	// LayeredStudy.
	DefaultLayeredStarts = 300
)

// Grids of the theory curves of a PSpinStudy.
const (
	// ComplexityIndices is the number of index-k complexities Theta_k
	// (k = 0, 1, ...) a PSpinStudy samples.
	ComplexityIndices = 4
	// CurvePoints is the number of energies on which a PSpinStudy samples
	// each theory curve.
	CurvePoints = 401
)

// StudyCensusOptions are the census settings shared by PSpinStudy and
// LayeredStudy. Zero values take the defaults in brackets.
type StudyCensusOptions struct {
	// MinimaStarts and SaddleStarts are the numbers of random starts that
	// descend to minima and that hunt saddles of every index (see
	// CensusOptions). When both are zero the study's default number of
	// starts (DefaultPSpinStarts, or DefaultLayeredStarts per layer count)
	// is split evenly between them.
	MinimaStarts int
	SaddleStarts int
	// Tol: a point is critical when |grad_R| / sqrt(d) <= Tol [1e-9].
	Tol float64
	// MaxIter: steps per start before it counts as failed [500].
	MaxIter int
	// Batch: points per backend call [64, less for large tensors].
	Batch int
	// Workers: goroutines for the host-side eigenproblems [GOMAXPROCS].
	Workers int
}

// resolve checks the options and fills in the defaults; starts is the
// study's default number of starts.
func (o StudyCensusOptions) resolve(study string, starts int) (StudyCensusOptions, error) {
	if o.MinimaStarts < 0 || o.SaddleStarts < 0 {
		return o, fmt.Errorf("spinglass: %s: MinimaStarts %d, SaddleStarts %d: want >= 0 each (both 0: %d starts, half of each kind)",
			study, o.MinimaStarts, o.SaddleStarts, starts)
	}
	if o.MinimaStarts == 0 && o.SaddleStarts == 0 {
		o.SaddleStarts = starts / 2
		o.MinimaStarts = starts - o.SaddleStarts
	}
	if !(o.Tol >= 0) || math.IsInf(o.Tol, 0) {
		return o, fmt.Errorf("spinglass: %s: Tol %v: want a positive finite number (0: 1e-9)", study, o.Tol)
	}
	if o.Tol == 0 {
		o.Tol = 1e-9
	}
	if o.MaxIter < 0 {
		return o, fmt.Errorf("spinglass: %s: MaxIter %d: want >= 1 (0: 500)", study, o.MaxIter)
	}
	if o.Batch < 0 {
		return o, fmt.Errorf("spinglass: %s: Batch %d: want >= 1 (0: 64)", study, o.Batch)
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("spinglass: %s: Workers %d: want >= 1 (0: GOMAXPROCS)", study, o.Workers)
	}
	return o, nil
}

func (o StudyCensusOptions) census(seed uint64, progress func(done, total int)) CensusOptions {
	return CensusOptions{MinimaStarts: o.MinimaStarts, SaddleStarts: o.SaddleStarts, Tol: o.Tol, Batch: o.Batch,
		MaxIter: o.MaxIter, Workers: o.Workers, Seed: seed, Progress: progress}
}

// ctxModel stops a census between backend calls once ctx is done.
type ctxModel struct {
	model
	ctx context.Context
}

func (m ctxModel) eval(x []float64, cols int, e, eg, eh []float64) error {
	if err := m.ctx.Err(); err != nil {
		return err
	}
	return m.model.eval(x, cols, e, eg, eh)
}

// EnergyRange summarises the energies per dimension of a set of critical
// points (all zero when the set is empty).
type EnergyRange struct {
	Count int     `json:"count"`
	UMin  float64 `json:"u_min"`
	UMean float64 `json:"u_mean"`
	UMax  float64 `json:"u_max"`
}

func rangeOf(pts []CriticalPoint) EnergyRange {
	r := EnergyRange{Count: len(pts)}
	if len(pts) == 0 {
		return r
	}
	r.UMin, r.UMax = math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		r.UMin = min(r.UMin, p.Energy)
		r.UMax = max(r.UMax, p.Energy)
		r.UMean += p.Energy
	}
	r.UMean /= float64(len(pts))
	return r
}

// PSpinStudyOptions configures PSpinStudy. Zero values take the defaults in
// brackets.
type PSpinStudyOptions struct {
	// P is the order of the interaction, 2 <= P <= MaxP [3].
	P int
	// N is the number of spins, N >= 2 with N^P <= MaxTensorElements [100].
	N int
	// Seed draws the couplings and names the starts [0].
	Seed uint64
	// Census: the starts and the stopping rule [DefaultPSpinStarts starts,
	// half of them saddle starts].
	Census StudyCensusOptions
	// Progress, when set, is called with (starts finished, starts in all).
	Progress options.Progress
}

// PSpinIndexRow is the census of one index beside ABC's large-N index at the
// mean energy of its points.
type PSpinIndexRow struct {
	IndexSummary
	// IndexTheory is (N-1) IndexFraction(u_mean): the index a critical
	// point at that energy has at large N (ABC's GOE Hessian).
	IndexTheory float64 `json:"index_theory"`
}

// Curve is a function sampled at increasing abscissae.
type Curve struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// ComplexityCurves are the Auffinger-Ben Arous-Cerny complexities on one
// grid of energies.
type ComplexityCurves struct {
	// U are CurvePoints energies evenly spaced from -E_0 - 0.04 to
	// -E_inf + 0.06, the bottom of the landscape where the Theta_k part.
	U []float64 `json:"u"`
	// Total is ThetaTotal(p, u), the complexity of every index below u.
	Total []float64 `json:"total"`
	// Index[k] is Theta(p, k, u) for k = 0 .. ComplexityIndices-1.
	Index [][]float64 `json:"index"`
}

// PSpinStudyResult is a census of the critical points of one spherical
// p-spin glass beside the Auffinger-Ben Arous-Cerny theory.
type PSpinStudyResult struct {
	Model        string  `json:"model"` // "p-spin"
	P            int     `json:"p"`
	N            int     `json:"n"`
	Seed         uint64  `json:"seed"`
	MinimaStarts int     `json:"minima_starts"`
	SaddleStarts int     `json:"saddle_starts"`
	Tol          float64 `json:"tol"`
	// Backend is the engine backend that ran the census ("cpu", "cuda").
	Backend string `json:"backend"`
	// Seconds is the wall time of the study.
	Seconds float64 `json:"seconds"`
	// Analytic (Auffinger, Ben Arous, Cerny): E_inf and E_0..E_4.
	EInf float64   `json:"e_inf"`
	Ek   []float64 `json:"e_k"`
	// FiniteSize is E_inf N^{-2/3}, the Tracy-Widom scale by which minima
	// at finite N reach above -E_inf.
	FiniteSize float64 `json:"finite_size_scale"`
	// ComplexCriticalPoints is the number of eigenvectors of a generic
	// symmetric tensor (Cartwright-Sturmfels): complex critical points up
	// to sign, an upper bound on the real ones.
	ComplexCriticalPoints string `json:"complex_critical_points"`
	// Converged and Failed count the starts; Mirrored, for odd p, means
	// every point is reported at u <= 0 and stands also for its mirror.
	Converged int  `json:"converged"`
	Failed    int  `json:"failed"`
	Mirrored  bool `json:"mirrored"`
	// Distinct is the number of distinct critical points, Minima the
	// energies of those of index 0.
	Distinct int         `json:"distinct"`
	Minima   EnergyRange `json:"minima"`
	// ByIndex summarises the points index by index, in increasing index.
	ByIndex []PSpinIndexRow `json:"by_index"`
	// Points are the distinct critical points by increasing energy.
	Points []CriticalPoint `json:"points"`
	// Complexity holds ABC's complexity curves near the bottom of the
	// landscape.
	Complexity ComplexityCurves `json:"-"`
	// IndexCurve is (N-1) IndexFraction(u) at CurvePoints energies evenly
	// spaced from min(lowest point, -E_0) - 0.05 to
	// max(max(highest point, -E_inf) + 0.05, 0).
	IndexCurve Curve `json:"-"`
}

// PSpinStudy draws a spherical p-spin glass on b, finds its critical points
// from random starts (Census), and sets them beside the Auffinger-Ben
// Arous-Cerny values: E_inf, E_0..E_4, the complexity curves, the large-N
// index against the energy, and the Cartwright-Sturmfels count of complex
// critical points. It stops between backend calls once ctx is done and then
// returns ctx.Err().
func PSpinStudy(ctx context.Context, b engine.Backend, opts PSpinStudyOptions) (*PSpinStudyResult, error) {
	const study = "p-spin study"
	if opts.P == 0 {
		opts.P = 3
	}
	if opts.N == 0 {
		opts.N = 100
	}
	if opts.P < 2 || opts.P > MaxP {
		return nil, fmt.Errorf("spinglass: %s: P = %d: want 2 <= P <= %d (0: 3)", study, opts.P, MaxP)
	}
	if opts.N < 2 {
		return nil, fmt.Errorf("spinglass: %s: N = %d: want N >= 2 (0: 100)", study, opts.N)
	}
	co, err := opts.Census.resolve(study, DefaultPSpinStarts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("spinglass: %s: nil backend", study)
	}
	start := time.Now()
	p, n := opts.P, opts.N
	m, err := NewPSpin(b, p, n, opts.Seed)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	c, err := census(ctxModel{m, ctx}, co.census(opts.Seed, opts.Progress))
	if err != nil {
		return nil, err
	}
	res := &PSpinStudyResult{Model: "p-spin", P: p, N: n, Seed: opts.Seed, MinimaStarts: co.MinimaStarts, SaddleStarts: co.SaddleStarts, Tol: co.Tol,
		Backend: b.Info().Backend, Seconds: time.Since(start).Seconds(), EInf: EInf(p),
		FiniteSize: EInf(p) * math.Pow(float64(n), -2.0/3), Converged: c.Converged, Failed: c.Failed, Mirrored: c.Mirrored,
		Distinct: len(c.Points), Minima: rangeOf(c.Minima()), Points: c.Points}
	if res.Points == nil {
		res.Points = []CriticalPoint{}
	}
	for k := range 5 {
		e, err := Ek(p, k)
		if err != nil {
			return nil, err
		}
		res.Ek = append(res.Ek, e)
	}
	if cc, err := EigenvectorCount(p, n); err == nil {
		res.ComplexCriticalPoints = cc.String()
	}
	for _, s := range c.ByIndex() {
		res.ByIndex = append(res.ByIndex, PSpinIndexRow{IndexSummary: s, IndexTheory: float64(n-1) * IndexFraction(p, s.UMean)})
	}
	res.Complexity = complexityCurves(p, -res.Ek[0]-0.04, -res.EInf+0.06)
	lo, hi := -res.Ek[0], -res.EInf
	for _, pt := range res.Points {
		lo, hi = min(lo, pt.Energy), max(hi, pt.Energy)
	}
	res.IndexCurve = sampleCurve(lo-0.05, max(hi+0.05, 0), func(u float64) float64 { return float64(n-1) * IndexFraction(p, u) })
	return res, nil
}

// sampleCurve samples f at CurvePoints evenly spaced points of [a, b].
func sampleCurve(a, b float64, f func(float64) float64) Curve {
	c := Curve{X: make([]float64, CurvePoints), Y: make([]float64, CurvePoints)}
	for i := range c.X {
		u := a + (b-a)*float64(i)/(CurvePoints-1)
		if i == CurvePoints-1 {
			u = b // a + (b-a) need not round to b
		}
		c.X[i], c.Y[i] = u, f(u)
	}
	return c
}

func complexityCurves(p int, a, b float64) ComplexityCurves {
	tot := sampleCurve(a, b, func(u float64) float64 { return ThetaTotal(p, u) })
	cc := ComplexityCurves{U: tot.X, Total: tot.Y}
	for k := range ComplexityIndices {
		cc.Index = append(cc.Index, sampleCurve(a, b, func(u float64) float64 { return Theta(p, k, u) }).Y)
	}
	return cc
}

// LayeredStudyOptions configures LayeredStudy. Zero values take the
// defaults in brackets.
type LayeredStudyOptions struct {
	// Layers are the numbers of layers to study, each between 1 and Dim,
	// in the order given [1, 2, ..., 6].
	Layers []int
	// Dim is the total dimension D, split over the layers by SplitDims
	// [60].
	Dim int
	// Seed draws the couplings of every model and names the starts [0].
	Seed uint64
	// Census: the starts per layer count and the stopping rule
	// [DefaultLayeredStarts starts per layer count, half of them saddle
	// starts].
	Census StudyCensusOptions
	// Progress, when set, is called with (starts finished, starts in all)
	// counted over every layer count.
	Progress options.Progress
}

// LayeredStudyRow is the census of the layered spin glass at one number of
// layers.
type LayeredStudyRow struct {
	Layers    int   `json:"layers"`
	Dims      []int `json:"dims"`
	Starts    int   `json:"starts"`
	Converged int   `json:"converged"`
	Failed    int   `json:"failed"`
	// Distinct critical points, of which Saddles have index > 0.
	Distinct int `json:"distinct"`
	Saddles  int `json:"saddles"`
	// Minima summarises the distinct minima; UGround is the lowest energy
	// found (of any index).
	Minima    EnergyRange `json:"minima"`
	UGround   float64     `json:"u_ground"`
	MeanIndex float64     `json:"mean_index"`
	// ComplexCriticalPoints is Friedland-Ottaviani's count of singular
	// vector tuples when the format is small enough to count exactly.
	ComplexCriticalPoints string `json:"complex_critical_points,omitempty"`
	// Seconds is the wall time of this layer count.
	Seconds float64 `json:"seconds"`
	// Points are the distinct critical points by increasing energy; each
	// at u <= 0 stands for the 2^L sign images of its weight vectors.
	Points []CriticalPoint `json:"points"`
}

// LayeredStudyResult is a census of the layered spin glass at one total
// dimension across numbers of layers.
type LayeredStudyResult struct {
	Model        string  `json:"model"` // "layered"
	Dim          int     `json:"dim"`
	Seed         uint64  `json:"seed"`
	MinimaStarts int     `json:"minima_starts"` // per layer count
	SaddleStarts int     `json:"saddle_starts"` // per layer count
	Tol          float64 `json:"tol"`
	// Backend is the engine backend that ran the censuses.
	Backend string `json:"backend"`
	// Seconds is the wall time of the study.
	Seconds float64           `json:"seconds"`
	Rows    []LayeredStudyRow `json:"rows"`
}

// LayeredStudy finds the critical points of layered spin glasses of total
// dimension Dim split as evenly as possible over each number of layers in
// Layers (one model per layer count, all drawn from Seed), with the
// Friedland-Ottaviani count of complex critical points of each format where
// it is computable. It stops between backend calls once ctx is done and
// then returns ctx.Err().
func LayeredStudy(ctx context.Context, b engine.Backend, opts LayeredStudyOptions) (*LayeredStudyResult, error) {
	const study = "layered study"
	if opts.Dim == 0 {
		opts.Dim = 60
	}
	if opts.Layers == nil {
		opts.Layers = []int{1, 2, 3, 4, 5, 6}
	}
	if opts.Dim < 1 {
		return nil, fmt.Errorf("spinglass: %s: Dim %d: want >= 1 (0: 60)", study, opts.Dim)
	}
	if len(opts.Layers) == 0 {
		return nil, fmt.Errorf("spinglass: %s: Layers is empty: give at least one number of layers (nil: 1 to 6)", study)
	}
	for _, l := range opts.Layers {
		if l < 1 || l > opts.Dim {
			return nil, fmt.Errorf("spinglass: %s: Layers holds %d with Dim %d: want 1 <= layers <= Dim, every layer needs at least one dimension",
				study, l, opts.Dim)
		}
	}
	co, err := opts.Census.resolve(study, DefaultLayeredStarts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("spinglass: %s: nil backend", study)
	}
	start := time.Now()
	res := &LayeredStudyResult{Model: "layered", Dim: opts.Dim, Seed: opts.Seed, MinimaStarts: co.MinimaStarts, SaddleStarts: co.SaddleStarts,
		Tol: co.Tol, Backend: b.Info().Backend}
	per := co.MinimaStarts + co.SaddleStarts
	for i, l := range opts.Layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row, err := layeredRow(ctx, b, opts.Dim, l, opts.Seed, co, func(done, total int) {
			if opts.Progress != nil {
				opts.Progress(i*per+done, len(opts.Layers)*per)
			}
		})
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, row)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// layeredRow runs the census at one number of layers.
func layeredRow(ctx context.Context, b engine.Backend, dim, l int, seed uint64, co StudyCensusOptions, progress func(done, total int)) (LayeredStudyRow, error) {
	dims, err := SplitDims(dim, l)
	if err != nil {
		return LayeredStudyRow{}, err
	}
	t0 := time.Now()
	m, err := NewLayered(b, dims, seed)
	if err != nil {
		return LayeredStudyRow{}, fmt.Errorf("%d layers: %w", l, err)
	}
	c, err := census(ctxModel{m, ctx}, co.census(seed, progress))
	m.Close()
	if err != nil {
		return LayeredStudyRow{}, fmt.Errorf("%d layers: %w", l, err)
	}
	row := LayeredStudyRow{Layers: l, Dims: dims, Starts: co.MinimaStarts + co.SaddleStarts, Converged: c.Converged, Failed: c.Failed,
		Distinct: len(c.Points), Minima: rangeOf(c.Minima()), Seconds: time.Since(t0).Seconds(), Points: c.Points}
	if row.Points == nil {
		row.Points = []CriticalPoint{}
	}
	row.Saddles = row.Distinct - row.Minima.Count
	if len(c.Points) > 0 {
		row.UGround = c.Points[0].Energy
		for _, p := range c.Points {
			row.MeanIndex += float64(p.Index)
		}
		row.MeanIndex /= float64(len(c.Points))
	}
	if fo, err := SingularTupleCount(dims); err == nil {
		row.ComplexCriticalPoints = fo.String()
	}
	return row, nil
}
