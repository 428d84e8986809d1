package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/train"
)

// TestMixedModelsThroughCommands: networks with multiplication and
// attention layers go through train, hessian and sensitivity as a user
// types them. The model file records the kinds; hessian's top 5
// eigenvalues equal those of the independent finite-difference Hessian of
// fdHessian (central differences of the gradient; entries err by ~1e-10)
// to 1e-6 of the largest, as for dense models in TestHessianCommand, and
// its table names the kinds; sensitivity reports every layer with its
// kind; pullback refuses such a model with the reason.
func TestMixedModelsThroughCommands(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		desc string
	}{
		{"product", []string{"--arch", "4-6-3", "--kinds", "product"}, "4-6-3 (product,dense)"},
		{"attention", []string{"--arch", "4-4-6-3", "--kinds", "attention,dense,dense", "--token-dim", "2", "--residual"}, "4-4-6-3 (attention,dense,dense; token dim 2, residual)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			model := filepath.Join(dir, c.name+".ngm")
			args := append([]string{"train", "--data", "iris", "--steps", "300", "--out", model, "--format", "json"}, c.args...)
			out, err := execCLI(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			var tr train.RunResult
			if err := json.Unmarshal([]byte(out), &tr); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !(tr.TrainAccuracy > 0.9) {
				t.Errorf("train accuracy %v after 300 Adam steps on iris", tr.TrainAccuracy)
			}
			out, err = execCLI(t, "hessian", "--model", model, "--top", "5", "--format", "json")
			if err != nil {
				t.Fatal(err)
			}
			var res landscape.HessianSpectrumResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			H, p := fdHessian(t, model)
			vals := descendingEigenvalues(t, H, p)
			if len(res.Eigenvalues) != 5 {
				t.Fatalf("%d eigenvalues", len(res.Eigenvalues))
			}
			for i, e := range res.Eigenvalues {
				if !(math.Abs(e.Value-vals[i]) <= 1e-6*vals[0]) {
					t.Errorf("eigenvalue %d: Lanczos %.12g, dense FD Hessian %.12g", i+1, e.Value, vals[i])
				}
			}
			table, err := execCLI(t, "hessian", "--model", model, "--top", "1")
			if err != nil || !strings.Contains(table, c.desc) {
				t.Errorf("hessian table does not name %q (err %v):\n%s", c.desc, err, table)
			}

			out, err = execCLI(t, "sensitivity", "--model", model, "--format", "json")
			if err != nil {
				t.Fatal(err)
			}
			var sens struct {
				Kinds  string `json:"kinds"`
				Layers []struct {
					Kind string `json:"kind"`
				} `json:"layers"`
			}
			if err := json.Unmarshal([]byte(out), &sens); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.desc[strings.Index(c.desc, "(")+1:], sens.Kinds) || len(sens.Layers) != len(strings.Split(sens.Kinds, ",")) || sens.Layers[0].Kind != c.name {
				t.Errorf("sensitivity: kinds %q, layers %+v", sens.Kinds, sens.Layers)
			}
			if _, err := execCLI(t, "pullback", "--model", model); err == nil || !strings.Contains(err.Error(), "dense networks") {
				t.Errorf("pullback on a %s model: %v", c.name, err)
			}
		})
	}
}
