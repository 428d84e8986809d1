package manifold

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

// FuzzReadCurve: whatever the bytes and flags, ReadCurve returns either an
// error that names the file, or a curve that passes Check, with every
// number finite and as many of them as its width and points say, and that
// writing it out and reading it back gives the same curve.
func FuzzReadCurve(f *testing.F) {
	var circle strings.Builder
	for i := range 8 {
		s := 2 * math.Pi * float64(i) / 8
		fmt.Fprintf(&circle, "%g,%g,%g,%g,%g,%g\n", math.Cos(s), math.Sin(s), -math.Sin(s), math.Cos(s), -math.Cos(s), -math.Sin(s))
	}
	for _, s := range []string{
		circle.String(),
		"# a comment\n\n1,2,3\n4,5,6\n",
		"1,2,3\r\n4,5,6\r\n",
		" 1 , 2 , 3 \n4,5,6",
		"", "\n", "1,2,3\n", "1,2\n3,4\n", "1,2,3\n4,5\n", "1,2,3\nNaN,0,0\n", "1e999,0,0\n0,0,0\n",
		"x,y,z\n1,2,3\n4,5,6\n", "1,,3\n4,5,6\n", "0x1p-2,1_0,3\n4,5,6\n", "inf,0,0\n1,1,1\n",
	} {
		f.Add([]byte(s), true, 2*math.Pi)
		f.Add([]byte(s), false, 1.0)
	}
	f.Add([]byte(circle.String()), true, 0.0)
	f.Add([]byte(circle.String()), false, math.NaN())
	f.Add([]byte(circle.String()), true, math.Inf(1))
	f.Fuzz(func(t *testing.T, data []byte, closed bool, period float64) {
		const name = "fuzz.csv"
		c, err := ReadCurve(bytes.NewReader(data), name, closed, period)
		if err != nil {
			if c != nil || !strings.HasPrefix(err.Error(), name+": ") {
				t.Fatalf("error %q (curve %v) does not name %s", err, c != nil, name)
			}
			return
		}
		if err := c.Check(); err != nil {
			t.Fatalf("ReadCurve returned a curve that fails Check: %v", err)
		}
		n := c.Width * c.Points
		if c.Width < 1 || c.Points < 2 || len(c.H) != n || len(c.V) != n || len(c.A) != n || c.Closed != closed || c.Period != period {
			t.Fatalf("curve width %d, %d points, %d/%d/%d numbers, closed %v period %v", c.Width, c.Points, len(c.H), len(c.V), len(c.A), c.Closed, c.Period)
		}
		var out strings.Builder
		for p := range c.Points {
			var row []string
			for _, m := range [][]float64{c.H, c.V, c.A} {
				for _, x := range m[p*c.Width : (p+1)*c.Width] {
					row = append(row, fmt.Sprint(x))
				}
			}
			out.WriteString(strings.Join(row, ",") + "\n")
		}
		again, err := ReadCurve(strings.NewReader(out.String()), name, closed, period)
		if err != nil {
			t.Fatalf("the curve written out does not read back: %v", err)
		}
		for i := range n {
			if again.H[i] != c.H[i] || again.V[i] != c.V[i] || again.A[i] != c.A[i] {
				t.Fatalf("number %d differs after writing out and reading back", i)
			}
		}
	})
}
