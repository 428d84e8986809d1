package landscape

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
	"github.com/netgeom/netgeom/train"
)

// censusFile writes the small test census to a file and returns its path.
func censusFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.jsonl")
	if err := os.WriteFile(path, fullCensus(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// saveEndpoint writes e's network as a model file recording data and the
// weight decay wd.
func saveEndpoint(t *testing.T, e *Endpoint, path string, data models.CheckpointData, wd float64) {
	t.Helper()
	net, err := models.NewNetwork(enginetest.Open(t), e.Spec)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	if err := net.SetParams(e.Theta); err != nil {
		t.Fatal(err)
	}
	hdr := models.CheckpointHeader{Data: &data, Training: &models.CheckpointTraining{Optimizer: "lbfgs", WeightDecay: wd}}
	if err := models.SaveCheckpoint(path, net, hdr); err != nil {
		t.Fatal(err)
	}
}

// TestLoadEndpoint: a census reference CENSUS:DEPTH:RESTART gives the
// record's parameters bit for bit, the census's architecture (4-7-6-3 at
// depth 2), weight decay and data (those of train.Prepare on the census's
// data spec). A model file written from it loads to the same parameters,
// spec and data (train.Rebuild of the recorded preparation: the same
// standardised samples bit for bit) with the file's weight decay; a file
// whose name has the form of a census reference is read as a file.
// References to missing restarts, files and data are errors that say so.
func TestLoadEndpoint(t *testing.T) {
	census := censusFile(t)
	c, err := ReadCensus(census)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := c.Find(2, 1)
	ref := census + ":2:1"
	e, err := LoadEndpoint(ref)
	if err != nil {
		t.Fatal(err)
	}
	prep, err := train.Prepare(c.Config.DataSpec())
	if err != nil {
		t.Fatal(err)
	}
	if e.Ref != ref || !slices.Equal(e.Theta, rec.Theta) || e.Spec.ArchString() != "4-7-6-3" || e.Spec.Act.Name != "tanh" ||
		e.WeightDecay != 0.01 || !reflect.DeepEqual(e.Data, prep.Info) || !slices.Equal(e.Prepared.Train.X, prep.Train.X) {
		t.Fatalf("census end point: ref %q, arch %s %s, wd %v, data %+v", e.Ref, e.Spec.ArchString(), e.Spec.Act.Name, e.WeightDecay, e.Data)
	}
	dir := t.TempDir()
	for _, name := range []string{"m.ngm", "m:2:1"} {
		path := filepath.Join(dir, name)
		saveEndpoint(t, e, path, e.Data, 0.02)
		f, err := LoadEndpoint(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(f.Theta, e.Theta) || f.Spec.Describe() != e.Spec.Describe() || f.WeightDecay != 0.02 || !reflect.DeepEqual(f.Data, e.Data) ||
			!slices.Equal(f.Prepared.Train.X, e.Prepared.Train.X) || !slices.Equal(f.Prepared.Test.X, e.Prepared.Test.X) {
			t.Errorf("%s: the model file does not load as the end point it was written from", name)
		}
	}
	for _, c := range []struct{ ref, want string }{
		{census + ":9:0", "no depth 9 restart 0"},
		{filepath.Join(dir, "none.jsonl") + ":1:0", "none.jsonl"},
		{filepath.Join(dir, "none.ngm"), "none.ngm"},
		{census + ":99999999999999999999:0", "not integers"},
		{census + ":x:y", "not integers"}, // used to be read as a model file named so
	} {
		if _, err := LoadEndpoint(c.ref); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.ref, err, c.want)
		}
	}
}

// TestConnect: Connect is LinearPath, TrainBezier and BezierPath on the
// two end points (its paths, final objective and control point equal bit
// for bit those of the same steps run by hand); the paths end at the
// networks (train loss and objective equal to the census records', which
// the restarts measured with their own evaluators, to 1e-12 relative),
// Distance is the Euclidean distance |a - b|, every Adam step is reported.
// With Align the distance shrinks while the far end's train loss stays the
// record's (alignment keeps the function); LinearOnly skips the curve; an
// explicit weight decay wd makes objective - loss = (wd/2)|a|^2 at t = 0.
func TestConnect(t *testing.T) {
	census := censusFile(t)
	c, _ := ReadCensus(census)
	ra, _ := c.Find(2, 0)
	rb, _ := c.Find(2, 1)
	b := enginetest.Open(t)
	var calls, last int
	opts := ConnectOptions{ModelA: census + ":2:0", ModelB: census + ":2:1", Points: 5, Steps: 30, Seed: 7,
		Progress: func(done, _ int) { calls, last = calls+1, done }}
	res, err := Connect(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}

	pe, a, bb, done := connectProblem(t)
	defer done()
	lin, _ := LinearPath(pe, a, bb, 5)
	bz, err := TrainBezier(pe, a, bb, BezierOptions{Steps: 30, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	curve, _ := BezierPath(pe, a, bb, bz.Control, 5)
	same := func(x, y any) bool {
		jx, _ := json.Marshal(x)
		jy, _ := json.Marshal(y)
		return string(jx) == string(jy)
	}
	if !same(res.Linear, lin) || res.Bezier == nil || !same(*res.Bezier, curve) || res.BezierObjective != bz.Objective ||
		!slices.Equal(res.BezierControl, bz.Control) || res.BezierSteps != 30 {
		t.Fatalf("Connect differs from the steps run by hand:\n%+v\n%+v", res, lin)
	}
	n := len(res.Linear.Points) - 1
	for i, e := range [][2]float64{{res.Linear.Points[0].TrainLoss, ra.TrainLoss}, {res.Linear.Points[n].TrainLoss, rb.TrainLoss},
		{res.Linear.Points[0].Objective, ra.Objective}, {res.Bezier.Points[n].Objective, rb.Objective}} {
		if !(math.Abs(e[0]-e[1]) <= 1e-12*e[1]) {
			t.Errorf("end %d: path %v, record %v", i, e[0], e[1])
		}
	}
	d2 := 0.0
	for i := range a {
		d2 += (a[i] - bb[i]) * (a[i] - bb[i])
	}
	if !(math.Abs(res.Distance-math.Sqrt(d2)) <= 1e-14*math.Sqrt(d2)) || res.UnalignedDistance != res.Distance || res.Aligned {
		t.Errorf("distance %v (unaligned %v), want |a - b| = %v", res.Distance, res.UnalignedDistance, math.Sqrt(d2))
	}
	if calls != 30 || last != 30 {
		t.Errorf("progress called %d times, last with %d; want 30 and 30", calls, last)
	}
	if res.Params != 104 || res.Arch != "4-7-6-3" || res.Data != "iris" || res.WeightDecay != 0.01 || res.Loss != "cross-entropy" {
		t.Errorf("result: %+v", res)
	}

	opts.Align, opts.LinearOnly, opts.Progress = true, true, nil
	al, err := Connect(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	if al.Bezier != nil || al.BezierSteps != 0 || al.BezierControl != nil || !al.Aligned || al.UnalignedDistance != res.Distance ||
		!(al.Distance < al.UnalignedDistance) || !(math.Abs(al.Linear.Points[n].TrainLoss-rb.TrainLoss) <= 1e-12*rb.TrainLoss) {
		t.Errorf("aligned, line only: distance %v (unaligned %v), far end loss %v (record %v), Bezier %v",
			al.Distance, al.UnalignedDistance, al.Linear.Points[n].TrainLoss, rb.TrainLoss, al.Bezier)
	}

	wd := 0.5
	opts.Align, opts.WeightDecay = false, &wd
	w, err := Connect(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	p0, want := w.Linear.Points[0], 0.25*dot(a, a)
	if got := p0.Objective - p0.TrainLoss; w.WeightDecay != 0.5 || !(math.Abs(got-want) <= 1e-12*want) || p0.TrainLoss != res.Linear.Points[0].TrainLoss {
		t.Errorf("weight decay 0.5: objective - loss %v, want (wd/2)|a|^2 = %v", got, want)
	}
}

// TestConnectErrors: options out of range, a data set other than the
// models', and models of different weight decays without an explicit one
// are options.Errors naming the field; models of different architectures or
// data cannot be joined; a cancelled context stops Connect.
func TestConnectErrors(t *testing.T) {
	census := censusFile(t)
	a, b2 := census+":2:0", census+":2:1"
	e, err := LoadEndpoint(b2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	otherWD := filepath.Join(dir, "wd.ngm")
	saveEndpoint(t, e, otherWD, e.Data, 0.02)
	otherData := filepath.Join(dir, "data.ngm")
	d := e.Data
	d.Seed, d.SHA256 = d.Seed+1, "" // another split, recorded without a hash
	saveEndpoint(t, e, otherData, d, 0.01)
	neg, inf := -1.0, math.Inf(1)
	for _, c := range []struct {
		field string
		opts  ConnectOptions
	}{
		{"ModelA", ConnectOptions{ModelB: b2}},
		{"ModelB", ConnectOptions{ModelA: a}},
		{"Points", ConnectOptions{ModelA: a, ModelB: b2, Points: 1}},
		{"Steps", ConnectOptions{ModelA: a, ModelB: b2, Steps: -1}},
		{"Batch", ConnectOptions{ModelA: a, ModelB: b2, Batch: -1}},
		{"LR", ConnectOptions{ModelA: a, ModelB: b2, LR: -0.1}},
		{"LR", ConnectOptions{ModelA: a, ModelB: b2, LR: inf}},
		{"WeightDecay", ConnectOptions{ModelA: a, ModelB: b2, WeightDecay: &neg}},
		{"WeightDecay", ConnectOptions{ModelA: a, ModelB: b2, WeightDecay: &inf}},
		{"Data", ConnectOptions{ModelA: a, ModelB: b2, Data: "wine"}},
		{"WeightDecay", ConnectOptions{ModelA: a, ModelB: otherWD}},
	} {
		c.opts.LinearOnly = true
		_, err := Connect(context.Background(), enginetest.Open(t), c.opts)
		var oe *options.Error
		if !errors.As(err, &oe) || oe.Field != c.field {
			t.Errorf("%s: error %v, want an options.Error for %s", c.field, err, c.field)
		}
	}
	wd := 0.01
	if _, err := Connect(context.Background(), enginetest.Open(t), ConnectOptions{ModelA: a, ModelB: otherWD, WeightDecay: &wd, LinearOnly: true, Points: 2}); err != nil {
		t.Errorf("models of different weight decays with WeightDecay given: %v", err)
	}
	for _, c := range []struct{ b, want string }{{census + ":1:0", "one architecture"}, {otherData, "different data"}} {
		if _, err := Connect(context.Background(), enginetest.Open(t), ConnectOptions{ModelA: a, ModelB: c.b}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.b, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Connect(ctx, enginetest.Open(t), ConnectOptions{ModelA: a, ModelB: b2}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestDataDiff: the error about two models trained on different data names
// the fields that differ (it used to print the set and seed only, which
// read "iris seed 1 against iris seed 1" for models of two subsets).
func TestDataDiff(t *testing.T) {
	a := models.CheckpointData{Name: "iris", Seed: 1, Train: 120, Test: 30, Mean: []float64{1}}
	b := a
	b.Subset, b.Train, b.Test = 60, 48, 12
	if got, want := dataDiff(a, b), "subset 0 against 60, training samples 120 against 48, test samples 30 against 12"; got != want {
		t.Errorf("dataDiff = %q, want %q", got, want)
	}
	b = a
	b.Mean = []float64{2}
	if got := dataDiff(a, b); got != "standardisation differs" {
		t.Errorf("dataDiff of two standardisations = %q", got)
	}
}
