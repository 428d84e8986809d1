package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// firstDataLine returns the first data line of an embedded file, read
// independently of the package's CSV reader (plain string splitting).
func firstDataLine(t *testing.T, file string, header bool) (x []float64, y int) {
	t.Helper()
	raw, err := embedded.ReadFile("data/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(raw)
	if strings.HasSuffix(file, ".gz") {
		if r, err = gzip.NewReader(r); err != nil {
			t.Fatal(err)
		}
	}
	sc := bufio.NewScanner(r)
	if header {
		sc.Scan()
	}
	sc.Scan()
	f := strings.Split(sc.Text(), ",")
	for _, s := range f[:len(f)-1] {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		x = append(x, v)
	}
	y, err = strconv.Atoi(f[len(f)-1])
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

func TestEmbedded(t *testing.T) {
	cases := []struct {
		name, file    string
		header        bool
		n, d, classes int
		counts        []int // from the README / awk over the files
		first         []float64
		label0        int
		classNames    []string
	}{
		{"iris", "iris.csv", true, 150, 4, 3, []int{50, 50, 50},
			[]float64{5.1, 3.5, 1.4, 0.2}, 0, []string{"setosa", "versicolor", "virginica"}},
		{"wine", "wine_data.csv", true, 178, 13, 3, []int{59, 71, 48},
			[]float64{14.23, 1.71, 2.43, 15.6, 127, 2.8, 3.06, 0.28, 2.29, 5.64, 1.04, 3.92, 1065}, 0,
			[]string{"class_0", "class_1", "class_2"}},
		{"breast-cancer", "breast_cancer.csv", true, 569, 30, 2, []int{212, 357},
			nil, 0, []string{"malignant", "benign"}},
		{"digits", "digits.csv.gz", false, 1797, 64, 10, []int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180},
			nil, 0, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, test, err := Load(c.name, 1)
			if err != nil {
				t.Fatal(err)
			}
			if test != nil {
				t.Errorf("test set %v, want nil for an embedded set", test.N)
			}
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
			if d.Name != c.name || d.N != c.n || d.D != c.d || d.Classes != c.classes {
				t.Fatalf("got %s %d x %d, %d classes; want %s %d x %d, %d", d.Name, d.N, d.D, d.Classes, c.name, c.n, c.d, c.classes)
			}
			if !slices.Equal(d.ClassCounts(), c.counts) {
				t.Errorf("class counts %v, want %v", d.ClassCounts(), c.counts)
			}
			if !slices.Equal(d.ClassNames, c.classNames) {
				t.Errorf("class names %q, want %q", d.ClassNames, c.classNames)
			}
			// The first row against the file text, exactly: the same
			// decimal strings through the same correctly rounded
			// strconv.ParseFloat give identical float64 values.
			x, y := firstDataLine(t, c.file, c.header)
			if !slices.Equal(d.Sample(0), x) || d.Y[0] != y {
				t.Errorf("first row %v label %d, file text says %v label %d", d.Sample(0), d.Y[0], x, y)
			}
			if c.first != nil && (!slices.Equal(x, c.first) || y != c.label0) {
				t.Errorf("first row of the file %v label %d, want %v label %d", x, y, c.first, c.label0)
			}
		})
	}
	// Hand-checked values from the file text beyond the first row: iris's
	// last row is 5.9,3.0,5.1,1.8,2; digits' first row starts 0,0,5,13,9,1
	// and is a 0; breast cancer's first row starts 17.99,10.38 and is
	// malignant (0).
	iris, _, _ := Load("iris", 0)
	if !slices.Equal(iris.Sample(149), []float64{5.9, 3.0, 5.1, 1.8}) || iris.Y[149] != 2 {
		t.Errorf("iris row 150 = %v label %d", iris.Sample(149), iris.Y[149])
	}
	dg, _, _ := Load("digits", 0)
	if !slices.Equal(dg.Sample(0)[:6], []float64{0, 0, 5, 13, 9, 1}) || dg.Y[0] != 0 || dg.Y[1] != 1 {
		t.Errorf("digits row 1 starts %v, labels %v", dg.Sample(0)[:6], dg.Y[:2])
	}
	bc, _, _ := Load("breast-cancer", 0)
	if x := bc.Sample(0); x[0] != 17.99 || x[1] != 10.38 || x[29] != 0.1189 || bc.Y[0] != 0 {
		t.Errorf("breast cancer row 1 = %v... label %d", x[:2], bc.Y[0])
	}
}

func TestEmbeddedChecksums(t *testing.T) {
	// The constants agree with data/README.md (copied from the source
	// README), and a changed byte is refused.
	readme, err := os.ReadFile("data/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range embeddedSets {
		if !strings.Contains(string(readme), e.sha256+"  "+e.file) {
			t.Errorf("data/README.md does not list %s %s", e.sha256, e.file)
		}
		raw, err := embedded.ReadFile("data/" + e.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSHA256(e.file, raw, e.sha256); err != nil {
			t.Error(err)
		}
		bad := slices.Clone(raw)
		bad[len(bad)/2] ^= 0x20
		err = checkSHA256(e.file, bad, e.sha256)
		if err == nil || !strings.Contains(err.Error(), "sha256 mismatch") || !strings.Contains(err.Error(), e.file) {
			t.Errorf("%s with a flipped bit: err = %v", e.file, err)
		}
	}
}

func TestNamesListLoad(t *testing.T) {
	want := []string{"iris", "wine", "breast-cancer", "digits", "fashion-mnist", "spirals", "circles", "gaussian-mixture", "teacher"}
	if !slices.Equal(Names(), want) {
		t.Errorf("Names() = %q", Names())
	}
	list := List()
	if len(list) != len(want) {
		t.Fatalf("List has %d entries", len(list))
	}
	for i, in := range list {
		if in.Name != want[i] || in.N <= 0 || in.D <= 0 || in.Classes < 2 || in.Source == "" || in.Note == "" {
			t.Errorf("List()[%d] = %+v", i, in)
		}
	}
	if list[0].Source != "embedded" || list[5].Source != "synthetic" || list[4].Source != FashionMNISTDir() || list[4].NTest != 10000 {
		t.Errorf("sources: %q %q %q", list[0].Source, list[4].Source, list[5].Source)
	}
	// Synthetic sets through Load match List and are seeded.
	for _, in := range list[5:] {
		a, test, err := Load(in.Name, 7)
		if err != nil || test != nil {
			t.Fatalf("%s: %v, test %v", in.Name, err, test)
		}
		if a.N != in.N || a.D != in.D || a.Classes != in.Classes || a.Name != in.Name {
			t.Errorf("%s: Load gives %d x %d, %d classes; List says %d x %d, %d", in.Name, a.N, a.D, a.Classes, in.N, in.D, in.Classes)
		}
		b, _, _ := Load(in.Name, 7)
		c, _, _ := Load(in.Name, 8)
		if !slices.Equal(a.X, b.X) || slices.Equal(a.X, c.X) {
			t.Errorf("%s: not a deterministic function of the seed", in.Name)
		}
	}
	_, _, err := Load("mnist", 0)
	if err == nil || !strings.Contains(err.Error(), `"mnist"`) || !strings.Contains(err.Error(), "fashion-mnist") {
		t.Errorf("unknown name: err = %v", err)
	}
}

func TestDatasetMethods(t *testing.T) {
	d := &Dataset{Name: "t", X: []float64{1, 2, 3, 4, 5, 6}, Y: []int{0, 2, 1}, N: 3, D: 2, Classes: 3}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	s := d.Sample(1)
	if !slices.Equal(s, []float64{3, 4}) || cap(s) != 2 {
		t.Errorf("Sample(1) = %v cap %d, want [3 4] cap 2", s, cap(s))
	}
	s[0] = 30 // a view
	if d.X[2] != 30 {
		t.Errorf("Sample is not a view")
	}
	d.X[2] = 3
	sub := d.Subset([]int{2, 0, 2})
	if sub.N != 3 || !slices.Equal(sub.X, []float64{5, 6, 1, 2, 5, 6}) || !slices.Equal(sub.Y, []int{1, 0, 1}) || sub.Classes != 3 {
		t.Errorf("Subset = %+v", sub)
	}
	sub.X[0] = 99
	if d.X[4] != 5 {
		t.Errorf("Subset shares memory with the original")
	}
	if oh := d.OneHot(); !slices.Equal(oh, []float64{1, 0, 0, 0, 0, 1, 0, 1, 0}) {
		t.Errorf("OneHot = %v", oh)
	}
	for _, bad := range []*Dataset{
		{X: []float64{1}, Y: []int{0}, N: 1, D: 2, Classes: 1},
		{X: []float64{1, 2}, Y: []int{0, 0}, N: 1, D: 2, Classes: 1},
		{X: []float64{1, 2}, Y: []int{1}, N: 1, D: 2, Classes: 1},
		{X: []float64{1, math.NaN()}, Y: []int{0}, N: 1, D: 2, Classes: 1},
		{X: []float64{1, 2}, Y: []int{0}, N: 1, D: 2, Classes: 0},
		{X: []float64{1, 2}, Y: []int{0}, N: 1, D: 2, Classes: 2, ClassNames: []string{"a"}},
	} {
		if bad.Validate() == nil {
			t.Errorf("Validate accepted %+v", bad)
		}
	}
}

func TestSplit(t *testing.T) {
	wine, _, err := Load("wine", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Per class round(0.25 * n_c): 59 -> 15, 71 -> 18, 48 -> 12.
	tr, te, err := SplitIndices(wine, 0.25, 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(te) != 45 || len(tr) != 133 {
		t.Fatalf("split sizes %d/%d, want 133/45", len(tr), len(te))
	}
	union := append(slices.Clone(tr), te...)
	slices.Sort(union)
	for i, v := range union {
		if v != i {
			t.Fatalf("train and test are not a partition of 0..177 (position %d holds %d)", i, v)
		}
	}
	if !slices.IsSorted(tr) || !slices.IsSorted(te) {
		t.Errorf("indices not in increasing order")
	}
	trD, teD, err := Split(wine, 0.25, 42)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(teD.ClassCounts(), []int{15, 18, 12}) || !slices.Equal(trD.ClassCounts(), []int{44, 53, 36}) {
		t.Errorf("class counts train %v test %v, want [44 53 36] [15 18 12]", trD.ClassCounts(), teD.ClassCounts())
	}
	if !slices.Equal(teD.X, wine.Subset(te).X) || !slices.Equal(trD.Y, wine.Subset(tr).Y) {
		t.Errorf("Split's sets differ from Subset of SplitIndices")
	}
	tr2, te2, _ := SplitIndices(wine, 0.25, 42)
	if !slices.Equal(tr, tr2) || !slices.Equal(te, te2) {
		t.Errorf("same seed gave a different split")
	}
	_, te3, _ := SplitIndices(wine, 0.25, 43)
	if slices.Equal(te, te3) {
		t.Errorf("seeds 42 and 43 gave the same split")
	}
	iris, _, _ := Load("iris", 0)
	_, ite, _ := Split(iris, 0.2, 1)
	if !slices.Equal(ite.ClassCounts(), []int{10, 10, 10}) {
		t.Errorf("iris 20%% test counts %v, want 10 each", ite.ClassCounts())
	}
	for _, f := range []float64{0, 1, -0.1, 1.5, math.NaN()} {
		if _, _, err := Split(iris, f, 1); err == nil {
			t.Errorf("testFraction %v accepted", f)
		}
	}
	tiny := &Dataset{Name: "tiny", X: []float64{1, 2}, Y: []int{0, 1}, N: 2, D: 1, Classes: 2}
	if _, _, err := Split(tiny, 0.2, 1); err == nil || !strings.Contains(err.Error(), "both non-empty") {
		t.Errorf("split leaving an empty test set: err = %v", err)
	}
}

func TestStandardizer(t *testing.T) {
	// Wine features range from ~0.1 to ~1680 (proline) and digits has
	// constant (always 0) pixels. After standardizing, each non-constant
	// feature has mean 0 and population std 1 to 1e-12: the values are
	// O(1..10) and the sums run over at most 1797 terms, so rounding error
	// is ~1e-13 at worst.
	for _, name := range []string{"wine", "digits", "breast-cancer"} {
		d, _, _ := Load(name, 0)
		orig := slices.Clone(d.X)
		s := FitStandardizer(d)
		z := s.Apply(d)
		if !slices.Equal(d.X, orig) {
			t.Fatalf("%s: Apply modified its input", name)
		}
		constant := 0
		for j := range d.D {
			m, v := 0.0, 0.0
			for i := range z.N {
				m += z.X[i*z.D+j]
			}
			m /= float64(z.N)
			for i := range z.N {
				e := z.X[i*z.D+j] - m
				v += e * e
			}
			sd := math.Sqrt(v / float64(z.N))
			if s.Std[j] == 1 && sd == 0 {
				constant++
				if m != 0 {
					t.Errorf("%s feature %d: constant feature standardizes to %v, want exactly 0", name, j, m)
				}
				continue
			}
			if !(math.Abs(m) <= 1e-12) || !(math.Abs(sd-1) <= 1e-12) {
				t.Errorf("%s feature %d: mean %g std %v after standardizing", name, j, m, sd)
			}
		}
		if name == "digits" && constant != 3 {
			// Pixels 0, 32 and 39 are blank in every digits image.
			t.Errorf("digits: %d constant features, want 3", constant)
		}
		if name != "digits" && constant != 0 {
			t.Errorf("%s: %d constant features, want 0", name, constant)
		}
	}
	// Fit on train, apply to test: uses the training statistics.
	tr := &Dataset{X: []float64{1, 3}, Y: []int{0, 0}, N: 2, D: 1, Classes: 1}
	te := &Dataset{X: []float64{5}, Y: []int{0}, N: 1, D: 1, Classes: 1}
	s := FitStandardizer(tr)
	if s.Mean[0] != 2 || s.Std[0] != 1 || s.Apply(te).X[0] != 3 {
		t.Errorf("train mean/std %v/%v, test standardized to %v; want 2, 1, 3", s.Mean, s.Std, s.Apply(te).X)
	}
	c := &Dataset{X: []float64{0.1, 0.1, 0.1}, Y: []int{0, 0, 0}, N: 3, D: 1, Classes: 1}
	if s := FitStandardizer(c); s.Std[0] != 1 || s.Mean[0] != 0.1 || s.Apply(c).X[2] != 0 {
		t.Errorf("constant 0.1 feature: %+v", s)
	}
}
