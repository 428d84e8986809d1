package manifold

import (
	"context"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// SimOptions control a curve's pass through a network.
type SimOptions struct {
	// Chunk is the number of points per batch (0: all at once). The
	// principal components and autocorrelation need the whole curve in one
	// batch and are left out otherwise.
	Chunk     int
	Gram      bool
	KeepKappa bool
	// Project lists the layers whose points are projected on their top
	// principal components (LayerStats.Projections); the other layers get
	// the components' variances only, which need no eigenvectors.
	Project []int
	// StoreWeights says where the network's weights live (StoreAuto,
	// StoreAlways, StoreNever; "" is StoreAuto): stored weights are drawn
	// once for all chunks.
	StoreWeights string
	// Progress, when set, is called after each layer of each chunk with the
	// number of layer passes done and the total.
	Progress options.Progress
}

// Simulate pushes curve c through net as second-order jets, chunk by chunk,
// and returns the measures of the input (layer 0) and of every layer. It
// checks ctx after every layer of every chunk.
func Simulate(ctx context.Context, b engine.Backend, net *models.RandomNetwork, c *Curve, opt SimOptions) ([]LayerStats, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if net.Width(0) != c.Width {
		return nil, fmt.Errorf("simulate: the curve lives in %d dimensions, the network's input has %d", c.Width, net.Width(0))
	}
	chunk := opt.Chunk
	if chunk <= 0 || chunk > c.Points {
		chunk = c.Points
	}
	rec := NewRecorder(b, c, RecorderOptions{Gram: opt.Gram && chunk == c.Points, KeepKappa: opt.KeepKappa, Project: opt.Project})
	B := c.Points
	chunks := (B + chunk - 1) / chunk
	// Every chunk runs the whole network: with more than one, draw its
	// weights once.
	_, release, err := StoreWeights(b, net, opt.StoreWeights, chunks > 1)
	if err != nil {
		return nil, err
	}
	defer release()
	total, done := chunks*(net.Depth()+1), 0
	obs := func(layer int, h engine.Buffer, width, cols int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := rec.Observe(layer, h, width, cols); err != nil {
			return err
		}
		done++
		if opt.Progress != nil {
			opt.Progress(done, total)
		}
		return nil
	}
	for off := 0; off < B; off += chunk {
		n := min(chunk, B-off)
		in, err := uploadJet(b, c, off, n)
		if err != nil {
			return nil, err
		}
		if err := rec.SetChunk(off, n); err != nil {
			b.Free(in)
			return nil, err
		}
		out, err := net.Run(b, in, n, models.RunOptions{Jet: true}, obs)
		b.Free(in)
		if err != nil {
			return nil, err
		}
		b.Free(out)
	}
	return rec.Stats()
}

// uploadJet returns the points [off, off+n) of c as an N x 3n jet matrix
// [h | v | a] on b, each part uploaded from the curve's own arrays: no host
// copy of the jet is made (at width 4096 and 1000 points one is 98 MB).
func uploadJet(b engine.Backend, c *Curve, off, n int) (engine.Buffer, error) {
	N := c.Width
	in, err := b.Alloc(engine.DTypeOf(b), 3*N*n)
	if err != nil {
		return nil, err
	}
	for k, part := range [3][]float64{c.H, c.V, c.A} {
		dst, err := b.Slice(in, k*N*n, N*n)
		if err == nil {
			err = b.Upload(dst, part[off*N:(off+n)*N])
		}
		if err != nil {
			b.Free(in)
			return nil, err
		}
	}
	return in, nil
}

// PairLayer is the measured propagation of input pairs at one layer.
type PairLayer struct {
	Layer int
	// Q is the mean of |h|^2 / N over both inputs of every pair.
	Q float64
	// C is the mean over pairs of h1.h2 / (|h1| |h2|), and CStd the
	// standard deviation over pairs.
	C, CStd float64
}

// PairStream is the Philox stream of the pair inputs' random directions.
const PairStream = uint64(1)<<62 + 1

// PropagatePairs sends `pairs` independent pairs of inputs of squared
// length N q0 and correlation exactly c0 through net, for each c0 in c0s,
// and returns for each c0 the measured q^l and c^l at layers 0..L. The pair
// (x1, x2) is sqrt(N q0) (u, c0 u + sqrt(1 - c0^2) w) with u, w orthonormal
// random directions, so the empirical c^0 is c0 to rounding.
func PropagatePairs(b engine.Backend, net *models.RandomNetwork, q0 float64, c0s []float64, pairs int, seed uint64) ([][]PairLayer, error) {
	N := net.Width(0)
	if pairs < 1 || len(c0s) == 0 {
		return nil, fmt.Errorf("pairs: %d pairs of %d correlations; want at least one of each", pairs, len(c0s))
	}
	if !(q0 > 0) || math.IsInf(q0, 0) {
		return nil, fmt.Errorf("pairs: q0 = %v; want a finite q0 > 0", q0)
	}
	if N < 2 {
		return nil, fmt.Errorf("pairs: input width %d; two independent directions need at least 2", N)
	}
	for _, c0 := range c0s {
		if !(c0 >= -1 && c0 <= 1) {
			return nil, fmt.Errorf("pairs: correlation %v outside [-1, 1]", c0)
		}
	}
	P := pairs * len(c0s) // pairs in the batch; columns 2p and 2p+1 form pair p
	x := make([]float64, 2*P*N)
	r := math.Sqrt(float64(N) * q0)
	dirs := make([]float64, 2*N)
	for p := 0; p < P; p++ {
		c0 := c0s[p/pairs]
		rng.FillNormal(dirs, seed, PairStream, uint64(p)*uint64(2*N))
		u, w := dirs[:N], dirs[N:]
		if err := orthonormalise(u, w); err != nil {
			return nil, fmt.Errorf("pairs: %w", err)
		}
		s := math.Sqrt(max(0, 1-c0*c0))
		x1, x2 := x[2*p*N:(2*p+1)*N], x[(2*p+1)*N:(2*p+2)*N]
		for i := 0; i < N; i++ {
			x1[i] = r * u[i]
			x2[i] = r * (c0*u[i] + s*w[i])
		}
	}
	out := make([][]PairLayer, len(c0s))
	obs := func(layer int, h engine.Buffer, width, cols int) error {
		dots, err := b.Alloc(engine.DTypeOf(b), 2*P+P)
		if err != nil {
			return err
		}
		defer b.Free(dots)
		norms, _ := b.Slice(dots, 0, 2*P)
		cross, _ := b.Slice(dots, 2*P, P)
		if err := b.ColumnDots(width, 2*P, h, width, h, width, norms); err != nil {
			return err
		}
		// h2 of pair p is the column after h1: a matrix of P columns with
		// leading dimension 2N starting at h1, against the same at h2.
		h2, err := b.Slice(h, width, width*(2*P-1))
		if err != nil {
			return err
		}
		if err := b.ColumnDots(width, P, h, 2*width, h2, 2*width, cross); err != nil {
			return err
		}
		host := make([]float64, 3*P)
		if err := b.Download(host, dots); err != nil {
			return err
		}
		for k := range c0s {
			var q, c, c2 float64
			for p := k * pairs; p < (k+1)*pairs; p++ {
				n1, n2 := host[2*p], host[2*p+1]
				q += n1 + n2
				cc := host[2*P+p] / math.Sqrt(n1*n2)
				c += cc
				c2 += cc * cc
			}
			n := float64(pairs)
			mean := c / n
			out[k] = append(out[k], PairLayer{Layer: layer, Q: q / (2 * n * float64(width)), C: mean, CStd: math.Sqrt(max(0, c2/n-mean*mean))})
		}
		return nil
	}
	in, err := engine.FromHost(b, x)
	if err != nil {
		return nil, err
	}
	defer b.Free(in)
	res, err := net.Run(b, in, 2*P, models.RunOptions{}, obs)
	if err != nil {
		return nil, err
	}
	b.Free(res)
	return out, nil
}

// Where a random network's weights live while it runs (SimOptions and
// CurvatureOptions StoreWeights). Either way the numbers are the same, bit
// for bit; storing only saves drawing them again when the network runs
// more than once (a curve in chunks, a bisection).
const (
	// StoreAuto stores the weights on the backend when the network runs
	// more than once and they take at most half of the memory the process
	// can still take; otherwise each layer's weights are drawn when it
	// runs. The default ("" means it too).
	StoreAuto = "auto"
	// StoreAlways stores them (an error when the memory is not there).
	StoreAlways = "always"
	// StoreNever draws each layer's weights when the layer runs, so that
	// memory holds one layer's weights at a time.
	StoreNever = "never"
)

// StoreWeights keeps net's weights on b according to mode (StoreAuto,
// StoreAlways, StoreNever; "" is StoreAuto) for a network that runs more
// than once when reruns is set, and reports whether they are on the
// backend. release frees what it stored (nothing when they were there
// already).
func StoreWeights(b engine.Backend, net *models.RandomNetwork, mode string, reruns bool) (stored bool, release func(), err error) {
	none := func() {}
	switch mode {
	case "", StoreAuto:
		if net.Stored() {
			return true, none, nil
		}
		if !reruns || memory.Check(2*net.StoredBytes(), "the network's weights") != nil {
			return false, none, nil
		}
	case StoreAlways:
		if net.Stored() {
			return true, none, nil
		}
		if err := memory.Check(net.StoredBytes(), "the network's weights"); err != nil {
			return false, nil, fmt.Errorf("store weights: %w: let them be drawn per layer (StoreNever, --store-weights never)", err)
		}
	case StoreNever:
		return false, none, nil
	default:
		return false, nil, &options.Error{Op: "manifold", Field: "StoreWeights", Value: mode, Want: "want auto, always or never"}
	}
	if err := net.Store(b); err != nil {
		return false, nil, err
	}
	return true, func() { net.Close() }, nil
}
