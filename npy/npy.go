// Package npy reads and writes NumPy's .npy array files (format versions
// 1.0, 2.0 and 3.0, as numpy.save writes them and numpy.load reads them),
// so that netgeom's arrays reach Python users as np.load(...) and their
// arrays reach netgeom.
//
// The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and a
// minor version byte, the header length (little-endian uint16 in version 1,
// uint32 in 2 and 3), and a header that is a Python dict literal
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), } padded with
// spaces and a newline to a multiple of 64 bytes; then the elements.
//
// Read accepts little- and big-endian float64, float32, the signed and
// unsigned integers and bool, in C or Fortran order, and returns the
// values as float64 in C (row-major) order; float32 widens exactly, and an
// integer beyond 2^53 that float64 cannot hold exactly is an error. Object
// arrays (descr 'O', which hold pickled Python objects), structured dtypes,
// complex numbers and strings are refused with a message that says so.
// Write writes float64 arrays in C order, version 1.0.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Array is an n-dimensional array: Shape (empty for a scalar) and the
// elements in C order (the last index varies fastest).
type Array struct {
	Shape []int
	Data  []float64
}

// Len is the number of elements the shape holds.
func Len(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// ErrFormat is wrapped by every error about a malformed or unsupported
// .npy file.
var ErrFormat = errors.New("npy")

const magic = "\x93NUMPY"

// maxHeader bounds the header a reader accepts (numpy itself refuses
// headers over 10000 bytes unless told otherwise).
const maxHeader = 1 << 16

// ReadFile reads the .npy file at path.
func ReadFile(path string) (*Array, error) {
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

// Read reads one array from r. name labels errors; size, when positive,
// is the number of bytes r holds, checked against the header's shape
// before the elements are allocated.
func Read(r io.Reader, name string, size int64) (*Array, error) {
	fail := func(format string, args ...any) (*Array, error) {
		return nil, fmt.Errorf("%w: %s: %s", ErrFormat, name, fmt.Sprintf(format, args...))
	}
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return fail("not a .npy file: shorter than its 8-byte preamble")
	}
	if string(pre[:6]) != magic {
		return fail("not a .npy file: it starts with %q, not the magic \\x93NUMPY", pre[:6])
	}
	major := pre[6]
	var hlen, prefix int
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return fail("truncated in the header length")
		}
		hlen, prefix = int(binary.LittleEndian.Uint16(b[:])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return fail("truncated in the header length")
		}
		hlen, prefix = int(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return fail("format version %d.%d; this reader knows 1.0, 2.0 and 3.0", major, pre[7])
	}
	if hlen > maxHeader {
		return fail("header of %d bytes; at most %d are accepted", hlen, maxHeader)
	}
	if size > 0 && int64(prefix+hlen) > size {
		return fail("truncated: the header needs %d bytes, the file has %d", prefix+hlen, size)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return fail("truncated in the header")
	}
	h, err := parseHeader(string(hdr))
	if err != nil {
		return fail("header %q: %v", strings.TrimSpace(string(hdr)), err)
	}
	dt, err := parseDescr(h.descr)
	if err != nil {
		return fail("%v", err)
	}
	n := 1
	for _, s := range h.shape {
		if s < 0 || (s > 0 && n > math.MaxInt/16/s) {
			return fail("shape %v is too large", h.shape)
		}
		n *= s
	}
	want := int64(n) * int64(dt.size)
	if size > 0 && int64(prefix+hlen)+want != size {
		return fail("shape %v of %s needs %d bytes of data; the file has %d", h.shape, h.descr, want, size-int64(prefix+hlen))
	}
	raw := make([]byte, want)
	if _, err := io.ReadFull(r, raw); err != nil {
		return fail("truncated: shape %v of %s needs %d bytes of data", h.shape, h.descr, want)
	}
	if size <= 0 {
		var extra [1]byte
		if k, _ := r.Read(extra[:]); k > 0 {
			return fail("trailing bytes after the %d elements", n)
		}
	}
	data := make([]float64, n)
	for i := range data {
		v, err := dt.decode(raw[i*dt.size : (i+1)*dt.size])
		if err != nil {
			return fail("element %d: %v", i, err)
		}
		data[i] = v
	}
	if h.fortran && len(h.shape) > 1 {
		data = fortranToC(data, h.shape)
	}
	return &Array{Shape: h.shape, Data: data}, nil
}

// fortranToC reorders column-major (first index fastest) elements into
// row-major order.
func fortranToC(f []float64, shape []int) []float64 {
	c := make([]float64, len(f))
	idx := make([]int, len(shape))
	for k := range f {
		// idx is the multi-index of f[k] in Fortran order.
		off := 0
		for d := range shape {
			off = off*shape[d] + idx[d]
		}
		c[off] = f[k]
		for d := 0; d < len(shape); d++ {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return c
}

type header struct {
	descr   string
	fortran bool
	shape   []int
}

// parseHeader reads the dict literal numpy writes: the keys 'descr',
// 'fortran_order' and 'shape' (in any order), each exactly once.
func parseHeader(s string) (header, error) {
	var h header
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return h, errors.New("not a dict")
	}
	body := strings.TrimSpace(s[1 : len(s)-1])
	seen := map[string]bool{}
	for body != "" {
		key, rest, err := pyString(body)
		if err != nil {
			return h, fmt.Errorf("key: %v", err)
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, ":") {
			return h, fmt.Errorf("no ':' after %q", key)
		}
		rest = strings.TrimSpace(rest[1:])
		if seen[key] {
			return h, fmt.Errorf("key %q twice", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if strings.HasPrefix(rest, "[") {
				return h, errors.New("a structured dtype (a list of fields); only plain numeric arrays are supported")
			}
			h.descr, rest, err = pyString(rest)
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "True"):
				h.fortran, rest = true, rest[4:]
			case strings.HasPrefix(rest, "False"):
				h.fortran, rest = false, rest[5:]
			default:
				return h, errors.New("fortran_order is neither True nor False")
			}
		case "shape":
			h.shape, rest, err = pyTuple(rest)
		default:
			return h, fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return h, fmt.Errorf("%s: %v", key, err)
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ",") {
			rest = strings.TrimSpace(rest[1:])
		} else if rest != "" {
			return h, fmt.Errorf("unexpected %q", rest)
		}
		body = rest
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("no %q", k)
		}
	}
	return h, nil
}

func pyString(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", s, errors.New("want a quoted string")
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, errors.New("unterminated string")
	}
	return s[1 : 1+end], s[end+2:], nil
}

func pyTuple(s string) ([]int, string, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, s, errors.New("want a tuple")
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, s, errors.New("unterminated tuple")
	}
	shape := []int{}
	for _, f := range strings.Split(s[1:end], ",") {
		f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "L"))
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return nil, s, fmt.Errorf("dimension %q is not a size", f)
		}
		shape = append(shape, v)
	}
	return shape, s[end+1:], nil
}

// dtype decodes one element kind.
type dtype struct {
	size   int
	decode func(b []byte) (float64, error)
}

func parseDescr(d string) (dtype, error) {
	if len(d) < 2 {
		return dtype{}, fmt.Errorf("dtype %q is not understood", d)
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch d[0] {
	case '<', '|', '=':
	case '>':
		order = binary.BigEndian
	default:
		d = "=" + d
	}
	kind, width := d[1], d[2:]
	if kind == 'O' {
		return dtype{}, errors.New("an object array (dtype 'O' holds pickled Python objects, which netgeom does not load); save a numeric array")
	}
	size, err := strconv.Atoi(width)
	if err != nil || size < 1 {
		return dtype{}, fmt.Errorf("dtype %q is not understood", d)
	}
	exact := func(v int64) (float64, error) {
		if v > 1<<53 || v < -(1<<53) {
			return 0, fmt.Errorf("integer %d has no exact float64", v)
		}
		return float64(v), nil
	}
	switch {
	case kind == 'f' && size == 8:
		return dtype{8, func(b []byte) (float64, error) { return math.Float64frombits(order.Uint64(b)), nil }}, nil
	case kind == 'f' && size == 4:
		return dtype{4, func(b []byte) (float64, error) { return float64(math.Float32frombits(order.Uint32(b))), nil }}, nil
	case kind == 'i' && size == 8:
		return dtype{8, func(b []byte) (float64, error) { return exact(int64(order.Uint64(b))) }}, nil
	case kind == 'i' && size == 4:
		return dtype{4, func(b []byte) (float64, error) { return float64(int32(order.Uint32(b))), nil }}, nil
	case kind == 'i' && size == 2:
		return dtype{2, func(b []byte) (float64, error) { return float64(int16(order.Uint16(b))), nil }}, nil
	case kind == 'i' && size == 1:
		return dtype{1, func(b []byte) (float64, error) { return float64(int8(b[0])), nil }}, nil
	case kind == 'u' && size == 8:
		return dtype{8, func(b []byte) (float64, error) {
			v := order.Uint64(b)
			if v > 1<<53 {
				return 0, fmt.Errorf("integer %d has no exact float64", v)
			}
			return float64(v), nil
		}}, nil
	case kind == 'u' && size == 4:
		return dtype{4, func(b []byte) (float64, error) { return float64(order.Uint32(b)), nil }}, nil
	case kind == 'u' && size == 2:
		return dtype{2, func(b []byte) (float64, error) { return float64(order.Uint16(b)), nil }}, nil
	case (kind == 'u' || kind == 'b') && size == 1:
		return dtype{1, func(b []byte) (float64, error) { return float64(b[0]), nil }}, nil
	}
	return dtype{}, fmt.Errorf("dtype %q is not supported: use float64, float32, an integer or bool array", d)
}

// Write writes a as a version 1.0 .npy file of little-endian float64 in C
// order.
func Write(w io.Writer, a *Array) error {
	if n := Len(a.Shape); n != len(a.Data) {
		return fmt.Errorf("npy: shape %v holds %d elements, the data %d", a.Shape, n, len(a.Data))
	}
	var shape string
	switch len(a.Shape) {
	case 1:
		shape = fmt.Sprintf("(%d,)", a.Shape[0])
	default:
		parts := make([]string, len(a.Shape))
		for i, s := range a.Shape {
			parts[i] = strconv.Itoa(s)
		}
		shape = "(" + strings.Join(parts, ", ") + ")"
	}
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", shape)
	// Pad so that the data starts at a multiple of 64 bytes, header ending in '\n'.
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	if len(hdr) > math.MaxUint16 {
		return fmt.Errorf("npy: shape %v makes a header too long for format 1.0", a.Shape)
	}
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.Write([]byte{1, 0})
	binary.Write(&buf, binary.LittleEndian, uint16(len(hdr)))
	buf.WriteString(hdr)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return err
	}
	out := make([]byte, 8*len(a.Data))
	for i, v := range a.Data {
		binary.LittleEndian.PutUint64(out[8*i:], math.Float64bits(v))
	}
	_, err := w.Write(out)
	return err
}
