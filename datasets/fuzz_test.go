package datasets

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// checkFormatErr asserts that err is a *FormatError naming file.
func checkFormatErr(t *testing.T, err error, file string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %q (%T) is not a *FormatError", err, err)
	}
	if fe.File != file || !strings.HasPrefix(err.Error(), "datasets: "+file+": ") {
		t.Fatalf("error %q does not name %s", err, file)
	}
}

func FuzzReadCSV(f *testing.F) {
	iris, err := embedded.ReadFile("data/iris.csv")
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		string(iris),
		"2,2,a,b\n1,2,0\n3,4,1\n",
		"2,2,a,b\r\n1,2,0\r\n3,4,1\r\n\r\n",
		"1,2,3,0\n4,5,6,1\n",
		"",
		"\n\n",
		"2,2\n",
		"x,2,a,b\n",
		"2,2,a,a\n",
		"2,2,a,b\n1,2\n",
		"2,2,a,b\n1,NaN,0\n",
		"2,2,a,b\n1,2,7\n",
		"2,2,a,b\n1,2,0.5\n",
		"3,1,a,b\n1,0\n",
		"1,1,a,b\n1,0\n2,1\n",
		"2,1,a,b\n1,0\n\n2,1\n",
		"999999999999,99999999,a,b\n1,0\n",
		"1,1e999,0\n",
		"1,70000\n",
		"\x1f\x8b\x00garbage",
	}
	for i, s := range seeds {
		f.Add([]byte(s), i%2 == 1, uint8(i), uint8(i*3))
	}
	f.Add(gz(f, []byte("2,2,a,b\n1,2,0\n3,4,1\n")), false, uint8(0), uint8(0))
	f.Add(gz(f, []byte("1,2,0\n3,4,1\n")), true, uint8(2), uint8(2))

	f.Fuzz(func(t *testing.T, data []byte, headerless bool, nFeat, nClass uint8) {
		const name = "fuzz.csv"
		var (
			d   *Dataset
			err error
		)
		nf, nc := int(nFeat)%70, int(nClass)%12
		if headerless {
			d, err = ReadCSVNoHeader(bytes.NewReader(data), name, nf, nc)
		} else {
			d, err = ReadCSV(bytes.NewReader(data), name)
		}
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
		if d.N < 1 || d.D < 1 || d.Name != name {
			t.Fatalf("nil error but N = %d, D = %d, name %q", d.N, d.D, d.Name)
		}
		if headerless {
			if (nf > 0 && d.D != nf) || (nc > 0 && d.Classes != nc) || d.ClassNames != nil {
				t.Fatalf("headerless(%d, %d) gave D = %d, Classes = %d, names %q", nf, nc, d.D, d.Classes, d.ClassNames)
			}
			if nc == 0 && d.Classes != maxInt(d.Y)+1 {
				t.Fatalf("inferred Classes %d, largest label %d", d.Classes, maxInt(d.Y))
			}
		} else if len(d.ClassNames) != d.Classes {
			t.Fatalf("header form: %d class names for %d classes", len(d.ClassNames), d.Classes)
		}
		oh := d.OneHot()
		if len(oh) != d.N*d.Classes {
			t.Fatalf("OneHot length %d, want %d", len(oh), d.N*d.Classes)
		}
	})
}

func maxInt(s []int) int {
	m := s[0]
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

func FuzzReadIDX(f *testing.F) {
	good := idxBytes([]uint32{2, 3}, seq(6))
	seeds := [][]byte{
		good,
		idxBytes([]uint32{5}, seq(5)),
		idxBytes([]uint32{0, 28, 28}, nil),
		idxBytes([]uint32{1, 2, 1, 2}, seq(4)),
		nil,
		{0, 0, 8},
		{1, 0, 8, 1, 0, 0, 0, 0},
		{0, 0, 0x0D, 1, 0, 0, 0, 0},
		{0, 0, 8, 0},
		{0, 0, 8, 3, 0, 0, 0, 2, 0, 0},
		idxBytes([]uint32{0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, nil),
		idxBytes([]uint32{60000, 28, 28}, seq(10)),
		good[:len(good)-1],
		append(bytes.Clone(good), 7),
		{0x1f, 0x8b, 0, 0, 1, 2},
		gz(f, good),
		gz(f, good)[:20],
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.idx"
		dims, body, err := ReadIDX(bytes.NewReader(data), name)
		if err != nil {
			if dims != nil || body != nil {
				t.Fatalf("got dims %v / %d bytes and error %v", dims, len(body), err)
			}
			checkFormatErr(t, err, name)
			return
		}
		if len(dims) < 1 || len(dims) > 255 {
			t.Fatalf("nil error but %d dims", len(dims))
		}
		prod := 1
		for _, d := range dims {
			if d < 0 || (d > 0 && prod > MaxIDXBytes/d) {
				t.Fatalf("nil error but dims %v overflow", dims)
			}
			prod *= d
		}
		if len(body) != prod {
			t.Fatalf("nil error but len(data) = %d, product of dims %v = %d", len(body), dims, prod)
		}
		if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
			// Plain input: it must be exactly header + body.
			u := make([]uint32, len(dims))
			for i, d := range dims {
				u[i] = uint32(d)
			}
			if !bytes.Equal(idxBytes(u, body), data) {
				t.Fatalf("nil error but the input is not exactly the header and data")
			}
		}
	})
}
