package meanfield

import (
	"testing"

	"github.com/netgeom/netgeom/activation"
)

// BenchmarkAnalyzeTanh is one q*, chi_1, c*, xi_c evaluation (tanh,
// sigma_w = 2.5, sigma_b = 0.3, Poole's chaotic example).
func BenchmarkAnalyzeTanh(b *testing.B) {
	act, _ := activation.Lookup("tanh")
	m, err := New(act, 2.5, 0.3, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := m.Analyze(1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPhaseGrid81 is the 81 x 81 tanh grid over sigma_w in [1, 5],
// sigma_b in [0, 4] (Poole's heat maps) with q*, c*, chi_1 and xi_c.
func BenchmarkPhaseGrid81(b *testing.B) {
	act, _ := activation.Lookup("tanh")
	sw := linspace(1, 5, 81)
	sb := linspace(0, 4, 81)
	for b.Loop() {
		if _, err := PhaseGrid(act, sw, sb, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func linspace(lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return out
}
