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
		if g, ok := got.(float64); !ok || math.Abs(g-want) > 1e-9*math.Abs(want) {
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
		{[]string{"expressivity", "--functions", "600"}, "--functions"},
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
	var p propagateResult
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for k, c0 := range p.C0 {
		if math.Abs(p.Layers[0].C[k]-c0) > 1e-12 {
			t.Errorf("layer 0 correlation %v, want %v", p.Layers[0].C[k], c0)
		}
	}
	out, errOut, code = runCLI(t, nil, "boundary", "--width", "20", "--depth", "3", "--points", "2", "--format", "json")
	if code != 0 {
		t.Fatalf("boundary: exit %d: %s", code, errOut)
	}
	var bd struct {
		Layers []boundaryLayer `json:"layers"`
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
	if math.Abs(l0.Length-4*math.Pi) > 1e-12 || math.Abs(l0.GrassmannLength-2*math.Pi) > 1e-12 || l0.QTheory != nil || res.Points != 32 {
		t.Errorf("layer 0: length %v (want 4 pi), L^G %v (want 2 pi), q_theory %v (want null), points %d", l0.Length, l0.GrassmannLength, l0.QTheory, res.Points)
	}
}

// TestJacobianCommand: relu at criticality (sigma_w^2 = 2, sigma_b = 0) has
// mu2/mu1^2 = 2, so Pennington's variance is exactly 2L for Gaussian and L
// for orthogonal weights (checked to 1e-9). One network's spectrum is a
// single draw: its mean squared singular value has a relative spread of
// about sqrt(2L/N) = 0.23 at width 150, depth 4, so the measured mean must
// be within 3 x 0.23 of 1, and the measured Gaussian variance must be about
// twice the orthogonal one (ratio within [1.5, 2.7]; measured 1.99). The
// matrix-free Lanczos top squared singular value equals the dense SVD's to
// 1e-6 (its convergence tolerance is 1e-8).
func TestJacobianCommand(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "jacobian", "--act", "relu", "--sigma-b", "0", "--q", "1", "--width", "150", "--depths", "4", "--inputs", "2", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Rows []jacobianRow `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"gaussian": 8, "orthogonal": 4}
	variance := map[string]float64{}
	for _, r := range res.Rows {
		if r.VarTheory == nil || math.Abs(*r.VarTheory-want[r.Weights]) > 1e-9 {
			t.Errorf("%s: variance theory %v, want %v", r.Weights, r.VarTheory, want[r.Weights])
		}
		if math.Abs(r.Mean-1) > 3*math.Sqrt(2*4/150.0) {
			t.Errorf("%s: measured mean %v; want 1 within the spread of one network", r.Weights, r.Mean)
		}
		variance[r.Weights] = r.Variance
	}
	if ratio := variance["gaussian"] / variance["orthogonal"]; ratio < 1.5 || ratio > 2.7 {
		t.Errorf("variance ratio Gaussian/orthogonal %v; Pennington's formula gives 2", ratio)
	}
	dense := res.Rows
	out, errOut, code = runCLI(t, nil, "jacobian", "--act", "relu", "--sigma-b", "0", "--q", "1", "--width", "150", "--depths", "4", "--inputs", "1", "--method", "lanczos", "--format", "json")
	if code != 0 {
		t.Fatalf("lanczos: exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	// The dense run's max is over 2 inputs; input 0 is shared, so compare a
	// one-input dense run.
	out, _, _ = runCLI(t, nil, "jacobian", "--act", "relu", "--sigma-b", "0", "--q", "1", "--width", "150", "--depths", "4", "--inputs", "1", "--format", "json")
	var one struct {
		Rows []jacobianRow `json:"rows"`
	}
	json.Unmarshal([]byte(out), &one)
	for i := range res.Rows {
		if math.Abs(res.Rows[i].Max-one.Rows[i].Max) > 1e-6*one.Rows[i].Max {
			t.Errorf("%s: Lanczos max %v, dense %v", res.Rows[i].Weights, res.Rows[i].Max, one.Rows[i].Max)
		}
	}
	_ = dense
}
