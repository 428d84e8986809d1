package spinglass_test

import (
	"fmt"

	"github.com/netgeom/netgeom/spinglass"
)

// The annealed complexity of the spherical 3-spin glass (Auffinger, Ben
// Arous and Cerny 2013): the threshold energy -E_inf below which critical
// points are minima or low-index saddles, the ground-state energy -E_0
// where the complexity of minima vanishes, and the complexity of minima
// between them.
func ExampleTheta() {
	const p = 3
	e0, err := spinglass.Ek(p, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("E_inf %.4f, E_0 %.4f\n", spinglass.EInf(p), e0)
	fmt.Printf("Theta_0(-1.65) %.5f, Theta_1(-1.65) %.5f, total %.5f\n",
		spinglass.Theta(p, 0, -1.65), spinglass.Theta(p, 1, -1.65), spinglass.ThetaTotal(p, -1.65))
	// Output:
	// E_inf 1.6330, E_0 1.6570
	// Theta_0(-1.65) 0.00425, Theta_1(-1.65) 0.00225, total 0.00425
}
