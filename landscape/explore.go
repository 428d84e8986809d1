package landscape

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// Defaults of ExploreOptions.
const (
	DefaultExploreSteps       = 200
	DefaultExploreStepSize    = 1.0
	DefaultExploreTemperature = 0.05
	DefaultExploreEnergyTol   = 1e-8
	DefaultExploreDistanceTol = 1e-3
)

// AlignedDistance names, in a database's header, the distance
// ExploreDistance returns.
const AlignedDistance = "aligned-euclidean"

// ExploreSettings are what an exploration's database records of its
// objective (energy.Header.Settings), so that a reader can rebuild the
// network and its data: the census settings and the architecture.
type ExploreSettings struct {
	Config Config `json:"config"`
	Widths []int  `json:"widths"`
}

// ExploreOptions configure Explore. Zero values are the defaults named.
type ExploreOptions struct {
	// Config gives the data, activation, loss, initialisation, weight
	// decay, seed, gradient tolerance (of every quench) and Hessian
	// settings, as for a census; its Budget is set to the architecture's
	// parameter count.
	Config Config
	// Widths is the architecture, input and output widths included (those
	// of the data). Required.
	Widths []int
	// Basin-hopping: Steps (0: DefaultExploreSteps), Patience (0: none),
	// StepSize (0: DefaultExploreStepSize) and Temperature (0:
	// DefaultExploreTemperature, in units of the objective); see
	// energy.HopOptions.
	Steps, Patience       int
	StepSize, Temperature float64
	// Connect, when positive, searches for transition states joining each
	// of the Connect lowest minima (the global one included) to the
	// global minimum, by a doubly-nudged elastic band refined by hybrid
	// eigenvector-following (energy.Connect), skipping minima already
	// joined to it.
	Connect int
	// Two minima are one when their objectives differ by at most EnergyTol
	// and their distance after aligning hidden units (permutations and,
	// for odd activations, sign flips) is at most DistanceTol (0: the
	// defaults).
	EnergyTol, DistanceTol float64
	// DB is the database file (JSON lines), appended as points are found.
	// Required. Resume continues it (the chain restarts from its lowest
	// minimum with new perturbations); Overwrite starts afresh.
	DB                string
	Resume, Overwrite bool
	// Progress is called after every basin-hopping step and every
	// connection attempt.
	Progress options.Progress
	Log      io.Writer
}

// ExploreResult is what Explore did and the database it left.
type ExploreResult struct {
	DB       string           `json:"db"`
	Settings ExploreSettings  `json:"settings"`
	Params   int              `json:"params"`
	Hop      energy.HopResult `json:"hop"`
	// Connections attempted, and of them those that ended in a transition
	// state joining the two minima asked for; Failed ended in no saddle of
	// index 1 (their error in Errors).
	Connections int      `json:"connections"`
	Joined      int      `json:"joined"`
	Failed      int      `json:"failed"`
	Errors      []string `json:"errors"`
	// The database after the run.
	Summary GraphSummary `json:"summary"`
	Seconds float64      `json:"seconds"`
}

// GraphSummary describes a database of minima and transition states: its
// counts, the lowest minimum, the connected components, each minimum's
// barrier to the global minimum, and the Chao1 estimate from the hits.
type GraphSummary struct {
	Minima           int     `json:"minima"`
	TransitionStates int     `json:"transition_states"`
	Global           int     `json:"global_minimum"`
	GlobalEnergy     float64 `json:"global_energy"`
	// Components is the number of connected components of minima joined
	// by transition states; Largest the size of the largest, and
	// WithGlobal of the one holding the global minimum.
	Components int `json:"components"`
	Largest    int `json:"largest_component"`
	WithGlobal int `json:"global_component"`
	// Barriers[i] is minimum i's barrier to the global minimum (the
	// highest transition state on the lowest path, less its own energy),
	// nil where no path joins them.
	Barriers []*float64 `json:"barriers"`
	// Estimate is Chao1 from how often basin-hopping's quenches ended in
	// each minimum. The quenches of a Markov chain are correlated draws, so
	// read it as an indication, not an interval with its nominal coverage.
	Estimate *energy.Richness `json:"estimate,omitempty"`
}

// SummarizeGraph returns the summary of db.
func SummarizeGraph(db *energy.Database) (GraphSummary, error) {
	e, edges := db.Energies()
	s := GraphSummary{Minima: len(e), TransitionStates: len(db.TransitionStates()), Barriers: []*float64{}}
	if len(e) == 0 {
		return s, nil
	}
	s.Global = 0
	for i, v := range e {
		if v < e[s.Global] {
			s.Global = i
		}
	}
	s.GlobalEnergy = e[s.Global]
	comps, err := energy.Components(len(e), edges)
	if err != nil {
		return s, err
	}
	s.Components = len(comps)
	for _, c := range comps {
		s.Largest = max(s.Largest, len(c))
		if slices.Contains(c, s.Global) {
			s.WithGlobal = len(c)
		}
	}
	bar, err := energy.Barriers(e, edges, s.Global)
	if err != nil {
		return s, err
	}
	for _, v := range bar {
		if math.IsInf(v, 0) {
			s.Barriers = append(s.Barriers, nil)
			continue
		}
		s.Barriers = append(s.Barriers, &v)
	}
	r, err := energy.Chao1(db.Hits())
	if err != nil {
		return s, err
	}
	s.Estimate = &r
	return s, nil
}

// ExploreDistance returns the distance between two parameter vectors of
// spec after aligning the hidden units of b to a (Align): symmetric copies
// of a minimum are at distance 0. A failed alignment is +Inf (never the
// same point).
func ExploreDistance(spec models.NetworkSpec) func(a, b []float64) float64 {
	return func(a, b []float64) float64 {
		al, _, err := Align(spec, a, b)
		if err != nil {
			return math.Inf(1)
		}
		return Distance(a, al)
	}
}

// Explore maps the landscape of one architecture's training objective:
// basin-hopping from a seeded initialisation (or, resumed, from the
// database's lowest minimum), every minimum found added to the database
// file as it is found, then optionally transition states joining the lowest
// minima to the global one. When ctx is cancelled it stops after the step
// in progress; the database holds everything found.
func Explore(ctx context.Context, b engine.Backend, opts ExploreOptions) (*ExploreResult, error) {
	opts, spec, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	p, err := Prepare(b, opts.Config)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	if in, out := opts.Widths[0], opts.Widths[len(opts.Widths)-1]; in != p.Train.D || out != p.Train.C {
		return nil, &options.Error{Op: "landscape.Explore", Field: "Widths", Value: opts.Widths,
			Want: fmt.Sprintf("want %d inputs and %d outputs, those of %s", p.Train.D, p.Train.C, opts.Config.Data)}
	}
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	scheme, err := models.ParseInit(opts.Config.Init)
	if err != nil {
		return nil, err
	}
	if err := net.Initialize(models.Init{Scheme: scheme}, RestartSeed(opts.Config.Seed, len(opts.Widths)-2, 0)); err != nil {
		return nil, err
	}
	obj, err := NewObjective(net, p.Train, opts.Config.WeightDecay, 0)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	settings := ExploreSettings{Config: opts.Config, Widths: opts.Widths}
	raw, err := json.Marshal(settings)
	if err != nil {
		return nil, err
	}
	h := energy.Header{Dim: net.NumParams(), EnergyTol: opts.EnergyTol, DistanceTol: opts.DistanceTol, Distance: AlignedDistance,
		Objective: fmt.Sprintf("%s %s %s, mean %s + (%g/2)|theta|^2", opts.Config.Data, models.FormatArch(opts.Widths), opts.Config.Activation,
			opts.Config.Loss, opts.Config.WeightDecay), Settings: raw}
	db, err := energy.OpenDatabase(opts.DB, h, ExploreDistance(spec), energy.FileOptions{Resume: opts.Resume, Overwrite: opts.Overwrite})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	x0, err := net.HostParams()
	if err != nil {
		return nil, err
	}
	// A resumed run continues from the lowest minimum with a seed that
	// depends on how many quenches the file holds, so it draws new
	// perturbations rather than repeating the first run's.
	done := 0
	for _, c := range db.Hits() {
		done += c
	}
	if mins := db.Minima(); len(mins) > 0 {
		low := slices.MinFunc(mins, func(a, b energy.Minimum) int { return cmp.Compare(a.Energy, b.Energy) })
		x0 = slices.Clone(low.X)
	}
	total := opts.Steps + max(opts.Connect-1, 0)
	report := func(d int) {
		if opts.Progress != nil {
			opts.Progress(d, total)
		}
	}
	res := &ExploreResult{DB: opts.DB, Settings: settings, Params: net.NumParams(), Errors: []string{}}
	hop, err := energy.BasinHop(ctx, obj, x0, db, energy.HopOptions{Seed: RestartSeed(opts.Config.Seed, len(opts.Widths)-2, 1+done),
		Steps: opts.Steps, Patience: opts.Patience, StepSize: opts.StepSize, Temperature: opts.Temperature,
		Quench: energy.QuenchOptions{GradTol: opts.Config.GradTol}, Progress: func(d, _ int) { report(d) }})
	res.Hop = hop
	if err == nil {
		err = obj.Err()
	}
	if err == nil && opts.Connect > 0 {
		err = connectLowest(ctx, obj, spec, db, opts, res, func(d int) { report(opts.Steps + d) })
	}
	if err == nil {
		err = obj.Err()
	}
	res.Seconds = time.Since(start).Seconds()
	if s, serr := SummarizeGraph(db); serr == nil {
		res.Summary = s
	} else if err == nil {
		err = serr
	}
	return res, err
}

// connectLowest joins each of the opts.Connect lowest minima not yet joined
// to the global one by energy.Connect from the nearest minimum (aligned
// distance) that is, the band running to the aligned copy.
func connectLowest(ctx context.Context, obj *Objective, spec models.NetworkSpec, db *energy.Database, opts ExploreOptions, res *ExploreResult, progress func(int)) error {
	mins := db.Minima()
	if len(mins) < 2 {
		return nil
	}
	order := make([]int, len(mins))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(mins[a].Energy, mins[b].Energy) })
	global := order[0]
	dist := ExploreDistance(spec)
	copt := energy.ConnectOptions{Quench: energy.QuenchOptions{GradTol: opts.Config.GradTol}, Align: func(a, b []float64) []float64 {
		if al, _, err := Align(spec, a, b); err == nil {
			return al
		}
		return b
	}}
	for k, m := range order[1:min(opts.Connect, len(order))] {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, edges := db.Energies()
		comps, err := energy.Components(len(e), edges)
		if err != nil {
			return err
		}
		var home []int // the global minimum's component
		for _, c := range comps {
			if slices.Contains(c, global) {
				home = c
			}
		}
		if !slices.Contains(home, m) {
			// From the nearest minimum already joined to the global one:
			// a short band is the likeliest to cross one saddle.
			target := home[0]
			for _, c := range home[1:] {
				if dist(mins[m].X, mins[c].X) < dist(mins[m].X, mins[target].X) {
					target = c
				}
			}
			res.Connections++
			cr, err := energy.Connect(obj, db, target, m, copt)
			switch {
			case errors.Is(err, energy.ErrNotConverged) || errors.Is(err, energy.ErrWrongIndex):
				res.Failed++
				res.Errors = append(res.Errors, fmt.Sprintf("minima %d and %d: %v", target, m, err))
			case err != nil:
				return err
			case cr.Joins:
				res.Joined++
			}
		}
		progress(k + 1)
	}
	return nil
}

func (o ExploreOptions) normalize() (ExploreOptions, models.NetworkSpec, error) {
	bad := func(field string, v any, want string) error {
		return &options.Error{Op: "landscape.Explore", Field: field, Value: v, Want: want}
	}
	o.Steps = cmp.Or(o.Steps, DefaultExploreSteps)
	o.StepSize = cmp.Or(o.StepSize, DefaultExploreStepSize)
	o.Temperature = cmp.Or(o.Temperature, DefaultExploreTemperature)
	o.EnergyTol = cmp.Or(o.EnergyTol, DefaultExploreEnergyTol)
	o.DistanceTol = cmp.Or(o.DistanceTol, DefaultExploreDistanceTol)
	var spec models.NetworkSpec
	if len(o.Widths) < 2 {
		return o, spec, bad("Widths", o.Widths, "want the architecture, inputs to outputs, like 4-3-3")
	}
	for _, w := range o.Widths {
		if w < 1 {
			return o, spec, bad("Widths", o.Widths, "want widths of at least 1")
		}
	}
	// The census's defaults and checks, then the budget the architecture
	// has.
	o.Config.Budget = 1
	var err error
	if o.Config, err = o.Config.Normalize(); err != nil {
		return o, spec, err
	}
	if spec, err = o.Config.Spec(o.Widths); err != nil {
		return o, spec, bad("Widths", o.Widths, err.Error())
	}
	o.Config.Budget = spec.NumParams()
	finite := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	switch {
	case o.Steps < 0:
		return o, spec, bad("Steps", o.Steps, "want at least 1 basin-hopping step (0: 200)")
	case o.Patience < 0:
		return o, spec, bad("Patience", o.Patience, "want a patience >= 0 (0: none)")
	case !finite(o.StepSize):
		return o, spec, bad("StepSize", o.StepSize, "want a positive, finite step")
	case !finite(o.Temperature):
		return o, spec, bad("Temperature", o.Temperature, "want a positive, finite temperature")
	case o.Connect < 0:
		return o, spec, bad("Connect", o.Connect, "want >= 0 minima to connect")
	case !finite(o.EnergyTol) || !finite(o.DistanceTol):
		return o, spec, bad("DistanceTol", [2]float64{o.EnergyTol, o.DistanceTol}, "want positive, finite tolerances")
	case o.DB == "":
		return o, spec, bad("DB", o.DB, "give the database file (JSON lines)")
	case o.Resume && o.Overwrite:
		return o, spec, bad("Overwrite", true, "Resume and Overwrite exclude each other: give one")
	}
	return o, spec, nil
}

// MinimumMeasure is a minimum's data loss and accuracy on its network's
// training and test sets.
type MinimumMeasure struct {
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`
}

// MeasureMinima evaluates every minimum of a database written by Explore
// on its network's training and test sets, rebuilt from the header's
// settings.
func MeasureMinima(b engine.Backend, db *energy.Database) ([]MinimumMeasure, error) {
	h := db.Header()
	var s ExploreSettings
	if len(h.Settings) == 0 {
		return nil, errors.New("the database records no network settings (not written by netgeom landscape explore)")
	}
	if err := json.Unmarshal(h.Settings, &s); err != nil {
		return nil, fmt.Errorf("the database's settings: %w", err)
	}
	spec, err := s.Config.Spec(s.Widths)
	if err != nil {
		return nil, fmt.Errorf("the database's settings: %w", err)
	}
	if spec.NumParams() != h.Dim {
		return nil, fmt.Errorf("the database's settings: architecture %s has %d parameters, the database %d", models.FormatArch(s.Widths), spec.NumParams(), h.Dim)
	}
	p, err := Prepare(b, s.Config)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	ev, err := net.NewEvaluator(0)
	if err != nil {
		return nil, err
	}
	defer ev.Close()
	var out []MinimumMeasure
	for _, m := range db.Minima() {
		if err := net.SetParams(m.X); err != nil {
			return nil, err
		}
		var mm MinimumMeasure
		if mm.TrainLoss, mm.TrainAccuracy, err = ev.Evaluate(net.Params(), p.Train); err != nil {
			return nil, err
		}
		if mm.TestLoss, mm.TestAccuracy, err = ev.Evaluate(net.Params(), p.Test); err != nil {
			return nil, err
		}
		out = append(out, mm)
	}
	return out, nil
}
