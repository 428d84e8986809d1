package datasets

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// irisTable writes the embedded iris set as a table a user would have: a
// header, the species as names in the column at labelAt (0: first), the
// features with the shortest decimal that reads back to the same float64.
func irisTable(t testing.TB, labelAt int) (*Dataset, string) {
	t.Helper()
	iris, _, err := Load("iris", 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	cols := []string{"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"}
	cols = slices.Insert(cols, labelAt, "species")
	b.WriteString(strings.Join(cols, ",") + "\n")
	for i := range iris.N {
		var f []string
		for _, v := range iris.Sample(i) {
			f = append(f, strconv.FormatFloat(v, 'g', -1, 64))
		}
		f = slices.Insert(f, labelAt, iris.ClassNames[iris.Y[i]])
		b.WriteString(strings.Join(f, ",") + "\n")
	}
	return iris, b.String()
}

// The iris set written as a table with the species as names reads back as
// the embedded set, bit for bit: scikit-learn numbers the species setosa,
// versicolor, virginica, which is their byte order, the order ReadTable
// gives names. The label column is found by name, by index from the front
// and from the back.
func TestReadTableIrisNames(t *testing.T) {
	for _, c := range []struct {
		at    int
		label string
	}{{4, ""}, {4, "species"}, {0, "species"}, {0, "0"}, {2, "-3"}} {
		iris, text := irisTable(t, c.at)
		d, err := ReadTable(strings.NewReader(text), "iris.csv", TableOptions{Label: c.label})
		if err != nil {
			t.Fatalf("label %q at %d: %v", c.label, c.at, err)
		}
		if d.N != 150 || d.D != 4 || d.Classes != 3 || d.Regression() {
			t.Fatalf("label %q at %d: %d x %d, %d classes", c.label, c.at, d.N, d.D, d.Classes)
		}
		if !slices.Equal(d.X, iris.X) || !slices.Equal(d.Y, iris.Y) || !slices.Equal(d.ClassNames, iris.ClassNames) {
			t.Fatalf("label %q at %d: the table differs from the embedded iris set (classes %q)", c.label, c.at, d.ClassNames)
		}
	}
}

// String labels become classes in byte order, whatever order they appear
// in; integer labels are the class numbers; a column of numbers that are
// not all non-negative integers is names too.
func TestReadTableLabels(t *testing.T) {
	for _, c := range []struct {
		text    string
		y       []int
		classes int
		names   []string
	}{
		{"x,y\n1,b\n2,a\n3,B\n4,b\n", []int{2, 1, 0, 2}, 3, []string{"B", "a", "b"}},
		{"1,2\n2,0\n3,2\n", []int{2, 0, 2}, 3, nil},
		{"1,-1\n2,1\n3,-1\n", []int{0, 1, 0}, 2, []string{"-1", "1"}},
		{"1,1.0\n2,0.0\n", []int{1, 0}, 2, []string{"0.0", "1.0"}},
		{"1,\"a,b\"\n2,c\n", []int{0, 1}, 2, []string{"a,b", "c"}},
	} {
		d, err := ReadTable(strings.NewReader(c.text), "t.csv", TableOptions{})
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		if !slices.Equal(d.Y, c.y) || d.Classes != c.classes || !slices.Equal(d.ClassNames, c.names) {
			t.Errorf("%q: labels %v, %d classes %q; want %v, %d, %q", c.text, d.Y, d.Classes, d.ClassNames, c.y, c.classes, c.names)
		}
	}
}

// Target columns make a regression set: the targets in the order given,
// the remaining columns the features in file order, no labels.
func TestReadTableRegression(t *testing.T) {
	text := "a,y2,b,y1\n1,10,2,-1e-3\n3,20,4,0.5\n5,30,6,7\n"
	d, err := ReadTable(strings.NewReader(text), "r.csv", TableOptions{Targets: []string{"y1", "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Regression() || d.Y != nil || d.N != 3 || d.D != 2 || d.Classes != 2 {
		t.Fatalf("regression %v, Y %v, %d x %d, %d targets", d.Regression(), d.Y, d.N, d.D, d.Classes)
	}
	if want := []float64{1, 2, 3, 4, 5, 6}; !slices.Equal(d.X, want) {
		t.Errorf("X = %v, want %v", d.X, want)
	}
	if want := []float64{-1e-3, 10, 0.5, 20, 7, 30}; !slices.Equal(d.Targets, want) {
		t.Errorf("Targets = %v, want %v", d.Targets, want)
	}
	if want := []float64{-1e-3, 10, 0.5, 20, 7, 30}; !slices.Equal(d.TargetMatrix(), want) {
		t.Errorf("TargetMatrix = %v, want the targets", d.TargetMatrix())
	}
	// The split has no strata: round(0.4 * 3) = 1 test sample, the same
	// for the same seed, training and test covering every sample once.
	tr, te, err := Split(d, 0.4, 7)
	if err != nil {
		t.Fatal(err)
	}
	if tr.N != 2 || te.N != 1 || !tr.Regression() || len(te.Targets) != 2 {
		t.Fatalf("split %d + %d samples, test targets %v", tr.N, te.N, te.Targets)
	}
	seen := map[float64]bool{}
	for _, s := range []*Dataset{tr, te} {
		for i := range s.N {
			row := s.Sample(i)
			// Features (2i+1, 2i+2) go with targets of the same row.
			k := int(row[0]-1) / 2
			if want := d.Targets[2*k : 2*k+2]; !slices.Equal(s.Targets[2*i:2*i+2], want) {
				t.Errorf("sample with features %v has targets %v, want %v", row, s.Targets[2*i:2*i+2], want)
			}
			seen[row[0]] = true
		}
	}
	if len(seen) != 3 {
		t.Errorf("split covers samples %v, want all 3", seen)
	}
}

// Header detection: a header is a first line with a field that is text
// above a number; text labels alone are data.
func TestReadTableHeaderDetection(t *testing.T) {
	for _, c := range []struct {
		text string
		n    int
	}{
		{"a,b\n1,x\n2,y\n", 2},
		{"1,x\n2,y\n", 2},
		{"5,x\n1,x\n2,y\n", 3},
		{"a,label\n1,x\n2,y\n", 2},
	} {
		d, err := ReadTable(strings.NewReader(c.text), "h.csv", TableOptions{})
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		if d.N != c.n {
			t.Errorf("%q: %d samples, want %d", c.text, d.N, c.n)
		}
	}
}

// Every bad table is refused with the file, the line and the column (from
// 1) and what was wrong.
func TestReadTableErrors(t *testing.T) {
	for _, c := range []struct {
		text      string
		o         TableOptions
		line, col int
		subs      []string
	}{
		{"", TableOptions{}, 0, 0, []string{"empty file"}},
		{"a,b,c\n", TableOptions{}, 0, 0, []string{"no data rows"}},
		{"a,b,c\n1,2,0\n3,4\n", TableOptions{}, 3, 0, []string{"found 2 fields, expected 3 as on line 1"}},
		{"a,b,c\n1,2,0\n3,x,1\n", TableOptions{}, 3, 2, []string{`feature "x" ("b") is not a number`}},
		{"a,b,c\n1,2,0\n3,NaN,1\n", TableOptions{}, 3, 2, []string{"NaN or infinite"}},
		{"a,b,c\n1,2,0\n3,-Inf,1\n", TableOptions{}, 3, 2, []string{"NaN or infinite"}},
		{"a,b,c\n1,2,0\n3,1e999,1\n", TableOptions{}, 3, 2, []string{"out of float64 range"}},
		{"a,b,c\n1,2,0\n3,,1\n", TableOptions{}, 3, 2, []string{"empty feature field"}},
		{"a,b,c\n1,2,0\n3,4,\n", TableOptions{}, 3, 3, []string{"empty label"}},
		{"a,b,c\n1,2,0\n3,4,0\n", TableOptions{}, 2, 3, []string{`every label ("c") is "0"`, "at least two classes"}},
		{"a,b,c\n1,2,0\n3,4,1\n", TableOptions{Label: "species"}, 1, 0, []string{`no label column named "species": the columns are "a", "b", "c"`}},
		{"1,2,0\n3,4,1\n", TableOptions{Label: "species"}, 0, 0, []string{"no header line, so name columns by index, 0 to 2"}},
		{"1,2,0\n3,4,1\n", TableOptions{Label: "3"}, 0, 0, []string{"label column index 3 is out of range: the table has 3 columns"}},
		{"a,b,a\n1,2,0\n3,4,1\n", TableOptions{Label: "a"}, 1, 3, []string{`named twice (columns 1 and 3)`}},
		{"a,y\n1,2\n3,z\n", TableOptions{Targets: []string{"y"}}, 3, 2, []string{`target "z" ("y") is not a number`}},
		{"a,y\n1,2\n3,4\n", TableOptions{Targets: []string{"y", "-1"}}, 1, 2, []string{"given twice"}},
		{"a,y\n1,2\n3,4\n", TableOptions{Targets: []string{"a", "y"}}, 0, 0, []string{"no feature columns"}},
		{"a,b\n1,\"x\n", TableOptions{}, 2, 0, []string{"extraneous or missing \" in quoted-field"}},
	} {
		_, err := ReadTable(strings.NewReader(c.text), "bad.csv", c.o)
		wantFormatErr(t, err, "bad.csv", c.line, c.col, c.subs...)
	}
	if _, err := ReadTable(strings.NewReader("a\n"), "x.csv", TableOptions{Label: "a", Targets: []string{"b"}}); err == nil || !strings.Contains(err.Error(), "give one") {
		t.Errorf("label and targets: %v", err)
	}
}

// CSVName and ParseCSVName are inverses, and CanonicalName makes the path
// absolute and writes the default label column out.
func TestCSVName(t *testing.T) {
	for _, o := range []TableOptions{{}, {Label: "species"}, {Label: "a&b=c?"}, {Targets: []string{"y,1", "2"}}} {
		name := CSVName("dir/my?file.csv", o)
		path, got, err := ParseCSVName(name)
		if err != nil || path != "dir/my?file.csv" || (len(o.Targets) == 0 && got.Label != cmpOr(o.Label, "-1")) || !slices.Equal(got.Targets, o.Targets) {
			t.Errorf("%+v: %s parses as %q %+v, %v", o, name, path, got, err)
		}
	}
	abs, err := filepath.Abs("t.csv")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"csv:t.csv":                   "csv:" + abs + "?label=-1",
		"csv:t.csv?label=species":     "csv:" + abs + "?label=species",
		"csv:t.csv?target=y&target=z": "csv:" + abs + "?target=y&target=z",
		"csv:t.csv?x=1":               "csv:" + abs + "?x=1?label=-1",
	} {
		if got, err := CanonicalName(in); err != nil || got != want {
			t.Errorf("CanonicalName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"csv:", "csv:?label=a", "csv:t.csv?label=a&target=b", "csv:t.csv?label=a&label=b"} {
		if _, err := CanonicalName(bad); err == nil {
			t.Errorf("CanonicalName(%q): no error", bad)
		}
	}
}

// Load reads a csv: name from any folder with the recorded absolute path,
// gzip-compressed too.
func TestLoadCSVName(t *testing.T) {
	dir := t.TempDir()
	_, text := irisTable(t, 4)
	p := filepath.Join(dir, "iris.csv.gz")
	if err := os.WriteFile(p, gz(t, []byte(text)), 0o644); err != nil {
		t.Fatal(err)
	}
	name, err := CanonicalName(CSVName(p, TableOptions{Label: "species"}))
	if err != nil {
		t.Fatal(err)
	}
	d, test, err := Load(name, 0)
	if err != nil || test != nil {
		t.Fatalf("Load: %v, test %v", err, test)
	}
	if d.Name != name || d.N != 150 || d.Classes != 3 {
		t.Fatalf("Load: %s, %d samples, %d classes", d.Name, d.N, d.Classes)
	}
	if _, _, err := Load(CSVName(filepath.Join(dir, "none.csv"), TableOptions{}), 0); err == nil || !strings.Contains(err.Error(), "none.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzReadTable(f *testing.F) {
	_, iris := irisTable(f, 4)
	for i, s := range []string{
		iris, "a,b\n1,x\n2,y\n", "1,2\n2,0\n", "a,y\n1,2\n3,z\n", "", "\n", "a,b,c\n1,2\n",
		"\"a\nb\",c\n1,2\n", "1,NaN\n2,3\n", "x,y\n1e999,1\n", "\x1f\x8b\x00x",
	} {
		f.Add([]byte(s), uint8(i), uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, data []byte, col, mode uint8) {
		const name = "fuzz.csv"
		var o TableOptions
		spec := fmt.Sprint(int(col%8) - 4)
		switch mode % 4 {
		case 1:
			o.Label = spec
		case 2:
			o.Targets = []string{spec}
		case 3:
			o.Label = "b"
		}
		d, err := ReadTable(bytes.NewReader(data), name, o)
		if err != nil {
			if d != nil {
				t.Fatalf("got a Dataset and error %v", err)
			}
			checkFormatErr(t, err, name)
			return
		}
		if verr := d.Validate(); verr != nil {
			t.Fatalf("nil error but inconsistent Dataset: %v", verr)
		}
		if d.N < 1 || d.D < 1 || d.Regression() != (len(o.Targets) > 0) {
			t.Fatalf("nil error but N = %d, D = %d, regression %v", d.N, d.D, d.Regression())
		}
		if !d.Regression() {
			if d.Classes < 2 || d.ClassNames != nil && !slices.IsSorted(d.ClassNames) {
				t.Fatalf("classes %d, names %q", d.Classes, d.ClassNames)
			}
		}
		for _, v := range append(slices.Clone(d.X), d.Targets...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite value %v", v)
			}
		}
	})
}
