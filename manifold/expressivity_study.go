package manifold

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// ExpressivityOptions describe Poole et al.'s (2016, figure 5) comparison
// of deep and shallow random networks as feature maps. The zero value of
// every field is the default its comment names; the defaults are the
// protocol of the authors' code (their notebook "Figure 5 - expressivity"):
// a unit half circle in 500 dimensions sampled at 10,000 points, 398
// Fourier targets, deep networks of width 1000 and one-layer networks of
// widths 100 to 10,000, each followed by a random linear readout of width
// 500 whose outputs are regressed on, errors averaged over 5 networks per
// architecture. Their notebook counts the readout as a layer of its deep
// networks (its depth d has d-1 tanh layers); Depths here count tanh
// layers, for deep and shallow networks alike.
type ExpressivityOptions struct {
	// Activation of every layer; the zero value (Name "") means tanh.
	Activation activation.Func
	// SigmaW is the weight scale; 0 means 4 (the chaotic phase of tanh).
	SigmaW float64
	// SigmaB is the bias standard deviation; default 0 (the paper's is 0.3,
	// the netgeom command's default).
	SigmaB float64
	// InputDim is the dimension of the input space, at least 2; 0 means 500.
	InputDim int
	// Q is the inputs' squared length per coordinate; 0 means 1/InputDim,
	// the unit circle of Poole et al.'s code (netgeom used 1, a circle of
	// radius sqrt(InputDim), before it followed their protocol).
	Q float64
	// Width of the deep networks' layers; 0 means 1000.
	Width int
	// Depths of the deep networks (tanh layers), each at least 1; nil means
	// 1, 3, 5, ..., 13. An empty non-nil slice asks for none.
	Depths []int
	// ShallowWidths are the widths of the one-layer networks, each at least
	// 1; nil means 100, 190, 370, 710, 1380, 2680, 5170, 10000 (the
	// authors' logarithmic grid). An empty non-nil slice asks for none.
	ShallowWidths []int
	// Points on half a great circle, at least 3; 0 means 10,000.
	Points int
	// Functions is the number K of Fourier frequencies (2K targets); 2K
	// must be below Points for the targets to be resolved. 0 means 199 (the
	// authors' 399 targets but the constant).
	Functions int
	// Readout is the width of the random linear readout layer (weights
	// N(0, SigmaW^2 / N_L), biases N(0, SigmaB^2), no activation) whose
	// outputs are the features, without a constant; 0 means 500, and -1
	// none: the features are then phi(h^L) plus a constant (netgeom's
	// protocol before it followed the authors').
	Readout int
	// RankCutoff is the relative singular value below which a direction of
	// the features counts as zero in the fits; 0 means DefaultRankCutoff
	// (2^-23, float32's resolution).
	RankCutoff float64
	// Repeats is the number of independent networks per architecture
	// (network r is drawn under seed Seed + r) whose errors are averaged;
	// 0 means 5.
	Repeats int
	// Seed names the input circle and the networks.
	Seed uint64
	// Progress, when set, is called after each network.
	Progress options.Progress
}

// ExpressivityNetwork is one network's fit errors.
type ExpressivityNetwork struct {
	Kind        string  `json:"kind"` // "deep" or "shallow"
	Depth       int     `json:"depth"`
	Width       int     `json:"width"`
	MeanError   float64 `json:"mean_error"`   // mean over the targets of 1 - cos(y, yhat)
	MedianError float64 `json:"median_error"` // the upper median (element T/2 of the sorted errors)
	// Errors per target, in the order of ExpressivityResult.Frequencies:
	// the mean over the Repeats networks.
	Errors []float64 `json:"errors"`
	// FrequencyError[k-1] is the mean error of the cos and sin targets of
	// frequency k = 1..Functions; not in the JSON encoding.
	FrequencyError []float64 `json:"-"`
	// RepeatErrors[r] are the errors per target of network r (seed Seed +
	// r); not in the JSON encoding.
	RepeatErrors [][]float64 `json:"-"`
}

// Neurons is the network's number of hidden units, depth x width.
func (n ExpressivityNetwork) Neurons() int { return n.Depth * n.Width }

// ExpressivityResult is the outcome of Expressivity. Its JSON fields are in
// alphabetical order, the order netgeom's expressivity command has always
// printed them in.
type ExpressivityResult struct {
	Activation string `json:"activation"`
	// Frequencies[i] is the frequency of target i: 1, 1, 2, 2, ... (cos, sin).
	Frequencies []int `json:"frequencies"`
	InputDim    int   `json:"input_dim"`
	// Networks: the deep ones in the order of Depths, then the shallow ones
	// in the order of ShallowWidths.
	Networks []ExpressivityNetwork `json:"networks"`
	Points   int                   `json:"points"`
	// Q is the inputs' squared length per coordinate.
	Q float64 `json:"q_input"`
	// RankCutoff is the relative singular value below which the features'
	// directions were dropped; Readout the width of the linear readout
	// regressed on, 0 when the features are phi(h^L) plus a constant.
	RankCutoff float64 `json:"rank_cutoff"`
	Readout    int     `json:"readout"`
	Repeats    int     `json:"repeats"`
	Seed       uint64  `json:"seed"`
	SigmaB     float64 `json:"sigma_b"`
	SigmaW     float64 `json:"sigma_w"`
	// Width of the deep networks; not in the JSON encoding.
	Width int `json:"-"`
}

func (o ExpressivityOptions) withDefaults() (ExpressivityOptions, error) {
	if o.Activation.Name == "" {
		act, err := activation.Lookup("tanh")
		if err != nil {
			return o, err
		}
		o.Activation = act
	}
	if o.SigmaW == 0 {
		o.SigmaW = 4
	}
	if o.InputDim == 0 {
		o.InputDim = 500
	}
	if o.Q == 0 {
		o.Q = 1 / float64(o.InputDim)
	}
	if o.Width == 0 {
		o.Width = 1000
	}
	if o.Depths == nil {
		o.Depths = []int{1, 3, 5, 7, 9, 11, 13}
	}
	if o.ShallowWidths == nil {
		o.ShallowWidths = []int{100, 190, 370, 710, 1380, 2680, 5170, 10000}
	}
	if o.Points == 0 {
		o.Points = 10000
	}
	if o.Functions == 0 {
		o.Functions = 199
	}
	if o.Readout == 0 {
		o.Readout = 500
	}
	if o.Repeats == 0 {
		o.Repeats = 5
	}
	if o.RankCutoff == 0 {
		o.RankCutoff = DefaultRankCutoff
	}
	switch {
	case o.Activation.Phi == nil:
		return o, &options.Error{Op: "manifold.Expressivity", Field: "Activation", Value: o.Activation.Name, Want: "want an activation from activation.Lookup"}
	case !(o.SigmaW > 0) || math.IsInf(o.SigmaW, 0):
		return o, &options.Error{Op: "manifold.Expressivity", Field: "SigmaW", Value: o.SigmaW, Want: "want a finite value > 0"}
	case !(o.SigmaB >= 0) || math.IsInf(o.SigmaB, 0):
		return o, &options.Error{Op: "manifold.Expressivity", Field: "SigmaB", Value: o.SigmaB, Want: "want a finite value >= 0"}
	case o.InputDim < 2:
		return o, &options.Error{Op: "manifold.Expressivity", Field: "InputDim", Value: o.InputDim, Want: "want at least 2 (a great circle needs a plane)"}
	case !(o.Q > 0) || math.IsInf(o.Q, 0):
		return o, &options.Error{Op: "manifold.Expressivity", Field: "Q", Value: o.Q, Want: "want a finite q > 0"}
	case o.Width < 1:
		return o, &options.Error{Op: "manifold.Expressivity", Field: "Width", Value: o.Width, Want: "want at least 1"}
	case o.Points < 3:
		return o, &options.Error{Op: "manifold.Expressivity", Field: "Points", Value: o.Points, Want: "want at least 3"}
	case o.Readout < -1:
		return o, &options.Error{Op: "manifold.Expressivity", Field: "Readout", Value: o.Readout, Want: "want a width of at least 1, or -1 for none"}
	case !(o.RankCutoff >= 0 && o.RankCutoff < 1):
		return o, &options.Error{Op: "manifold.Expressivity", Field: "RankCutoff", Value: o.RankCutoff, Want: "want a value in (0, 1)"}
	case o.Repeats < 1:
		return o, &options.Error{Op: "manifold.Expressivity", Field: "Repeats", Value: o.Repeats, Want: "want at least 1"}
	case o.Functions < 1:
		return o, &options.Error{Op: "manifold.Expressivity", Field: "Functions", Value: o.Functions, Want: "want at least 1"}
	case 2*o.Functions >= o.Points:
		return o, &options.Error{Op: "manifold.Expressivity", Field: "Functions", Value: o.Functions, Want: fmt.Sprintf("2 x functions (the targets) must be below the %d points to be resolved", o.Points)}
	case len(o.Depths)+len(o.ShallowWidths) == 0:
		return o, &options.Error{Op: "manifold.Expressivity", Field: "Depths", Value: o.Depths, Want: "want at least one deep or shallow network"}
	}
	for _, d := range o.Depths {
		if d < 1 {
			return o, &options.Error{Op: "manifold.Expressivity", Field: "Depths", Value: o.Depths, Want: "every depth must be at least 1"}
		}
	}
	for _, w := range o.ShallowWidths {
		if w < 1 {
			return o, &options.Error{Op: "manifold.Expressivity", Field: "ShallowWidths", Value: o.ShallowWidths, Want: "every width must be at least 1"}
		}
	}
	return o, nil
}

// memoryEstimate is the run's peak memory in bytes: 8 P (D + 2F + 3 W) +
// 8 W D + 40 MiB for P points in D dimensions, 2F targets and the widest
// network or readout W (the inputs, the targets, one network's features
// with their QR workspace and first-layer weights; measured within 5% at P
// = 2000 and 4000, W = 2000 and 3000).
func (o ExpressivityOptions) memoryEstimate() int64 {
	w := float64(max(o.Width, o.Readout))
	for _, s := range o.ShallowWidths {
		w = max(w, float64(s))
	}
	p, d, f := float64(o.Points), float64(o.InputDim), float64(o.Functions)
	return memory.Bytes(8*p*(d+2*f+3*w) + 8*w*d + 40<<20)
}

// Expressivity feeds opts.Points inputs on half a great circle (HalfCircle)
// to deep networks (width opts.Width, depths opts.Depths) and to one-layer
// networks (widths opts.ShallowWidths), each followed by a random linear
// readout of width opts.Readout (or none), and fits the 2K Fourier
// functions cos(2 pi k t), sin(2 pi k t), k = 1..K, t in [0, 1] along the
// half circle, by least squares from each network's features: the
// readout's outputs (OutputFitErrors), or phi(h^L) plus a constant
// without a readout (FitErrors). The error of a fit is 1 - cos(y, yhat)
// (Poole et al. 2016, figure 5); each architecture's errors are averaged
// over opts.Repeats networks. ctx is checked after every network.
func Expressivity(ctx context.Context, b engine.Backend, opts ExpressivityOptions) (*ExpressivityResult, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := memory.Check(o.memoryEstimate(), fmt.Sprintf("expressivity with %d points in %d dimensions", o.Points, o.InputDim)); err != nil {
		return nil, fmt.Errorf("expressivity: %w: lower the points, the widths or the input dimension", err)
	}
	x, err := HalfCircle(o.InputDim, o.Points, o.Q, o.Seed)
	if err != nil {
		return nil, err
	}
	y, freq := FourierTargets(o.Points, o.Functions)
	readout := max(o.Readout, 0)
	res := &ExpressivityResult{Activation: o.Activation.Name, Frequencies: freq, InputDim: o.InputDim, Points: o.Points, Q: o.Q,
		Readout: readout, RankCutoff: o.RankCutoff, Repeats: o.Repeats, Seed: o.Seed, SigmaB: o.SigmaB, SigmaW: o.SigmaW, Width: o.Width}
	type job struct {
		kind         string
		depth, width int
	}
	var jobs []job
	for _, d := range o.Depths {
		jobs = append(jobs, job{"deep", d, o.Width})
	}
	for _, w := range o.ShallowWidths {
		jobs = append(jobs, job{"shallow", 1, w})
	}
	T := 2 * o.Functions
	done, total := 0, len(jobs)*o.Repeats
	for _, j := range jobs {
		widths := append([]int{o.InputDim}, models.UniformWidths(j.width, j.depth)[1:]...)
		if readout > 0 {
			widths = append(widths, readout)
		}
		nw := ExpressivityNetwork{Kind: j.kind, Depth: j.depth, Width: j.width, Errors: make([]float64, T)}
		for r := 0; r < o.Repeats; r++ {
			net, err := models.NewRandomNetwork(models.RandomSpec{Widths: widths, Act: o.Activation, SigmaW: o.SigmaW, SigmaB: o.SigmaB, Seed: o.Seed + uint64(r)})
			if err != nil {
				return nil, err
			}
			fit := FitErrors
			if readout > 0 {
				fit = OutputFitErrors
			}
			errs, err := fit(b, net, x, o.Points, y, T, o.RankCutoff)
			if err != nil {
				return nil, fmt.Errorf("%s depth %d width %d, network %d: %w", j.kind, j.depth, j.width, r, err)
			}
			nw.RepeatErrors = append(nw.RepeatErrors, errs)
			for k, e := range errs {
				nw.Errors[k] += e / float64(o.Repeats)
			}
			done++
			if o.Progress != nil {
				o.Progress(done, total)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		sorted := append([]float64(nil), nw.Errors...)
		sort.Float64s(sorted)
		for _, e := range nw.Errors {
			nw.MeanError += e / float64(T)
		}
		nw.MedianError = sorted[T/2]
		nw.FrequencyError = frequencyMeans(nw.Errors, freq, o.Functions)
		res.Networks = append(res.Networks, nw)
	}
	return res, nil
}

// frequencyMeans averages the errors of the targets of each frequency
// k = 1..K (their cos and sin), in target order.
func frequencyMeans(errs []float64, freq []int, K int) []float64 {
	byK := make([][]float64, K+1)
	for i, e := range errs {
		byK[freq[i]] = append(byK[freq[i]], e)
	}
	out := make([]float64, K)
	for k := 1; k <= K; k++ {
		for _, e := range byK[k] {
			out[k-1] += e / float64(len(byK[k]))
		}
	}
	return out
}
