package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCurvatureOpenCurveEndToEnd: `curvature --curve FILE --open` measures
// an open helix segment (2 cos s, 2 sin s, s/2), s in [0, 5], at layer 0
// with its closed-form length 5 sqrt(4.25) and Grassmannian length 5 x 2 /
// sqrt(4.25) (to 1e-12: the trapezoid rule is exact on its constant
// integrands), and pushes it through a network without error.
func TestCurvatureOpenCurveEndToEnd(t *testing.T) {
	const points, T = 21, 5.0
	var sb strings.Builder
	for j := 0; j < points; j++ {
		s := T * float64(j) / (points - 1)
		fmt.Fprintf(&sb, "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n",
			2*math.Cos(s), 2*math.Sin(s), s/2, -2*math.Sin(s), 2*math.Cos(s), 0.5, -2*math.Cos(s), -2*math.Sin(s), 0.0)
	}
	path := filepath.Join(t.TempDir(), "helix.csv")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "curvature", "--curve", path, "--open", "--period", "5", "--width", "3", "--depth", "2", "--format", "json", "--plot", "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Layers []struct {
			Layer           int     `json:"layer"`
			Length          float64 `json:"length"`
			GrassmannLength float64 `json:"grassmann_length"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Layers) != 3 {
		t.Fatalf("%v: %d layers in %s", err, len(res.Layers), out)
	}
	l0 := res.Layers[0]
	speed := math.Sqrt(4.25)
	if want := T * speed; l0.Layer != 0 || !(math.Abs(l0.Length-want) <= 1e-12*want) {
		t.Errorf("layer %d length %.15g, want %.15g", l0.Layer, l0.Length, want)
	}
	if want := T * 2 / speed; !(math.Abs(l0.GrassmannLength-want) <= 1e-12*want) {
		t.Errorf("layer 0 Grassmannian length %.15g, want %.15g", l0.GrassmannLength, want)
	}
	for _, l := range res.Layers[1:] {
		if !(l.Length > 0) || math.IsInf(l.Length, 0) {
			t.Errorf("layer %d length %v", l.Layer, l.Length)
		}
	}
}
