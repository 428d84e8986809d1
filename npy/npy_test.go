package npy

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func read(t *testing.T, name string) (*Array, error) {
	t.Helper()
	return ReadFile(filepath.Join("testdata", name))
}

// TestReadNumpyFiles reads files written by numpy 1.24 (testdata/
// make_fixtures.py) and compares every element with the values the script
// wrote, computed here again: exact equality, since every value is a
// float64 (or a float32 widened) that both sides compute the same way.
func TestReadNumpyFiles(t *testing.T) {
	c := make([]float64, 6)
	for i := range c {
		c[i] = float64(i) / 7
	}
	f4 := make([]float64, 6)
	for i := range f4 {
		f4[i] = float64(float32(c[i] * 3))
	}
	fortran := make([]float64, 24) // np.arange(24).reshape(2,3,4)+0.5, read back in C order
	for i := range fortran {
		fortran[i] = float64(i) + 0.5
	}
	for _, tc := range []struct {
		file  string
		shape []int
		data  []float64
	}{
		{"f8_c.npy", []int{2, 3}, c},
		{"f4.npy", []int{2, 3}, f4},
		{"f8_fortran.npy", []int{2, 3, 4}, fortran},
		{"f8_big.npy", []int{2, 3}, c},
		{"v2.npy", []int{2, 3}, c},
		{"i8.npy", []int{2, 2}, []float64{-3, 1 << 53, 7, 0}},
		{"i4.npy", []int{3}, []float64{-5, 4, 1 << 30}},
		{"u1.npy", []int{3}, []float64{0, 255, 17}},
		{"bool.npy", []int{3}, []float64{1, 0, 1}},
		{"scalar.npy", []int{}, []float64{2.5}},
		{"empty.npy", []int{0, 3}, []float64{}},
	} {
		a, err := read(t, tc.file)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if !reflect.DeepEqual(a.Shape, tc.shape) || !reflect.DeepEqual(a.Data, tc.data) {
			t.Errorf("%s: shape %v data %v; want %v %v", tc.file, a.Shape, a.Data, tc.shape, tc.data)
		}
	}
}

// TestRefusals: what numpy can write but netgeom must not load is refused
// with a message saying what it is.
func TestRefusals(t *testing.T) {
	for file, want := range map[string]string{
		"object.npy":     "object array",
		"structured.npy": "structured dtype",
		"complex.npy":    "not supported",
		"i8_inexact.npy": "no exact float64",
	} {
		_, err := read(t, file)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: err = %v; want ErrFormat naming the file and %q", file, err, want)
		}
	}
}

// TestWriteIsNumpyByteForByte: Write of a 2 x 3 float64 array gives the
// bytes numpy's np.save wrote for it (header, padding and data).
func TestWriteIsNumpyByteForByte(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "f8_c.npy"))
	if err != nil {
		t.Fatal(err)
	}
	c := make([]float64, 6)
	for i := range c {
		c[i] = float64(i) / 7
	}
	var buf bytes.Buffer
	if err := Write(&buf, &Array{Shape: []int{2, 3}, Data: c}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Write gave\n%q\nnumpy wrote\n%q", buf.Bytes(), want)
	}
	// Other shapes round-trip, with the data 64-byte aligned as numpy wants.
	for _, shape := range [][]int{{5}, {}, {2, 0}, {3, 1, 2}} {
		a := &Array{Shape: shape, Data: make([]float64, Len(shape))}
		for i := range a.Data {
			a.Data[i] = math.Pi * float64(i+1)
		}
		buf.Reset()
		if err := Write(&buf, a); err != nil {
			t.Fatal(err)
		}
		hdr := int(buf.Bytes()[8]) | int(buf.Bytes()[9])<<8
		if (10+hdr)%64 != 0 || buf.Bytes()[9+hdr] != '\n' {
			t.Errorf("shape %v: data starts at %d, header ends %q", shape, 10+hdr, buf.Bytes()[9+hdr])
		}
		back, err := Read(bytes.NewReader(buf.Bytes()), "mem", int64(buf.Len()))
		if err != nil || !reflect.DeepEqual(back.Shape, shape) || !reflect.DeepEqual(back.Data, a.Data) {
			t.Errorf("shape %v: round trip %v, %v", shape, back, err)
		}
	}
	if err := Write(&buf, &Array{Shape: []int{2}, Data: []float64{1}}); err == nil {
		t.Error("Write accepted a shape that disagrees with the data")
	}
}

// TestDamagedFiles: every truncation and a corrupted header give an error
// wrapping ErrFormat, never a panic.
func TestDamagedFiles(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "f8_fortran.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut < len(raw); cut++ {
		if _, err := Read(bytes.NewReader(raw[:cut]), "cut", int64(cut)); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d bytes: %v", cut, err)
		}
		if _, err := Read(bytes.NewReader(raw[:cut]), "cut", 0); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d bytes, size unknown: %v", cut, err)
		}
	}
	if _, err := Read(bytes.NewReader(append(append([]byte{}, raw...), 0)), "long", 0); !errors.Is(err, ErrFormat) {
		t.Errorf("trailing byte: %v", err)
	}
	bad := append([]byte{}, raw...)
	copy(bad[10:], "{'descr': '<f8', 'shape': (2, 3), 'shape': (1,)}")
	if _, err := Read(bytes.NewReader(bad), "dup", int64(len(bad))); !errors.Is(err, ErrFormat) {
		t.Errorf("mangled header: %v", err)
	}
}

// FuzzRead: no input makes Read panic or allocate beyond what the bytes
// justify.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"f8_c.npy", "f8_fortran.npy", "v2.npy", "object.npy", "i8.npy"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := Read(bytes.NewReader(raw), "fuzz", int64(len(raw)))
		if err == nil && Len(a.Shape) != len(a.Data) {
			t.Fatalf("shape %v with %d elements", a.Shape, len(a.Data))
		}
	})
}
