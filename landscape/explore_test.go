package landscape

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// exploreOptions: iris 4-2-2-3 (25 parameters) at weight decay 0.001,
// whose basin-hopping finds three minima up to symmetry in 30 steps,
// joined by two transition states. (Smaller networks at larger decays
// have one minimum up to symmetry: 4-2-3 and 4-3-3 at 0.001 in 30 steps.)
func exploreOptions(db string) ExploreOptions {
	return ExploreOptions{Config: Config{Data: "iris", WeightDecay: 0.001, Seed: 1}, Widths: []int{4, 2, 2, 3}, Steps: 30,
		StepSize: 2, Temperature: 0.2, Connect: 3, DB: db}
}

// TestExplore: every point of the database is what it claims to be, by
// facts independent of how it was found: minima have a gradient norm at
// most the quench tolerance and index 0 on the Hessian, transition states
// index 1 and an energy above both minima they join; distinct minima are
// distinct under the database's own rule (energies apart by more than
// EnergyTol or aligned distance above DistanceTol); the summary's barriers
// are energy.Barriers', its components energy.Components'; a minimum's
// energy is its data loss (MeasureMinima, on the network rebuilt from the
// header) plus (wd/2)|theta|^2, to rounding. A resumed run only adds to
// the file; one with another weight decay is refused, naming the settings.
func TestExplore(t *testing.T) {
	b := enginetest.Open(t)
	path := filepath.Join(t.TempDir(), "db.jsonl")
	opts := exploreOptions(path)
	var progress [][2]int
	opts.Progress = func(done, total int) { progress = append(progress, [2]int{done, total}) }
	res, err := Explore(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Progress counts the hops, then the connections after the first.
	if total := opts.Steps + opts.Connect - 1; len(progress) == 0 || progress[len(progress)-1] != [2]int{total, total} {
		t.Errorf("progress ends at %v, want %d of %d", progress[max(0, len(progress)-1):], total, total)
	}
	db, err := energy.ReadDatabase(path, ExploreDistance(mustSpec(t, opts)))
	if err != nil {
		t.Fatal(err)
	}
	h := db.Header()
	mins, tss := db.Minima(), db.TransitionStates()
	if len(mins) < 2 || res.Summary.Minima != len(mins) || res.Summary.TransitionStates != len(tss) || res.Params != 25 || res.Hop.Steps != 30 {
		t.Fatalf("%d minima, %d transition states; result %+v", len(mins), len(tss), res.Summary)
	}
	if res.Connections == 0 || res.Joined == 0 || len(tss) == 0 {
		t.Errorf("%d connections, %d joined, %d transition states: want some of each", res.Connections, res.Joined, len(tss))
	}
	for _, m := range mins {
		if m.Index != 0 || !(m.GradNorm <= DefaultGradTol) {
			t.Errorf("minimum %d: index %d, gradient norm %g", m.ID, m.Index, m.GradNorm)
		}
	}
	for _, ts := range tss {
		if ts.Index != 1 || !(ts.GradNorm <= 1e-6) || ts.Energy < mins[ts.Plus].Energy || ts.Energy < mins[ts.Minus].Energy {
			t.Errorf("transition state %d: index %d, gradient %g, energy %v between minima at %v and %v",
				ts.ID, ts.Index, ts.GradNorm, ts.Energy, mins[ts.Plus].Energy, mins[ts.Minus].Energy)
		}
	}
	dist := ExploreDistance(mustSpec(t, opts))
	for i := range mins {
		for j := i + 1; j < len(mins); j++ {
			if math.Abs(mins[i].Energy-mins[j].Energy) <= h.EnergyTol && dist(mins[i].X, mins[j].X) <= h.DistanceTol {
				t.Errorf("minima %d and %d are one point by the database's rule", i, j)
			}
		}
	}
	e, edges := db.Energies()
	bar, _ := energy.Barriers(e, edges, res.Summary.Global)
	for i, v := range res.Summary.Barriers {
		if (v == nil) != math.IsInf(bar[i], 1) || (v != nil && *v != bar[i]) {
			t.Errorf("barrier %d: %v, energy.Barriers %v", i, v, bar[i])
		}
	}
	comps, _ := energy.Components(len(e), edges)
	if res.Summary.Components != len(comps) || res.Summary.Largest != len(comps[0]) || e[res.Summary.Global] != slices.Min(e) {
		t.Errorf("summary %+v; components %v", res.Summary, comps)
	}
	meas, err := MeasureMinima(b, db)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range mins {
		sq := 0.0
		for _, v := range m.X {
			sq += v * v
		}
		if want := meas[i].TrainLoss + 0.5*opts.Config.WeightDecay*sq; !(math.Abs(m.Energy-want) <= 1e-12*want) {
			t.Errorf("minimum %d: energy %.17g, data loss + penalty %.17g", i, m.Energy, want)
		}
		if meas[i].TestAccuracy < 0 || meas[i].TestAccuracy > 1 {
			t.Errorf("minimum %d: test accuracy %v", i, meas[i].TestAccuracy)
		}
	}
	// Resume: the file grows, nothing is lost.
	opts.Resume, opts.Steps, opts.Connect = true, 5, 0
	again, err := Explore(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Summary.Minima < len(mins) || again.Summary.TransitionStates != len(tss) {
		t.Errorf("resumed: %d minima, %d transition states; before %d, %d", again.Summary.Minima, again.Summary.TransitionStates, len(mins), len(tss))
	}
	opts.Config.WeightDecay = 0.01
	if _, err := Explore(context.Background(), b, opts); err == nil || !strings.Contains(err.Error(), "settings") {
		t.Errorf("resume with another weight decay: %v, want a refusal naming the settings", err)
	}
}

// mustSpec is the network spec of o's architecture under o's (normalised)
// settings.
func mustSpec(t *testing.T, o ExploreOptions) models.NetworkSpec {
	t.Helper()
	cfg := o.Config
	cfg.Budget = 1
	cfg, err := cfg.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := cfg.Spec(o.Widths)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestExploreOptions: each invalid option is an *options.Error naming its
// field, before any file is written; widths that do not fit the data are
// refused naming the data's.
func TestExploreOptions(t *testing.T) {
	dir := t.TempDir()
	for field, mutate := range map[string]func(o *ExploreOptions){
		"Widths":      func(o *ExploreOptions) { o.Widths = []int{4} },
		"Steps":       func(o *ExploreOptions) { o.Steps = -1 },
		"StepSize":    func(o *ExploreOptions) { o.StepSize = math.Inf(1) },
		"Temperature": func(o *ExploreOptions) { o.Temperature = -1 },
		"Connect":     func(o *ExploreOptions) { o.Connect = -2 },
		"DB":          func(o *ExploreOptions) { o.DB = "" },
		"Overwrite":   func(o *ExploreOptions) { o.Resume, o.Overwrite = true, true },
	} {
		o := exploreOptions(filepath.Join(dir, field+".jsonl"))
		mutate(&o)
		_, err := Explore(context.Background(), enginetest.Open(t), o)
		var oe *options.Error
		if !errors.As(err, &oe) || oe.Field != field {
			t.Errorf("%s: error %v, want an options.Error for it", field, err)
		}
	}
	o := exploreOptions(filepath.Join(dir, "w.jsonl"))
	o.Widths = []int{5, 2, 3}
	if _, err := Explore(context.Background(), enginetest.Open(t), o); err == nil || !strings.Contains(err.Error(), "4 inputs and 3 outputs") {
		t.Errorf("widths 5-2-3 on iris: %v, want a refusal naming 4 inputs and 3 outputs", err)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*")); len(entries) != 0 {
		t.Errorf("files written after refused options: %v", entries)
	}
}

// TestSummarizeGraph: a hand-built database of four minima (energies 1,
// 0.2, 0.5, 2) with transition states joining 0-1 at 1.5 and 1-2 at 0.9
// and the last minimum unconnected: the global minimum is 1, the
// components {0, 1, 2} and {3}, the barriers to the global minimum 1.5 -
// 1 = 0.5, 0, 0.9 - 0.5 = 0.4 and none, and the estimate is Chao1 of the
// hits (each minimum found once, and minimum 2 twice more).
func TestSummarizeGraph(t *testing.T) {
	db, err := energy.NewDatabase(energy.Header{Dim: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := SummarizeGraph(db)
	if err != nil || empty.Minima != 0 || empty.Estimate != nil || len(empty.Barriers) != 0 {
		t.Errorf("empty database: %+v, %v", empty, err)
	}
	for i, e := range []float64{1, 0.2, 0.5, 2} {
		if _, _, err := db.AddMinimum(energy.Point{X: []float64{float64(10 * i)}, Energy: e}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		if _, isNew, err := db.AddMinimum(energy.Point{X: []float64{20}, Energy: 0.5}); err != nil || isNew {
			t.Fatalf("second hit of minimum 2: new %v, %v", isNew, err)
		}
	}
	for _, ts := range []struct {
		x, e        float64
		plus, minus int
	}{{5, 1.5, 0, 1}, {15, 0.9, 1, 2}} {
		if _, _, err := db.AddTransitionState(energy.Point{X: []float64{ts.x}, Energy: ts.e, Character: energy.Character{Index: 1}}, ts.plus, ts.minus); err != nil {
			t.Fatal(err)
		}
	}
	s, err := SummarizeGraph(db)
	if err != nil {
		t.Fatal(err)
	}
	if s.Minima != 4 || s.TransitionStates != 2 || s.Global != 1 || s.GlobalEnergy != 0.2 || s.Components != 2 || s.Largest != 3 || s.WithGlobal != 3 {
		t.Errorf("summary %+v", s)
	}
	want := []float64{0.5, 0, 0.4, math.NaN()}
	if len(s.Barriers) != 4 || s.Barriers[3] != nil {
		t.Fatalf("barriers %v, want 4 with the last nil", s.Barriers)
	}
	for i, w := range want[:3] {
		if s.Barriers[i] == nil || !(math.Abs(*s.Barriers[i]-w) <= 1e-15) {
			t.Errorf("barrier %d: %v, want %v", i, s.Barriers[i], w)
		}
	}
	r, err := energy.Chao1(db.Hits())
	if err != nil || s.Estimate == nil || *s.Estimate != r {
		t.Errorf("estimate %v, want Chao1 of the hits %+v (%v)", s.Estimate, r, err)
	}
}
