package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCurvatureAttentionKinds: --kinds dense,attention,dense with a token
// dimension runs; layer 0 is the input circle, exact whatever the layers
// (q = q*, Grassmannian length 2 pi, kbar = 1/sqrt(q*): 1e-9 relative, the
// sums over 64 points in float64); layer 1 (dense) keeps its mean-field
// columns, and layers 2 (attention) and 3 (dense after it) have null
// theory and finite, positive measurements.
func TestCurvatureAttentionKinds(t *testing.T) {
	png := filepath.Join(t.TempDir(), "c.png")
	out, errOut, code := runCLI(t, nil, "curvature", "--width", "24", "--depth", "3", "--points", "64", "--kinds", "dense,attention,dense",
		"--token-dim", "4", "--residual", "--sigma-w", "1.5", "--format", "json", "--plot", png)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		QInput   float64                  `json:"q_input"`
		Kinds    string                   `json:"kinds"`
		TokenDim int                      `json:"token_dim"`
		Layers   []map[string]interface{} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(res.Layers) != 4 || res.Kinds != "dense,attention,dense" || res.TokenDim != 4 {
		t.Fatalf("%d layers, kinds %q, token dim %d; want 4, dense,attention,dense, 4", len(res.Layers), res.Kinds, res.TokenDim)
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
	for l, r := range res.Layers {
		for _, k := range []string{"q_theory", "length_theory", "kappa_bar_theory", "grassmann_length_theory"} {
			if (r[k] == nil) != (l >= 2) {
				t.Errorf("layer %d %s = %v; want null exactly at and after the attention layer 2", l, k, r[k])
			}
		}
		for _, k := range []string{"q", "length", "kappa_bar", "grassmann_length"} {
			if v, ok := r[k].(float64); !ok || !(v > 0) || math.IsInf(v, 0) {
				t.Errorf("layer %d %s = %v; want finite and > 0", l, k, r[k])
			}
		}
	}
}

func TestCurvatureKindsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kinds", "dense,conv"}, "unknown layer kind"},
		{[]string{"--kinds", "attention", "--token-dim", "5"}, "whole number of tokens"},
		{[]string{"--kinds", "attention"}, "TokenDim"},
	} {
		args := append([]string{"curvature", "--width", "12", "--depth", "2", "--points", "8", "--plot", ""}, c.args...)
		_, errOut, code := runCLI(t, nil, args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error mentioning %q", c.args, code, errOut, c.want)
		}
	}
}

// TestCurvatureNoDefaultPlot: without --plot, curvature writes no figure
// (it used to write curvature.png in the working directory).
func TestCurvatureNoDefaultPlot(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if _, errOut, code := runCLI(t, nil, "curvature", "--width", "12", "--depth", "2", "--points", "8"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("files written without --plot: %v (%v)", ents, err)
	}
}
