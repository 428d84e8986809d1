package datasets

import (
	"math"
	"slices"
	"testing"
)

func TestSyntheticShapesAndSeeds(t *testing.T) {
	gens := []struct {
		name          string
		make          func(seed uint64) (*Dataset, error)
		n, d, classes int
	}{
		{"spirals", func(s uint64) (*Dataset, error) { return TwoSpirals(301, 0.1, s) }, 301, 2, 2},
		{"circles", func(s uint64) (*Dataset, error) { return Circles(301, 0.05, 0.4, s) }, 301, 2, 2},
		{"gaussian-mixture", func(s uint64) (*Dataset, error) { return GaussianMixture(300, 5, 4, 2, s) }, 300, 5, 4},
		{"teacher", func(s uint64) (*Dataset, error) { return Teacher(300, 8, 4, 12, s) }, 300, 8, 4},
	}
	for _, g := range gens {
		a, err := g.make(1)
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		if a.Name != g.name || a.N != g.n || a.D != g.d || a.Classes != g.classes {
			t.Errorf("%s: got %s %d x %d, %d classes", g.name, a.Name, a.N, a.D, a.Classes)
		}
		b, _ := g.make(1)
		c, _ := g.make(2)
		if !slices.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) {
			t.Errorf("%s: seed 1 twice gave different data", g.name)
		}
		if slices.Equal(a.X, c.X) {
			t.Errorf("%s: seeds 1 and 2 gave the same data", g.name)
		}
		for k, cnt := range a.ClassCounts() {
			if cnt == 0 {
				t.Errorf("%s: class %d is empty (counts %v)", g.name, k, a.ClassCounts())
			}
		}
	}
	// Balanced classes where promised: class c = i mod k.
	s, _ := TwoSpirals(301, 0.1, 1)
	if !slices.Equal(s.ClassCounts(), []int{151, 150}) {
		t.Errorf("spirals counts %v, want [151 150]", s.ClassCounts())
	}
	m, _ := GaussianMixture(300, 5, 4, 2, 1)
	if !slices.Equal(m.ClassCounts(), []int{75, 75, 75, 75}) {
		t.Errorf("mixture counts %v", m.ClassCounts())
	}
}

func TestCircles(t *testing.T) {
	radius := func(d *Dataset, i int) float64 { return math.Hypot(d.X[2*i], d.X[2*i+1]) }
	// Without noise the radii are exactly 1 and factor up to the rounding
	// of cos/sin/hypot (a few ulps; 1e-12 is generous).
	d, err := Circles(200, 0, 0.3, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.N {
		want := 1.0
		if d.Y[i] == 1 {
			want = 0.3
		}
		if r := radius(d, i); !(math.Abs(r-want) <= 1e-12) {
			t.Fatalf("sample %d (class %d): radius %v, want %v", i, d.Y[i], r, want)
		}
	}
	// With noise 0.02 and factor 0.5, the classes stay separated by radius:
	// the radial perturbation is ~N(0, 0.02^2), so over 2000 samples it
	// stays within about 4 sigma = 0.08 of each circle, far less than the
	// 0.25 half-gap. The mean radii match 1 and 0.5 to 0.005: the standard
	// error is 0.02/sqrt(1000) ~ 6e-4 and the bias from tangential noise
	// sigma^2/(2r) is at most 4e-4.
	d, err = Circles(2000, 0.02, 0.5, 6)
	if err != nil {
		t.Fatal(err)
	}
	inMax, outMin := 0.0, math.Inf(1)
	var sum [2]float64
	for i := range d.N {
		r := radius(d, i)
		sum[d.Y[i]] += r
		if d.Y[i] == 1 {
			inMax = max(inMax, r)
		} else {
			outMin = min(outMin, r)
		}
	}
	if inMax >= outMin {
		t.Errorf("inner radii reach %v, outer start at %v: not separated", inMax, outMin)
	}
	if m0, m1 := sum[0]/1000, sum[1]/1000; !(math.Abs(m0-1) <= 0.005) || !(math.Abs(m1-0.5) <= 0.005) {
		t.Errorf("mean radii %v, %v; want 1, 0.5", m0, m1)
	}
	if m1 := sum[1] / sum[0]; !(math.Abs(m1-0.5) <= 0.01) {
		t.Errorf("ratio of mean radii %v, want factor 0.5", m1)
	}
}

func TestTwoSpiralsGeometry(t *testing.T) {
	// Without noise, a class-c point at radius t lies at angle 3πt + cπ
	// (mod 2π); atan2 and the products are accurate to ~1e-15, so 1e-9 is
	// generous (points very near the origin, where the angle is
	// ill-conditioned, are skipped).
	d, err := TwoSpirals(500, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.N {
		x, y := d.X[2*i], d.X[2*i+1]
		r := math.Hypot(x, y)
		if r > 1 {
			t.Fatalf("sample %d radius %v > 1", i, r)
		}
		if r < 1e-6 {
			continue
		}
		want := 3*math.Pi*r + float64(d.Y[i])*math.Pi
		diff := math.Remainder(math.Atan2(y, x)-want, 2*math.Pi)
		if !(math.Abs(diff) <= 1e-9) {
			t.Fatalf("sample %d (class %d, radius %v): angle off by %v", i, d.Y[i], r, diff)
		}
	}
}

func TestGaussianMixture(t *testing.T) {
	// Means are pairwise at least separation apart (exactly, for the
	// simplex case d >= k), up to 1e-12 of rounding, and centred.
	for _, c := range []struct{ d, k int }{{5, 3}, {3, 3}, {2, 3}, {2, 7}, {1, 4}, {3, 5}} {
		sep := 2.5
		m := MixtureMeans(c.d, c.k, sep)
		minDist := math.Inf(1)
		for a := range c.k {
			for b := range a {
				s := 0.0
				for j := range c.d {
					e := m[a*c.d+j] - m[b*c.d+j]
					s += e * e
				}
				dist := math.Sqrt(s)
				minDist = min(minDist, dist)
				if c.d >= c.k && !(math.Abs(dist-sep) <= 1e-12) {
					t.Errorf("d=%d k=%d: simplex means %d,%d are %v apart, want %v", c.d, c.k, a, b, dist, sep)
				}
			}
		}
		if !(math.Abs(minDist-sep) <= 1e-12) {
			t.Errorf("d=%d k=%d: closest means %v apart, want %v", c.d, c.k, minDist, sep)
		}
		for j := range c.d {
			s := 0.0
			for a := range c.k {
				s += m[a*c.d+j]
			}
			if !(math.Abs(s) <= 1e-12) {
				t.Errorf("d=%d k=%d: means not centred (coordinate %d sums to %v)", c.d, c.k, j, s)
			}
		}
	}
	// Empirical class means are within 5 standard errors (unit variance,
	// 1000 per class: 5/sqrt(1000) ~ 0.16) of the design means.
	const n, d, k = 3000, 4, 3
	ds, err := GaussianMixture(n, d, k, 4, 11)
	if err != nil {
		t.Fatal(err)
	}
	want := MixtureMeans(d, k, 4)
	got := make([]float64, k*d)
	for i := range n {
		for j := range d {
			got[ds.Y[i]*d+j] += ds.X[i*d+j] / (n / k)
		}
	}
	for i := range got {
		if !(math.Abs(got[i]-want[i]) <= 5/math.Sqrt(n/k)) {
			t.Errorf("class %d coordinate %d: empirical mean %v, design %v", i/d, i%d, got[i], want[i])
		}
	}
}

func TestTeacherLabels(t *testing.T) {
	// The labels are exactly the teacher network's argmax: rebuild the
	// network from the same seed (it is drawn first from the stream) and
	// recompute every label.
	const n, d, classes, hidden = 500, 6, 4, 9
	ds, err := Teacher(n, d, classes, hidden, 99)
	if err != nil {
		t.Fatal(err)
	}
	net := newTeacher(newRand(99, pcgTeacher), d, hidden, classes)
	h := make([]float64, hidden)
	for i := range n {
		if got := net.label(ds.Sample(i), h); got != ds.Y[i] {
			t.Fatalf("sample %d: label %d, teacher says %d", i, ds.Y[i], got)
		}
	}
	// The inputs are standard Gaussian: overall mean within 5 standard
	// errors (5/sqrt(3000) ~ 0.09) of 0 and variance within 0.1 of 1.
	mean, sq := 0.0, 0.0
	for _, v := range ds.X {
		mean += v
		sq += v * v
	}
	mean /= float64(len(ds.X))
	if v := sq/float64(len(ds.X)) - mean*mean; !(math.Abs(mean) <= 0.09) || !(math.Abs(v-1) <= 0.1) {
		t.Errorf("inputs have mean %v variance %v, want ~0, ~1", mean, v)
	}
}

func TestSyntheticBadArguments(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	calls := map[string]func() (*Dataset, error){
		"spirals n=0":        func() (*Dataset, error) { return TwoSpirals(0, 0.1, 1) },
		"spirals n=1":        func() (*Dataset, error) { return TwoSpirals(1, 0.1, 1) },
		"spirals n<0":        func() (*Dataset, error) { return TwoSpirals(-5, 0.1, 1) },
		"spirals noise<0":    func() (*Dataset, error) { return TwoSpirals(10, -0.1, 1) },
		"spirals noise NaN":  func() (*Dataset, error) { return TwoSpirals(10, nan, 1) },
		"spirals huge n":     func() (*Dataset, error) { return TwoSpirals(1<<62, 0.1, 1) },
		"circles n=0":        func() (*Dataset, error) { return Circles(0, 0.1, 0.5, 1) },
		"circles noise Inf":  func() (*Dataset, error) { return Circles(10, inf, 0.5, 1) },
		"circles factor 0":   func() (*Dataset, error) { return Circles(10, 0.1, 0, 1) },
		"circles factor 1":   func() (*Dataset, error) { return Circles(10, 0.1, 1, 1) },
		"circles factor NaN": func() (*Dataset, error) { return Circles(10, 0.1, nan, 1) },
		"mixture k=1":        func() (*Dataset, error) { return GaussianMixture(10, 2, 1, 1, 1) },
		"mixture n<k":        func() (*Dataset, error) { return GaussianMixture(2, 2, 3, 1, 1) },
		"mixture d=0":        func() (*Dataset, error) { return GaussianMixture(10, 0, 2, 1, 1) },
		"mixture sep<0":      func() (*Dataset, error) { return GaussianMixture(10, 2, 2, -1, 1) },
		"mixture sep Inf":    func() (*Dataset, error) { return GaussianMixture(10, 2, 2, inf, 1) },
		"mixture huge":       func() (*Dataset, error) { return GaussianMixture(1<<40, 1<<30, 2, 1, 1) },
		"teacher n=0":        func() (*Dataset, error) { return Teacher(0, 2, 2, 2, 1) },
		"teacher d=0":        func() (*Dataset, error) { return Teacher(10, 0, 2, 2, 1) },
		"teacher classes=1":  func() (*Dataset, error) { return Teacher(10, 2, 1, 2, 1) },
		"teacher hidden=0":   func() (*Dataset, error) { return Teacher(10, 2, 2, 0, 1) },
		"teacher huge net":   func() (*Dataset, error) { return Teacher(10, 1<<20, 2, 1<<20, 1) },
	}
	for name, call := range calls {
		d, err := call()
		if err == nil || d != nil {
			t.Errorf("%s: got %v, %v; want an error and no Dataset", name, d, err)
		}
	}
}
