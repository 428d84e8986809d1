package report

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// ExactTicks marks a linear axis at multiples of a 1-2-5 step (four to seven
// labelled ticks where the range allows) and labels each with the decimal
// it stands for, so a label always reads as its tick's value: on a narrow
// range such as [1.005, 1.035] the ticks read 1.005, 1.01, ..., 1.035,
// where gonum/plot's default ticks can round 1.02 to "1".
type ExactTicks struct{}

// Ticks implements plot.Ticker.
func (ExactTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		if lo == hi && !math.IsInf(lo, 0) && !math.IsNaN(lo) {
			return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', -1, 64)}}
		}
		return nil
	}
	// The largest 1-2-5 step that gives at least four ticks (a step of
	// span/6 rounded up can leave two).
	m, e := niceStep((hi - lo) / 6)
	ticks := exactMultiples(lo, hi, m, e)
	for i := 0; i < 3 && len(ticks) < 4; i++ {
		m, e = smallerStep(m, e)
		ticks = exactMultiples(lo, hi, m, e)
	}
	return ticks
}

// exactMultiples returns the ticks at the multiples of m 10^e in [lo, hi],
// each placed at and labelled with the shortest decimal of its value.
func exactMultiples(lo, hi float64, m, e int) []plot.Tick {
	step := float64(m) * math.Pow(10, float64(e))
	decimals := max(0, -e)
	var ticks []plot.Tick
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+1e-9*step; k++ {
		// k*step carries rounding (0.1*3 = 0.30000000000000004): round to
		// the decimal the tick stands for and place it there.
		exact, _ := strconv.ParseFloat(strconv.FormatFloat(k*step, 'f', decimals, 64), 64)
		if exact == 0 {
			exact = 0 // no "-0"
		}
		if exact < lo || exact > hi {
			continue
		}
		ticks = append(ticks, plot.Tick{Value: exact, Label: strconv.FormatFloat(exact, 'g', -1, 64)})
	}
	return ticks
}

// niceStep rounds raw up to m 10^e with m in {1, 2, 5}.
func niceStep(raw float64) (m, e int) {
	e = int(math.Floor(math.Log10(raw)))
	p := math.Pow(10, float64(e))
	for _, c := range []int{1, 2, 5} {
		if raw <= float64(c)*p*(1+1e-9) {
			return c, e
		}
	}
	return 1, e + 1
}

// smallerStep is the next 1-2-5 step below m 10^e.
func smallerStep(m, e int) (int, int) {
	switch m {
	case 5:
		return 2, e
	case 2:
		return 1, e
	}
	return 5, e - 1
}

// LogTicks labels a logarithmic axis at powers of ten (as DecadeTicks) when
// the range holds at least two of them; on a narrower range, where decades
// alone would leave the axis bare or with one label, at the values m 10^k
// in range with m in 1, 2, 5 (or every m in 1..9 when those give fewer than
// three), each labelled exactly.
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
	for _, ms := range [][]int{{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		out = out[:0]
		for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
			for _, m := range ms {
				v, _ := strconv.ParseFloat(strconv.Itoa(m)+"e"+strconv.Itoa(e), 64)
				if v >= lo && v <= hi {
					out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
				}
			}
		}
		if len(out) >= 3 {
			return out
		}
	}
	return (ExactTicks{}).Ticks(lo, hi)
}
