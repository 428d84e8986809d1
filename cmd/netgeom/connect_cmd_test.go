package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/train"
)

// trainedModel trains a 4-8-3 tanh network on iris (split and
// standardisation from dataSeed, weights from initSeed) with L-BFGS and
// weight decay 0.01, saves it and returns its path and training loss.
func trainedModel(t *testing.T, dir string, dataSeed, initSeed uint64, hidden int) (string, float64) {
	t.Helper()
	b := enginetest.Open(t)
	prep, err := train.Prepare(train.DataSpec{Name: "iris", Seed: dataSeed, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := train.Upload(b, prep.Train)
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	tanh, err := activation.Lookup("tanh")
	if err != nil {
		t.Fatal(err)
	}
	spec := models.NetworkSpec{Widths: []int{4, hidden, 3}, Act: tanh, Loss: models.CrossEntropy}
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	if err := net.Initialize(models.Init{Scheme: models.InitGlorot}, initSeed); err != nil {
		t.Fatal(err)
	}
	if _, err := train.Train(net, data, train.Options{Method: train.LBFGS, Steps: 300, WeightDecay: 0.01, GradTol: 1e-7}); err != nil {
		t.Fatal(err)
	}
	e, _ := net.NewEvaluator(0)
	defer e.Close()
	loss, err := e.Loss(net.Params(), data)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+string(rune('a'+initSeed))+".ngm")
	hdr := models.CheckpointHeader{Seed: initSeed, Data: &prep.Info, Training: &models.CheckpointTraining{Optimizer: "lbfgs", WeightDecay: 0.01}}
	if err := models.SaveCheckpoint(path, net, hdr); err != nil {
		t.Fatal(err)
	}
	return path, loss
}

// TestConnectCommand: between two iris models trained from different
// seeds on one split, the paths start and end at the models (train loss
// equal to the loss evaluated when they were saved, to 1e-12 relative; the
// Bezier curve has the same ends), the barrier is the path's maximum minus
// the higher end, and with --align the endpoint distance shrinks
// while the far end's loss is unchanged (alignment keeps the function).
// Census end points work as models (CENSUS:DEPTH:RESTART); the CSV cells,
// t = 1/3 included, read back as the JSON's numbers, bit for bit.
func TestConnectCommand(t *testing.T) {
	dir := t.TempDir()
	a, la := trainedModel(t, dir, 1, 2, 8)
	b, lb := trainedModel(t, dir, 1, 3, 8)
	for _, align := range []bool{false, true} {
		args := []string{"connect", "--model", a, "--model", b, "--data", "iris", "--points", "5", "--steps", "50", "--format", "json"}
		if align {
			args = append(args, "--align")
		}
		js, err := execCLI(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var r landscape.ConnectResult
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			t.Fatalf("%v\n%s", err, js)
		}
		lin := r.Linear.Points
		if len(lin) != 5 || r.Bezier == nil || len(r.Bezier.Points) != 5 || r.WeightDecay != 0.01 || r.Params != 67 {
			t.Fatalf("result %+v", r)
		}
		for _, c := range [][2]float64{{lin[0].TrainLoss, la}, {lin[4].TrainLoss, lb}, {r.Bezier.Points[0].TrainLoss, la}, {r.Bezier.Points[4].TrainLoss, lb}} {
			if !(math.Abs(c[0]-c[1]) <= 1e-12*c[1]) {
				t.Errorf("align %v: path end loss %v, model's %v", align, c[0], c[1])
			}
		}
		top := math.Inf(-1)
		for _, p := range lin {
			top = math.Max(top, p.TrainLoss)
		}
		if want := top - math.Max(la, lb); !(math.Abs(r.Linear.Barrier-want) <= 1e-15) {
			t.Errorf("barrier %v, want %v", r.Linear.Barrier, want)
		}
		// Two independently trained networks of 8 tanh units: the identity is
		// one of 8! 2^8 signed permutations, so alignment finds a nearer one.
		if align && r.Distance >= r.UnalignedDistance || !align && r.Distance != r.UnalignedDistance {
			t.Errorf("align %v: distance %v, unaligned %v", align, r.Distance, r.UnalignedDistance)
		}
	}
	census := filepath.Join(dir, "c.jsonl")
	if _, err := execCLI(t, "census", "--data", "iris", "--budget", "100", "--depths", "1", "--restarts", "2", "--adam-steps", "100", "--out", census); err != nil {
		t.Fatal(err)
	}
	args := []string{"connect", "--model", census + ":1:0", "--model", census + ":1:1", "--points", "4", "--steps", "0"}
	js, err := execCLI(t, append(args, "--format", "json")...)
	if err != nil {
		t.Fatal(err)
	}
	var r landscape.ConnectResult
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	// CSV keeps every digit: t = 1/3 and the losses read back as the JSON's.
	csvOut, err := execCLI(t, append(args, "--format", "csv")...)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil || len(rows) != 5 || len(rows[0]) != 4 || r.Bezier != nil {
		t.Fatalf("csv %v:\n%s", err, csvOut)
	}
	for i, p := range r.Linear.Points {
		for k, want := range []float64{p.T, p.TrainLoss, p.TestLoss, p.Objective} {
			if got, err := strconv.ParseFloat(rows[i+1][k], 64); err != nil || got != want {
				t.Errorf("point %d %s: CSV %q, JSON %v", i, rows[0][k], rows[i+1][k], want)
			}
		}
	}
	table, err := execCLI(t, "connect", "--model", census+":1:0", "--model", census+":1:1", "--points", "3", "--steps", "0")
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 5 || !strings.Contains(lines[0], "4-12-3") {
		t.Errorf("table:\n%s", table)
	}
}

// TestConnectErrors: two models are needed, of one architecture, trained
// on one split; --data must name the models' set; census references must
// exist.
func TestConnectErrors(t *testing.T) {
	dir := t.TempDir()
	a, _ := trainedModel(t, dir, 1, 2, 8)
	other, _ := trainedModel(t, dir, 5, 3, 8)
	wide, _ := trainedModel(t, dir, 1, 4, 9)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", a}, "exactly two"},
		{[]string{"--model", a, "--model", other}, "different data"},
		{[]string{"--model", a, "--model", wide}, "architecture"},
		{[]string{"--model", a, "--model", a, "--data", "wine"}, "--data"},
		{[]string{"--model", a, "--model", filepath.Join(dir, "none.jsonl:1:0")}, "none.jsonl"},
		{[]string{"--model", a, "--model", a, "--points", "1"}, "--points"},
	} {
		if _, err := execCLI(t, append([]string{"connect"}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
}
