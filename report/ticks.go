package report

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// ExactTicks marks a linear axis at multiples of a 1-2-5 step (four to seven
// labelled ticks) and labels each with as many decimals as the step needs,
// so a label always reads as its tick's value: on a narrow range such as
// [1.005, 1.035] the ticks read 1.005, 1.01, ..., 1.035, where gonum/plot's
// default ticks can round 1.02 to "1".
type ExactTicks struct{}

// Ticks implements plot.Ticker.
func (ExactTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		if lo == hi && !math.IsInf(lo, 0) && !math.IsNaN(lo) {
			return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', -1, 64)}}
		}
		return nil
	}
	step, decimals := niceStep((hi - lo) / 6)
	var ticks []plot.Tick
	for k := math.Ceil(lo / step); k*step <= hi*(1+1e-12)+1e-300; k++ {
		v := k * step
		// k*step carries rounding (0.1*3 = 0.30000000000000004): label the
		// decimal the tick stands for and place it there.
		label := strconv.FormatFloat(v, 'f', decimals, 64)
		if label == "-0" || (decimals > 0 && math.Abs(v) < step/2) {
			label = strconv.FormatFloat(0, 'f', decimals, 64)
		}
		exact, _ := strconv.ParseFloat(label, 64)
		ticks = append(ticks, plot.Tick{Value: exact, Label: strconv.FormatFloat(exact, 'g', -1, 64)})
	}
	return ticks
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten and returns it
// with the number of decimals its multiples need.
func niceStep(raw float64) (step float64, decimals int) {
	e := math.Floor(math.Log10(raw))
	p := math.Pow(10, e)
	m := 10.0
	for _, c := range []float64{1, 2, 5} {
		if raw <= c*p*(1+1e-9) {
			m = c
			break
		}
	}
	if m == 10 {
		m, e, p = 1, e+1, p*10
	}
	return m * p, max(0, int(-e))
}

// LogTicks labels a logarithmic axis at powers of ten (as DecadeTicks)
// when the range holds at least two of them, and otherwise, where a
// decade-only ticker would leave the axis bare or label one tick, at the
// exact 1-2-5 values of ExactTicks within the range.
type LogTicks struct{}

// Ticks implements plot.Ticker.
func (LogTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	if d := (DecadeTicks{}).Ticks(lo, hi); len(d) >= 2 {
		return d
	}
	var out []plot.Tick
	for _, t := range (ExactTicks{}).Ticks(lo, hi) {
		if t.Value > 0 {
			out = append(out, t)
		}
	}
	return out
}
