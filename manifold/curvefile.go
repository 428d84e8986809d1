package manifold

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ReadCurve reads a user curve from CSV: one sample per line, 3N numbers
// each: the point's N coordinates, then its first derivative's N, then its
// second derivative's N (with respect to the curve's parameter). Lines
// starting with '#' and blank lines are skipped. closed and period describe
// the sampling (see Curve). name labels errors.
func ReadCurve(r io.Reader, name string, closed bool, period float64) (*Curve, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	var h, v, a []float64
	width, line := 0, 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, ",")
		if width == 0 {
			if len(fields)%3 != 0 {
				return nil, fmt.Errorf("%s: line %d: %d numbers; want 3N (point, first and second derivative, N each)", name, line, len(fields))
			}
			width = len(fields) / 3
		} else if len(fields) != 3*width {
			return nil, fmt.Errorf("%s: line %d: %d numbers; earlier lines have %d", name, line, len(fields), 3*width)
		}
		for i, f := range fields {
			x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%s: line %d, column %d: %q is not a finite number", name, line, i+1, f)
			}
			switch i / width {
			case 0:
				h = append(h, x)
			case 1:
				v = append(v, x)
			default:
				a = append(a, x)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := &Curve{Width: width, Points: len(h) / max(width, 1), H: h, V: v, A: a, Closed: closed, Period: period}
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}
