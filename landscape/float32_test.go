package landscape

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/train"
)

// TestHessianSpectrumFloat32: a model loaded on a float32 backend, its
// Hessian-vector products in float32 and Lanczos, the trace and the
// density in float64 (the spectrum's backend), gives the float64 model's
// top eigenvalues, converged to the default tolerance for float32
// (Float32Tol). Its products differ from float64's by about 5e-7 of ||H||
// (models.TestFloat32Products), which bounds what a converged Ritz value
// can be off by; measured 2e-8 of the largest eigenvalue, asserted within
// 1e-6. A tolerance float32 cannot meet, or a float32 spectrum backend, is
// refused.
func TestHessianSpectrumFloat32(t *testing.T) {
	b64, b32 := enginetest.Open(t), enginetest.OpenDType(t, engine.Float32)
	path := filepath.Join(t.TempDir(), "iris.ngm")
	res, err := train.Run(context.Background(), b64, train.RunOptions{Arch: []int{4, 8, 3}, Steps: 300, Seed: 1, Out: path})
	if err != nil {
		t.Fatal(err)
	}
	res.Model.Close()
	load := func(b engine.Backend) *train.Model {
		m, err := train.LoadModel(b, path, train.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	m64, m32 := load(b64), load(b32)
	o := HessianSpectrumOptions{Top: 4, Seed: 3}
	o.Model = m64
	want, err := HessianSpectrum(context.Background(), b64, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Model = m32
	got, err := HessianSpectrum(context.Background(), b64, o)
	if err != nil {
		t.Fatal(err)
	}
	if !*got.Converged {
		t.Error("float32 Lanczos did not converge to its tolerance")
	}
	top := math.Abs(want.Eigenvalues[0].Value)
	worst := 0.0
	for i, e := range got.Eigenvalues {
		worst = math.Max(worst, math.Abs(e.Value-want.Eigenvalues[i].Value)/top)
	}
	t.Logf("top %d eigenvalues: largest difference %.3g of the largest (%.6g); products %d (float64: %d)", o.Top, worst, top, got.HVPs, want.HVPs)
	if !(worst <= 1e-6) || worst < 1e-12 {
		t.Errorf("float32 eigenvalues differ by %.3g of the largest; want between 1e-12 and 1e-6", worst)
	}
	o.Tol = 1e-8
	if _, err := HessianSpectrum(context.Background(), b64, o); err == nil || !strings.Contains(err.Error(), "cannot meet a tolerance below") {
		t.Errorf("Tol 1e-8 on a float32 model: %v", err)
	}
	o.Tol = 0
	if _, err := HessianSpectrum(context.Background(), b32, o); err == nil || !strings.Contains(err.Error(), "give a float64 backend") {
		t.Errorf("a float32 spectrum backend: %v", err)
	}
}
