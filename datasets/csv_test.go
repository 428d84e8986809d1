package datasets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestReadCSVGood(t *testing.T) {
	// CRLF line ends, spaces around fields, trailing blank lines, no final
	// newline variants: all accepted. Values are compared exactly: they are
	// the correctly rounded float64 of the decimal text, as ParseFloat gives.
	in := "3, 2, neg ,pos\r\n1.5,-2,0\r\n 3e2 ,0.25, 1\r\n-0.0,7,1\r\n\r\n \n"
	d, err := ReadCSV(strings.NewReader(in), "good.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.N != 3 || d.D != 2 || d.Classes != 2 || d.Name != "good.csv" {
		t.Fatalf("got %d x %d, %d classes, name %q; want 3 x 2, 2 classes, good.csv", d.N, d.D, d.Classes, d.Name)
	}
	if !slices.Equal(d.X, []float64{1.5, -2, 300, 0.25, 0, 7}) || !slices.Equal(d.Y, []int{0, 1, 1}) {
		t.Errorf("X = %v, Y = %v", d.X, d.Y)
	}
	if !slices.Equal(d.ClassNames, []string{"neg", "pos"}) {
		t.Errorf("ClassNames = %q", d.ClassNames)
	}

	// The same file gzip-compressed is detected by its magic.
	dz, err := ReadCSV(strings.NewReader(string(gz(t, []byte(in)))), "good.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dz.X, d.X) || !slices.Equal(dz.Y, d.Y) {
		t.Errorf("gzip: X = %v, Y = %v", dz.X, dz.Y)
	}

	// Headerless, with inferred features and classes, no final newline.
	d, err = ReadCSVNoHeader(strings.NewReader("1,2,3,0\n4,5,6,4"), "nh.csv", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 2 || d.D != 3 || d.Classes != 5 || d.ClassNames != nil {
		t.Errorf("headerless: %d x %d, %d classes, names %q; want 2 x 3, 5 classes (largest label + 1), nil", d.N, d.D, d.Classes, d.ClassNames)
	}
	// Headerless with counts given.
	d, err = ReadCSVNoHeader(strings.NewReader("1,2,3,0\n4,5,6,1\n"), "nh.csv", 3, 10)
	if err != nil || d.Classes != 10 || d.D != 3 {
		t.Errorf("headerless with counts: %v, %+v", err, d)
	}
}

func TestReadCSVErrors(t *testing.T) {
	const f = "bad.csv"
	hdr := "2,2,a,b\n"
	cases := []struct {
		name      string
		in        string
		line, col int
		subs      []string
	}{
		{"empty", "", 0, 0, []string{"empty file", "header"}},
		{"only blank lines", "\n  \n", 0, 0, []string{"empty file"}},
		{"header too short", "2,2\n1,2,0\n", 1, 0, []string{"2 fields", "at least 3"}},
		{"n_samples not integer", "x,2,a,b\n", 1, 1, []string{`n_samples "x"`, "positive integer"}},
		{"n_samples zero", "0,2,a,b\n", 1, 1, []string{"n_samples", "positive integer"}},
		{"n_features negative", "2,-1,a,b\n", 1, 2, []string{"n_features", "positive integer"}},
		{"empty class name", "2,2,a,\n", 1, 4, []string{"empty class name"}},
		{"duplicate class name", "2,2,a,a\n", 1, 4, []string{"repeats column 3"}},
		{"row too short", hdr + "1,2,0\n3,0\n", 3, 0, []string{"found 2 fields, expected 3"}},
		{"row too long", hdr + "1,2,3,0\n", 2, 0, []string{"found 4 fields, expected 3", "2 features"}},
		{"non-numeric feature", hdr + "1,2,0\n3,abc,1\n", 3, 2, []string{`"abc"`, "finite number"}},
		{"empty feature", hdr + ",2,0\n", 2, 1, []string{"empty field"}},
		{"NaN feature", hdr + "1,NaN,0\n", 2, 2, []string{"NaN or infinite"}},
		{"Inf feature", hdr + "-Inf,1,0\n", 2, 1, []string{"NaN or infinite"}},
		{"overflowing feature", hdr + "1e999,1,0\n", 2, 1, []string{"out of float64 range"}},
		{"label out of range", hdr + "1,2,0\n1,2,2\n", 3, 3, []string{"label 2 out of range", "[0, 2)"}},
		{"negative label", hdr + "1,2,-1\n", 2, 3, []string{"label -1 out of range"}},
		{"non-integer label", hdr + "1,2,0.5\n", 2, 3, []string{"not an integer"}},
		{"integral float label", hdr + "1,2,1.0\n", 2, 3, []string{"not an integer"}},
		{"non-numeric label", hdr + "1,2,b\n", 2, 3, []string{`invalid label "b"`}},
		{"huge label", hdr + "1,2,99999999999999999999999\n", 2, 3, []string{"out of range"}},
		{"fewer rows than header", "3,1,a,b\n1,0\n2,1\n", 1, 1, []string{"declares 3 samples", "2 data rows"}},
		{"more rows than header", "2,1,a,b\n1,0\n2,1\n3,1\n", 4, 0, []string{"more data rows than the 2 declared"}},
		{"header only", "2,1,a,b\n", 1, 1, []string{"declares 2 samples", "0 data rows"}},
		{"blank line inside", hdr + "1,2,0\n\n3,4,1\n", 3, 0, []string{"blank line"}},
		{"gzip magic, bad stream", "\x1f\x8b\x00\x00garbage", 0, 0, []string{"not a valid gzip stream"}},
		{"binary junk", "\x00\x01\x02,\xff\n", 1, 0, []string{"header has 2 fields"}},
		// A header claiming 10^12 samples of 10^9 features must fail on the
		// rows, not try to allocate.
		{"absurd header counts", "999999999999,1000000000,a,b\n1,0\n", 2, 0, []string{"found 2 fields, expected 1000000001"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ReadCSV(strings.NewReader(c.in), f)
			if d != nil {
				t.Errorf("got a Dataset with the error")
			}
			wantFormatErr(t, err, f, c.line, c.col, c.subs...)
			if c.line > 0 && !strings.Contains(err.Error(), "line "+strconv.Itoa(c.line)) {
				t.Errorf("error %q does not say line %d", err, c.line)
			}
			if c.col > 0 && !strings.Contains(err.Error(), "column "+strconv.Itoa(c.col)) {
				t.Errorf("error %q does not say column %d", err, c.col)
			}
		})
	}

	nh := []struct {
		name          string
		in            string
		nFeat, nClass int
		line, col     int
		subs          []string
	}{
		{"empty", "", 64, 10, 0, 0, []string{"empty file", "data rows"}},
		{"ragged vs first row", "1,2,0\n1,2,3,0\n", 0, 0, 2, 0, []string{"found 4 fields, expected 3"}},
		{"wrong feature count", "1,2,0\n", 3, 2, 1, 0, []string{"found 3 fields, expected 4"}},
		{"single field", "7\n", 0, 0, 1, 0, []string{"at least 2"}},
		{"label >= nClasses", "1,2,0\n1,2,10\n", 2, 10, 2, 3, []string{"label 10 out of range", "[0, 10)"}},
		{"inferred label too large", "1,70000\n", 0, 0, 1, 2, []string{"out of range", "below 65536"}},
		{"header given to headerless reader", "150,4,setosa,versicolor\n", 0, 0, 1, 3, []string{`invalid feature "setosa"`}},
	}
	for _, c := range nh {
		t.Run("noheader/"+c.name, func(t *testing.T) {
			_, err := ReadCSVNoHeader(strings.NewReader(c.in), f, c.nFeat, c.nClass)
			wantFormatErr(t, err, f, c.line, c.col, c.subs...)
		})
	}
	if _, err := ReadCSVNoHeader(strings.NewReader("1,0\n"), f, -1, 2); err == nil || !strings.Contains(err.Error(), "nFeatures = -1") {
		t.Errorf("negative nFeatures: err = %v", err)
	}
}

func TestReadCSVTruncatedGzip(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("1000,3,a,b\n")
	for i := range 1000 {
		sb.WriteString("1.25,2.5,3.75," + strconv.Itoa(i%2) + "\n")
	}
	z := gz(t, []byte(sb.String()))
	_, err := ReadCSV(strings.NewReader(string(z[:len(z)/2])), "cut.csv.gz")
	var fe *FormatError
	if err == nil || !errors.As(err, &fe) || fe.Line < 2 || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("truncated gzip: err = %v, want a read error at a data line mentioning unexpected EOF", err)
	}
}

func TestReadCSVLongLine(t *testing.T) {
	// A file with no newline is cut off at maxLineBytes, not read whole
	// into one line.
	in := "2,1,a,b\n" + strings.Repeat("1", maxLineBytes+10)
	_, err := ReadCSV(strings.NewReader(in), "long.csv")
	wantFormatErr(t, err, "long.csv", 2, 0, "longer than")
}

func TestReadCSVBoundedAllocation(t *testing.T) {
	// A header that claims a huge number of samples must not cause an
	// allocation sized by the claim: a 1 MiB budget is far above what a
	// 30-byte file needs (bufio buffers are 64 KiB) and far below any
	// allocation driven by 10^12 samples.
	in := "999999999999,2,a,b\n1,2,0\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ReadCSV(strings.NewReader(in), "claims.csv")
	runtime.ReadMemStats(&after)
	wantFormatErr(t, err, "claims.csv", 1, 1, "declares 999999999999 samples")
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("ReadCSV allocated %d bytes for a %d-byte file", grew, len(in))
	}
}

func TestLoadCSV(t *testing.T) {
	dir := t.TempDir()
	withHeader := "2,2,a,b\n1,2,0\n3,4,1\n"
	headerless := "1,2,0\n3,4,9\n"
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		file    string
		content []byte
		classes int
		names   []string
	}{
		{"h.csv", []byte(withHeader), 2, []string{"a", "b"}},
		{"h.csv.gz", gz(t, []byte(withHeader)), 2, []string{"a", "b"}},
		{"nh.csv", []byte(headerless), 10, nil},
		{"nh.csv.gz", gz(t, []byte(headerless)), 10, nil},
	} {
		d, err := LoadCSV(write(c.file, c.content))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		want := strings.TrimSuffix(strings.TrimSuffix(c.file, ".gz"), ".csv")
		if d.Name != want || d.N != 2 || d.D != 2 || d.Classes != c.classes || !slices.Equal(d.ClassNames, c.names) ||
			!slices.Equal(d.X, []float64{1, 2, 3, 4}) {
			t.Errorf("%s: got %+v", c.file, d)
		}
	}
	bad := write("bad.csv", []byte("1,2,a,b\n1,2,x\n"))
	_, err := LoadCSV(bad)
	wantFormatErr(t, err, bad, 2, 3, "invalid label")
	if _, err := LoadCSV(filepath.Join(dir, "missing.csv")); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}
