package landscape

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// DefaultThreshold is the function-space distance below which two end
// points count as the same stationary point: the root mean square over the
// data set's samples of the Euclidean distance between the two networks'
// softmax probability vectors (see FunctionDistance). It sits in the gap of
// the iris census at P = 500: trained to the default gradient tolerance
// (1e-7), end points of one minimum lie within about 1e-6 of each other
// (the distance shrinks with the tolerance: about 1e-8 at 1e-8), distinct
// minima at 1e-4 and more (unchanged by the tolerance), and no pair in
// between. DepthSummary's MaxWithin and MinBetween show whether a census's
// threshold falls in such a gap.
const DefaultThreshold = 1e-5

// NearFactor sets which pairs of end points are too near the threshold
// to be decided by it: those at a function distance within a factor of
// NearFactor of it, on either side. Their distance moves with the
// gradient tolerance, and in its last bits with the build (a GOAMD64=v3
// build fuses multiply-adds), so whether they count as one stationary
// point is not a robust fact; DepthSummary.NearThreshold lists them
// instead of deciding them silently.
const NearFactor = 10

// NearPair is a pair of converged restarts whose function distance lies
// within a factor of NearFactor of the threshold.
type NearPair struct {
	A        int     `json:"a"` // restart numbers, A < B
	B        int     `json:"b"`
	Distance float64 `json:"distance"`
}

// SummaryOptions configure Summarize.
type SummaryOptions struct {
	// Threshold: end points closer than this in function space are one
	// stationary point (single linkage). Default DefaultThreshold.
	Threshold float64
	// Depths to summarise (nil: every depth in the census) and Restarts:
	// only restarts 0..Restarts-1 (0: all in the census).
	Depths   []int
	Restarts int
}

// Stats summarises a sample: its size, extremes, quartiles and mean.
type Stats struct {
	N      int     `json:"n"`
	Min    float64 `json:"min"`
	Q1     float64 `json:"q1"`
	Median float64 `json:"median"`
	Q3     float64 `json:"q3"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
}

// NewStats returns the Stats of xs, nil when xs is empty. Quartiles
// interpolate linearly between order statistics (type 7 of Hyndman and
// Fan).
func NewStats(xs []float64) *Stats {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	q := func(p float64) float64 { return quantile(s, p) }
	mean := 0.0
	for _, v := range s {
		mean += v
	}
	return &Stats{N: len(s), Min: s[0], Q1: q(0.25), Median: q(0.5), Q3: q(0.75), Max: s[len(s)-1], Mean: mean / float64(len(s))}
}

// Point is one converged end point of a census, for the scatter plots.
type Point struct {
	Restart   int     `json:"restart"`
	TrainLoss float64 `json:"train_loss"`
	TestLoss  float64 `json:"test_loss"`
	Objective float64 `json:"objective"`
	Index     int     `json:"index"`
	MaxEig    float64 `json:"max_eig"`
	Trace     float64 `json:"trace"`
	LogVolume float64 `json:"log_volume"`
	// Cluster numbers the distinct stationary points of the depth (0, 1,
	// ... in order of first restart); Representative marks its first
	// restart. (Not its lowest objective: the members' objectives differ
	// only within the gradient tolerance, so which is lowest is noise that
	// changes with the build; see NearFactor.)
	Cluster        int  `json:"cluster"`
	Representative bool `json:"representative"`
}

// DepthSummary is what a census found at one depth.
type DepthSummary struct {
	Depth  int   `json:"depth"`
	Widths []int `json:"widths"`
	Params int   `json:"params"`
	// Restarts in the summary; Failed (training diverged); Converged
	// (gradient norm <= GradTol), of which Minima have index 0 and Saddles
	// index > 0.
	Restarts  int `json:"restarts"`
	Failed    int `json:"failed"`
	Converged int `json:"converged"`
	Minima    int `json:"minima"`
	Saddles   int `json:"saddles"`
	// DistinctStationary and DistinctMinima count the clusters of
	// converged end points, and of minima, at the threshold.
	DistinctStationary int `json:"distinct_stationary"`
	DistinctMinima     int `json:"distinct_minima"`
	// MinimaEstimate estimates how many distinct minima gradient descent
	// from this initialisation reaches, seen and unseen (Chao1 from the
	// minima reached by one restart and by two, with its 95% interval and
	// the sample coverage): a census that saw most minima once is far
	// from saturated, and its count is a lower bound. Absent without a
	// converged minimum.
	MinimaEstimate *energy.Richness `json:"minima_estimate,omitempty"`
	// MaxWithin is the largest function distance between two converged
	// end points of one distinct stationary point, MinBetween the smallest
	// between two of different ones (nil when there is no such pair). A
	// threshold between them, far from both, separates the points robustly.
	MaxWithin  *float64 `json:"max_within,omitempty"`
	MinBetween *float64 `json:"min_between,omitempty"`
	// NearThreshold lists the pairs of converged end points within a
	// factor of NearFactor of the threshold (see NearFactor): where it is
	// not empty, the distinct counts depend on where in that window the
	// threshold sits.
	NearThreshold []NearPair `json:"near_threshold"`
	// PairDistances are the function distances between every pair of
	// converged end points (i < j in restart order, row by row).
	PairDistances []float64 `json:"pair_function_distances"`
	// Over the distinct minima (each cluster's representative): the train
	// loss, test loss and accuracy, the Hessian's top eigenvalue, trace and
	// log-volume, and the log-volume per parameter.
	TrainLoss      *Stats   `json:"train_loss,omitempty"`
	TestLoss       *Stats   `json:"test_loss,omitempty"`
	TestAccuracy   *Stats   `json:"test_accuracy,omitempty"`
	MaxEig         *Stats   `json:"max_eig,omitempty"`
	Trace          *Stats   `json:"trace,omitempty"`
	LogVolume      *Stats   `json:"log_volume,omitempty"`
	LogVolumePerP  *Stats   `json:"log_volume_per_param,omitempty"`
	FunctionDist   *Stats   `json:"function_distance,omitempty"`
	ParamDist      *Stats   `json:"param_distance,omitempty"`
	ParamDistRel   *Stats   `json:"param_distance_relative,omitempty"`
	UnalignedRel   *Stats   `json:"unaligned_distance_relative,omitempty"`
	LossFlatnessRS *float64 `json:"loss_logvolume_spearman,omitempty"`
	// MinimaRestarts are the restarts that represent the distinct minima
	// (each cluster's first), in increasing order: the order of the pairs
	// below.
	MinimaRestarts []int `json:"minima_restarts"`
	// FunctionDistances, ParamDistances (aligned, relative) and Overlaps
	// (the cosine of the angle between the two parameter vectors after
	// alignment, the spin-glass overlap q = <a, b>/(|a| |b|)) between every
	// pair of distinct minima, pair (i, j), i < j, in row order.
	FunctionDistances []float64 `json:"function_distances"`
	ParamDistances    []float64 `json:"param_distances_relative"`
	Overlaps          []float64 `json:"overlaps"`
	Overlap           *Stats    `json:"overlap,omitempty"`
	// Points are the converged end points.
	Points []Point `json:"points"`
}

// Summarize groups a census's end points per depth. Distances need the
// networks' outputs, so it loads the census's data on b.
//
// Per depth: the converged end points are clustered by single linkage at
// opt.Threshold in function space (outputs on the training and test
// inputs); the clusters are the distinct stationary points, those of
// minima (index 0) the distinct minima. Loss and flatness statistics are
// over the distinct minima, one representative each (its first restart);
// clustering is the distribution of the pairwise distances between them:
// in function space, and in parameter space after Align, absolute and
// relative (RelativeDistance), beside the relative distance before
// alignment. LossFlatnessRS is Spearman's rank correlation between the
// train loss and the log-volume over the distinct minima (nil with fewer
// than 3): positive when lower minima are sharper.
func Summarize(b engine.Backend, c *Census, opt SummaryOptions) ([]DepthSummary, error) {
	if opt.Threshold == 0 {
		opt.Threshold = DefaultThreshold
	}
	if !(opt.Threshold > 0) || math.IsInf(opt.Threshold, 0) {
		return nil, fmt.Errorf("summary: threshold %v; want a positive number", opt.Threshold)
	}
	p, err := Prepare(b, c.Config)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	depths := opt.Depths
	if depths == nil {
		for _, r := range c.Records {
			if len(depths) == 0 || depths[len(depths)-1] != r.Depth {
				depths = append(depths, r.Depth)
			}
		}
	}
	var out []DepthSummary
	for _, d := range depths {
		var recs []Record
		for _, r := range c.Records {
			if r.Depth == d && (opt.Restarts == 0 || r.Restart < opt.Restarts) {
				recs = append(recs, r)
			}
		}
		s, err := summarizeDepth(b, p, d, recs, opt.Threshold)
		if err != nil {
			return nil, fmt.Errorf("summary: depth %d: %w", d, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func summarizeDepth(b engine.Backend, p *Prepared, depth int, recs []Record, threshold float64) (DepthSummary, error) {
	s := DepthSummary{Depth: depth, Restarts: len(recs), FunctionDistances: []float64{}, ParamDistances: []float64{}, Overlaps: []float64{},
		MinimaRestarts: []int{}, Points: []Point{}, PairDistances: []float64{}, NearThreshold: []NearPair{}}
	if len(recs) == 0 {
		return s, nil
	}
	s.Widths, s.Params = recs[0].Widths, recs[0].Params
	var conv []Record
	for _, r := range recs {
		switch {
		case r.Error != "":
			s.Failed++
		case r.ok():
			conv = append(conv, r)
			if r.Hessian.Index == 0 {
				s.Minima++
			} else {
				s.Saddles++
			}
		}
	}
	s.Converged = len(conv)
	if len(conv) == 0 {
		return s, nil
	}
	spec, err := p.Config.spec(s.Widths)
	if err != nil {
		return s, err
	}
	outs, err := endpointOutputs(b, p, spec, conv)
	if err != nil {
		return s, err
	}
	n := len(conv)
	N := p.All.N
	fd := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			fd[i*n+j] = FunctionDistance(outs[i], outs[j], N)
			fd[j*n+i] = fd[i*n+j]
		}
	}
	cluster := func(members []int) []int { // single linkage: union-find
		parent := make([]int, n)
		for i := range parent {
			parent[i] = i
		}
		var find func(int) int
		find = func(i int) int {
			for parent[i] != i {
				parent[i] = parent[parent[i]]
				i = parent[i]
			}
			return i
		}
		for a, i := range members {
			for _, j := range members[a+1:] {
				if fd[i*n+j] < threshold {
					ri, rj := find(i), find(j)
					if ri != rj {
						parent[max(ri, rj)] = min(ri, rj)
					}
				}
			}
		}
		label := make([]int, n)
		ids := map[int]int{}
		for _, i := range members {
			r := find(i)
			if _, ok := ids[r]; !ok {
				ids[r] = len(ids)
			}
			label[i] = ids[r]
		}
		return label
	}
	all := make([]int, n)
	var minima []int
	for i := range all {
		all[i] = i
		if conv[i].Hessian.Index == 0 {
			minima = append(minima, i)
		}
	}
	stat := cluster(all)
	best := map[int]int{} // cluster -> representative
	for i := range conv {
		c := stat[i]
		if _, ok := best[c]; !ok {
			best[c] = i
		}
	}
	s.DistinctStationary = len(best)
	within, between := math.Inf(-1), math.Inf(1)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s.PairDistances = append(s.PairDistances, fd[i*n+j])
			if d := fd[i*n+j]; d >= threshold/NearFactor && d <= threshold*NearFactor {
				s.NearThreshold = append(s.NearThreshold, NearPair{A: conv[i].Restart, B: conv[j].Restart, Distance: d})
			}
			if stat[i] == stat[j] {
				within = math.Max(within, fd[i*n+j])
			} else {
				between = math.Min(between, fd[i*n+j])
			}
		}
	}
	if !math.IsInf(within, 0) {
		s.MaxWithin = &within
	}
	if !math.IsInf(between, 0) {
		s.MinBetween = &between
	}
	for i, r := range conv {
		h := r.Hessian
		s.Points = append(s.Points, Point{Restart: r.Restart, TrainLoss: r.TrainLoss, TestLoss: r.TestLoss, Objective: r.Objective,
			Index: h.Index, MaxEig: h.MaxEig, Trace: h.Trace, LogVolume: h.LogVolume, Cluster: stat[i], Representative: best[stat[i]] == i})
	}
	// Distinct minima: clusters among the minima alone (a saddle between
	// two minima must not join them).
	mlab := cluster(minima)
	mbest := map[int]int{} // cluster -> its first restart (see Point.Representative)
	hits := map[int]int{}  // cluster -> restarts that ended in it
	for _, i := range minima {
		c := mlab[i]
		if _, ok := mbest[c]; !ok {
			mbest[c] = i
		}
		hits[c]++
	}
	s.DistinctMinima = len(mbest)
	if len(hits) > 0 {
		counts := make([]int, 0, len(hits))
		for _, c := range slices.Sorted(maps.Keys(hits)) {
			counts = append(counts, hits[c])
		}
		r, err := energy.Chao1(counts)
		if err != nil {
			return s, err
		}
		s.MinimaEstimate = &r
	}
	reps := make([]int, 0, len(mbest))
	for _, i := range mbest {
		reps = append(reps, i)
	}
	sort.Ints(reps)
	var loss, tloss, tacc, eig, tr, lv, lvp []float64
	for _, i := range reps {
		r := conv[i]
		s.MinimaRestarts = append(s.MinimaRestarts, r.Restart)
		loss = append(loss, r.TrainLoss)
		tloss = append(tloss, r.TestLoss)
		tacc = append(tacc, r.TestAccuracy)
		eig = append(eig, r.Hessian.MaxEig)
		tr = append(tr, r.Hessian.Trace)
		lv = append(lv, r.Hessian.LogVolume)
		lvp = append(lvp, r.Hessian.LogVolume/float64(r.Params))
	}
	s.TrainLoss, s.TestLoss, s.TestAccuracy = NewStats(loss), NewStats(tloss), NewStats(tacc)
	s.MaxEig, s.Trace, s.LogVolume, s.LogVolumePerP = NewStats(eig), NewStats(tr), NewStats(lv), NewStats(lvp)
	if len(reps) >= 3 {
		rho := Spearman(loss, lv)
		s.LossFlatnessRS = &rho
	}
	var pd, pdr, ur []float64
	for a, i := range reps {
		for _, j := range reps[a+1:] {
			s.FunctionDistances = append(s.FunctionDistances, fd[i*n+j])
			aligned, _, err := Align(spec, conv[i].Theta, conv[j].Theta)
			if err != nil {
				return s, err
			}
			pd = append(pd, Distance(conv[i].Theta, aligned))
			pdr = append(pdr, RelativeDistance(conv[i].Theta, aligned))
			ur = append(ur, RelativeDistance(conv[i].Theta, conv[j].Theta))
			s.Overlaps = append(s.Overlaps, Overlap(conv[i].Theta, aligned))
		}
	}
	s.ParamDistances = pdr
	s.Overlap = NewStats(s.Overlaps)
	s.FunctionDist, s.ParamDist, s.ParamDistRel, s.UnalignedRel = NewStats(s.FunctionDistances), NewStats(pd), NewStats(pdr), NewStats(ur)
	return s, nil
}

// endpointOutputs computes each record's outputs on the training and test
// inputs.
func endpointOutputs(b engine.Backend, p *Prepared, spec models.NetworkSpec, recs []Record) ([][]float64, error) {
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	e, err := net.NewEvaluator(0)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	outs := make([][]float64, len(recs))
	for i, r := range recs {
		if err := net.SetParams(r.Theta); err != nil {
			return nil, fmt.Errorf("restart %d: %w", r.Restart, err)
		}
		if outs[i], err = Outputs(e, net.Params(), p.All); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// Spearman returns Spearman's rank correlation of x and y (ties get their
// average rank): the Pearson correlation of the ranks. NaN when either is
// constant or they have fewer than 2 points.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 2 {
		return math.NaN()
	}
	rx, ry := ranks(x), ranks(y)
	return pearson(rx, ry)
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	mx, my := 0.0, 0.0
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx, my = mx/n, my/n
	sxy, sxx, syy := 0.0, 0.0, 0.0
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}
