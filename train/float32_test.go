package train

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestRunFloat32: training iris in float32 (the command's defaults:
// 4-16-16-3 tanh, weight decay 0.01, 2000 steps) ends where float64 does,
// with every optimiser. Measured: the final objective (loss plus the
// weight-decay penalty) differs by 2.5e-8 (SGD), 3.5e-9 (GD) and 2.0e-7
// relative (L-BFGS, which stops sooner in float32, at 260 iterations
// against 531: it finds no descent direction once its steps fall below
// float32's rounding), and by 9.1e-5 with Adam, whose steps m/sqrt(v) are
// normalised: near the minimum the gradient is mostly rounding and still
// gets full-size steps, so the two runs' last iterates part (3.8e-6
// without weight decay). Asserted: ten times these (1e-5, and 1e-3 for
// Adam), the same train and test accuracy, and a difference above 1e-12
// (or the run was not float32). The model file keeps the float32 weights
// exactly and records the dtype: read back into float64 they give the
// float32 run's losses to the rounding of its forward pass (1e-5 relative
// asserted).
func TestRunFloat32(t *testing.T) {
	b64, b32 := enginetest.Open(t), enginetest.OpenDType(t, engine.Float32)
	dir := t.TempDir()
	for _, opt := range MethodNames() {
		var res [2]*RunResult
		for i, b := range []engine.Backend{b64, b32} {
			r, err := Run(context.Background(), b, RunOptions{Seed: 3, Optimizer: opt, WeightDecay: DefaultWeightDecay, Out: filepath.Join(dir, opt+"-"+engine.DTypeOf(b).String()+".ngm")})
			if err != nil {
				t.Fatal(err)
			}
			r.Model.Close()
			res[i] = r
		}
		r64, r32 := res[0], res[1]
		rel := math.Abs(r32.Objective-r64.Objective) / math.Abs(r64.Objective)
		t.Logf("%s: objective %.10g (float64, %d steps, %s) and %.10g (float32, %d steps, %s): %.3g relative; accuracy %.4f/%.4f and %.4f/%.4f",
			opt, r64.Objective, r64.Steps, r64.Stop, r32.Objective, r32.Steps, r32.Stop, rel, r64.TrainAccuracy, r64.TestAccuracy, r32.TrainAccuracy, r32.TestAccuracy)
		bound := 1e-5
		if opt == Adam.String() {
			bound = 1e-3
		}
		if !(rel <= bound) || !(rel > 1e-12) {
			t.Errorf("%s: objective %v in float32, %v in float64: %.3g relative, want (1e-12, %g]", opt, r32.Objective, r64.Objective, rel, bound)
		}
		if r32.TrainAccuracy != r64.TrainAccuracy || r32.TestAccuracy != r64.TestAccuracy {
			t.Errorf("%s: accuracy %v/%v in float32, %v/%v in float64", opt, r32.TrainAccuracy, r32.TestAccuracy, r64.TrainAccuracy, r64.TestAccuracy)
		}
		if r32.DType != "float32" || r64.DType != "float64" {
			t.Errorf("%s: DType %q and %q, want float64 and float32", opt, r64.DType, r32.DType)
		}
		m, err := LoadModel(b64, r32.Out, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Header.Training.DType != "float32" {
			t.Errorf("%s: the model file records dtype %q, want float32", opt, m.Header.Training.DType)
		}
		theta, err := m.Net.HostParams()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range theta {
			if float64(float32(v)) != v {
				t.Fatalf("%s: parameter %d = %v is not a float32 number", opt, i, v)
			}
		}
		e, err := m.Net.NewEvaluator(0)
		if err != nil {
			t.Fatal(err)
		}
		trLoss, _, err1 := e.Evaluate(m.Net.Params(), m.Train)
		teLoss, _, err2 := e.Evaluate(m.Net.Params(), m.Test)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if d := math.Max(math.Abs(trLoss-r32.TrainLoss)/r32.TrainLoss, math.Abs(teLoss-r32.TestLoss)/r32.TestLoss); !(d <= 1e-5) {
			t.Errorf("%s: the float32 model read into float64 has losses %v, %v; the run's %v, %v (%.3g relative)", opt, trLoss, teLoss, r32.TrainLoss, r32.TestLoss, d)
		}
		e.Close()
		m.Close()
		m64, err := LoadModel(b64, r64.Out, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m64.Header.Training.DType != "" {
			t.Errorf("%s: a float64 model file records dtype %q, want none (files as before)", opt, m64.Header.Training.DType)
		}
		m64.Close()
	}
}
