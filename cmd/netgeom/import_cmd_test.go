package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestImportHessianExport: a PyTorch model (package pytorch's fixture)
// imported with `netgeom import` and analysed with `netgeom hessian --data
// npy:...` on the arrays it was trained on has PyTorch's top Hessian
// eigenvalues (Lanczos to its 1e-8 residual tolerance, so 1e-7 of the
// largest); `netgeom export` then `netgeom import` gives back the same
// model file byte for byte.
func TestImportHessianExport(t *testing.T) {
	fix := filepath.Join("..", "..", "pytorch", "testdata")
	dir := t.TempDir()
	model := filepath.Join(dir, "tanh.ngm")
	if _, errOut, code := runCLI(t, nil, "import", "--safetensors", filepath.Join(fix, "mlp_tanh.safetensors"), "--arch", "4-8-6-3", "--act", "tanh", "--out", model); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	out, errOut, code := runCLI(t, nil, "hessian", "--model", model, "--data", "npy:"+filepath.Join(fix, "x.npy")+","+filepath.Join(fix, "y.npy"), "--top", "3", "--format", "json")
	if code != 0 {
		t.Fatalf("hessian: exit %d: %s", code, errOut)
	}
	var res struct {
		Samples     int     `json:"samples"`
		Loss        float64 `json:"loss"`
		Eigenvalues []struct {
			Value float64 `json:"value"`
		} `json:"eigenvalues"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(fix, "mlp_tanh.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Loss        float64   `json:"loss"`
		Eigenvalues []float64 `json:"eigenvalues"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if res.Samples != 60 || !(math.Abs(res.Loss-ref.Loss) <= 1e-12*ref.Loss) || len(res.Eigenvalues) != 3 {
		t.Fatalf("%d samples, loss %v (PyTorch %v), %d eigenvalues", res.Samples, res.Loss, ref.Loss, len(res.Eigenvalues))
	}
	for i, e := range res.Eigenvalues {
		if !(math.Abs(e.Value-ref.Eigenvalues[i]) <= 1e-7*ref.Eigenvalues[0]) {
			t.Errorf("eigenvalue %d: %.12g, PyTorch %.12g", i+1, e.Value, ref.Eigenvalues[i])
		}
	}
	st := filepath.Join(dir, "back.safetensors")
	if _, errOut, code := runCLI(t, nil, "export", "--model", model, "--out", st); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	again := filepath.Join(dir, "again.ngm")
	if _, errOut, code := runCLI(t, nil, "import", "--safetensors", st, "--arch", "4-8-6-3", "--out", again); code != 0 {
		t.Fatalf("re-import: exit %d: %s", code, errOut)
	}
	a, _ := os.ReadFile(model)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("export then import does not give back the model file byte for byte")
	}
}
