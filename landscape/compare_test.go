package landscape

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/options"
)

// TestCompare: a small comparison (iris, budget 100, depths 1 and 2, 12
// restarts each) against independent computations from its own census:
// each depth's counts and Chao1 estimate are the census summary's; the
// statistics' values on the whole sample are the median of the summary's
// aligned distances and overlaps (NewStats) and gonum's least-squares
// slopes (stat.LinearRegression) of the records' data loss and objective on
// their log-volume per parameter; every interval contains its value; the
// fewer-minima difference is the two Chao1 estimates' difference between
// the intervals' far ends; each verdict is what the difference's interval
// says. Run again with Resume on the finished files, Compare returns the
// same result (the bootstrap is seeded), apart from the wall time.
func TestCompare(t *testing.T) {
	b := enginetest.Open(t)
	dir := t.TempDir()
	cfg := testConfig()
	cfg.Data = ""
	opts := CompareOptions{Config: cfg, Datasets: []string{"iris"}, Depths: []int{1, 2}, Restarts: 12, Dir: dir, Workers: 1, Bootstrap: 300}
	res, err := Compare(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 || res.Budget != 100 || res.Restarts != 12 || res.Bootstrap != 300 {
		t.Fatalf("runs %d, budget %d, restarts %d, bootstrap %d", len(res.Runs), res.Budget, res.Restarts, res.Bootstrap)
	}
	run := res.Runs[0]
	if run.WeightDecay != DefaultWeightDecay || run.Census != filepath.Join(dir, "iris-wd0.01.jsonl") {
		t.Errorf("weight decay %v, census %s", run.WeightDecay, run.Census)
	}
	c, err := ReadCensus(run.Census)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := Summarize(b, c, SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inside := func(what string, iv *Interval) {
		if iv != nil && !(iv.Lower <= iv.Value && iv.Value <= iv.Upper) {
			t.Errorf("%s: value %v outside [%v, %v]", what, iv.Value, iv.Lower, iv.Upper)
		}
	}
	measured := 0
	for k, m := range run.Depths {
		s := sums[k]
		if m.Depth != s.Depth || m.DistinctMinima != s.DistinctMinima || m.Minima != s.Minima || m.Converged != s.Converged ||
			(m.Estimate == nil) != (s.MinimaEstimate == nil) || (m.Estimate != nil && *m.Estimate != *s.MinimaEstimate) {
			t.Errorf("depth %d: %+v; the census summary has %+v", s.Depth, m, s)
		}
		n := len(s.MinimaRestarts)
		if n != s.DistinctMinima {
			t.Fatalf("depth %d: %d representatives of %d distinct minima", s.Depth, n, s.DistinctMinima)
		}
		if n < MinBootstrapMinima {
			if m.Distance != nil || m.SlopeLoss != nil {
				t.Errorf("depth %d: %d minima, want no intervals", s.Depth, n)
			}
			continue
		}
		measured++
		var lv, loss, obj []float64
		for _, r := range s.MinimaRestarts {
			rec, _ := c.Find(s.Depth, r)
			lv = append(lv, rec.Hessian.LogVolume/float64(rec.Params))
			loss = append(loss, rec.TrainLoss)
			obj = append(obj, rec.Objective)
		}
		_, slope := stat.LinearRegression(lv, loss, nil, false)
		_, slopeObj := stat.LinearRegression(lv, obj, nil, false)
		for _, x := range []struct {
			what      string
			iv        *Interval
			want, tol float64
		}{
			{"distance", m.Distance, NewStats(s.ParamDistances).Median, 0},
			{"overlap", m.Overlap, NewStats(s.Overlaps).Median, 0},
			{"slope of the loss", m.SlopeLoss, slope, 1e-9 * math.Abs(slope)},
			{"slope of the objective", m.SlopeObjective, slopeObj, 1e-9 * math.Abs(slopeObj)},
		} {
			if x.iv == nil || !(math.Abs(x.iv.Value-x.want) <= x.tol) || x.iv.N != n {
				t.Errorf("depth %d %s: %+v, want %v over %d minima", s.Depth, x.what, x.iv, x.want, n)
			}
			inside(x.what, x.iv)
		}
		for _, q := range s.Overlaps {
			if !(q > 0 && q <= 1+1e-15) {
				t.Errorf("depth %d: overlap %v outside (0, 1]", s.Depth, q)
			}
		}
	}
	if measured == 0 {
		t.Fatal("no depth with enough distinct minima to measure; the test checks nothing")
	}
	if len(run.Claims) != 4 {
		t.Fatalf("%d claims", len(run.Claims))
	}
	few := run.Claims[0]
	a, z := sums[0].MinimaEstimate, sums[1].MinimaEstimate
	if few.Name != ClaimFewerMinima || few.Shallow != 1 || few.Deep != 2 || few.Difference == nil ||
		few.Difference.Value != z.Chao1-a.Chao1 || few.Difference.Lower != z.Lower-a.Upper || few.Difference.Upper != z.Upper-a.Lower {
		t.Errorf("fewer minima: %+v; Chao1 %+v then %+v", few, a, z)
	}
	for _, c := range run.Claims {
		side := -1
		inside(c.Name, c.Difference)
		if want := verdict(c.Difference, side); c.Verdict != want {
			t.Errorf("%s: verdict %s, interval %+v says %s", c.Name, c.Verdict, c.Difference, want)
		}
	}
	opts.Resume = true
	again, err := Compare(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	again.Seconds = res.Seconds
	j1, _ := json.Marshal(res)
	j2, _ := json.Marshal(again)
	if string(j1) != string(j2) {
		t.Errorf("resumed comparison differs:\n%s\n%s", j1, j2)
	}
}

// TestCompareOptions: each invalid option is an *options.Error naming its
// field, before any census runs.
func TestCompareOptions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good := CompareOptions{Config: testConfig(), Datasets: []string{"iris"}, Depths: []int{1, 2}, Restarts: 3, Dir: dir}
	for field, mutate := range map[string]func(o *CompareOptions){
		"Datasets":     func(o *CompareOptions) { o.Datasets = nil },
		"WeightDecays": func(o *CompareOptions) { o.WeightDecays = []float64{0.01, -1} },
		"Depths":       func(o *CompareOptions) { o.Depths = []int{2} },
		"Restarts":     func(o *CompareOptions) { o.Restarts = 1 },
		"Bootstrap":    func(o *CompareOptions) { o.Bootstrap = 10 },
		"Dir":          func(o *CompareOptions) { o.Dir = file },
	} {
		o := good
		mutate(&o)
		_, err := Compare(context.Background(), enginetest.Open(t), o)
		var oe *options.Error
		if !errors.As(err, &oe) || oe.Field != field {
			t.Errorf("%s: error %v, want an options.Error for it", field, err)
		}
	}
	o := good
	o.WeightDecays = []float64{0.01, 0.010}
	if _, err := Compare(context.Background(), enginetest.Open(t), o); err == nil {
		t.Error("a weight decay given twice: want an error")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the folder after refused options; want none written", len(entries)-1)
	}
}

// TestCompareProgressAndNames: two weight decays make two censuses, and
// progress counts restarts over both (the second census's continue from
// the first's 6: 6/12 ... 12/12); each census file is named by its weight
// decay in full (0.015, not rounded); zero values take the defaults and
// given ones are kept, a weight decay of 0 included.
func TestCompareProgressAndNames(t *testing.T) {
	if got := CensusFileName("iris", 0.015); got != "iris-wd0.015.jsonl" {
		t.Errorf("CensusFileName(iris, 0.015) = %s", got)
	}
	b := enginetest.Open(t)
	dir := t.TempDir()
	var calls []string
	o := CompareOptions{Config: testConfig(), Datasets: []string{"iris"}, WeightDecays: []float64{0, 0.015}, Depths: []int{1, 2}, Restarts: 3,
		Dir: dir, Workers: 1, Bootstrap: 100, Threshold: 1e-4,
		Progress: func(done, total int) { calls = append(calls, fmt.Sprintf("%d/%d", done, total)) }}
	res, err := Compare(context.Background(), b, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 || calls[len(calls)-1] != "12/12" || !slices.Contains(calls, "6/12") || !slices.Contains(calls, "7/12") {
		t.Errorf("progress %v: want it to pass 6/12 and 7/12 and end at 12/12", calls)
	}
	if len(res.Runs) != 2 || res.Runs[0].Census != filepath.Join(dir, "iris-wd0.jsonl") || res.Runs[1].Census != filepath.Join(dir, "iris-wd0.015.jsonl") {
		t.Errorf("runs %+v", res.Runs)
	}
	if res.Bootstrap != 100 || res.Threshold != 1e-4 || res.Restarts != 3 {
		t.Errorf("given options not kept: bootstrap %d, threshold %v, restarts %d", res.Bootstrap, res.Threshold, res.Restarts)
	}
	n, err := CompareOptions{Datasets: []string{"iris"}, Dir: dir}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.WeightDecays, []float64{DefaultWeightDecay}) || !slices.Equal(n.Depths, []int{1, 2, 3, 4}) || n.Restarts != DefaultCensusRestarts ||
		n.Bootstrap != DefaultBootstrap || n.Threshold != DefaultThreshold {
		t.Errorf("defaults: %+v", n)
	}
}
