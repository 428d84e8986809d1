package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/isometry"
	"github.com/netgeom/netgeom/manifold"
)

// TestCurvatureJSON: the keys the issue names, the input layer's exact
// values (q = q*, L^G = 2 pi, kbar = 1/sqrt(q*)), the PCA dimension 2 at the
// input, and a figure written.
func TestCurvatureJSON(t *testing.T) {
	png := filepath.Join(t.TempDir(), "c.png")
	out, errOut, code := runCLI(t, nil, "curvature", "--width", "60", "--depth", "3", "--points", "64", "--format", "json", "--plot", png)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Activation string                   `json:"activation"`
		QInput     float64                  `json:"q_input"`
		Layers     []map[string]interface{} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(res.Layers) != 4 {
		t.Fatalf("%d layers, want 4 (input and 3 layers)", len(res.Layers))
	}
	for _, k := range []string{"layer", "q", "q_theory", "length", "length_theory", "kappa_bar", "kappa_bar_theory", "grassmann_length", "grassmann_length_theory", "pca95"} {
		if _, ok := res.Layers[1][k]; !ok {
			t.Errorf("layer object lacks %q", k)
		}
	}
	l0 := res.Layers[0]
	near := func(what string, got any, want float64) {
		if g, ok := got.(float64); !ok || !(math.Abs(g-want) <= 1e-9*math.Abs(want)) {
			t.Errorf("layer 0 %s = %v, want %v", what, got, want)
		}
	}
	near("q", l0["q"], res.QInput)
	near("grassmann_length", l0["grassmann_length"], 2*math.Pi)
	near("kappa_bar", l0["kappa_bar"], 1/math.Sqrt(res.QInput))
	near("pca95", l0["pca95"], 2)
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("figure not written: %v", err)
	}
}

func TestManifoldCommandErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"curvature", "--weights", "uniform", "--plot", ""}, "weight law"},
		{[]string{"curvature", "--act", "relu", "--sigma-w", "2", "--sigma-b", "1", "--plot", ""}, "--q"},
		{[]string{"curvature", "--points", "2", "--plot", ""}, "--points"},
		{[]string{"curvature", "--plot", "x.gif", "--width", "10", "--depth", "1", "--points", "8"}, ".png or .svg"},
		{[]string{"propagate", "--c0", "0.2,x"}, "--c0"},
		{[]string{"propagate", "--c0", "1.5", "--width", "10", "--depth", "1"}, "outside [-1, 1]"},
		{[]string{"boundary", "--width", "5000"}, "--width"},
		{[]string{"expressivity", "--depths", "3:1"}, "--depths"},
		{[]string{"expressivity", "--functions", "5000"}, "--functions"}, // 2 x 5000 targets need more than the 10,000 points
		{[]string{"expressivity", "--readout", "-3"}, "--readout"},
		{[]string{"expressivity", "--rank-cutoff", "2"}, "--rank-cutoff"},
	} {
		_, errOut, code := runCLI(t, nil, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error mentioning %q", c.args, code, errOut, c.want)
		}
	}
}

// TestPropagateAndBoundaryJSON: the pair propagation starts at the asked
// correlations, and the boundary command reports one row per layer with
// max >= min.
func TestPropagateAndBoundaryJSON(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "propagate", "--width", "50", "--depth", "2", "--pairs", "3", "--format", "json")
	if code != 0 {
		t.Fatalf("propagate: exit %d: %s", code, errOut)
	}
	var p manifold.PropagateResult
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for k, c0 := range p.C0 {
		if !(math.Abs(p.Layers[0].C[k]-c0) <= 1e-12) {
			t.Errorf("layer 0 correlation %v, want %v", p.Layers[0].C[k], c0)
		}
	}
	out, errOut, code = runCLI(t, nil, "boundary", "--width", "20", "--depth", "3", "--points", "2", "--format", "json")
	if code != 0 {
		t.Fatalf("boundary: exit %d: %s", code, errOut)
	}
	var bd struct {
		Layers []manifold.DecisionBoundaryLayer `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &bd); err != nil {
		t.Fatal(err)
	}
	if len(bd.Layers) != 4 {
		t.Fatalf("%d layers, want 4", len(bd.Layers))
	}
	for _, l := range bd.Layers {
		if !(l.MaxCurvature >= l.MinCurvature) {
			t.Errorf("layer %d: max %v < min %v", l.Layer, l.MaxCurvature, l.MinCurvature)
		}
	}
}

// TestCurvatureUserCurve: --curve runs a CSV curve (here a circle of radius
// 2 in the plane, 32 samples) with null theory columns; its layer-0 length is
// 2 pi r = 4 pi (the periodic trapezoid rule is exact for it) and L^G = 2 pi.
func TestCurvatureUserCurve(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.csv")
	var sb strings.Builder
	for j := 0; j < 32; j++ {
		th := 2 * math.Pi * float64(j) / 32
		c, s := math.Cos(th), math.Sin(th)
		fmt.Fprintf(&sb, "%v,%v,%v,%v,%v,%v\n", 2*c, 2*s, -2*s, 2*c, -2*c, -2*s)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "curvature", "--curve", path, "--width", "30", "--depth", "2", "--format", "json", "--plot", "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Points int `json:"points"`
		Layers []struct {
			Length          float64  `json:"length"`
			GrassmannLength float64  `json:"grassmann_length"`
			QTheory         *float64 `json:"q_theory"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	l0 := res.Layers[0]
	if !(math.Abs(l0.Length-4*math.Pi) <= 1e-12) || !(math.Abs(l0.GrassmannLength-2*math.Pi) <= 1e-12) || l0.QTheory != nil || res.Points != 32 {
		t.Errorf("layer 0: length %v (want 4 pi), L^G %v (want 2 pi), q_theory %v (want null), points %d", l0.Length, l0.GrassmannLength, l0.QTheory, res.Points)
	}
}

// TestJacobianCommand: the command prints isometry.Jacobian's result (its
// numbers are pinned in package isometry): relu at criticality (sigma_w^2 =
// 2, sigma_b = 0) has Pennington's variance exactly 2L for Gaussian and L
// for orthogonal weights (to 1e-9, the quadrature's accuracy), one row per
// law and depth, and the matrix-free method reports no smallest value (relu
// kills neurons, so the dense one cannot resolve it here either).
func TestJacobianCommand(t *testing.T) {
	for _, method := range []string{"dense", "lanczos"} {
		out, errOut, code := runCLI(t, nil, "jacobian", "--act", "relu", "--sigma-b", "0", "--q", "1", "--width", "30", "--depths", "2,3",
			"--inputs", "1", "--method", method, "--samples", "4", "--format", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", method, code, errOut)
		}
		var res isometry.JacobianResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != 4 || res.Method != method {
			t.Fatalf("%s: %d rows, method %q", method, len(res.Rows), res.Method)
		}
		for _, r := range res.Rows {
			want := float64(r.Depth)
			if r.Weights == "gaussian" {
				want *= 2
			}
			if r.VarTheory == nil || !(math.Abs(*r.VarTheory-want) <= 1e-9) {
				t.Errorf("%s %s depth %d: variance theory %v, want %v", method, r.Weights, r.Depth, r.VarTheory, want)
			}
			if method == "lanczos" && r.Min != nil {
				t.Errorf("%s %s depth %d: min %v", method, r.Weights, r.Depth, r.Min)
			}
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--width", "1"}, "--width 1"},
		{[]string{"--width", "0"}, "--width 0"},
		{[]string{"--samples", "1", "--width", "10"}, "--samples 1"},
		{[]string{"--method", "qr"}, "--method"},
		{[]string{"--critical=false", "--sigma-w", "0"}, "--sigma-w"},
		{[]string{"--q", "-1", "--width", "10"}, "--q -1"},
	} {
		_, errOut, code := runCLI(t, nil, append([]string{"jacobian"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("jacobian %v: exit %d, stderr %q; want an error mentioning %q", c.args, code, errOut, c.want)
		}
	}
}
