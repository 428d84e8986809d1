package manifold

import (
	"context"
	"fmt"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// MaxBoundaryWidth is the widest network DecisionBoundary takes: it forms
// an N x N Hessian per layer and point and diagonalises it on the host.
const MaxBoundaryWidth = 1000

// DecisionBoundaryOptions describe a decision-boundary curvature study of
// one random network (Poole et al. 2016, figure 4G). The zero value of
// every field but Net is the default its comment names.
type DecisionBoundaryOptions struct {
	// Net is the network (required): constant width, at most
	// MaxBoundaryWidth, dense or product layers.
	Net *models.RandomNetwork
	// Points is the number of boundary points; 0 means 10.
	Points int
	// Q is the squared length per coordinate of the random inputs whose
	// chords the boundary points are found on; 0 means q*, the fixed point
	// of the mean-field length map of Net's activation and scales.
	Q float64
	// Seed names the readout and the random inputs (BoundaryStream).
	Seed uint64
	// Progress, when set, is called after each point's curvatures.
	Progress options.Progress
}

// DecisionBoundaryLayer is the boundary seen from the input of one layer.
type DecisionBoundaryLayer struct {
	Layer int `json:"layer"`
	// Means over the points of the largest and smallest principal
	// curvature, and of the mean absolute principal curvature.
	MaxCurvature float64 `json:"max_curvature"`
	MinCurvature float64 `json:"min_curvature"`
	MeanAbs      float64 `json:"mean_abs_curvature"`
	// Curvatures[p] are the N-1 principal curvatures at point p, ascending;
	// MeanSpectrum[i] is the mean over points of Curvatures[p][i] (Poole's
	// figure 4G). Neither is in the JSON encoding.
	Curvatures   [][]float64 `json:"-"`
	MeanSpectrum []float64   `json:"-"`
}

// DecisionBoundaryResult is the outcome of DecisionBoundary. Its JSON fields
// are in alphabetical order, the order netgeom's boundary command has
// always printed them in.
type DecisionBoundaryResult struct {
	Activation string  `json:"activation"`
	Beta0      float64 `json:"beta0"` // the readout's threshold
	Depth      int     `json:"depth"`
	// Layers 0 (the input) to Depth.
	Layers []DecisionBoundaryLayer `json:"layers"`
	Points int                     `json:"points"`
	QInput float64                 `json:"q_input"` // Options.Q, or q*
	Seed   uint64                  `json:"seed"`
	SigmaB float64                 `json:"sigma_b"`
	SigmaW float64                 `json:"sigma_w"`
	Width  int                     `json:"width"`
	// Readout is the random readout G = Beta . phi(h^L) - Beta0; not in the
	// JSON encoding.
	Readout Readout `json:"-"`
}

// boundaryMemory bounds the memory of a decision-boundary study of P
// points through L layers of width N, in bytes: the candidates and the
// points, each point's N principal curvatures per layer, and a few N x N
// Hessians and their eigendecompositions at a time; plus 40 MiB for the
// program.
func boundaryMemory(N, L, P int) int64 {
	n, l, p := float64(N), float64(L), float64(P)
	return memory.Bytes(8*(2*p*(l+8)*n+8*n*n) + 40<<20)
}

// DecisionBoundary draws a random readout of opts.Net, finds opts.Points
// points on its decision boundary (BoundaryPoints) and measures there,
// for every layer, the principal curvatures of the boundary as a surface
// in the space of that layer's input (BoundaryCurvature). ctx is checked
// before each of the two stages.
func DecisionBoundary(ctx context.Context, b engine.Backend, opts DecisionBoundaryOptions) (*DecisionBoundaryResult, error) {
	net := opts.Net
	if net == nil {
		return nil, &options.Error{Op: "manifold.DecisionBoundary", Field: "Net", Value: nil, Want: "want a random network (models.NewRandomNetwork)"}
	}
	if N := net.Width(0); N > MaxBoundaryWidth {
		return nil, &options.Error{Op: "manifold.DecisionBoundary", Field: "Net width", Value: N, Want: fmt.Sprintf("want at most %d: the curvatures need an N x N Hessian per layer and point", MaxBoundaryWidth)}
	}
	if opts.Points == 0 {
		opts.Points = 10
	}
	if opts.Points < 1 {
		return nil, &options.Error{Op: "manifold.DecisionBoundary", Field: "Points", Value: opts.Points, Want: "want at least 1"}
	}
	if err := memory.Check(boundaryMemory(net.Width(0), net.Depth(), opts.Points), fmt.Sprintf("%d boundary points", opts.Points)); err != nil {
		return nil, fmt.Errorf("boundary: %w: use fewer points", err)
	}
	q, err := inputLength(net, opts.Q)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	spec := net.Spec()
	bo := BoundaryOptions{Points: opts.Points, Q: q, Seed: opts.Seed, Progress: opts.Progress}
	ro, pts, err := BoundaryPoints(b, net, bo)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	layers, err := BoundaryCurvature(b, net, ro, pts, bo)
	if err != nil {
		return nil, err
	}
	res := &DecisionBoundaryResult{Activation: spec.Act.Name, Beta0: ro.Beta0, Depth: net.Depth(), Points: opts.Points, QInput: q,
		Seed: opts.Seed, SigmaB: spec.SigmaB, SigmaW: spec.SigmaW, Width: net.Width(0), Readout: ro}
	for _, l := range layers {
		res.Layers = append(res.Layers, DecisionBoundaryLayer{Layer: l.Layer, MaxCurvature: l.MaxMean, MinCurvature: l.MinMean,
			MeanAbs: l.AbsMean, Curvatures: l.Curvatures, MeanSpectrum: meanSpectrum(l.Curvatures)})
	}
	return res, nil
}

// meanSpectrum averages the sorted principal curvatures index by index over
// the points.
func meanSpectrum(k [][]float64) []float64 {
	if len(k) == 0 {
		return nil
	}
	out := make([]float64, len(k[0]))
	for i := range out {
		for _, p := range k {
			out[i] += p[i] / float64(len(k))
		}
	}
	return out
}
