package manifold

import (
	"bytes"
	"fmt"
	"math"
	"sort"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/models"
)

// Path is a curve x(t), t in [0, 1], in a network's input space, along
// which CountAlongPath counts linear pieces and sign changes. A closed path
// has x(1) = x(0).
type Path struct {
	Width  int
	Closed bool
	// At writes x(t) into dst (length Width).
	At func(t float64, dst []float64)
}

// CirclePath is the great circle of Circle(width, ., q, seed) as a path:
// x(t) = sqrt(N q) (u0 cos 2 pi t + u1 sin 2 pi t), the same u0, u1.
func CirclePath(width int, q float64, seed uint64) (Path, error) {
	u0, u1, r, err := pathBasis(width, q, seed)
	if err != nil {
		return Path{}, fmt.Errorf("circle path: %w", err)
	}
	return Path{Width: width, Closed: true, At: func(t float64, dst []float64) {
		c, s := math.Cos(2*math.Pi*t), math.Sin(2*math.Pi*t)
		for i := range dst {
			dst[i] = r * (u0[i]*c + u1[i]*s)
		}
	}}, nil
}

// LinePath is the chord x(t) = sqrt(N q) ((1 - t) u0 + t u1) between two
// orthonormal random directions (those of CirclePath under the same seed)
// scaled to the sphere of squared radius N q: a straight segment of length
// sqrt(2 N q).
func LinePath(width int, q float64, seed uint64) (Path, error) {
	u0, u1, r, err := pathBasis(width, q, seed)
	if err != nil {
		return Path{}, fmt.Errorf("line path: %w", err)
	}
	return Path{Width: width, At: func(t float64, dst []float64) {
		for i := range dst {
			dst[i] = r * ((1-t)*u0[i] + t*u1[i])
		}
	}}, nil
}

func pathBasis(width int, q float64, seed uint64) (u0, u1 []float64, r float64, err error) {
	if width < 2 {
		return nil, nil, 0, fmt.Errorf("width %d; want at least 2", width)
	}
	if !(q > 0) || math.IsInf(q, 0) {
		return nil, nil, 0, fmt.Errorf("q = %v; want a finite q > 0", q)
	}
	u := make([]float64, 2*width)
	rng.FillNormal(u, seed, CircleStream, 0)
	u0, u1 = u[:width], u[width:]
	if err := orthonormalise(u0, u1); err != nil {
		return nil, nil, 0, err
	}
	return u0, u1, math.Sqrt(float64(width) * q), nil
}

// CountOptions control CountAlongPath.
type CountOptions struct {
	// Samples is the number of equally spaced parameter values t_k before
	// refinement (default 1000): k/Samples, k = 0..Samples (open paths) or
	// k = 0..Samples-1 (closed; the last interval ends at t = 1 = t_0).
	Samples int
	// Resolution is the parameter length at which bisection stops (default
	// 1e-9): an interval shorter than it whose ends differ counts as one
	// change.
	Resolution float64
	// Readout is the vector Beta of the scalar output G = Beta . phi(h^L)
	// whose sign changes are counted (nil: NewReadout(N_L, Seed)).
	Readout []float64
	Seed    uint64
	// Batch bounds the points pushed through the network at once (default
	// 2048).
	Batch int
}

// CountResult is what CountAlongPath found.
type CountResult struct {
	// PatternChanges is the number of places along the path where the
	// activation pattern changes (the piece of phi that holds each hidden
	// pre-activation h^l_i, l = 1..L); -1 for an activation without kinks.
	PatternChanges int
	// Pieces is the number of linear pieces of the network along the path:
	// PatternChanges + 1 on an open path, max(PatternChanges, 1) on a closed
	// one; -1 without kinks.
	Pieces int
	// SignChanges is the number of sign changes of G(t) = Beta . phi(h^L(t)).
	SignChanges int
	// Evaluations is the number of points the network was run on.
	Evaluations int
	// Spacing (1/Samples) and Resolution: changes farther apart than the
	// resolution are all found when every initial interval between them
	// shows a difference at its ends; what can be missed is a change undone
	// within one spacing (a sign that flips back, a pattern that returns),
	// which leaves the interval's ends equal.
	Spacing, Resolution float64
}

// CountAlongPath counts, along path, the activation-pattern changes of net
// (its linear pieces, for piecewise-linear activations such as relu) and
// the sign changes of the scalar readout G = Beta . phi(h^L). It samples
// the path at Samples equally spaced points, then bisects every interval
// whose ends differ (in pattern or sign) down to Resolution, all intervals
// of one level in one batch, and counts the finest intervals whose ends
// differ. Sign 0 counts as positive.
func CountAlongPath(b engine.Backend, net *models.RandomNetwork, path Path, opt CountOptions) (CountResult, error) {
	if path.At == nil || path.Width != net.Width(0) {
		return CountResult{}, fmt.Errorf("count: the path lives in %d dimensions, the network's input has %d", path.Width, net.Width(0))
	}
	S := opt.Samples
	if S == 0 {
		S = 1000
	}
	res := opt.Resolution
	if res == 0 {
		res = 1e-9
	}
	if S < 1 || !(res > 0) || res > 1 {
		return CountResult{}, fmt.Errorf("count: %d samples at resolution %v; want at least 1 sample and a resolution in (0, 1]", S, res)
	}
	batch := opt.Batch
	if batch <= 0 {
		batch = 2048
	}
	L := net.Depth()
	NL := net.Width(L)
	// Each sample keeps its activation pattern (a byte per unit and layer),
	// its readout and its t; refinement at most doubles them.
	units := 0
	for l := 1; l <= L; l++ {
		units += net.Width(l)
	}
	if err := memory.Check(memory.Bytes(2*float64(S+1)*float64(units+64)+40<<20), fmt.Sprintf("%d samples of %d units' patterns", S, units)); err != nil {
		return CountResult{}, fmt.Errorf("count: %w: use fewer samples", err)
	}
	// Bisection runs the network once per level: draw its weights once.
	_, release, err := StoreWeights(b, net, StoreAuto, true)
	if err != nil {
		return CountResult{}, err
	}
	defer release()
	beta := opt.Readout
	if beta == nil {
		beta = NewReadout(NL, opt.Seed).Beta
	}
	if len(beta) != NL {
		return CountResult{}, fmt.Errorf("count: readout of length %d for an output of width %d", len(beta), NL)
	}
	act := net.Spec().Act
	kinks := append([]float64(nil), act.Kinks...)
	sort.Float64s(kinks)
	kinked := len(kinks) > 0

	// Evaluated points: their patterns (one byte per hidden neuron: the
	// index of phi's piece) and readout values.
	var patterns [][]byte
	var values []float64
	eval := func(ts []float64) (first int, err error) {
		first = len(values)
		N0 := path.Width
		for off := 0; off < len(ts); off += batch {
			n := min(batch, len(ts)-off)
			x := make([]float64, N0*n)
			for j := 0; j < n; j++ {
				path.At(ts[off+j], x[j*N0:(j+1)*N0])
			}
			pat := make([][]byte, n)
			val := make([]float64, n)
			obs := func(l int, h engine.Buffer, width, cols int) error {
				if l == 0 || (!kinked && l < L) {
					return nil
				}
				host := make([]float64, width*cols)
				if err := b.Download(host, h); err != nil {
					return err
				}
				for j := 0; j < n; j++ {
					col := host[j*width : (j+1)*width]
					if kinked {
						for _, v := range col {
							pat[j] = append(pat[j], byte(sort.SearchFloat64s(kinks, v)))
						}
					}
					if l == L {
						s := 0.0
						for i, v := range col {
							s += beta[i] * act.Phi(v)
						}
						val[j] = s
					}
				}
				return nil
			}
			in, err := engine.FromHost(b, x)
			if err != nil {
				return 0, err
			}
			out, err := net.Run(b, in, n, models.RunOptions{}, obs)
			b.Free(in)
			if err != nil {
				return 0, err
			}
			b.Free(out)
			patterns = append(patterns, pat...)
			values = append(values, val...)
		}
		return first, nil
	}
	ts := make([]float64, 0, S+1)
	for k := 0; k < S; k++ {
		ts = append(ts, float64(k)/float64(S))
	}
	if !path.Closed {
		ts = append(ts, 1)
	}
	if _, err := eval(ts); err != nil {
		return CountResult{}, err
	}
	type interval struct {
		a, b   float64
		ia, ib int
	}
	ivs := make([]interval, S)
	for k := 0; k < S; k++ {
		ivs[k] = interval{a: ts[k], b: float64(k+1) / float64(S), ia: k, ib: (k + 1) % len(ts)}
	}
	if path.Closed {
		ivs[S-1].ib = 0 // x(1) = x(0)
	}
	patDiff := func(iv interval) bool { return kinked && !bytes.Equal(patterns[iv.ia], patterns[iv.ib]) }
	signDiff := func(iv interval) bool { return (values[iv.ia] >= 0) != (values[iv.ib] >= 0) }
	var done []interval
	for len(ivs) > 0 {
		var active []interval
		for _, iv := range ivs {
			if (patDiff(iv) || signDiff(iv)) && iv.b-iv.a >= res {
				active = append(active, iv)
			} else {
				done = append(done, iv)
			}
		}
		if len(active) == 0 {
			break
		}
		mids := make([]float64, len(active))
		for k, iv := range active {
			mids[k] = (iv.a + iv.b) / 2
		}
		first, err := eval(mids)
		if err != nil {
			return CountResult{}, err
		}
		ivs = ivs[:0]
		for k, iv := range active {
			m := first + k
			ivs = append(ivs, interval{iv.a, mids[k], iv.ia, m}, interval{mids[k], iv.b, m, iv.ib})
		}
	}
	out := CountResult{PatternChanges: -1, Pieces: -1, Evaluations: len(values), Spacing: 1 / float64(S), Resolution: res}
	if kinked {
		out.PatternChanges = 0
	}
	for _, iv := range done {
		if patDiff(iv) {
			out.PatternChanges++
		}
		if signDiff(iv) {
			out.SignChanges++
		}
	}
	if kinked {
		out.Pieces = out.PatternChanges + 1
		if path.Closed {
			out.Pieces = max(out.PatternChanges, 1)
		}
	}
	return out, nil
}
