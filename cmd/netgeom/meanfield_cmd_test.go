package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// execCLI runs the command tree in-process.
func execCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// TestMeanfieldJSON: the JSON object has exactly the documented keys, and
// the numbers are those of Poole's chaotic example (tanh, sigma_w = 2.5,
// sigma_b = 0.3): chaotic, 0 < c* < 1, chi_1 > 1, and the critical sigma_w
// near 1.4 (Poole: "the boundary at sigma_b = 0.3 lies near sigma_w = 1.4").
// --sigma-w2/--sigma-b2 (variances 6.25, 0.09) give the same numbers to
// 1e-12 (sqrt(6.25) = 2.5 exactly; 0.3^2 differs from 0.09 by one ulp).
func TestMeanfieldJSON(t *testing.T) {
	out, err := execCLI(t, "meanfield", "--act", "tanh", "--sigma-w", "2.5", "--sigma-b", "0.3", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []string{"activation", "sigma_w", "sigma_b", "q_star", "c_star", "chi1", "chi2", "xi_q", "xi_c", "phase", "critical_sigma_w"}
	if len(m) != len(want) {
		t.Errorf("keys %v, want %v", m, want)
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	cs, chi, crit := m["c_star"].(float64), m["chi1"].(float64), m["critical_sigma_w"].(float64)
	if m["phase"] != "chaotic" || cs <= 0 || cs >= 1 || chi <= 1 || crit < 1.35 || crit > 1.45 {
		t.Errorf("unexpected values: %s", out)
	}
	out2, err := execCLI(t, "meanfield", "--act", "tanh", "--sigma-w2", "6.25", "--sigma-b2", "0.09", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var m2 map[string]any
	_ = json.Unmarshal([]byte(out2), &m2)
	for _, k := range []string{"q_star", "c_star", "chi1", "xi_c"} {
		a, b := m[k].(float64), m2[k].(float64)
		if !(math.Abs(a-b) <= 1e-12*math.Abs(a)) {
			t.Errorf("%s: std-dev form %v, variance form %v", k, a, b)
		}
	}
}

// TestMeanfieldLayers: --layers 20 adds layers 0..20 with the documented
// keys; layer 0 is the input circle at q* (grassmann_length = 2 pi, c = c0 = 0.5),
// and in the chaotic phase gbar grows by chi_1 per layer (to 1e-12).
func TestMeanfieldLayers(t *testing.T) {
	out, err := execCLI(t, "meanfield", "--act", "tanh", "--sigma-w", "4", "--sigma-b", "0.3", "--layers", "20", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		QStar  float64          `json:"q_star"`
		Chi1   float64          `json:"chi1"`
		Layers []map[string]any `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 21 {
		t.Fatalf("%d layers", len(m.Layers))
	}
	for _, k := range []string{"layer", "q", "c", "gbar", "kbar", "length", "grassmann_length"} {
		if _, ok := m.Layers[0][k]; !ok {
			t.Errorf("layer key %q missing", k)
		}
	}
	l1 := m.Layers[0]
	if l1["layer"].(float64) != 0 || l1["q"].(float64) != m.QStar || l1["c"].(float64) != 0.5 || !(math.Abs(l1["grassmann_length"].(float64)-2*math.Pi) <= 1e-14) {
		t.Errorf("layer 0 = %v", l1)
	}
	g5, g6 := m.Layers[4]["gbar"].(float64), m.Layers[5]["gbar"].(float64)
	if !(math.Abs(g6/g5-m.Chi1) <= 1e-12*m.Chi1) {
		t.Errorf("gbar ratio %g, chi1 %g", g6/g5, m.Chi1)
	}
}

// TestMeanfieldErrors: both forms of a scale, a missing sigma_w, a negative
// scale, an unknown activation and a length map without a finite fixed point
// (relu, sigma_w = 2) are errors with a clear message; at the critical point
// (relu, sigma_w^2 = 2, sigma_b = 0) xi_c prints as +Inf, also in JSON.
func TestMeanfieldErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--sigma-w", "1", "--sigma-w2", "1"}, "not both"},
		{[]string{"--sigma-b", "0.3"}, "required"},
		{[]string{"--sigma-w", "-1"}, "want a finite value"},
		{[]string{"--sigma-w2", "-1"}, "negative"},
		{[]string{"--act", "nope", "--sigma-w", "1"}, "unknown activation"},
		{[]string{"--act", "relu", "--sigma-w", "2", "--sigma-b", "0.3"}, "no finite fixed point"},
	} {
		_, err := execCLI(t, append([]string{"meanfield"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.msg)
		}
	}
	out, err := execCLI(t, "meanfield", "--act", "relu", "--sigma-w2", "2", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if m["xi_c"] != "+Inf" || m["phase"] != "critical" || m["q_star"].(float64) != 1 {
		t.Errorf("critical relu: %s", out)
	}
}

// TestHeadersNameNormalisations: a column whose quantity is normalised or
// has a unit says so in its name. meanfield --layers prints the circle's
// length per sqrt(N), which for Poole's great circle is exactly
// L^E / sqrt(N) = 2 pi sqrt(gbar) (to 1e-14: one square root); the depth
// scales are in layers; the jacobian columns are moments of the squared
// singular values.
func TestHeadersNameNormalisations(t *testing.T) {
	out, err := execCLI(t, "meanfield", "--sigma-w", "2.5", "--sigma-b", "0.3", "--layers", "3", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 5 {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	li, ok := col["length_per_sqrtN"]
	if !ok {
		t.Fatalf("header %v has no length_per_sqrtN", recs[0])
	}
	for _, r := range recs[1:] {
		length, _ := strconv.ParseFloat(r[li], 64)
		gbar, _ := strconv.ParseFloat(r[col["gbar"]], 64)
		if want := 2 * math.Pi * math.Sqrt(gbar); !(math.Abs(length-want) <= 1e-14*want) {
			t.Errorf("layer %s: length_per_sqrtN %v, 2 pi sqrt(gbar) = %v", r[0], length, want)
		}
	}
	out, err = execCLI(t, "meanfield", "--sigma-w", "2.5", "--sigma-b", "0.3", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"\nxi_q_layers,", "\nxi_c_layers,"} {
		if !strings.Contains(out, q) {
			t.Errorf("meanfield quantities lack %q:\n%s", strings.TrimSpace(q), out)
		}
	}
	for _, c := range []struct {
		args   []string
		header string
	}{
		{[]string{"phase", "--sigma-w", "1:2:2", "--sigma-b", "0"}, "sigma_w,sigma_b,q_star,c_star,chi1,xi_c_layers,phase,iterations"},
		{[]string{"jacobian", "--width", "8", "--depths", "1", "--weights", "orthogonal", "--inputs", "1"},
			"weights,depth,mean_sq_sv,mean_sq_sv_theory,var_sq_sv,var_sq_sv_theory,max_sq_sv,min_sq_sv"},
	} {
		out, err := execCLI(t, append(c.args, "--format", "csv")...)
		if err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(out, "\n"); first != c.header {
			t.Errorf("%s header %q, want %q", c.args[0], first, c.header)
		}
	}
}
