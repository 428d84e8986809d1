package meanfield_test

import (
	"fmt"
	"math"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/meanfield"
)

// The fixed point, chi_1 and phase of Poole et al.'s three tanh networks
// (sigma_b = 0.3; sigma_w = 1.3 is ordered, 2.5 and 4 are chaotic).
func ExampleModel_Analyze() {
	tanh, _ := activation.Lookup("tanh")
	for _, sw := range []float64{1.3, 2.5, 4} {
		m, err := meanfield.New(tanh, sw, 0.3, meanfield.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		s, err := m.Analyze(1)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("sigma_w %.1f: q* %.4f, c* %.4f, chi_1 %.4f, %v\n", sw, s.QStar, s.CStar, s.Chi1, s.Phase)
	}
	// Output:
	// sigma_w 1.3: q* 0.6070, c* 1.0000, chi_1 0.9398, ordered
	// sigma_w 2.5: q* 4.0791, c* 0.1221, chi_1 1.5852, chaotic
	// sigma_w 4.0: q* 12.6041, c* 0.0297, chi_1 2.3673, chaotic
}

// The order-to-chaos boundary of the erf network at sigma_b = 0 lies at
// sigma_w^2 = pi/4 (a closed form).
func ExampleCriticalSigmaW() {
	erf, _ := activation.Lookup("erf")
	sw, err := meanfield.CriticalSigmaW(erf, 0, meanfield.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("critical sigma_w %.10f, sqrt(pi/4) %.10f\n", sw, math.Sqrt(math.Pi/4))
	// Output:
	// critical sigma_w 0.8862269255, sqrt(pi/4) 0.8862269255
}

// Poole's curvature recursion: kbar = sqrt(N) kappa of a great circle
// through a chaotic tanh network approaches its fixed point
// sqrt(3 chi_2 / (chi_1 (chi_1 - 1))) within a few layers.
func ExampleModel_Circle() {
	tanh, _ := activation.Lookup("tanh")
	m, _ := meanfield.New(tanh, 4, 0.3, meanfield.Options{})
	s, _ := m.Analyze(1)
	layers, err := m.Circle(s.QStar, 20)
	if err != nil {
		fmt.Println(err)
		return
	}
	last := layers[len(layers)-1]
	fmt.Printf("layer %d: kbar %.4f, fixed point %.4f\n", last.Layer, last.Kbar, math.Sqrt(3*s.Chi2/(s.Chi1*(s.Chi1-1))))
	// Output: layer 20: kbar 1.3120, fixed point 1.3120
}
