package netgeom_test

import (
	"context"
	"fmt"
	"log"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	_ "github.com/netgeom/netgeom/engine/cpu"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/spinglass"
	"github.com/netgeom/netgeom/train"
)

// The library in one program: mean-field theory, a great circle through a
// random network, training a network and the top of its Hessian spectrum,
// and a spin-glass complexity.
func Example() {
	ctx := context.Background()
	b, err := engine.Open("cpu") // "auto" picks a GPU when one works
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	// Mean field of a tanh network at sigma_w = 4, sigma_b = 0.3 (Poole et al.).
	tanh, _ := activation.Lookup("tanh")
	mf, err := meanfield.New(tanh, 4, 0.3, meanfield.Options{})
	if err != nil {
		log.Fatal(err)
	}
	s, err := mf.Analyze(1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("q* %.3f, chi_1 %.3f, %v\n", s.QStar, s.Chi1, s.Phase)

	// A great circle through a random network of width 400 and depth 6.
	c, err := manifold.Curvature(ctx, b, manifold.CurvatureOptions{
		SigmaW: 4, SigmaB: 0.3, Width: 400, Depth: 6, Points: 200, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	l := c.Layers[6]
	fmt.Printf("layer 6: kbar %.2f (mean field %.2f)\n", l.KappaBar, *l.KappaBarTheory)

	// Train a 4-16-16-3 network on iris, then the top of its Hessian.
	run, err := train.Run(ctx, b, train.RunOptions{Data: "iris", Seed: 1, WeightDecay: 0.01})
	if err != nil {
		log.Fatal(err)
	}
	defer run.Model.Close()
	fmt.Printf("iris: train accuracy %.3f, test accuracy %.3f\n", run.TrainAccuracy, run.TestAccuracy)
	h, err := landscape.HessianSpectrum(ctx, b, landscape.HessianSpectrumOptions{Model: run.Model, Top: 3, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	for i, e := range h.Eigenvalues {
		fmt.Printf("eigenvalue %d: %.4g\n", i+1, e.Value)
	}

	// The complexity of minima of the spherical 3-spin glass at energy -1.65.
	fmt.Printf("Theta_0(-1.65) = %.5f\n", spinglass.Theta(3, 0, -1.65))
	// Output:
	// q* 12.604, chi_1 2.367, chaotic
	// layer 6: kbar 1.33 (mean field 1.31)
	// iris: train accuracy 0.983, test accuracy 0.900
	// eigenvalue 1: 3.326
	// eigenvalue 2: 0.608
	// eigenvalue 3: 0.2691
	// Theta_0(-1.65) = 0.00425
}
