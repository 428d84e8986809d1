package sweep

import (
	"slices"
	"strings"
	"testing"
)

// TestParseAxis: the value syntaxes give the values worked by hand (a
// lo:hi:n range gives phase's points: 1:5:41 steps by 0.1 and ends at 5
// exactly), integers are written without a point, and bad axes are
// refused with a reason; Flag writes an axis that ParseAxis reads back
// as the same.
func TestParseAxis(t *testing.T) {
	for _, c := range []struct {
		in   string
		name string
		want []string
	}{
		{"sigma-w=1:5:41", "sigma-w", nil}, // checked below
		{"sigma-b=0:2:5", "sigma-b", []string{"0", "0.5", "1", "1.5", "2"}},
		{"sigma-b=0.3:0.9:3", "sigma-b", []string{"0.3", "0.6", "0.9"}}, // not 0.6000000000000001
		{"x=0:1e-20:3", "x", []string{"0", "5e-21", "1e-20"}},
		{"width=100:400:4", "width", []string{"100", "200", "300", "400"}},
		{"seed=1:4", "seed", []string{"1", "2", "3", "4"}},
		{"seed=-2:0", "seed", []string{"-2", "-1", "0"}},
		{"act=tanh,relu", "act", []string{"tanh", "relu"}},
		{"kinds=dense,product;dense", "kinds", []string{"dense,product", "dense"}},
		{"kinds=dense,product;", "kinds", []string{"dense,product"}},
		{"model=c.jsonl:4:30", "model", []string{"c.jsonl:4:30"}},
		{"q=1:2,", "q", []string{"1:2"}},
		{"depth=7", "depth", []string{"7"}},
		{"q=0.25:0.25:1", "q", []string{"0.25"}},
		{" width = 10, 20 ", "width", []string{"10", "20"}},
	} {
		a, err := ParseAxis(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if c.want == nil {
			if len(a.Values) != 41 || a.Values[0] != "1" || a.Values[1] != "1.1" || a.Values[20] != "3" || a.Values[40] != "5" {
				t.Errorf("%q: %v", c.in, a.Values)
			}
		} else if a.Name != c.name || !slices.Equal(a.Values, c.want) {
			t.Errorf("%q: %s = %q, want %s = %q", c.in, a.Name, a.Values, c.name, c.want)
		}
		back, err := ParseAxis(a.Flag())
		if err != nil || back.Name != a.Name || !slices.Equal(back.Values, a.Values) {
			t.Errorf("%q: Flag() %q reads back as %v, %v", c.in, a.Flag(), back, err)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"sigma-w", "NAME=VALUES"},
		{"sigma-w=", "no values"},
		{"Sigma=1", "flag's name"},
		{"--width=1", "flag's name"},
		{"w=1:2.5", "integers"},
		{"w=3:1", "hi < lo"},
		{"w=1:2:0", "count"},
		{"w=1:2:x", "count"},
		{"w=1:2:1", "lo = hi"},
		{"w=1,1", "appears twice"},
		{"w=1,,2", "empty value"},
		{"w=1:Inf:3", "finite"},
	} {
		if _, err := ParseAxis(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one mentioning %q", c.in, err, c.want)
		}
	}
}

// TestGridOrder: points run in row-major order, the last axis fastest;
// their JSON writes numbers as numbers and names as strings, in the
// grid's order; Check refuses repeated axes and an empty grid.
func TestGridOrder(t *testing.T) {
	g := Grid{{"a", []string{"1", "2"}}, {"b", []string{"x", "y", "z"}}}
	want := [][]string{{"1", "x"}, {"1", "y"}, {"1", "z"}, {"2", "x"}, {"2", "y"}, {"2", "z"}}
	if g.Size() != 6 {
		t.Fatalf("size %d", g.Size())
	}
	for i, w := range want {
		if got := g.Values(i); !slices.Equal(got, w) {
			t.Errorf("point %d: %v, want %v", i, got, w)
		}
	}
	if got := string(g.PointJSON(4)); got != `{"a":2,"b":"y"}` {
		t.Errorf("PointJSON(4) = %s", got)
	}
	h := Grid{{"z", []string{"1e-3", "01", "-0.5", "a<b"}}}
	if got := string(h.PointJSON(0)) + string(h.PointJSON(1)) + string(h.PointJSON(2)) + string(h.PointJSON(3)); got != `{"z":1e-3}{"z":"01"}{"z":-0.5}{"z":"a<b"}` {
		t.Errorf("PointJSON: %s", got)
	}
	if err := (Grid{{"a", []string{"1"}}, {"a", []string{"2"}}}).Check(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("repeated axis: %v", err)
	}
	if err := (Grid{}).Check(); err == nil {
		t.Error("empty grid accepted")
	}
}

// TestParseSpecFile: a YAML spec gives the axes in its order (values as
// --grid reads them, or listed) and the command split at spaces; a
// pipeline's steps; JSON is read too; unknown keys and bad values are
// errors naming the line.
func TestParseSpecFile(t *testing.T) {
	g, steps, err := ParseSpecFile([]byte(`
grid:
  sigma-w: 1:5:3
  sigma-b: "0:2:2"
  act: [tanh, relu]
  seed: 3
command: curvature --width 2000 --depth 30
`), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 4 || g[0].Name != "sigma-w" || !slices.Equal(g[0].Values, []string{"1", "3", "5"}) || !slices.Equal(g[1].Values, []string{"0", "2"}) ||
		!slices.Equal(g[2].Values, []string{"tanh", "relu"}) || !slices.Equal(g[3].Values, []string{"3"}) {
		t.Errorf("grid %v", g)
	}
	if len(steps) != 1 || !slices.Equal(steps[0], []string{"curvature", "--width", "2000", "--depth", "30"}) {
		t.Errorf("steps %q", steps)
	}
	g, steps, err = ParseSpecFile([]byte(`{"grid": {"seed": "1:2"}, "steps": ["train --data iris --out m-{index}.ngm", ["hessian", "--model", "m-{index}.ngm"]]}`), "s.json")
	if err != nil || len(g) != 1 || len(steps) != 2 || steps[1][2] != "m-{index}.ngm" {
		t.Errorf("JSON spec: %v %q %v", g, steps, err)
	}
	for _, c := range []struct{ in, want string }{
		{"grid:\n  w: 1:2:0\n", "line 2"},
		{"grids:\n  w: 1\n", "unknown key"},
		{"grid: [1, 2]\n", "mapping"},
		{"command: a\nsteps: [b]\n", "not both"},
		{"grid:\n  w: [[1]]\n", "nested"},
		{"", "empty"},
	} {
		if _, _, err := ParseSpecFile([]byte(c.in), "s.yaml"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one mentioning %q", c.in, err, c.want)
		}
	}
}
