package manifold

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// CurvatureOptions configure Curvature. The zero value runs Poole et al.'s
// chaotic example but for the biases (tanh, sigma_w = 4, width 1000, depth
// 20, 500 points; their sigma_b = 0.3 must be given).
type CurvatureOptions struct {
	// Activation names the activation (activation.Names()); "" means tanh.
	Activation string
	// SigmaW is the weight scale, W_ij ~ N(0, SigmaW^2 / N); 0 means 4.
	SigmaW float64
	// SigmaB is the bias standard deviation; 0 means no biases.
	SigmaB float64
	// Width is the width N of every layer (at least 2); 0 means 1000. With
	// a user Curve the input width is the curve's and Width is that of the
	// layers.
	Width int
	// Depth is the number of layers (at least 1); 0 means 20.
	Depth int
	// Weights is the weight law; the zero value is Gaussian.
	Weights models.WeightLaw
	// Kinds are the layers' kinds, cycled over the depth; nil means all
	// dense. Mean field describes dense layers only: the theory columns are
	// null at and after the first layer that is not dense.
	Kinds []layerkind.Kind
	// TokenDim is the token dimension D of attention layers (it must divide
	// Width); unused without them.
	TokenDim int
	// Residual adds each attention layer's input to its output.
	Residual bool
	// Points is the number of points on the great circle (at least 3); 0
	// means 500. Unused with a user Curve.
	Points int
	// Chunk is the number of points per batch; 0 means all in one batch.
	// The principal components and the autocorrelation need one batch and
	// are left out otherwise.
	Chunk int
	// StoreWeights says where the network's weights live while the chunks
	// run: StoreAuto (the default, ""), StoreAlways or StoreNever. The
	// results are the same either way; CurvatureResult.WeightsStored says
	// which it was.
	StoreWeights string
	// Q is the great circle's squared length per coordinate; 0 means q*,
	// the fixed point of the length map reached from q = 1.
	Q float64
	// Curve, when set, is measured instead of a great circle, fed in as
	// layer 0 (a pre-activation). Mean field predicts circles only, so the
	// result has no theory columns.
	Curve *Curve
	// Seed draws the network's weights and the circle's plane.
	Seed uint64
	// Figure also computes what report.CurvaturePlot draws beyond the
	// rows: the autocorrelation beside mean field and the principal
	// projections at three layers (the mean-field autocorrelation takes
	// several hundred 2-D integrals, about a second).
	Figure bool
	// Progress, when set, is called after each layer of each chunk with
	// the number of layer passes done and the total.
	Progress options.Progress
}

// CurvatureLayer is one layer of a curvature run, measured and predicted
// by mean field. The theory fields are nil where mean field has no
// prediction; PCA95 is nil when the curve ran in chunks.
type CurvatureLayer struct {
	Layer int     `json:"layer"`
	Q     float64 `json:"q"`
	// QTheory is q^l of the length map.
	QTheory *float64 `json:"q_theory"`
	// Length is the Euclidean length L^E; LengthTheory is sqrt(N) times
	// the mean-field L^E / sqrt(N).
	Length       float64  `json:"length"`
	LengthTheory *float64 `json:"length_theory"`
	// KappaBar is the mean over points of kbar = sqrt(N) kappa.
	KappaBar       float64  `json:"kappa_bar"`
	KappaBarTheory *float64 `json:"kappa_bar_theory"`
	// GrassmannLength is L^G, the length of the unit tangent's path.
	GrassmannLength       float64  `json:"grassmann_length"`
	GrassmannLengthTheory *float64 `json:"grassmann_length_theory"`
	// PCA95 is the number of principal components that hold 95% of the
	// points' variance.
	PCA95 *int `json:"pca95"`
}

// CurvatureAutocorrelation is c(dtheta) along the curve at one layer:
// every stride-th offset of LayerStats.Autocorr (about 25 of them), and
// the mean-field correlation c^l of two inputs at q^0 = q_input and
// c^0 = cos dtheta, nil where mean field has no prediction.
type CurvatureAutocorrelation struct {
	Layer    int
	Offsets  []float64 // dtheta
	Measured []float64
	Theory   []float64
}

// CurvatureProjection is a layer's image of the curve on its first two
// principal components.
type CurvatureProjection struct {
	Layer    int
	PC1, PC2 []float64
}

// CurvatureResult is a curvature run: the network, the input, and per
// layer the measures against mean field (Poole et al. 2016, figures 3 and
// 4). The JSON document holds the description and Layers; the fields
// tagged "-" are the rest of the figure's data.
type CurvatureResult struct {
	Activation string  `json:"activation"`
	SigmaW     float64 `json:"sigma_w"`
	SigmaB     float64 `json:"sigma_b"`
	Width      int     `json:"width"`
	Depth      int     `json:"depth"`
	Points     int     `json:"points"`
	Weights    string  `json:"weights"`
	// Kinds is the pattern of layer kinds as a comma list (empty: all
	// dense); TokenDim and Residual are set with it.
	Kinds    string `json:"kinds,omitempty"`
	TokenDim int    `json:"token_dim,omitempty"`
	Residual bool   `json:"residual,omitempty"`
	Seed     uint64 `json:"seed"`
	// QInput is the circle's squared length per coordinate (0 for a user
	// curve).
	QInput  float64 `json:"q_input"`
	Backend string  `json:"backend"`
	// DType is the precision the run computed in ("float64" or
	// "float32": the backend's, engine.DTypeOf).
	DType string `json:"dtype"`
	// WeightsStored reports that the weights were kept on the backend
	// for the whole run (CurvatureOptions.StoreWeights) rather than drawn
	// per layer at every chunk.
	WeightsStored bool `json:"weights_stored"`
	// Seconds is the time the pass through the network took.
	Seconds float64          `json:"seconds"`
	Layers  []CurvatureLayer `json:"layers"`

	// NoTheory says why a great circle has no mean-field columns (the
	// prediction left the float64 range, say); "" when it has them.
	NoTheory string `json:"-"`
	// Closed reports a closed curve (a great circle always is).
	Closed bool `json:"-"`
	// Stats are the full measures of the input (layer 0) and every layer.
	Stats []LayerStats `json:"-"`
	// Autocorrelations and Projections are at three layers spread over the
	// depth (Poole's 5, 10 and 15 of 20: Depth/4, Depth/2, 3 Depth/4, at
	// least 1); empty without CurvatureOptions.Figure or when the curve ran
	// in chunks.
	Autocorrelations []CurvatureAutocorrelation `json:"-"`
	Projections      []CurvatureProjection      `json:"-"`
}

// ErrNoQStar is matched (errors.Is) by Curvature's error when Q is 0 and
// the length map has no usable fixed point q* (none, or q* = 0): the
// circle's length must then be given.
var ErrNoQStar = errors.New("no usable fixed point q* of the length map")

// points is the number of points the run measures.
func (o CurvatureOptions) points() int {
	if o.Curve != nil {
		return o.Curve.Points
	}
	return o.Points
}

// MemoryEstimate is the memory a run with these options (defaults filled
// in) takes at its peak, in bytes: 8 (12 N B + N^2 + (L + 4) B'^2) for
// width N, B points, depth L and B' = B when the points run in one batch
// (the Gram matrix of every layer is kept for the principal components,
// and the last one is eigendecomposed with its vectors) and 0 with
// --chunk, the curve and its jets on the host and the backend and a
// layer's weights; times 1.6 for the garbage collector's headroom, plus 40
// MiB for the program. Measured peaks (resident set) at widths 200 to 4000,
// 100 to 2000 points and depths 3 to 20 were 0.7 to 1.05 times it.
func (o CurvatureOptions) MemoryEstimate() int64 {
	N, B, L := float64(o.Width), float64(o.points()), float64(o.Depth)
	if o.Curve != nil {
		N = max(N, float64(o.Curve.Width))
	}
	gram := B
	if o.Chunk > 0 && float64(o.Chunk) < B {
		gram = 0
	}
	live := 8 * (12*N*B + N*N + (L+4)*gram*gram)
	return memory.Bytes(1.6*live + 40<<20)
}

// Curvature pushes a great circle (or opts.Curve) through a deep random
// network as second-order jets and returns per layer the measured and
// predicted q, Euclidean length, kbar = sqrt(N) kappa and Grassmannian
// length, the number of principal components that hold 95% of the
// variance, and the autocorrelation and principal-component projections at
// three layers (Poole et al. 2016).
func Curvature(ctx context.Context, b engine.Backend, opts CurvatureOptions) (*CurvatureResult, error) {
	o, act, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	inWidth := 0
	if o.Curve != nil {
		if err := o.Curve.Check(); err != nil {
			return nil, fmt.Errorf("curvature: Curve: %w", err)
		}
		inWidth = o.Curve.Width
	}
	if err := memory.Check(o.MemoryEstimate(), fmt.Sprintf("curvature at width %d, depth %d, %d points", o.Width, o.Depth, o.points())); err != nil {
		return nil, fmt.Errorf("curvature: %w: lower --points (the Gram matrix of the points grows as their square), --width or --depth, or give --chunk to drop the principal components", err)
	}
	net, err := curvatureNet(o, act, inWidth)
	if err != nil {
		return nil, err
	}
	mf, err := meanfield.New(act, o.SigmaW, o.SigmaB, meanfield.Options{})
	if err != nil {
		return nil, fmt.Errorf("curvature: %w", err)
	}
	c, q0 := o.Curve, 0.0
	if c == nil {
		if q0, err = curvatureInputQ(mf, o.Q); err != nil {
			return nil, err
		}
		if c, err = Circle(o.Width, o.Points, q0, o.Seed); err != nil {
			return nil, fmt.Errorf("curvature: %w", err)
		}
	}
	res := &CurvatureResult{Activation: act.Name, SigmaW: o.SigmaW, SigmaB: o.SigmaB, Width: o.Width, Depth: o.Depth,
		Points: c.Points, Weights: o.Weights.String(), Seed: o.Seed, QInput: q0, Backend: b.Info().Backend, DType: engine.DTypeOf(b).String(), Closed: c.Closed}
	if o.Kinds != nil {
		names := make([]string, len(o.Kinds))
		for i, k := range o.Kinds {
			names[i] = k.String()
		}
		res.Kinds, res.TokenDim, res.Residual = strings.Join(names, ","), o.TokenDim, o.Residual
	}
	start := time.Now()
	// The figure projects three layers on their principal components;
	// every other layer needs only the components' variances.
	picks := []int{max(1, o.Depth/4), max(1, o.Depth/2), max(1, 3*o.Depth/4)}
	var project []int
	if o.Figure {
		project = picks
	}
	chunk := o.Chunk
	if chunk <= 0 || chunk > c.Points {
		chunk = c.Points
	}
	stored, release, err := StoreWeights(b, net, o.StoreWeights, chunk < c.Points)
	if err != nil {
		return nil, fmt.Errorf("curvature: %w", err)
	}
	defer release()
	res.WeightsStored = stored
	store := StoreNever // the choice is made: Simulate finds them stored, or draws them
	if stored {
		store = StoreAuto
	}
	stats, err := Simulate(ctx, b, net, c, SimOptions{Chunk: o.Chunk, Gram: true, Progress: o.Progress, Project: project, StoreWeights: store})
	if err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	res.Stats = stats

	var theory []meanfield.CircleLayer
	if o.Curve == nil {
		if theory, err = mf.Circle(q0, o.Depth); err != nil {
			res.NoTheory, theory = err.Error(), nil
		}
	}
	noTheoryFrom := curvatureFirstNonDense(o.Kinds, o.Depth)
	sqrtN := math.Sqrt(float64(o.Width))
	for _, s := range stats {
		row := CurvatureLayer{Layer: s.Layer, Q: s.Q, Length: s.Length, KappaBar: s.KappaBar, GrassmannLength: s.GrassmannLength}
		if s.PCA != nil {
			row.PCA95 = &s.PCA95
		}
		if theory != nil && s.Layer < noTheoryFrom {
			th := theory[s.Layer]
			lt := sqrtN * th.Length
			row.QTheory, row.LengthTheory = &th.Q, &lt
			row.KappaBarTheory, row.GrassmannLengthTheory = &th.Kbar, &th.GrassmannLength
		}
		res.Layers = append(res.Layers, row)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !o.Figure {
		return res, nil
	}
	for _, l := range picks {
		if ac, ok := curvatureAutocorrelation(mf, res, c, l); ok {
			res.Autocorrelations = append(res.Autocorrelations, ac)
		}
	}
	for _, l := range picks {
		if s := stats[l]; s.Projections[0] != nil {
			res.Projections = append(res.Projections, CurvatureProjection{Layer: l, PC1: s.Projections[0], PC2: s.Projections[1]})
		}
	}
	return res, nil
}

// withDefaults fills in the documented defaults and checks the options.
func (o CurvatureOptions) withDefaults() (CurvatureOptions, activation.Func, error) {
	if o.Activation == "" {
		o.Activation = "tanh"
	}
	if o.SigmaW == 0 {
		o.SigmaW = 4
	}
	if o.Width == 0 {
		o.Width = 1000
	}
	if o.Depth == 0 {
		o.Depth = 20
	}
	if o.Points == 0 {
		o.Points = 500
	}
	act, err := activation.Lookup(o.Activation)
	if err != nil {
		return o, act, fmt.Errorf("curvature: Activation: %w", err)
	}
	switch {
	case o.Width < 2:
		return o, act, fmt.Errorf("curvature: Width %d: want at least 2", o.Width)
	case o.Depth < 1:
		return o, act, fmt.Errorf("curvature: Depth %d: want at least 1", o.Depth)
	case o.Curve == nil && o.Points < 3:
		return o, act, fmt.Errorf("curvature: Points %d: want at least 3 points on the circle", o.Points)
	case o.Chunk < 0:
		return o, act, fmt.Errorf("curvature: Chunk %d: want >= 0 (0: all points in one batch)", o.Chunk)
	case o.StoreWeights != "" && o.StoreWeights != StoreAuto && o.StoreWeights != StoreAlways && o.StoreWeights != StoreNever:
		return o, act, fmt.Errorf("curvature: StoreWeights %q: want auto, always or never", o.StoreWeights)
	case o.Q < 0 || math.IsNaN(o.Q) || math.IsInf(o.Q, 0):
		return o, act, fmt.Errorf("curvature: Q %v: want a finite q > 0 (or 0 for q*)", o.Q)
	case o.Weights != models.Gaussian && o.Weights != models.Orthogonal:
		return o, act, fmt.Errorf("curvature: Weights %d: want models.Gaussian or models.Orthogonal", int(o.Weights))
	}
	return o, act, nil
}

// curvatureNet builds the random network of the options; inWidth, when
// not 0, is the input's width (a user curve's).
func curvatureNet(o CurvatureOptions, act activation.Func, inWidth int) (*models.RandomNetwork, error) {
	widths := models.UniformWidths(o.Width, o.Depth)
	if inWidth > 0 {
		widths[0] = inWidth
	}
	var kinds []layerkind.Kind
	if len(o.Kinds) > 0 {
		kinds = make([]layerkind.Kind, o.Depth)
		for i := range kinds {
			kinds[i] = o.Kinds[i%len(o.Kinds)]
		}
	}
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: widths, Act: act, SigmaW: o.SigmaW, SigmaB: o.SigmaB,
		Law: o.Weights, Seed: o.Seed, ActivateInput: true, Kinds: kinds, TokenDim: o.TokenDim, Residual: o.Residual})
	if err != nil {
		if o.Kinds != nil {
			return nil, fmt.Errorf("curvature: Kinds/TokenDim: %w", err)
		}
		return nil, fmt.Errorf("curvature: %w", err)
	}
	return net, nil
}

// curvatureFirstNonDense is the first layer (1..depth) whose kind, cycled
// from kinds, is not dense; depth + 1 when all are.
func curvatureFirstNonDense(kinds []layerkind.Kind, depth int) int {
	if len(kinds) > 0 {
		for l := 1; l <= depth; l++ {
			if kinds[(l-1)%len(kinds)] != layerkind.Dense {
				return l
			}
		}
	}
	return depth + 1
}

// curvatureInputQ is the circle's q: q when given, else q* reached from
// q = 1.
func curvatureInputQ(mf *meanfield.Model, q float64) (float64, error) {
	if q > 0 {
		return q, nil
	}
	fp, err := mf.FixedLength(1)
	if err != nil {
		if errors.Is(err, meanfield.ErrNoFixedPoint) {
			return 0, fmt.Errorf("curvature: Q = 0 asks for q*: %w: %w; give the circle's length Q", ErrNoQStar, err)
		}
		return 0, fmt.Errorf("curvature: q*: %w", err)
	}
	if fp.Q == 0 {
		return 0, fmt.Errorf("curvature: Q = 0 asks for q*: %w: q* = 0 here (the length map sends every input to 0); give the circle's length Q", ErrNoQStar)
	}
	return fp.Q, nil
}

// curvatureAutocorrelation samples layer l's autocorrelation at about 25
// offsets, with the mean-field correlation at each where the layer has a
// prediction; ok is false when the curve ran in chunks.
func curvatureAutocorrelation(mf *meanfield.Model, res *CurvatureResult, c *Curve, l int) (CurvatureAutocorrelation, bool) {
	s := res.Stats[l]
	if s.Autocorr == nil {
		return CurvatureAutocorrelation{}, false
	}
	ac := CurvatureAutocorrelation{Layer: l}
	step := c.Step()
	stride := max(1, len(s.Autocorr)/25)
	withTheory := res.Layers[l].QTheory != nil
	for k := 0; k < len(s.Autocorr); k += stride {
		ac.Offsets = append(ac.Offsets, float64(k)*step)
		ac.Measured = append(ac.Measured, s.Autocorr[k])
		if !withTheory {
			continue
		}
		traj, err := mf.CorrelationTrajectory(res.QInput, math.Cos(float64(k)*step), l)
		if err != nil {
			withTheory, ac.Theory = false, nil
			continue
		}
		ac.Theory = append(ac.Theory, traj[l])
	}
	return ac, true
}
