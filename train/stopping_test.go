package train

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestPlateauRule: the patience rule on a loss sequence with known
// improvements. With patience 3 and minDelta 0.01, 10 -> 9 improves (9 <
// 9.9), 8.99, 8.98, 8.97 do not (each >= 9 - 0.09), so the rule fires at
// the third of them and not before; with patience 4 the drop to 5 resets
// it and four checks at 5 fire it. The first check always improves (a
// best of +Inf once made every comparison NaN, so nothing ever improved).
func TestPlateauRule(t *testing.T) {
	losses := []float64{10, 9, 8.99, 8.98, 8.97, 5, 5, 5, 5, 5}
	for _, c := range []struct {
		patience int
		fires    int // index of the check at which stalled reports true
	}{{3, 4}, {4, 9}, {1, 2}} {
		p := plateau{patience: c.patience, minDelta: 0.01}
		got := -1
		for i, l := range losses {
			if p.stalled(l) {
				got = i
				break
			}
		}
		if got != c.fires {
			t.Errorf("patience %d: fired at check %d, want %d", c.patience, got, c.fires)
		}
	}
	// minDelta 0: any strict decrease improves; equal losses do not.
	p := plateau{patience: 2}
	for i, l := range []float64{3, 2, 1, 1} {
		if p.stalled(l) {
			t.Errorf("minDelta 0: fired at check %d of 3, 2, 1, 1", i)
		}
	}
	if !p.stalled(1) {
		t.Error("minDelta 0: two checks at 1 after the best 1 did not fire")
	}
}

// TestPatienceTrainsUntilPlateau: gradient descent with patience stops at
// the first check where the rule, replayed on the losses it reported,
// fires; on this regression the loss improves for many checks first, so
// the run is far longer than the patience (the old rule always stopped
// after exactly Patience checks).
func TestPatienceTrainsUntilPlateau(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(100, 3, 2, 3)
	net, d := reg.setup(t, b)
	var losses []float64
	const patience, minDelta = 5, 1e-3
	res, err := Train(net, d, Options{Method: GD, LearningRate: 0.5, Steps: 10000, Patience: patience, MinDelta: minDelta,
		Progress: func(p Progress) { losses = append(losses, p.Loss) }})
	if err != nil {
		t.Fatal(err)
	}
	best, since, fired := math.Inf(1), 0, -1
	for i, l := range losses {
		if i == 0 || l < best-minDelta*math.Abs(best) {
			best, since = l, 0
		} else if since++; since == patience {
			fired = i
			break
		}
	}
	if res.Stop != StopPlateau || fired != len(losses)-1 {
		t.Fatalf("stop %q after %d checks; the rule replayed on the reported losses fires at check %d", res.Stop, len(losses), fired)
	}
	if len(losses) < 4*patience {
		t.Errorf("stopped after %d checks: the loss fell from %.4g to %.4g, so the plateau rule should have let it train longer", len(losses), losses[0], losses[len(losses)-1])
	}
	t.Logf("plateau after %d checks, loss %.6g -> %.6g", len(losses), losses[0], losses[len(losses)-1])
}
