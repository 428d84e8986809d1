package landscape

import (
	"context"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
	"github.com/netgeom/netgeom/train"
)

// DefaultConnectPoints is the default number of points along each path.
const DefaultConnectPoints = 41

// Endpoint is one end of a path: a trained network's spec and parameters,
// the data it was trained on and the weight decay of its objective.
type Endpoint struct {
	Ref   string // as given to LoadEndpoint
	Spec  models.NetworkSpec
	Theta []float64
	// Data records how the training data were prepared (set, subset,
	// split and standardisation); Prepared is that data.
	Data     models.CheckpointData
	Prepared *train.Prepared
	// WeightDecay of the objective the network was trained on (0 when a
	// model file records no training).
	WeightDecay float64
}

var censusEndpointRef = regexp.MustCompile(`^(.+):([^:/]*):([^:/]*)$`)

// LoadEndpoint reads a model: a file written by `netgeom train`
// (models.SaveCheckpoint with the data recorded), or the end point of a
// census restart, written CENSUS.jsonl:DEPTH:RESTART. A reference of that
// form that names an existing file (whose name has colons) is the file.
func LoadEndpoint(ref string) (*Endpoint, error) {
	m := &Endpoint{Ref: ref}
	if sub := censusEndpointRef.FindStringSubmatch(ref); sub != nil {
		depth, err1 := strconv.Atoi(sub[2])
		restart, err2 := strconv.Atoi(sub[3])
		_, refErr := os.Stat(ref)
		_, censusErr := os.Stat(sub[1])
		if refErr != nil && censusErr == nil && (err1 != nil || err2 != nil) {
			return nil, fmt.Errorf("%s: depth %q, restart %q: not integers (write CENSUS.jsonl:DEPTH:RESTART)", ref, sub[2], sub[3])
		}
		if refErr != nil && err1 == nil && err2 == nil { // not a file whose name has colons
			c, err := ReadCensus(sub[1])
			if err != nil {
				return nil, err
			}
			r, ok := c.Find(depth, restart)
			if !ok {
				return nil, fmt.Errorf("%s: no depth %d restart %d in the census", ref, depth, restart)
			}
			if r.Error != "" || len(r.Theta) == 0 {
				return nil, fmt.Errorf("%s: that restart has no end point (%s)", ref, r.Error)
			}
			if m.Spec, err = c.Config.Spec(r.Widths); err != nil {
				return nil, fmt.Errorf("%s: %w", ref, err)
			}
			if m.Prepared, err = train.Prepare(c.Config.DataSpec()); err != nil {
				return nil, fmt.Errorf("%s: %w", ref, err)
			}
			m.Theta, m.Data, m.WeightDecay = r.Theta, m.Prepared.Info, c.Config.WeightDecay
			return m, nil
		}
	}
	hdr, params, err := models.ReadCheckpoint(ref)
	if err != nil {
		return nil, err
	}
	if m.Spec, err = hdr.Spec(); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if hdr.Data == nil {
		return nil, fmt.Errorf("%s records no training data; it was not written by 'netgeom train'", ref)
	}
	if m.Prepared, err = train.Rebuild(*hdr.Data); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	m.Theta, m.Data = params, *hdr.Data
	if hdr.Training != nil {
		m.WeightDecay = hdr.Training.WeightDecay
	}
	return m, nil
}

// ConnectOptions configure Connect. The zero value of every field but
// ModelA and ModelB means the default its comment names.
type ConnectOptions struct {
	// ModelA and ModelB are the two models (LoadEndpoint's references):
	// one architecture, trained on the same data. Required.
	ModelA, ModelB string
	// Data, when given, must name the models' data set. Default (""):
	// the set they record.
	Data string
	// Points along each path, t = 0, 1/(Points-1), ..., 1. Default (0):
	// DefaultConnectPoints.
	Points int
	// WeightDecay of the objective. Default (nil): the models' own, which
	// must then agree.
	WeightDecay *float64
	// Align replaces b by its alignment to a (Align: the same function,
	// hidden units permuted and, for odd activations, sign-flipped) first.
	Align bool
	// LinearOnly skips the Bezier curve. Default: the straight line and the
	// trained Bezier curve.
	LinearOnly bool
	// Steps, LR and Batch of the Adam training of the Bezier control point
	// (BezierOptions). Defaults (0): DefaultBezierSteps, DefaultBezierLR,
	// DefaultBezierBatch.
	Steps int
	LR    float64
	Batch int
	// Seed draws the values of t of the Bezier training.
	Seed uint64
	// Progress, when set, is called after every Adam step of the Bezier
	// training with the steps done and the steps.
	Progress options.Progress
}

// ConnectResult is the loss along the paths between two minima: what
// `netgeom connect --format json` prints.
type ConnectResult struct {
	ModelA      string  `json:"model_a"`
	ModelB      string  `json:"model_b"`
	Data        string  `json:"data"`
	Arch        string  `json:"arch"`
	Activation  string  `json:"activation"`
	Loss        string  `json:"loss"`
	Params      int     `json:"params"`
	WeightDecay float64 `json:"weight_decay"`
	// Aligned: b was replaced by its alignment to a (same function).
	Aligned bool `json:"aligned"`
	// Distance is |a - b| (b aligned when Aligned), UnalignedDistance the
	// raw one.
	Distance          float64 `json:"distance"`
	UnalignedDistance float64 `json:"unaligned_distance"`
	Linear            Path    `json:"linear"`
	// Bezier is the path along the trained curve (nil with LinearOnly),
	// trained for BezierSteps Adam steps (0 with LinearOnly) to the mean
	// objective BezierObjective over the last step's values of t.
	Bezier          *Path   `json:"bezier,omitempty"`
	BezierSteps     int     `json:"bezier_steps"`
	BezierObjective float64 `json:"bezier_final_objective,omitempty"`
	// BezierControl is the trained control point (nil with LinearOnly).
	BezierControl []float64 `json:"-"`
	// Seconds is the wall time from building the network to the end.
	Seconds float64 `json:"seconds"`
}

// Connect measures the mode connectivity of two trained networks a and b:
// the train loss, test loss and objective (mean loss + (wd/2) |theta|^2)
// along the straight line from a to b (LinearPath) and along a quadratic
// Bezier curve whose control point is trained to minimise the objective
// averaged over the curve (TrainBezier, BezierPath; Garipov et al. 2018).
// ctx is checked between the stages (loading, the line, the training, the
// curve).
func Connect(ctx context.Context, b engine.Backend, opts ConnectOptions) (*ConnectResult, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	// Each point of the two paths keeps its losses and their JSON and CSV
	// rows: well under 1 KiB a point.
	if err := memory.Check(int64(min(opts.Points, math.MaxInt32))<<10+40<<20, fmt.Sprintf("%d points along each path", opts.Points)); err != nil {
		return nil, fmt.Errorf("connect: %w: use fewer points", err)
	}
	ea, err := LoadEndpoint(opts.ModelA)
	if err != nil {
		return nil, err
	}
	eb, err := LoadEndpoint(opts.ModelB)
	if err != nil {
		return nil, err
	}
	wd, err := opts.check(ea, eb)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	net, err := models.NewNetwork(b, ea.Spec)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	tr, err := train.Upload(b, ea.Prepared.Train)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	te, err := train.Upload(b, ea.Prepared.Test)
	if err != nil {
		return nil, err
	}
	defer te.Close()
	pe, err := NewPathEvaluator(net, tr, te, wd)
	if err != nil {
		return nil, err
	}
	defer pe.Close()
	res := &ConnectResult{ModelA: ea.Ref, ModelB: eb.Ref, Data: ea.Data.Name, Arch: ea.Spec.ArchString(), Activation: ea.Spec.Act.Name,
		Loss: ea.Spec.Loss.String(), Params: net.NumParams(), WeightDecay: wd, Aligned: opts.Align}
	thetaB := eb.Theta
	res.UnalignedDistance = Distance(ea.Theta, eb.Theta)
	if opts.Align {
		if thetaB, _, err = Align(ea.Spec, ea.Theta, eb.Theta); err != nil {
			return nil, err
		}
	}
	res.Distance = Distance(ea.Theta, thetaB)
	if res.Linear, err = LinearPath(pe, ea.Theta, thetaB, opts.Points); err != nil {
		return nil, err
	}
	if !opts.LinearOnly {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bo := BezierOptions{Steps: opts.Steps, LR: opts.LR, Batch: opts.Batch, Seed: opts.Seed}
		if opts.Progress != nil {
			bo.Progress = func(step, total int, _ float64) { opts.Progress(step, total) }
		}
		bz, err := TrainBezier(pe, ea.Theta, thetaB, bo)
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := BezierPath(pe, ea.Theta, thetaB, bz.Control, opts.Points)
		if err != nil {
			return nil, err
		}
		res.Bezier, res.BezierSteps, res.BezierObjective, res.BezierControl = &p, opts.Steps, bz.Objective, bz.Control
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// normalize fills the defaults of o and checks the values.
func (o ConnectOptions) normalize() (ConnectOptions, error) {
	bad := func(field string, v any, want string) error {
		return &options.Error{Op: "landscape.Connect", Field: field, Value: v, Want: want}
	}
	if o.Points == 0 {
		o.Points = DefaultConnectPoints
	}
	if o.Steps == 0 {
		o.Steps = DefaultBezierSteps
	}
	if o.LR == 0 {
		o.LR = DefaultBezierLR
	}
	if o.Batch == 0 {
		o.Batch = DefaultBezierBatch
	}
	switch {
	case o.ModelA == "":
		return o, bad("ModelA", o.ModelA, "give a model file or CENSUS.jsonl:DEPTH:RESTART")
	case o.ModelB == "":
		return o, bad("ModelB", o.ModelB, "give a model file or CENSUS.jsonl:DEPTH:RESTART")
	case o.Points < 2:
		return o, bad("Points", o.Points, "want at least 2 points, the ends (0: 41)")
	case o.Steps < 0:
		return o, bad("Steps", o.Steps, "want at least 1 Adam step (0: 1000; LinearOnly skips the curve)")
	case o.Batch < 0:
		return o, bad("Batch", o.Batch, "want at least 1 value of t per step (0: 4)")
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return o, bad("LR", o.LR, "want a positive, finite learning rate (0: 0.01)")
	case o.WeightDecay != nil && (!(*o.WeightDecay >= 0) || math.IsInf(*o.WeightDecay, 0)):
		return o, bad("WeightDecay", *o.WeightDecay, "want a finite weight decay >= 0")
	}
	return o, nil
}

// check refuses two models that no path can join on one training set and
// returns the weight decay of the objective.
func (o ConnectOptions) check(a, b *Endpoint) (float64, error) {
	if !sameArch(a.Spec, b.Spec) {
		return 0, fmt.Errorf("connect: the models differ: %s is %s %s %s, %s is %s %s %s; a path needs one architecture",
			a.Ref, a.Spec.Describe(), a.Spec.Act.Name, a.Spec.Loss, b.Ref, b.Spec.Describe(), b.Spec.Act.Name, b.Spec.Loss)
	}
	if !reflect.DeepEqual(a.Data, b.Data) {
		return 0, fmt.Errorf("connect: %s and %s were trained on different data (%s); their losses are not on one training set",
			a.Ref, b.Ref, dataDiff(a.Data, b.Data))
	}
	if o.Data != "" && o.Data != a.Data.Name {
		return 0, &options.Error{Op: "landscape.Connect", Field: "Data", Value: o.Data,
			Want: fmt.Sprintf("the models were trained on %s (leave it out or give %s)", a.Data.Name, a.Data.Name)}
	}
	if o.WeightDecay != nil {
		return *o.WeightDecay, nil
	}
	if a.WeightDecay != b.WeightDecay {
		return 0, &options.Error{Op: "landscape.Connect", Field: "WeightDecay",
			Want: fmt.Sprintf("the models were trained with weight decay %g and %g; give the objective's", a.WeightDecay, b.WeightDecay)}
	}
	return a.WeightDecay, nil
}

// dataDiff says how two records of training data differ, field by field
// (the set, subset, split and standardisation).
func dataDiff(a, b models.CheckpointData) string {
	var d []string
	add := func(name string, x, y any) {
		if !reflect.DeepEqual(x, y) {
			d = append(d, fmt.Sprintf("%s %v against %v", name, x, y))
		}
	}
	add("data set", a.Name, b.Name)
	add("subset", a.Subset, b.Subset)
	add("test fraction", a.TestFraction, b.TestFraction)
	add("split seed", a.Seed, b.Seed)
	add("training samples", a.Train, b.Train)
	add("test samples", a.Test, b.Test)
	if !reflect.DeepEqual(a.Mean, b.Mean) || !reflect.DeepEqual(a.Std, b.Std) {
		d = append(d, "standardisation differs")
	}
	if len(d) == 0 {
		return "their data records differ"
	}
	return strings.Join(d, ", ")
}
