package manifold

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// PropagateOptions describe pairs of inputs sent through one random
// network (Poole et al. 2016, figure 2). The zero value of every field but
// Net is the default its comment names.
type PropagateOptions struct {
	// Net is the network (required, input width at least 2).
	Net *models.RandomNetwork
	// Q is the inputs' squared length per coordinate; 0 means q*, the fixed
	// point of the mean-field length map of Net's activation and scales.
	Q float64
	// C0 are the input correlations, each in [-1, 1]; nil means 0.2, 0.5,
	// 0.8.
	C0 []float64
	// Pairs is the number of independent pairs per correlation; 0 means 20.
	Pairs int
	// Seed names the inputs (PairStream).
	Seed uint64
}

// PropagateLayer is one layer's measured length and correlations beside
// the mean-field maps. Index k of C, CStd and CTheory belongs to C0[k].
type PropagateLayer struct {
	Layer int `json:"layer"`
	// Q is the mean of |h|^2/N over both inputs of every pair of every c0;
	// QTheory is the length map iterated from the input's q (nil where the
	// map fails or Net is not all dense).
	Q       float64  `json:"q"`
	QTheory *float64 `json:"q_theory"`
	// C is the mean correlation over the pairs, CStd its standard deviation
	// over the pairs, CTheory the covariance map's c^l (nil entries as for
	// QTheory).
	C       []float64  `json:"c"`
	CStd    []float64  `json:"c_std"`
	CTheory []*float64 `json:"c_theory"`
}

// PropagateResult is the outcome of Propagate.
type PropagateResult struct {
	Activation string           `json:"activation"`
	SigmaW     float64          `json:"sigma_w"`
	SigmaB     float64          `json:"sigma_b"`
	Width      int              `json:"width"`
	Depth      int              `json:"depth"`
	Weights    string           `json:"weights"` // the weight law
	Seed       uint64           `json:"seed"`
	QInput     float64          `json:"q_input"` // Options.Q, or q*
	C0         []float64        `json:"c0"`
	Pairs      int              `json:"pairs"`
	DType      string           `json:"dtype"`  // the precision the run computed in
	Layers     []PropagateLayer `json:"layers"` // layers 0 (the input) to Depth
}

// PropagateMemory is the memory Propagate takes at its peak for width N,
// k correlations and P pairs each, in bytes: 8 (N^2 + 6 N C) for a
// layer's weights and the C = 2 k P input columns (on the host and the
// backend, in and out of each layer with their activations), times 1.1,
// plus 40 MiB for the program. Measured peaks (resident set) at widths 300
// to 6000 and 60 to 30000 columns were 0.75 to 0.85 times it.
func PropagateMemory(N, k, P int) int64 {
	n, c := float64(N), 2*float64(k)*float64(P)
	return memory.Bytes(1.1*8*(n*n+6*n*c) + 40<<20)
}

// Propagate sends opts.Pairs pairs of inputs of squared length N q and
// correlation exactly c0, for each c0 in opts.C0, through opts.Net
// (PropagatePairs), and returns per layer the measured q^l and c^l beside
// their mean-field trajectories: q^l by the length map from q, c^l by the
// covariance map (meanfield.Model.CorrelationTrajectory).
func Propagate(ctx context.Context, b engine.Backend, opts PropagateOptions) (*PropagateResult, error) {
	net := opts.Net
	if net == nil {
		return nil, &options.Error{Op: "manifold.Propagate", Field: "Net", Value: nil, Want: "want a random network (models.NewRandomNetwork)"}
	}
	if opts.C0 == nil {
		opts.C0 = []float64{0.2, 0.5, 0.8}
	}
	if opts.Pairs == 0 {
		opts.Pairs = 20
	}
	if opts.Pairs < 1 {
		return nil, &options.Error{Op: "manifold.Propagate", Field: "Pairs", Value: opts.Pairs, Want: "want at least 1"}
	}
	if len(opts.C0) == 0 {
		return nil, &options.Error{Op: "manifold.Propagate", Field: "C0", Value: opts.C0, Want: "want at least one correlation"}
	}
	for _, c0 := range opts.C0 {
		if !(c0 >= -1 && c0 <= 1) {
			return nil, &options.Error{Op: "manifold.Propagate", Field: "C0", Value: opts.C0, Want: fmt.Sprintf("correlation %v outside [-1, 1]", c0)}
		}
	}
	q0, err := inputLength(net, opts.Q)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := memory.Check(PropagateMemory(net.Width(0), len(opts.C0), opts.Pairs), fmt.Sprintf("propagate at width %d with %d pairs per correlation", net.Width(0), opts.Pairs)); err != nil {
		return nil, fmt.Errorf("propagate: %w: lower the width or --pairs", err)
	}
	spec := net.Spec()
	L, cs := net.Depth(), opts.C0
	meas, err := PropagatePairs(b, net, q0, cs, opts.Pairs, opts.Seed)
	if err != nil {
		return nil, err
	}
	res := &PropagateResult{DType: engine.DTypeOf(b).String(), Activation: spec.Act.Name, SigmaW: spec.SigmaW, SigmaB: spec.SigmaB, Width: net.Width(0), Depth: L,
		Weights: spec.Law.String(), Seed: opts.Seed, QInput: q0, C0: cs, Pairs: opts.Pairs}
	// Mean field: q^l by the length map, c^l by the covariance map.
	qth := make([]*float64, L+1)
	cth := make([][]float64, len(cs))
	if allDense(net) {
		mf, err := meanfield.New(spec.Act, spec.SigmaW, spec.SigmaB, meanfield.Options{})
		if err != nil {
			return nil, err
		}
		qth[0] = &q0
		for l := 1; l <= L; l++ {
			if qth[l-1] == nil {
				break
			}
			if v, err := mf.LengthMap(*qth[l-1]); err == nil {
				qth[l] = &v
			}
		}
		for k, c0 := range cs {
			if traj, err := mf.CorrelationTrajectory(q0, c0, L); err == nil {
				cth[k] = traj
			}
		}
	}
	for l := 0; l <= L; l++ {
		row := PropagateLayer{Layer: l, QTheory: qth[l]}
		// q is averaged over every pair of every c0.
		qs := 0.0
		for k := range cs {
			qs += meas[k][l].Q
		}
		row.Q = qs / float64(len(cs))
		for k := range cs {
			row.C = append(row.C, meas[k][l].C)
			row.CStd = append(row.CStd, meas[k][l].CStd)
			var th *float64
			if cth[k] != nil {
				th = &cth[k][l]
			}
			row.CTheory = append(row.CTheory, th)
		}
		res.Layers = append(res.Layers, row)
	}
	return res, nil
}

// allDense reports whether every layer of net is dense (the mean-field
// maps describe those).
func allDense(net *models.RandomNetwork) bool {
	spec := net.Spec()
	for l := 1; l <= net.Depth(); l++ {
		if spec.Kind(l) != layerkind.Dense {
			return false
		}
	}
	return true
}

// inputLength returns q when it is positive and otherwise (q = 0) q*, the
// fixed point of the mean-field length map of net's activation and scales
// started at q = 1.
func inputLength(net *models.RandomNetwork, q float64) (float64, error) {
	if q > 0 && !math.IsInf(q, 0) {
		return q, nil
	}
	if q != 0 {
		return 0, &options.Error{Op: "manifold.Propagate", Field: "Q", Value: q, Want: "want a finite q > 0, or 0 for q*"}
	}
	spec := net.Spec()
	mf, err := meanfield.New(spec.Act, spec.SigmaW, spec.SigmaB, meanfield.Options{})
	if err != nil {
		return 0, err
	}
	fp, err := mf.FixedLength(1)
	if err != nil {
		if errors.Is(err, meanfield.ErrNoFixedPoint) {
			return 0, &options.Error{Op: "manifold.Propagate", Field: "Q", Value: 0.0, Want: fmt.Sprintf("0 asks for q*, which does not exist here (%v): give a q > 0", err)}
		}
		return 0, err
	}
	if fp.Q == 0 {
		return 0, &options.Error{Op: "manifold.Propagate", Field: "Q", Value: 0.0, Want: "0 asks for q*, which is 0 here (the length map sends every input to 0): give a q > 0"}
	}
	return fp.Q, nil
}
