package meanfield

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/netgeom/netgeom/activation"
)

// CriticalSigmaW returns the sigma_w at which chi_1 = 1 for the given
// sigma_b: the root of chi_1(sigma_w) - 1, bracketed and bisected to a
// relative width of 1e-12 (chi_1 itself is accurate to Options.Tol). The
// length map starts at q0 = 1. Where the length map has no finite fixed
// point, chi_1 > 1 is assumed (the map expands; for relu and linear chi_1 is
// then sigma_w^2/2 > 1 and sigma_w^2 > 1).
//
// At sigma_b = 0 for odd activations the answer is 1/|phi'(0)| exactly and is
// returned as such: below it q* = 0 with chi_1 = sigma_w^2 phi'(0)^2 < 1,
// above it q* > 0, where C(0) = 0 and the convexity of the C-map force
// chi_1 >= 1. (Just above, chi_1 - 1 is only second order, ~eps^2/3 for erf
// at sigma_w^2 = (1 + eps) pi/4; plain bisection still lands within 4e-13 of
// pi/4, measured.)
func CriticalSigmaW(act activation.Func, sigmaB float64, opt Options) (float64, error) {
	if err := checkParam("sigma_b", sigmaB); err != nil {
		return 0, err
	}
	if _, err := New(act, 1, sigmaB, opt); err != nil {
		return 0, err
	}
	if sigmaB == 0 && act.Odd {
		d := math.Abs(act.D1(0))
		if d == 0 {
			return 0, fmt.Errorf("meanfield: %s has phi'(0) = 0: no critical sigma_w at sigma_b = 0", act.Name)
		}
		return 1 / d, nil
	}
	// above reports chi_1 > 1 at sigma_w.
	above := func(sw float64) (bool, error) {
		m, err := New(act, sw, sigmaB, opt)
		if err != nil {
			return false, err
		}
		fp, err := m.FixedLength(1)
		if errors.Is(err, ErrNoFixedPoint) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		chi1, err := m.Chi1(fp.Q)
		return chi1 > 1, err
	}
	lo, hi := 0.0, 1.0
	for {
		up, err := above(hi)
		if err != nil {
			return 0, err
		}
		if up {
			break
		}
		lo = hi
		hi *= 2
		if hi > 1e6 {
			return 0, fmt.Errorf("meanfield: %s at sigma_b = %g: chi_1 < 1 for all sigma_w up to 1e6", act.Name, sigmaB)
		}
	}
	for hi-lo > 1e-12*hi {
		mid := (lo + hi) / 2
		up, err := above(mid)
		if err != nil {
			return 0, err
		}
		if up {
			hi = mid
		} else {
			lo = mid
		}
	}
	return (lo + hi) / 2, nil
}

// CriticalCurve returns CriticalSigmaW at each sigma_b, computed in parallel.
func CriticalCurve(act activation.Func, sigmaBs []float64, opt Options) ([]float64, error) {
	out := make([]float64, len(sigmaBs))
	errs := make([]error, len(sigmaBs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = CriticalSigmaW(act, sigmaBs[i], opt)
			}
		}()
	}
	for i := range sigmaBs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("sigma_b = %g: %w", sigmaBs[i], err)
		}
	}
	return out, nil
}
