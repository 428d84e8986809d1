package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// build writes a file from a raw JSON header and buffer, as a hostile or
// buggy writer might.
func build(header string, buffer []byte) []byte {
	out := make([]byte, 8, 8+len(header)+len(buffer))
	binary.LittleEndian.PutUint64(out, uint64(len(header)))
	return append(append(out, header...), buffer...)
}

func read(raw []byte) (*File, error) {
	return Read(bytes.NewReader(raw), "m.safetensors", int64(len(raw)))
}

// TestRoundTrip: what Write writes, Read reads back exactly, in F64 and in
// F32 (values that are float32); metadata and tensor order survive; the
// header is padded so the buffer starts 8-byte aligned.
func TestRoundTrip(t *testing.T) {
	ts := []Tensor{
		{Name: "0.weight", DType: "F64", Shape: []int{2, 3}, Data: []float64{1, math.Pi, -2.5, 1e-300, 0, 7}},
		{Name: "0.bias", DType: "F32", Shape: []int{2}, Data: []float64{0.5, float64(float32(0.1))}},
		{Name: "scalar", DType: "F64", Shape: []int{}, Data: []float64{42}},
		{Name: "empty", DType: "F64", Shape: []int{0, 4}, Data: []float64{}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(buf.Bytes()); (8+n)%8 != 0 {
		t.Errorf("buffer starts at %d, not 8-byte aligned", 8+n)
	}
	f, err := read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Tensors, ts) || f.Metadata["format"] != "pt" {
		t.Errorf("read back %+v %v", f.Tensors, f.Metadata)
	}
	if err := Write(&buf, []Tensor{{Name: "x", DType: "F32", Shape: []int{1}, Data: []float64{0.1}}}, nil); err == nil || !strings.Contains(err.Error(), "not a float32") {
		t.Errorf("F32 of 0.1 (not a float32): err = %v", err)
	}
}

// TestPyTorchFile reads the file the pytorch package's fixture script
// wrote by the format's specification (Python, not this package's writer).
func TestPyTorchFile(t *testing.T) {
	f, err := ReadFile(filepath.Join("..", "pytorch", "testdata", "mlp_relu.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	w, ok := f.Lookup("0.weight")
	if !ok || w.DType != "F32" || !reflect.DeepEqual(w.Shape, []int{8, 4}) || len(w.Data) != 32 || f.Metadata["format"] != "pt" {
		t.Fatalf("0.weight: %+v, metadata %v", w, f.Metadata)
	}
	for _, v := range w.Data {
		if float64(float32(v)) != v {
			t.Fatalf("F32 value %v was not widened exactly", v)
		}
	}
}

// TestHalfPrecision: F16 and BF16 widen exactly (1, -2, 0.5, the largest
// half 65504, the smallest subnormal half 2^-24; bfloat16 1.5 and -3).
func TestHalfPrecision(t *testing.T) {
	f16 := []uint16{0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001}
	bf16 := []uint16{0x3fc0, 0xc040}
	buf := make([]byte, 2*(len(f16)+len(bf16)))
	for i, h := range append(f16, bf16...) {
		binary.LittleEndian.PutUint16(buf[2*i:], h)
	}
	raw := build(`{"a":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[10,14]}}`, buf)
	f, err := read(raw)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := f.Lookup("a"); !reflect.DeepEqual(a.Data, []float64{1, -2, 0.5, 65504, math.Ldexp(1, -24)}) {
		t.Errorf("F16: %v", a.Data)
	}
	if b, _ := f.Lookup("b"); !reflect.DeepEqual(b.Data, []float64{1.5, -3}) {
		t.Errorf("BF16: %v", b.Data)
	}
}

// TestMalformed: each way a header can lie is refused, naming the tensor
// or the problem, before the buffer is trusted.
func TestMalformed(t *testing.T) {
	buf := make([]byte, 16)
	for what, c := range map[string]struct {
		raw  []byte
		want string
	}{
		"not JSON":          {build(`{"a":`, buf), "not a JSON object"},
		"unknown dtype":     {build(`{"a":{"dtype":"F128","shape":[2],"data_offsets":[0,16]}}`, buf), `"a": unknown dtype "F128"`},
		"integer dtype":     {build(`{"a":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}`, buf), `"a": dtype I64`},
		"size disagrees":    {build(`{"a":{"dtype":"F64","shape":[3],"data_offsets":[0,16]}}`, buf), `"a": shape [3] of F64 is 24 bytes`},
		"gap":               {build(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`, buf), "leave bytes [0, 8)"},
		"overlap":           {build(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`, buf), "overlap"},
		"past the end":      {build(`{"a":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}`, buf), "run past"},
		"left over":         {build(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, buf), "cover 8 bytes of the 16"},
		"bad offsets":       {build(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0]}}`, buf), "want [begin, end]"},
		"negative shape":    {build(`{"a":{"dtype":"F64","shape":[-2],"data_offsets":[0,16]}}`, buf), "not a size"},
		"unknown field":     {build(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16],"x":1}}`, buf), `"a"`},
		"metadata not text": {build(`{"__metadata__":{"k":1}}`, nil), "__metadata__"},
		"huge header":       {func() []byte { r := build(`{}`, nil); binary.LittleEndian.PutUint64(r, 1<<40); return r }(), "exceeds"},
		"header past end":   {func() []byte { r := build(`{}`, nil); binary.LittleEndian.PutUint64(r, 100); return r }(), "truncated"},
		"too short":         {[]byte{1, 2}, "shorter than"},
	} {
		_, err := read(c.raw)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "m.safetensors") {
			t.Errorf("%s: err = %v; want ErrFormat naming the file and %q", what, err, c.want)
		}
	}
}

// FuzzRead: no input makes Read panic; what it accepts, Write reproduces
// in value.
func FuzzRead(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join("..", "pytorch", "testdata", "mlp_tanh.safetensors"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add(build(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, []byte{0, 60}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		file, err := Read(bytes.NewReader(raw), "fuzz", int64(len(raw)))
		if err != nil {
			return
		}
		for _, ts := range file.Tensors {
			n := 1
			for _, s := range ts.Shape {
				n *= s
			}
			if n != len(ts.Data) {
				t.Fatalf("%s: shape %v, %d values", ts.Name, ts.Shape, len(ts.Data))
			}
		}
	})
}
