package manifold

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// CarveOptions control Carve. The zero value of every field means the
// default given in its comment.
type CarveOptions struct {
	// Act is the activation of the matched networks (default "tanh"; any
	// name of activation.Names).
	Act string
	// SigmaB is the bias standard deviation of every network (default 0:
	// no biases; the netgeom CLI passes 0.3).
	SigmaB float64
	// Chi1 is the chi_1 per layer that fixes each matched network's sigma_w
	// (default 4). Product tanh layers at sigma_b 0.3 cannot reach
	// 0.88..1.88: their chi_1 jumps over it.
	Chi1 float64
	// Q is the squared length per coordinate of the input circle, of the
	// count paths and of the boundary's random inputs (default 1).
	Q float64
	// Seed seeds every network, the circle, the paths and the readouts
	// (default 0); count seed s uses Seed+s.
	Seed uint64

	// Width, Depth and Points shape the circle experiment: the matched
	// networks' width (default 400, at least 2) and depth (default 10), and
	// the points on the circle (default 200, at least 3).
	Width, Depth, Points int

	// Path is the count experiment's path in input space, "circle" or
	// "line" (default "circle").
	Path string
	// CountDepths and CountWidths are the depths (default 1..6, each in
	// 1..20: a product network's degree is 2^depth) and widths (default
	// 20, 50, 100; each at least 2, the input width too) of the count
	// experiment's networks.
	CountDepths, CountWidths []int
	// CountSeeds is the number of networks averaged per depth and width
	// (default 3).
	CountSeeds int
	// Samples is the number of equally spaced samples along the path
	// before bisection (default 1000).
	Samples int
	// Resolution is the length of the path parameter (in (0, 1]) at which
	// bisection stops (default 1e-8).
	Resolution float64
	// ReLUSigmaW and ProductSigmaW are the sigma_w of the relu network and
	// of the product network (linear activation) of the count and boundary
	// experiments (defaults sqrt 2 and 1).
	ReLUSigmaW, ProductSigmaW float64

	// BoundaryWidth, BoundaryDepth and BoundaryPoints shape the boundary
	// experiment: every network's width (default 40, in 2..400: the
	// principal curvatures need width^2 Hessians per layer) and depth
	// (default 4), and the points on each decision boundary (default 4).
	BoundaryWidth, BoundaryDepth, BoundaryPoints int

	// Progress, when set, is called after each unit of work (a layer pass
	// of the circle, a network pair of the count, a boundary point) with
	// the units done and their total.
	Progress options.Progress
}

// CarveNetwork is one network of the matched comparison.
type CarveNetwork struct {
	Name    string    `json:"name"`
	Pattern string    `json:"pattern"` // layer kinds, repeated over the depth
	SigmaW  float64   `json:"sigma_w"`
	Chi1    float64   `json:"chi1"`           // per layer, at the stationary orbit
	Chi1By  []float64 `json:"chi1_per_layer"` // per layer of the pattern
	QOrbit  []float64 `json:"q_orbit"`        // stationary lengths after each layer of the pattern
}

// CarveCircleRow is one layer of one matched network on the circle: the
// measured q, kbar = sqrt(N) kappa (mean over points) and Grassmannian
// length beside their mean-field values, and the principal components
// holding 95% of the variance with the participation ratio (nil where the
// Gram matrix was not formed).
type CarveCircleRow struct {
	Network               string   `json:"network"`
	Layer                 int      `json:"layer"`
	Q                     float64  `json:"q"`
	QTheory               float64  `json:"q_theory"`
	KappaBar              float64  `json:"kappa_bar"`
	KappaBarTheory        float64  `json:"kappa_bar_theory"`
	GrassmannLength       float64  `json:"grassmann_length"`
	GrassmannLengthTheory float64  `json:"grassmann_length_theory"`
	PCA95                 *int     `json:"pca95"`
	ParticipationRatio    *float64 `json:"participation_ratio"`
}

// CarveCountRow is one depth and width of the count experiment.
type CarveCountRow struct {
	Depth int `json:"depth"`
	Width int `json:"width"`
	// Means over seeds.
	ReLUPieces         float64 `json:"relu_pieces"`
	ReLUSignChanges    float64 `json:"relu_sign_changes"`
	ProductSignChanges float64 `json:"product_sign_changes"`
	// ProductBound is the degree bound on the product network's sign
	// changes: 2^depth on a line, 2^(depth+1) on a circle.
	ProductBound int `json:"product_bound"`
}

// CarveBoundaryRow is the decision boundary of one network seen from one
// layer: means over points of the largest and smallest principal
// curvature and of the mean absolute principal curvature.
type CarveBoundaryRow struct {
	Network string  `json:"network"`
	SigmaW  float64 `json:"sigma_w"`
	Layer   int     `json:"layer"`
	Max     float64 `json:"max_curvature"`
	Min     float64 `json:"min_curvature"`
	MeanAbs float64 `json:"mean_abs_curvature"`
}

// CarveCircle is the circle experiment: rows by network, then layer.
type CarveCircle struct {
	Width  int              `json:"width"`
	Depth  int              `json:"depth"`
	Points int              `json:"points"`
	Rows   []CarveCircleRow `json:"rows"`
}

// CarveCount is the count experiment: rows by depth, then width.
type CarveCount struct {
	Path          string          `json:"path"`
	Samples       int             `json:"samples"`
	Resolution    float64         `json:"resolution"`
	Seeds         int             `json:"seeds"`
	ReLUSigmaW    float64         `json:"relu_sigma_w"`
	ProductSigmaW float64         `json:"product_sigma_w"`
	Rows          []CarveCountRow `json:"rows"`
}

// CarveBoundary is the boundary experiment: rows by network (dense,
// product, mixed, relu, "product (linear)"), then layer.
type CarveBoundary struct {
	Width  int                `json:"width"`
	Depth  int                `json:"depth"`
	Points int                `json:"points"`
	Rows   []CarveBoundaryRow `json:"rows"`
}

// CarveResult is what Carve measured, with the options it ran under.
type CarveResult struct {
	Activation string         `json:"activation"`
	SigmaB     float64        `json:"sigma_b"`
	Chi1       float64        `json:"chi1"`
	Q          float64        `json:"q_input"`
	Seed       uint64         `json:"seed"`
	Backend    string         `json:"backend"`
	Seconds    float64        `json:"seconds"` // wall time of the three experiments
	Networks   []CarveNetwork `json:"networks"`
	Circle     CarveCircle    `json:"circle"`
	Count      CarveCount     `json:"count"`
	Boundary   CarveBoundary  `json:"boundary"`
}

// carvePatterns are the matched networks: all dense (additive), all
// product (multiplicative), and alternating (mixed, dense first).
var carvePatterns = []struct {
	name  string
	kinds []layerkind.Kind
}{
	{"dense", []layerkind.Kind{layerkind.Dense}},
	{"product", []layerkind.Kind{layerkind.Product}},
	{"mixed", []layerkind.Kind{layerkind.Dense, layerkind.Product}},
}

// repeatKinds repeats pattern over depth layers (the random network's
// kinds and the mean-field stack's are the same layerkind.Kind values).
func repeatKinds(pattern []layerkind.Kind, depth int) []layerkind.Kind {
	k := make([]layerkind.Kind, depth)
	for l := range k {
		k[l] = pattern[l%len(pattern)]
	}
	return k
}

// withDefaults fills the zero fields of o with their defaults.
func (o CarveOptions) withDefaults() CarveOptions {
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defi := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Act == "" {
		o.Act = "tanh"
	}
	if o.Path == "" {
		o.Path = "circle"
	}
	if o.CountDepths == nil {
		o.CountDepths = []int{1, 2, 3, 4, 5, 6}
	}
	if o.CountWidths == nil {
		o.CountWidths = []int{20, 50, 100}
	}
	deff(&o.Chi1, 4)
	deff(&o.Q, 1)
	deff(&o.Resolution, 1e-8)
	deff(&o.ReLUSigmaW, math.Sqrt2)
	deff(&o.ProductSigmaW, 1)
	defi(&o.Width, 400)
	defi(&o.Depth, 10)
	defi(&o.Points, 200)
	defi(&o.CountSeeds, 3)
	defi(&o.Samples, 1000)
	defi(&o.BoundaryWidth, 40)
	defi(&o.BoundaryDepth, 4)
	defi(&o.BoundaryPoints, 4)
	return o
}

// check validates options whose defaults are filled in.
func (o CarveOptions) check() error {
	bad := func(field string, v any, want string) error {
		return &options.Error{Op: "manifold.Carve", Field: field, Value: v, Want: "want " + want}
	}
	finitePos := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	switch {
	case o.Width < 2:
		return bad("Width", o.Width, "at least 2")
	case o.Depth < 1:
		return bad("Depth", o.Depth, "at least 1")
	case o.Points < 3:
		return bad("Points", o.Points, "at least 3")
	case !finitePos(o.Q):
		return bad("Q", o.Q, "a finite q > 0")
	case !finitePos(o.Chi1):
		return bad("Chi1", o.Chi1, "a finite chi_1 > 0")
	case !(o.SigmaB >= 0) || math.IsInf(o.SigmaB, 0):
		return bad("SigmaB", o.SigmaB, "finite and >= 0")
	case !finitePos(o.ReLUSigmaW):
		return bad("ReLUSigmaW", o.ReLUSigmaW, "finite and > 0")
	case !finitePos(o.ProductSigmaW):
		return bad("ProductSigmaW", o.ProductSigmaW, "finite and > 0")
	case o.Path != "circle" && o.Path != "line":
		return bad("Path", fmt.Sprintf("%q", o.Path), `"circle" or "line"`)
	case len(o.CountDepths) == 0:
		return bad("CountDepths", o.CountDepths, "at least one depth")
	case len(o.CountWidths) == 0:
		return bad("CountWidths", o.CountWidths, "at least one width")
	case o.CountSeeds < 1:
		return bad("CountSeeds", o.CountSeeds, "at least 1")
	case o.Samples < 1:
		return bad("Samples", o.Samples, "at least 1")
	case !(o.Resolution > 0 && o.Resolution <= 1):
		return bad("Resolution", o.Resolution, "a parameter length in (0, 1]")
	case o.BoundaryWidth < 2 || o.BoundaryWidth > 400:
		return bad("BoundaryWidth", o.BoundaryWidth, "2..400 (the principal curvatures need width^2 Hessians per layer)")
	case o.BoundaryDepth < 1:
		return bad("BoundaryDepth", o.BoundaryDepth, "at least 1")
	case o.BoundaryPoints < 1:
		return bad("BoundaryPoints", o.BoundaryPoints, "at least 1")
	}
	for _, d := range o.CountDepths {
		if d < 1 || d > 20 {
			return bad("CountDepths", o.CountDepths, "depths in 1..20 (a product network of depth > 20 overflows: its degree is 2^depth)")
		}
	}
	for _, w := range o.CountWidths {
		if w < 2 {
			return bad("CountWidths", o.CountWidths, "widths of at least 2")
		}
	}
	return nil
}

// carveRun carries one Carve call's state between its three experiments.
type carveRun struct {
	ctx          context.Context
	b            engine.Backend
	o            CarveOptions
	act          activation.Func
	relu, linear activation.Func
	res          *CarveResult
	done, total  int
}

// step counts one unit of work and reports it.
func (r *carveRun) step() {
	r.done++
	if r.o.Progress != nil {
		r.o.Progress(r.done, r.total)
	}
}

// Carve compares networks of dense layers (additive), of product layers
// h = (W x + b) * (V x + c) (multiplicative) and of both alternating
// (mixed), in three experiments:
//
//   - circle: a great circle at Q through the three networks, each with
//     its sigma_w chosen by mean field (meanfield.SigmaWForChi1) so that its
//     chi_1 per layer equals Chi1, measured by Simulate beside
//     meanfield's StackCircle. The matched networks take the circle as a
//     pre-activation (Poole's convention).
//   - count: along a circle or line path in input space, the linear pieces
//     and readout sign changes of a relu network and the sign changes of a
//     product network with linear activation (a polynomial of degree
//     2^depth), by CountAlongPath, averaged over CountSeeds networks.
//   - boundary: the principal curvatures of the decision boundary of a
//     random readout seen from every layer (BoundaryPoints,
//     BoundaryCurvature) for the three matched networks, the relu network
//     and the product network. The relu and product networks of count and
//     boundary take raw inputs.
//
// An invalid option is reported as a *options.Error. ctx is checked
// between networks.
func Carve(ctx context.Context, b engine.Backend, opts CarveOptions) (*CarveResult, error) {
	o := opts.withDefaults()
	act, err := activation.Lookup(o.Act)
	if err != nil {
		return nil, &options.Error{Op: "manifold.Carve", Field: "Act", Value: o.Act, Want: "want a known activation", Err: err}
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	// The circle experiment is a curvature run per network kind (a product
	// layer holds twice a dense layer's weights), one at a time; the
	// boundary experiment a decision-boundary study.
	circle := memory.Bytes(2 * float64(CurvatureOptions{Width: o.Width, Depth: o.Depth, Points: o.Points}.MemoryEstimate()))
	if err := memory.Check(circle, fmt.Sprintf("the circle at width %d, depth %d, %d points", o.Width, o.Depth, o.Points)); err != nil {
		return nil, fmt.Errorf("carve: %w: lower --width, --depth or --points", err)
	}
	if err := memory.Check(boundaryMemory(o.BoundaryWidth, o.BoundaryDepth, o.BoundaryPoints), fmt.Sprintf("the boundary with %d points", o.BoundaryPoints)); err != nil {
		return nil, fmt.Errorf("carve: %w: lower --boundary-points", err)
	}
	r := &carveRun{ctx: ctx, b: b, o: o, act: act,
		res: &CarveResult{Activation: act.Name, SigmaB: o.SigmaB, Chi1: o.Chi1, Q: o.Q, Seed: o.Seed, Backend: b.Info().Backend}}
	if r.relu, err = activation.Lookup("relu"); err != nil {
		return nil, err
	}
	if r.linear, err = activation.Lookup("linear"); err != nil {
		return nil, err
	}
	// Matched sigma_w per network.
	for _, p := range carvePatterns {
		sw, orbit, err := meanfield.SigmaWForChi1(act, o.SigmaB, p.kinds, o.Chi1, meanfield.Options{})
		if err != nil {
			return nil, &options.Error{Op: "manifold.Carve", Field: "Chi1", Value: o.Chi1, Want: fmt.Sprintf("want a chi_1 per layer that the %s network reaches", p.name), Err: err}
		}
		r.res.Networks = append(r.res.Networks, CarveNetwork{Name: p.name, Pattern: layerkind.FormatList(p.kinds), SigmaW: sw, Chi1: orbit.MeanChi1, Chi1By: orbit.Chi1, QOrbit: orbit.Q})
	}
	start := time.Now()
	r.total = len(carvePatterns)*(o.Depth+1) + len(o.CountDepths)*len(o.CountWidths)*o.CountSeeds + (len(carvePatterns)+2)*o.BoundaryPoints
	for _, exp := range []func() error{r.circle, r.count, r.boundary} {
		if err := exp(); err != nil {
			return nil, err
		}
	}
	r.res.Seconds = time.Since(start).Seconds()
	return r.res, nil
}

// circle runs the circle at matched chi_1 through the three networks.
func (r *carveRun) circle() error {
	o, res := r.o, r.res
	res.Circle = CarveCircle{Width: o.Width, Depth: o.Depth, Points: o.Points}
	circle, err := Circle(o.Width, o.Points, o.Q, o.Seed)
	if err != nil {
		return fmt.Errorf("manifold: Carve: circle: %w", err)
	}
	for i, p := range carvePatterns {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		nw := res.Networks[i]
		kinds := repeatKinds(p.kinds, o.Depth)
		net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(o.Width, o.Depth), Act: r.act, SigmaW: nw.SigmaW, SigmaB: o.SigmaB, Seed: o.Seed, ActivateInput: true, Kinds: kinds})
		if err != nil {
			return fmt.Errorf("manifold: Carve: circle: %s network: %w", p.name, err)
		}
		st, err := Simulate(r.ctx, r.b, net, circle, SimOptions{Gram: true, Progress: func(int, int) { r.step() }})
		if err != nil {
			return fmt.Errorf("manifold: Carve: circle: %s network: %w", p.name, err)
		}
		m, err := meanfield.New(r.act, nw.SigmaW, o.SigmaB, meanfield.Options{})
		if err != nil {
			return fmt.Errorf("manifold: Carve: circle: %s network: mean field: %w", p.name, err)
		}
		th, err := m.StackCircle(o.Q, kinds)
		if err != nil {
			return fmt.Errorf("manifold: Carve: circle: %s network: mean field: %w", p.name, err)
		}
		for l, s := range st {
			row := CarveCircleRow{Network: p.name, Layer: l, Q: s.Q, QTheory: th[l].Q, KappaBar: s.KappaBar, KappaBarTheory: th[l].Kbar,
				GrassmannLength: s.GrassmannLength, GrassmannLengthTheory: th[l].GrassmannLength}
			if s.PCA != nil {
				pca, pr := s.PCA95, s.ParticipationRatio
				row.PCA95, row.ParticipationRatio = &pca, &pr
			}
			res.Circle.Rows = append(res.Circle.Rows, row)
		}
	}
	return nil
}

// count counts relu pieces and sign changes against a product network's
// sign changes along the path, by depth and width, averaged over seeds.
func (r *carveRun) count() error {
	o, res := r.o, r.res
	res.Count = CarveCount{Path: o.Path, Samples: o.Samples, Resolution: o.Resolution, Seeds: o.CountSeeds, ReLUSigmaW: o.ReLUSigmaW, ProductSigmaW: o.ProductSigmaW}
	for _, d := range o.CountDepths {
		prodKinds := make([]layerkind.Kind, d)
		for l := range prodKinds {
			prodKinds[l] = layerkind.Product
		}
		for _, w := range o.CountWidths {
			row := CarveCountRow{Depth: d, Width: w, ProductBound: 1 << d}
			if o.Path == "circle" {
				row.ProductBound *= 2
			}
			for s := 0; s < o.CountSeeds; s++ {
				if err := r.ctx.Err(); err != nil {
					return err
				}
				seed := o.Seed + uint64(s)
				var path Path
				var err error
				if o.Path == "circle" {
					path, err = CirclePath(w, o.Q, seed)
				} else {
					path, err = LinePath(w, o.Q, seed)
				}
				if err != nil {
					return fmt.Errorf("manifold: Carve: count: %w", err)
				}
				rnet, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(w, d), Act: r.relu, SigmaW: o.ReLUSigmaW, SigmaB: o.SigmaB, Seed: seed})
				if err != nil {
					return fmt.Errorf("manifold: Carve: count: relu depth %d width %d: %w", d, w, err)
				}
				pnet, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(w, d), Act: r.linear, SigmaW: o.ProductSigmaW, SigmaB: o.SigmaB, Seed: seed, Kinds: prodKinds})
				if err != nil {
					return fmt.Errorf("manifold: Carve: count: product depth %d width %d: %w", d, w, err)
				}
				opt := CountOptions{Samples: o.Samples, Resolution: o.Resolution, Seed: seed}
				rc, err := CountAlongPath(r.b, rnet, path, opt)
				if err != nil {
					return fmt.Errorf("manifold: Carve: count: relu depth %d width %d: %w", d, w, err)
				}
				pc, err := CountAlongPath(r.b, pnet, path, opt)
				if err != nil {
					return fmt.Errorf("manifold: Carve: count: product depth %d width %d: %w", d, w, err)
				}
				n := float64(o.CountSeeds)
				row.ReLUPieces += float64(rc.Pieces) / n
				row.ReLUSignChanges += float64(rc.SignChanges) / n
				row.ProductSignChanges += float64(pc.SignChanges) / n
				r.step()
			}
			res.Count.Rows = append(res.Count.Rows, row)
		}
	}
	return nil
}

// boundary measures the principal curvatures of a random readout's
// decision boundary seen from every layer, for the three matched networks,
// the relu network and the product network (linear activation).
func (r *carveRun) boundary() error {
	o, res := r.o, r.res
	res.Boundary = CarveBoundary{Width: o.BoundaryWidth, Depth: o.BoundaryDepth, Points: o.BoundaryPoints}
	type bnet struct {
		name string
		spec models.RandomSpec
	}
	var bnets []bnet
	for i, p := range carvePatterns {
		mk := repeatKinds(p.kinds, o.BoundaryDepth)
		bnets = append(bnets, bnet{p.name, models.RandomSpec{Act: r.act, SigmaW: res.Networks[i].SigmaW, SigmaB: o.SigmaB, ActivateInput: true, Kinds: mk}})
	}
	allProd := repeatKinds([]layerkind.Kind{layerkind.Product}, o.BoundaryDepth)
	bnets = append(bnets, bnet{"relu", models.RandomSpec{Act: r.relu, SigmaW: o.ReLUSigmaW, SigmaB: o.SigmaB}},
		bnet{"product (linear)", models.RandomSpec{Act: r.linear, SigmaW: o.ProductSigmaW, SigmaB: o.SigmaB, Kinds: allProd}})
	for _, bn := range bnets {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		spec := bn.spec
		spec.Widths, spec.Seed = models.UniformWidths(o.BoundaryWidth, o.BoundaryDepth), o.Seed
		net, err := models.NewRandomNetwork(spec)
		if err != nil {
			return fmt.Errorf("manifold: Carve: boundary of the %s network: %w", bn.name, err)
		}
		bopt := BoundaryOptions{Points: o.BoundaryPoints, Q: o.Q, Seed: o.Seed, Progress: func(int, int) { r.step() }}
		ro, pts, err := BoundaryPoints(r.b, net, bopt)
		if err != nil {
			return fmt.Errorf("manifold: Carve: boundary of the %s network: %w", bn.name, err)
		}
		layers, err := BoundaryCurvature(r.b, net, ro, pts, bopt)
		if err != nil {
			return fmt.Errorf("manifold: Carve: boundary of the %s network: %w", bn.name, err)
		}
		for _, l := range layers {
			res.Boundary.Rows = append(res.Boundary.Rows, CarveBoundaryRow{Network: bn.name, SigmaW: spec.SigmaW, Layer: l.Layer, Max: l.MaxMean, Min: l.MinMean, MeanAbs: l.AbsMean})
		}
	}
	return nil
}
