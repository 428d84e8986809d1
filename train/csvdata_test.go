package train

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/engine"
)

// writeTable writes rows of "a,b,label" with labels named by name(i).
func writeTable(t *testing.T, path string, name func(i int) string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("a,b,label\n")
	for i := range 40 {
		fmt.Fprintf(&b, "%d,%g,%s\n", i, float64(i*i)/7, name(i))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A table with string labels records its class names in order; Rebuild
// maps them the same way, and refuses a file whose labels now name other
// classes (here one renamed so that it sorts first), naming both lists.
func TestPrepareRecordsCSVClasses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")
	names := []string{"cat", "dog", "eel"}
	writeTable(t, path, func(i int) string { return names[i%3] })
	p, err := Prepare(DataSpec{Name: datasets.CSVName(path, datasets.TableOptions{Label: "label"}), Seed: 1, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Info.Classes, names) {
		t.Fatalf("recorded classes %q, want %q", p.Info.Classes, names)
	}
	if err := p.Info.Check(); err != nil {
		t.Fatal(err)
	}
	again, err := Rebuild(p.Info)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Train.Y, p.Train.Y) || DataHash(again.Train, again.Test) != p.Info.SHA256 {
		t.Fatal("rebuilt labels differ")
	}
	writeTable(t, path, func(i int) string { return []string{"ant", "dog", "eel"}[i%3] })
	_, err = Rebuild(p.Info)
	if err == nil || !strings.Contains(err.Error(), `the labels now name the classes "ant", "dog", "eel"; the model was trained with "cat", "dog", "eel"`) {
		t.Fatalf("renamed class: %v", err)
	}
	// Integer labels record no names.
	writeTable(t, path, func(i int) string { return fmt.Sprint(i % 2) })
	p, err = Prepare(DataSpec{Name: "csv:" + path, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.Info.Classes != nil || !strings.HasSuffix(p.Info.Name, "?label=-1") {
		t.Errorf("integer labels: classes %q, name %s", p.Info.Classes, p.Info.Name)
	}
}

// A regression table trains with squared error by default, and a target
// that is linear in the features is fitted exactly by a network without
// hidden layers (least squares with a zero residual): the training loss
// falls to rounding level. Its hash covers the targets.
func TestRunRegressionTable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	var b strings.Builder
	b.WriteString("x1,x2,y\n")
	for i := range 30 {
		x1, x2 := float64(i%7)-3, float64(i%5)*0.5
		fmt.Fprintf(&b, "%g,%g,%g\n", x1, x2, 2*x1-x2+1)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	be, err := engine.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	name := datasets.CSVName(path, datasets.TableOptions{Targets: []string{"y"}})
	r, err := Run(context.Background(), be, RunOptions{Data: name, Arch: []int{2, 1}, Optimizer: "lbfgs", Steps: 200, WeightDecay: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Model.Close()
	if r.Loss != "squared-error" || r.TrainAccuracy != 0 || r.Model.Train.Labels != nil {
		t.Fatalf("loss %s, accuracy %v, labels %v", r.Loss, r.TrainAccuracy, r.Model.Train.Labels)
	}
	// The targets are O(10); float64 rounding of the residuals is ~1e-15.
	if r.TrainLoss > 1e-20 || r.TestLoss > 1e-20 {
		t.Errorf("train loss %g, test loss %g; want rounding level (< 1e-20) for an exactly linear target", r.TrainLoss, r.TestLoss)
	}
	if _, err := Run(context.Background(), be, RunOptions{Data: name, Loss: "cross-entropy", Steps: 1}); err == nil || !strings.Contains(err.Error(), "needs class labels") {
		t.Errorf("cross-entropy on a regression table: %v", err)
	}
	p, err := Prepare(DataSpec{Name: name, Seed: 0})
	if err != nil {
		t.Fatal(err)
	}
	shifted := p.Train.Clone()
	shifted.Targets[0] += 1
	if DataHash(shifted, p.Test) == DataHash(p.Train, p.Test) {
		t.Error("DataHash does not see the targets")
	}
}
