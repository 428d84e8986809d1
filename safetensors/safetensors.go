// Package safetensors reads and writes the safetensors format that
// PyTorch users save models in (huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON mapping each tensor's name
// to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the
// byte buffer that follows; an optional "__metadata__" maps strings to
// strings), then the buffer of little-endian elements in C order.
//
// Read checks what the format's own reader checks: a bounded header that
// is a JSON object, known dtypes, offsets whose length is the shape's size
// times the element size, and tensors that tile the buffer exactly, in
// order, with nothing overlapping, missing or left over. Each failure names
// the tensor. Values are returned as float64: F64 as they are, F32, F16 and
// BF16 widened exactly; integer and bool tensors are refused (netgeom's
// parameters are real numbers). Write writes F64 or F32 tensors (F32 only
// when every value is a float32 exactly, so nothing is rounded silently).
package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
)

// Tensor is one named array with its elements in C order.
type Tensor struct {
	Name  string
	DType string // "F64", "F32", "F16" or "BF16" as read; "F64" or "F32" to write
	Shape []int
	Data  []float64
}

// File is the contents of a safetensors file: its tensors in buffer order
// and its metadata.
type File struct {
	Tensors  []Tensor
	Metadata map[string]string
}

// Lookup returns the tensor called name.
func (f *File) Lookup(name string) (*Tensor, bool) {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i], true
		}
	}
	return nil, false
}

// ErrFormat is wrapped by every error about a malformed or unsupported
// file.
var ErrFormat = errors.New("safetensors")

// MaxHeader is the largest header accepted (the reference implementation's
// limit).
const MaxHeader = 100 << 20

var sizes = map[string]int{"F64": 8, "F32": 4, "F16": 2, "BF16": 2,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1,
	"F8_E4M3": 1, "F8_E5M2": 1}

type entry struct {
	DType   string  `json:"dtype"`
	Shape   []int   `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// ReadFile reads the safetensors file at path.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return Read(bufio.NewReader(f), path, st.Size())
}

// Read reads a safetensors file of size bytes from r; name labels errors.
// The header is checked against size before the buffer is allocated.
func Read(r io.Reader, name string, size int64) (*File, error) {
	fail := func(format string, args ...any) (*File, error) {
		return nil, fmt.Errorf("%w: %s: %s", ErrFormat, name, fmt.Sprintf(format, args...))
	}
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return fail("not a safetensors file: shorter than its 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(pre[:])
	if n > MaxHeader {
		return fail("header length %d exceeds %d bytes (is this a safetensors file?)", n, MaxHeader)
	}
	if int64(n)+8 > size {
		return fail("truncated: the header needs %d bytes, the file has %d after the length", n, size-8)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return fail("truncated in the header")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return fail("the header is not a JSON object: %v", err)
	}
	out := &File{}
	type placed struct {
		name string
		e    entry
	}
	var ts []placed
	for k, v := range raw {
		if k == "__metadata__" {
			if err := json.Unmarshal(v, &out.Metadata); err != nil {
				return fail("__metadata__ is not a map of strings to strings: %v", err)
			}
			continue
		}
		var e entry
		dec := json.NewDecoder(strings.NewReader(string(v)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return fail("tensor %q: %v", k, err)
		}
		ts = append(ts, placed{k, e})
	}
	buffer := size - 8 - int64(n)
	sort.Slice(ts, func(i, j int) bool {
		a, b := ts[i].e.Offsets, ts[j].e.Offsets
		if len(a) == 2 && len(b) == 2 && a[0] != b[0] {
			return a[0] < b[0]
		}
		return ts[i].name < ts[j].name
	})
	var at int64
	for _, t := range ts {
		e := t.e
		sz, ok := sizes[e.DType]
		if !ok {
			return fail("tensor %q: unknown dtype %q", t.name, e.DType)
		}
		if len(e.Offsets) != 2 {
			return fail("tensor %q: data_offsets %v; want [begin, end]", t.name, e.Offsets)
		}
		count := int64(1)
		for _, s := range e.Shape {
			if s < 0 || (s > 0 && count > math.MaxInt64/int64(8*s)) {
				return fail("tensor %q: shape %v is not a size", t.name, e.Shape)
			}
			count *= int64(s)
		}
		begin, end := e.Offsets[0], e.Offsets[1]
		switch {
		case begin != at:
			if begin < at {
				return fail("tensor %q: data_offsets %v overlap the tensor before it (which ends at %d)", t.name, e.Offsets, at)
			}
			return fail("tensor %q: data_offsets %v leave bytes [%d, %d) of the buffer unused", t.name, e.Offsets, at, begin)
		case end-begin != count*int64(sz):
			return fail("tensor %q: shape %v of %s is %d bytes, but data_offsets %v span %d", t.name, e.Shape, e.DType, count*int64(sz), e.Offsets, end-begin)
		case end > buffer:
			return fail("tensor %q: data_offsets %v run past the %d-byte buffer (truncated file?)", t.name, e.Offsets, buffer)
		}
		at = end
	}
	if at != buffer {
		return fail("the tensors cover %d bytes of the %d-byte buffer; the rest is not described", at, buffer)
	}
	for _, t := range ts {
		e := t.e
		sz := sizes[e.DType]
		bytes := make([]byte, e.Offsets[1]-e.Offsets[0])
		if _, err := io.ReadFull(r, bytes); err != nil {
			return fail("tensor %q: truncated", t.name)
		}
		var dec func([]byte) float64
		switch e.DType {
		case "F64":
			dec = func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
		case "F32":
			dec = func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) }
		case "BF16":
			dec = func(b []byte) float64 {
				return float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16))
			}
		case "F16":
			dec = func(b []byte) float64 { return half(binary.LittleEndian.Uint16(b)) }
		default:
			return fail("tensor %q: dtype %s; netgeom reads real tensors (F64, F32, F16, BF16)", t.name, e.DType)
		}
		data := make([]float64, len(bytes)/sz)
		for i := range data {
			data[i] = dec(bytes[i*sz : (i+1)*sz])
		}
		out.Tensors = append(out.Tensors, Tensor{Name: t.name, DType: e.DType, Shape: append([]int{}, e.Shape...), Data: data})
	}
	return out, nil
}

// half widens an IEEE 754 binary16 value exactly.
func half(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, frac := int(h>>10)&0x1f, float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 31:
		if frac == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}

// Write writes the tensors in the order given, with metadata (nil for
// none), as a safetensors file.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	hdr := map[string]any{}
	if len(metadata) > 0 {
		hdr["__metadata__"] = metadata
	}
	var at int64
	for _, t := range tensors {
		if t.Name == "" || t.Name == "__metadata__" {
			return fmt.Errorf("safetensors: tensor name %q is not allowed", t.Name)
		}
		if _, dup := hdr[t.Name]; dup {
			return fmt.Errorf("safetensors: tensor %q twice", t.Name)
		}
		count := 1
		for _, s := range t.Shape {
			count *= s
		}
		if count != len(t.Data) {
			return fmt.Errorf("safetensors: tensor %q: shape %v holds %d elements, the data %d", t.Name, t.Shape, count, len(t.Data))
		}
		var sz int64
		switch t.DType {
		case "F64":
			sz = 8
		case "F32":
			sz = 4
			for i, v := range t.Data {
				if float64(float32(v)) != v && !math.IsNaN(v) {
					return fmt.Errorf("safetensors: tensor %q: element %d, %v, is not a float32; write F64", t.Name, i, v)
				}
			}
		default:
			return fmt.Errorf("safetensors: tensor %q: dtype %q; write F64 or F32", t.Name, t.DType)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[t.Name] = entry{DType: t.DType, Shape: shape, Offsets: []int64{at, at + sz*int64(count)}}
		at += sz * int64(count)
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("safetensors: header: %w", err)
	}
	// Pad the header with spaces so that the buffer starts 8-byte aligned.
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	var pre [8]byte
	binary.LittleEndian.PutUint64(pre[:], uint64(len(js)))
	bw := bufio.NewWriter(w)
	bw.Write(pre[:])
	bw.Write(js)
	var b [8]byte
	for _, t := range tensors {
		for _, v := range t.Data {
			if t.DType == "F64" {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
				bw.Write(b[:8])
			} else {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(v)))
				bw.Write(b[:4])
			}
		}
	}
	return bw.Flush()
}
