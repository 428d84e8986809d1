package meanfield

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/netgeom/netgeom/activation"
)

// GridPoint is the mean-field state at one (sigma_w, sigma_b).
type GridPoint struct {
	SigmaW, SigmaB float64
	Summary
}

// PhaseGrid analyses every (sigma_w, sigma_b) pair, starting the length map
// at q0 = 1, in parallel over rows (one row per sigma_b; rows are handed to
// runtime.GOMAXPROCS workers). The result is indexed [i][j] for sigmaBs[i],
// sigmaWs[j].
//
// Where the length map has no finite fixed point the point is Unbounded with
// QStar = +Inf, Chi1 = chi_1 at the last length reached (exact for relu and
// linear, whose chi_1 does not depend on q), CStar = 1 and XiC = +Inf: as q
// grows, sigma_b becomes negligible and the normalised C-map of a positively
// homogeneous activation has slope 1 at c = 1, so correlations approach 1
// only as a power law. Chi2 and LengthSlope are taken at the last length
// too, XiQ = +Inf and Iterations = -1.
func PhaseGrid(act activation.Func, sigmaWs, sigmaBs []float64, opt Options) ([][]GridPoint, error) {
	for _, x := range sigmaWs {
		if err := checkParam("sigma_w", x); err != nil {
			return nil, err
		}
	}
	for _, x := range sigmaBs {
		if err := checkParam("sigma_b", x); err != nil {
			return nil, err
		}
	}
	if _, err := New(act, 1, 0, opt); err != nil {
		return nil, err
	}
	out := make([][]GridPoint, len(sigmaBs))
	errs := make([]error, len(sigmaBs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = gridRow(act, sigmaWs, sigmaBs[i], opt)
			}
		}()
	}
	for i := range sigmaBs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func gridRow(act activation.Func, sigmaWs []float64, sb float64, opt Options) ([]GridPoint, error) {
	row := make([]GridPoint, len(sigmaWs))
	guess := -1.0
	for j, sw := range sigmaWs {
		m, err := New(act, sw, sb, opt)
		if err != nil {
			return nil, err
		}
		s, err := m.analyze(1, guess, false)
		var nfp *NoFixedPointError
		if errors.As(err, &nfp) {
			mo, err2 := m.Moments(nfp.LastQ)
			if err2 != nil {
				return nil, err2
			}
			s = Summary{QStar: math.Inf(1), Iterations: -1, CStar: 1, Chi1: m.sw2 * mo.D1Sq,
				Chi2: m.sw2 * mo.D2Sq, XiQ: math.Inf(1), XiC: math.Inf(1),
				LengthSlope: m.sw2 * mo.Slope, CMapSlope: 1, Phase: Unbounded}
		} else if err != nil {
			return nil, fmt.Errorf("sigma_w = %g, sigma_b = %g: %w", sw, sb, err)
		}
		if s.CStar < 1 {
			guess = s.CStar
		}
		row[j] = GridPoint{SigmaW: sw, SigmaB: sb, Summary: s}
	}
	return row, nil
}
