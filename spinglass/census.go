package spinglass

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/options"
)

// CensusOptions configures a census of critical points. Zero values take the
// defaults in brackets.
type CensusOptions struct {
	// MinimaStarts random starts descend to a minimum: Newton steps where
	// the tangent Hessian is positive definite, shifted Newton steps
	// (Hessian + tau I, tau above minus its lowest eigenvalue) where it is
	// not, in a trust region, accepted when the energy drops.
	MinimaStarts int
	// SaddleStarts random starts hunt critical points of every index: each
	// descends until its energy per dimension reaches f * ubar (f uniform in
	// (0, 1) from the start's Philox stream, ubar the mean energy of the
	// minima found by the MinimaStarts, 0 if none), then solves grad = 0 by
	// Levenberg-Marquardt (Gauss-Newton on |grad|^2) steps, accepted when
	// |grad| drops. Without the descent nearly every start would end at
	// energies near 0 and index near d/2, where most critical points lie.
	SaddleStarts int
	// Tol: a point is critical when |grad_R| / sqrt(d) <= Tol [1e-9].
	Tol float64
	// MaxIter: steps per start before it counts as failed [500].
	MaxIter int
	// Overlap: two critical points are one when every block overlap
	// |w_l . w'_l| / n_l exceeds 1 - Overlap and their energies per
	// dimension agree to 1e-7 [1e-6].
	Overlap float64
	// Batch: points per backend call [64, less when the model's work
	// buffers would pass 128 MiB].
	Batch int
	// Seed names the starts (StartStream).
	Seed uint64
	// Workers: goroutines for the host-side eigenproblems [GOMAXPROCS].
	Workers int
	// KeepPoints keeps each critical point's coordinates and Hessian
	// eigenvalues in the result.
	KeepPoints bool
	// Progress, when set, is called with (starts finished, starts in all).
	Progress options.Progress
}

// CriticalPoint is one distinct critical point found by a census.
type CriticalPoint struct {
	// Energy is the energy per dimension u = E/d (H/N for the p-spin).
	Energy float64 `json:"energy"`
	// Index is the number of negative eigenvalues of the Riemannian Hessian
	// on the (d - L)-dimensional tangent space.
	Index int `json:"index"`
	// GradNorm is |grad_R E| / sqrt(d) at the point.
	GradNorm float64 `json:"grad_norm"`
	// MinAbsEigenvalue is the smallest |eigenvalue| of the tangent Hessian:
	// far from 0, the point is non-degenerate and the index is sharp (0
	// when the tangent space is trivial).
	MinAbsEigenvalue float64 `json:"min_abs_eigenvalue"`
	// Hits is the number of starts that ended here.
	Hits int `json:"hits"`
	// Point and Eigenvalues (ascending) are kept with KeepPoints.
	Point       []float64 `json:"-"`
	Eigenvalues []float64 `json:"-"`
}

// Census is the result of a search for critical points.
type Census struct {
	// Dim is d, TangentDim d - L.
	Dim        int `json:"dim"`
	TangentDim int `json:"tangent_dim"`
	// MinimaStarts, SaddleStarts as asked; Converged starts reached a
	// critical point, Failed ones did not within MaxIter steps.
	MinimaStarts int `json:"minima_starts"`
	SaddleStarts int `json:"saddle_starts"`
	Converged    int `json:"converged"`
	Failed       int `json:"failed"`
	// Mirrored: the model has a symmetry that negates the energy (odd p;
	// every layered model); each point is reported with energy <= 0 and
	// stands also for its mirror at -u with index TangentDim - Index.
	Mirrored bool `json:"mirrored"`
	// Points are the distinct critical points, by increasing energy.
	Points []CriticalPoint `json:"points"`
}

// Minima returns the points of index 0.
func (c Census) Minima() []CriticalPoint {
	var out []CriticalPoint
	for _, p := range c.Points {
		if p.Index == 0 {
			out = append(out, p)
		}
	}
	return out
}

// IndexSummary is the census of one index.
type IndexSummary struct {
	Index int     `json:"index"`
	Count int     `json:"count"`
	UMin  float64 `json:"u_min"`
	UMean float64 `json:"u_mean"`
	UMax  float64 `json:"u_max"`
}

// ByIndex summarises the points index by index, in increasing index.
func (c Census) ByIndex() []IndexSummary {
	m := map[int]*IndexSummary{}
	var keys []int
	for _, p := range c.Points {
		s, ok := m[p.Index]
		if !ok {
			s = &IndexSummary{Index: p.Index, UMin: math.Inf(1), UMax: math.Inf(-1)}
			m[p.Index] = s
			keys = append(keys, p.Index)
		}
		s.Count++
		s.UMean += p.Energy
		s.UMin = min(s.UMin, p.Energy)
		s.UMax = max(s.UMax, p.Energy)
	}
	sort.Ints(keys)
	out := make([]IndexSummary, len(keys))
	for i, k := range keys {
		s := m[k]
		s.UMean /= float64(s.Count)
		out[i] = *s
	}
	return out
}

// Census searches the p-spin's critical points (see CensusOptions).
func (m *PSpin) Census(opt CensusOptions) (Census, error) { return census(m, opt) }

// Census searches the layered model's critical points (see CensusOptions).
func (m *Layered) Census(opt CensusOptions) (Census, error) { return census(m, opt) }

func (o *CensusOptions) defaults() error {
	if o.MinimaStarts < 0 || o.SaddleStarts < 0 || o.MinimaStarts+o.SaddleStarts < 1 {
		return fmt.Errorf("spinglass: census: %d minima starts and %d saddle starts; want >= 0 each and >= 1 in all", o.MinimaStarts, o.SaddleStarts)
	}
	if math.IsNaN(o.Tol) || o.Tol < 0 {
		return fmt.Errorf("spinglass: census: tolerance %v; want > 0", o.Tol)
	}
	if o.Tol == 0 {
		o.Tol = 1e-9
	}
	if o.MaxIter < 0 {
		return fmt.Errorf("spinglass: census: max iterations %d; want > 0", o.MaxIter)
	}
	if o.MaxIter == 0 {
		o.MaxIter = 500
	}
	if math.IsNaN(o.Overlap) || o.Overlap < 0 || o.Overlap >= 1 {
		return fmt.Errorf("spinglass: census: overlap tolerance %v; want 0 < eps < 1", o.Overlap)
	}
	if o.Overlap == 0 {
		o.Overlap = 1e-6
	}
	if o.Batch < 0 || o.Workers < 0 {
		return fmt.Errorf("spinglass: census: batch %d, workers %d; want >= 0", o.Batch, o.Workers)
	}
	if o.Batch == 0 {
		o.Batch = 64
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// run is one start's search.
type run struct {
	id      int
	hunt    bool    // a saddle start
	lm      bool    // in its Levenberg-Marquardt phase
	sign    float64 // the descent minimises sign * E
	target  float64 // sign * energy per dimension that ends the descent of a saddle start
	ubar    float64 // the minima's mean energy per dimension (saddle starts)
	mu0     float64 // damping at the start of the Levenberg-Marquardt phase
	stalls  int
	x       []float64
	cur     *local
	trial   []float64
	delta   float64 // trust radius of the descent
	step    float64 // length of the last proposed step
	mu      float64 // Levenberg-Marquardt damping
	iter    int
	escapes int
	final   bool // the trial is the mirror of a critical point: record it
	done    bool
	res     *CriticalPoint
}

type searcher struct {
	g        spheres
	flips    bool
	opt      CensusOptions
	dmax     float64
	sqrtD    float64
	starts   int
	mirrorAt int // block negated by the mirror symmetry
}

func (s *searcher) start(id int, hunt bool, ubar float64) *run {
	d := s.g.d
	x := make([]float64, d)
	for i := range x {
		x[i] = rng.Normal(s.opt.Seed, StartStream, uint64(id)*uint64(d+1)+uint64(i))
	}
	r := &run{id: id, hunt: hunt, trial: x, delta: s.dmax, target: math.Inf(1), sign: 1, ubar: ubar}
	if !s.g.normalize(x) {
		r.done = true
	}
	if hunt && ubar < 0 {
		z := rng.Normal(s.opt.Seed, StartStream, uint64(id)*uint64(d+1)+uint64(d))
		f := 0.5 * math.Erfc(-z/math.Sqrt2)
		if !s.flips {
			// no mirror symmetry: hunt above 0 too, ascending half the time
			// (J and -J are equally likely, so the minima's mean energy
			// sets the scale on both sides).
			f *= 2
			if f >= 1 {
				f, r.sign = f-1, -1
			}
		}
		r.target = f * ubar
	}
	return r
}

// update takes the energy and derivatives at r.trial and moves the search on.
func (s *searcher) update(r *run, e float64, eg, eh []float64) {
	g := s.g
	loc := g.riem(r.trial, e, eg)
	if math.IsNaN(e) || math.IsInf(e, 0) || math.IsNaN(loc.gn) || math.IsInf(loc.gn, 0) {
		r.done = true
		return
	}
	if r.final {
		if g.setHessian(loc, eh) != nil || g.values(loc) != nil {
			r.done = true
			return
		}
		s.record(r, loc, r.trial)
		return
	}
	accept := r.x == nil
	if !accept {
		if r.lm {
			accept = loc.gn < r.cur.gn
		} else {
			se, sc := r.sign*e, r.sign*r.cur.e
			accept = se < sc || (se <= sc+1e-12*max(1, math.Abs(sc)) && loc.gn < r.cur.gn)
		}
	}
	if accept {
		hit := r.step >= 0.99*r.delta
		r.x, r.cur = r.trial, loc
		if err := g.setHessian(loc, eh); err != nil {
			r.done = true
			return
		}
		if r.lm {
			r.mu = max(r.mu/4, 1e-14*r.mu0)
		} else if hit {
			r.delta = min(2*r.delta, s.dmax)
		}
		if loc.gn <= s.opt.Tol*s.sqrtD {
			if g.values(loc) != nil {
				r.done = true
				return
			}
			k, _ := index(loc.eig)
			if !r.hunt && k > 0 && r.escapes < 3 && g.vectors(loc) == nil {
				// a descent stalled on a saddle: step off it along the
				// most negative curvature and descend again.
				r.escapes++
				c := make([]float64, g.t)
				for i := range c {
					c[i] = loc.vec[i*g.t] * 0.2 * s.dmax
				}
				if t, ok := g.retract(r.x, g.lift(loc, c)); ok {
					r.trial, r.x, r.delta = t, nil, s.dmax
					return
				}
			}
			if s.flips && e > 0 {
				t := append([]float64(nil), r.x...)
				for i := g.offs[s.mirrorAt]; i < g.offs[s.mirrorAt+1]; i++ {
					t[i] = -t[i]
				}
				r.trial, r.final = t, true
				return
			}
			s.record(r, loc, r.x)
			return
		}
		if r.hunt && !r.lm && r.sign*e/float64(g.d) <= r.target {
			// Levenberg-Marquardt from here, damping 1e-3 of the mean
			// squared Hessian eigenvalue.
			var f2 float64
			for _, v := range loc.th {
				f2 += v * v
			}
			r.lm = true
			r.mu = 1e-3 * max(f2/float64(max(g.t, 1)), 1e-12)
			r.mu0 = r.mu
		}
	} else if r.lm {
		r.mu *= 4
		if r.mu > 1e8*r.mu0 {
			// |grad|^2 has a local minimum here that is not a critical
			// point: descend a little further and try again.
			r.stalls++
			r.lm, r.delta = false, s.dmax
			r.target = r.sign*r.cur.e/float64(g.d) - 0.05*max(math.Abs(r.ubar), 0.1)
		}
	} else {
		r.delta = r.step / 4
	}
	r.iter++
	if r.iter > s.opt.MaxIter || r.stalls > 5 || (!r.lm && r.delta < 1e-14*s.dmax) {
		r.done = true
		return
	}
	s.propose(r)
}

// propose sets r.trial from the data at r.x.
func (s *searcher) propose(r *run) {
	g, loc := s.g, r.cur
	var c []float64
	if r.lm {
		c = g.lmStep(loc, r.mu)
	} else if c = g.newtonStep(loc, r.sign); c == nil {
		// sign*th is indefinite: shift it by tau > -lambda_min so that the
		// step is a descent direction no longer than about the trust radius.
		if g.values(loc) != nil {
			r.done = true
			return
		}
		lmin := r.sign * loc.eig[0]
		if r.sign < 0 {
			lmin = -loc.eig[len(loc.eig)-1]
		}
		var big float64
		for _, l := range loc.eig {
			big = max(big, math.Abs(l))
		}
		tau := max(0, -lmin) + max(loc.gn/r.delta, 1e-6*max(big, 1))
		for range 8 {
			if c = g.shiftedStep(loc, r.sign, tau); c != nil {
				break
			}
			tau *= 2
		}
	}
	if c == nil {
		r.done = true
		return
	}
	var n float64
	for _, v := range c {
		n += v * v
	}
	n = math.Sqrt(n)
	lim := s.dmax
	if !r.lm {
		lim = r.delta
	}
	if n > lim {
		for i := range c {
			c[i] *= lim / n
		}
		n = lim
	}
	r.step = n
	trial, ok := g.retract(r.x, g.lift(loc, c))
	if !ok {
		r.done = true
		return
	}
	r.trial = trial
}

func (s *searcher) record(r *run, loc *local, x []float64) {
	k, minAbs := index(loc.eig)
	if len(loc.eig) == 0 {
		minAbs = 0 // a trivial tangent space (every layer of size 1)
	}
	cp := &CriticalPoint{Energy: loc.e / float64(s.g.d), Index: k, GradNorm: loc.gn / s.sqrtD, MinAbsEigenvalue: minAbs, Hits: 1,
		Point: append([]float64(nil), x...), Eigenvalues: loc.eig}
	r.res, r.done = cp, true
}

func census(m model, opt CensusOptions) (Census, error) {
	if err := opt.defaults(); err != nil {
		return Census{}, err
	}
	g := m.geom()
	nmin := math.MaxInt
	for _, n := range g.dims {
		if n >= 2 {
			nmin = min(nmin, n)
		}
	}
	if nmin == math.MaxInt {
		nmin = 1
	}
	s := &searcher{g: g, flips: m.flips(), opt: opt, dmax: 0.5 * math.Sqrt(float64(nmin)), sqrtD: math.Sqrt(float64(g.d)),
		starts: opt.MinimaStarts + opt.SaddleStarts, mirrorAt: len(g.dims) - 1}
	batch := max(1, min(opt.Batch, m.maxBatch()))
	// Each start may keep a critical point and its Hessian's eigenvalues;
	// a batch holds its points, gradients and Hessians.
	d := float64(g.d)
	need := float64(s.starts)*(16*d+512) + 8*float64(batch)*(d*d+4*d) + 40<<20
	if err := memory.Check(memory.Bytes(need), fmt.Sprintf("%d starts in %d dimensions", s.starts, g.d)); err != nil {
		return Census{}, fmt.Errorf("spinglass: %w: use fewer starts", err)
	}
	results := make([]*CriticalPoint, s.starts)
	done := 0
	runAll := func(ids []int, hunt bool, ubar float64) error {
		d := g.d
		x := make([]float64, d*batch)
		e := make([]float64, batch)
		eg := make([]float64, d*batch)
		eh := make([]float64, d*d*batch)
		var slots []*run
		finish := func(r *run) {
			results[r.id] = r.res
			done++
			if opt.Progress != nil {
				opt.Progress(done, s.starts)
			}
		}
		for len(ids) > 0 || len(slots) > 0 {
			for len(slots) < batch && len(ids) > 0 {
				r := s.start(ids[0], hunt, ubar)
				ids = ids[1:]
				if r.done {
					finish(r)
					continue
				}
				slots = append(slots, r)
			}
			if len(slots) == 0 {
				break
			}
			for c, r := range slots {
				copy(x[c*d:(c+1)*d], r.trial)
			}
			if err := m.eval(x, len(slots), e, eg, eh); err != nil {
				return err
			}
			parallel(len(slots), opt.Workers, func(c int) {
				s.update(slots[c], e[c], eg[c*d:(c+1)*d], eh[c*d*d:(c+1)*d*d])
			})
			keep := slots[:0]
			for _, r := range slots {
				if r.done {
					finish(r)
				} else {
					keep = append(keep, r)
				}
			}
			slots = keep
		}
		return nil
	}
	ids := make([]int, s.starts)
	for i := range ids {
		ids[i] = i
	}
	if err := runAll(ids[:opt.MinimaStarts], false, 0); err != nil {
		return Census{}, err
	}
	var ubar float64
	var nm int
	for _, r := range results[:opt.MinimaStarts] {
		if r != nil && r.Index == 0 {
			ubar += r.Energy
			nm++
		}
	}
	if nm > 0 {
		ubar /= float64(nm)
	}
	if err := runAll(ids[opt.MinimaStarts:], true, ubar); err != nil {
		return Census{}, err
	}
	c := Census{Dim: g.d, TangentDim: g.t, MinimaStarts: opt.MinimaStarts, SaddleStarts: opt.SaddleStarts, Mirrored: s.flips}
	for _, r := range results {
		if r == nil {
			c.Failed++
			continue
		}
		c.Converged++
		if j := s.find(c.Points, r); j >= 0 {
			c.Points[j].Hits++
			continue
		}
		c.Points = append(c.Points, *r)
	}
	sort.SliceStable(c.Points, func(i, j int) bool { return c.Points[i].Energy < c.Points[j].Energy })
	if !opt.KeepPoints {
		for i := range c.Points {
			c.Points[i].Point, c.Points[i].Eigenvalues = nil, nil
		}
	}
	return c, nil
}

// find returns the index of a point in pts equal to p (overlaps and
// energy), or -1.
func (s *searcher) find(pts []CriticalPoint, p *CriticalPoint) int {
	g := s.g
	tolE := 1e-7 * max(1, math.Abs(p.Energy))
outer:
	for j := range pts {
		q := &pts[j]
		if math.Abs(q.Energy-p.Energy) > tolE {
			continue
		}
		for l, n := range g.dims {
			a, b := g.block(p.Point, l), g.block(q.Point, l)
			var dot float64
			for i := range a {
				dot += a[i] * b[i]
			}
			if math.Abs(dot)/float64(n) <= 1-s.opt.Overlap {
				continue outer
			}
		}
		return j
	}
	return -1
}

// parallel runs f(0..n-1) on up to w goroutines.
func parallel(n, w int, f func(int)) {
	if w <= 1 || n <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range min(w, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
