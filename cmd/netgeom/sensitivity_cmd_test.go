package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/geometry"
	"github.com/netgeom/netgeom/models"
)

// TestSensitivityCLI: one row per layer; the trained model's own test
// accuracy and loss are those the checkpoint recorded when it was written
// (evaluated then, in another process path: 1e-12 relative, the same sums);
// re-randomisation uses --draws seeds that avoid the init seed; the
// geometry summaries are finite and positive; --data must be the model's.
func TestSensitivityCLI(t *testing.T) {
	path := trainedIris(t)
	out, err := execCLI(t, "sensitivity", "--model", path, "--data", "iris", "--format", "json", "--draws", "3")
	if err != nil {
		t.Fatal(err)
	}
	var r geometry.ModelSensitivityResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	hdr, _, err := models.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Layers) != len(hdr.Widths)-1 {
		t.Fatalf("%d rows, want %d (one per layer)", len(r.Layers), len(hdr.Widths)-1)
	}
	if !(math.Abs(r.Trained.Accuracy-hdr.Training.TestAccuracy) <= 1e-12) || !(math.Abs(r.Trained.Loss-hdr.Training.TestLoss) <= 1e-12*hdr.Training.TestLoss) {
		t.Errorf("trained %+v, checkpoint recorded test accuracy %v loss %v", r.Trained, hdr.Training.TestAccuracy, hdr.Training.TestLoss)
	}
	if len(r.RerandomSeeds) != 3 {
		t.Errorf("seeds %v, want 3", r.RerandomSeeds)
	}
	for _, s := range r.RerandomSeeds {
		if s == r.InitSeed {
			t.Errorf("re-randomisation seed %d is the init seed", s)
		}
	}
	for _, l := range r.Layers {
		if !(l.WeightDistance > 0) || !(l.InitNorm > 0) || !(l.MeanNorm > 0) || l.Reinit.Accuracy < 0 || l.Reinit.Accuracy > 1 {
			t.Errorf("layer %d: %+v", l.Layer, l)
		}
	}
	if !(r.FisherRao > 0) || !(r.PathLength > 0) || !(r.WeightPath > 0) {
		t.Errorf("Fisher-Rao %v, path length %v, weight path %v; want > 0", r.FisherRao, r.PathLength, r.WeightPath)
	}
	tab, err := execCLI(t, "sensitivity", "--model", path)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(tab), "\n"); len(lines) != 3+len(r.Layers) {
		t.Errorf("table has %d lines, want 2 title + header + %d rows:\n%s", len(lines), len(r.Layers), tab)
	}
	if _, err := execCLI(t, "sensitivity", "--model", path, "--data", "digits"); err == nil {
		t.Error("--data digits accepted for an iris model")
	}
	if _, err := execCLI(t, "sensitivity", "--model", path, "--rerandom-seed", "1", "--draws", "1"); err != nil {
		t.Errorf("--rerandom-seed equal to the init seed should be skipped, got %v", err)
	}
}

// TestPullbackCLI: one row per layer, k = min(inputs, width) by default
// and --dim caps it; quantiles are ordered; --samples limits the points.
func TestPullbackCLI(t *testing.T) {
	path := trainedIris(t)
	out, err := execCLI(t, "pullback", "--model", path, "--format", "json", "--samples", "50")
	if err != nil {
		t.Fatal(err)
	}
	var r geometry.ModelPullbackResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Samples != 50 || len(r.Layers) != 3 {
		t.Fatalf("samples %d, %d layers; want 50 and 3", r.Samples, len(r.Layers))
	}
	for _, l := range r.Layers {
		if l.K != min(r.Inputs, l.Width) {
			t.Errorf("layer %d: k %d, want %d", l.Layer, l.K, min(r.Inputs, l.Width))
		}
		for i := 1; i < len(l.LogVolume); i++ {
			if l.LogVolume[i] < l.LogVolume[i-1] {
				t.Errorf("layer %d: quantiles %v not increasing", l.Layer, l.LogVolume)
			}
		}
	}
	out, err = execCLI(t, "pullback", "--model", path, "--format", "json", "--dim", "1", "--on", "test")
	if err != nil {
		t.Fatal(err)
	}
	var r1 geometry.ModelPullbackResult
	if err := json.Unmarshal([]byte(out), &r1); err != nil {
		t.Fatal(err)
	}
	for _, l := range r1.Layers {
		if l.K != 1 {
			t.Errorf("--dim 1: layer %d has k %d", l.Layer, l.K)
		}
		// With k = 1 the log volume is log sigma_1 itself.
		for i := range l.LogVolume {
			if l.LogVolume[i] != l.LogSigmaMax[i] {
				t.Errorf("--dim 1 layer %d: log volume quantiles %v differ from log sigma_1 %v", l.Layer, l.LogVolume, l.LogSigmaMax)
				break
			}
		}
	}
}
