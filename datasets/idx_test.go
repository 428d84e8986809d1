package datasets

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestReadIDXGood(t *testing.T) {
	cases := []struct {
		name string
		dims []uint32
	}{
		{"labels", []uint32{5}},
		{"images", []uint32{3, 2, 4}},
		{"zero size", []uint32{0, 28, 28}},
		{"many dims", []uint32{1, 2, 1, 2, 1, 2, 1, 2}},
	}
	for _, c := range cases {
		n := 1
		want := make([]int, len(c.dims))
		for i, d := range c.dims {
			n *= int(d)
			want[i] = int(d)
		}
		body := seq(n)
		raw := idxBytes(c.dims, body)
		for _, form := range []struct {
			suffix string
			b      []byte
		}{{"", raw}, {".gz", gz(t, raw)}} {
			dims, data, err := ReadIDX(bytes.NewReader(form.b), c.name+form.suffix)
			if err != nil {
				t.Fatalf("%s%s: %v", c.name, form.suffix, err)
			}
			if !slices.Equal(dims, want) || !bytes.Equal(data, body) {
				t.Errorf("%s%s: dims %v data %v, want %v %v", c.name, form.suffix, dims, data, want, body)
			}
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	const f = "bad.idx"
	good := idxBytes([]uint32{2, 3}, seq(6))
	cases := []struct {
		name        string
		in          []byte
		offset      int64
		dim         int
		subs        []string
		checkOffset bool
	}{
		{"empty", nil, 0, -1, []string{"empty file", "magic"}, true},
		{"short magic", []byte{0, 0, 8}, 3, -1, []string{"truncated magic", "found 3"}, true},
		{"nonzero first bytes", []byte{1, 0, 8, 1, 0, 0, 0, 0}, 0, -1, []string{"bad magic 0x01000801", "two zero bytes"}, true},
		{"float32 type", []byte{0, 0, 0x0D, 1, 0, 0, 0, 0}, 2, -1, []string{"element type 0x0d (float32)", "0x08 (unsigned byte)"}, true},
		{"unknown type", []byte{0, 0, 0x42, 1, 0, 0, 0, 0}, 2, -1, []string{"0x42 (unknown)"}, true},
		{"zero dims", []byte{0, 0, 8, 0}, 3, -1, []string{"0 dimensions", "at least 1"}, true},
		{"truncated dims", []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0}, 10, 1, []string{"truncated header", "dimension 1 of 3"}, true},
		{"dims overflow", idxBytes([]uint32{0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, nil), 8, 1, []string{"multiply to more than 4294967296"}, true},
		{"dims absurd vs data", idxBytes([]uint32{60000, 28, 28}, seq(10)), 26, -1,
			[]string{"truncated data", "60000x28x28 need 47040000 bytes", "found 10"}, true},
		{"one byte short", good[:len(good)-1], int64(len(good) - 1), -1, []string{"truncated data", "need 6 bytes", "found 5"}, true},
		{"trailing byte", append(slices.Clone(good), 7), int64(len(good)), -1, []string{"trailing data"}, true},
		{"gzip magic, bad stream", []byte{0x1f, 0x8b, 0, 0, 1, 2}, 0, -1, []string{"not a valid gzip stream"}, true},
		{"gzip truncated", gz(t, good)[:20], 0, -1, []string{"unexpected EOF"}, false},
		{"gzip corrupt checksum", corruptCRC(gz(t, good)), 0, -1, []string{"checksum"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dims, data, err := ReadIDX(bytes.NewReader(c.in), f)
			if dims != nil || data != nil {
				t.Errorf("got dims %v and %d bytes with the error", dims, len(data))
			}
			fe := wantFormatErr(t, err, f, 0, 0, c.subs...)
			if fe == nil {
				return
			}
			if c.checkOffset {
				if fe.Offset != c.offset || fe.Dim != c.dim {
					t.Errorf("error %q at offset %d dim %d, want offset %d dim %d", err, fe.Offset, fe.Dim, c.offset, c.dim)
				}
				if !strings.Contains(err.Error(), "byte offset ") {
					t.Errorf("error %q does not give the byte offset", err)
				}
			}
		})
	}
}

// corruptCRC flips a bit of the gzip trailer's CRC-32.
func corruptCRC(z []byte) []byte {
	z = slices.Clone(z)
	z[len(z)-8] ^= 1
	return z
}

func TestReadIDXBoundedAllocation(t *testing.T) {
	// The header claims 65535 x 65535 bytes (4 GiB - 128 KiB, under
	// MaxIDXBytes) but 16 bytes follow: the reader must fail after
	// allocating in proportion to the 16 bytes, not the 4 GiB. The 1 MiB
	// budget covers the 64 KiB bufio buffer and io.ReadAll's 512-byte start.
	in := idxBytes([]uint32{65535, 65535}, seq(16))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := ReadIDX(bytes.NewReader(in), "claims.idx")
	runtime.ReadMemStats(&after)
	wantFormatErr(t, err, "claims.idx", 0, 0, "truncated data", "found 16")
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("ReadIDX allocated %d bytes for a %d-byte file", grew, len(in))
	}
}

func TestLoadIDX(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pix := []byte{0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8}
	img := write("img.gz", gz(t, idxBytes([]uint32{3, 2, 2}, pix)))
	lab := write("lab", idxBytes([]uint32{3}, []byte{2, 0, 4}))
	d, err := LoadIDX(img, lab)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.N != 3 || d.D != 4 || d.Classes != 5 || !slices.Equal(d.Y, []int{2, 0, 4}) || d.Name != "img.gz" {
		t.Fatalf("got N %d D %d classes %d Y %v name %q", d.N, d.D, d.Classes, d.Y, d.Name)
	}
	// Pixels are v/255, compared exactly: both sides are the same single
	// correctly rounded division.
	for i, p := range pix {
		if d.X[i] != float64(p)/255 {
			t.Errorf("X[%d] = %v, want %d/255", i, d.X[i], p)
		}
	}
	if d.X[0] != 0 || d.X[1] != 1 || d.X[2] != 0.2 {
		t.Errorf("X[:3] = %v, want [0 1 0.2]", d.X[:3])
	}

	lab2 := write("lab2", idxBytes([]uint32{2}, []byte{0, 1}))
	_, err = LoadIDX(img, lab2)
	wantFormatErr(t, err, lab2, 0, 0, "2 labels for the 3 images")
	lab2d := write("lab2d", idxBytes([]uint32{3, 1}, []byte{0, 1, 2}))
	_, err = LoadIDX(img, lab2d)
	wantFormatErr(t, err, lab2d, 0, 0, "expected 1 (samples)")
	img1 := write("img1", idxBytes([]uint32{3}, []byte{0, 1, 2}))
	_, err = LoadIDX(img1, lab)
	wantFormatErr(t, err, img1, 0, 0, "expected at least 2")
	img0 := write("img0", idxBytes([]uint32{0, 2}, nil))
	lab0 := write("lab0", idxBytes([]uint32{0}, nil))
	_, err = LoadIDX(img0, lab0)
	wantFormatErr(t, err, img0, 0, 0, "0 samples")
	if _, err := LoadIDX(filepath.Join(dir, "nope"), lab); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

// requireData says whether missing external data must fail the tests.
func requireData() bool { return os.Getenv("NETGEOM_REQUIRE_DATA") == "1" }

func TestFashionMNIST(t *testing.T) {
	dir := FashionMNISTDir()
	if ok, err := FashionMNISTAvailable(dir); !ok {
		if requireData() {
			t.Fatalf("NETGEOM_REQUIRE_DATA=1 but Fashion-MNIST is missing: %v", err)
		}
		t.Skipf("SKIPPING Fashion-MNIST test: %v (set NETGEOM_REQUIRE_DATA=1 to make this a failure)", err)
	}
	train, test, err := Load("fashion-mnist", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		d        *Dataset
		n, count int
		label0   int
	}{{train, 60000, 6000, 9}, {test, 10000, 1000, 9}} {
		d := c.d
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		if d.N != c.n || d.D != 784 || d.Classes != 10 || len(d.ClassNames) != 10 || d.Name != "fashion-mnist" {
			t.Fatalf("got %s %d x %d, %d classes; want %d x 784, 10", d.Name, d.N, d.D, d.Classes, c.n)
		}
		lo, hi := slices.Min(d.X), slices.Max(d.X)
		if lo != 0 || hi != 1 {
			t.Errorf("pixel range [%v, %v], want exactly [0, 1] (0 and 255 both occur)", lo, hi)
		}
		for k, cnt := range d.ClassCounts() {
			if cnt != c.count {
				t.Errorf("N=%d: class %d has %d samples, want %d", c.n, k, cnt, c.count)
			}
		}
		if d.Y[0] != c.label0 {
			t.Errorf("first label %d, want %d (Ankle boot)", d.Y[0], c.label0)
		}
	}
	// First training image, checked against the raw bytes read
	// independently (Python's gzip): pixel 99 is 13, pixel 100 is 73, and
	// the pixels sum to 76247. The sum of 784 values v/255 carries rounding
	// error below 784 * 2^-53 relative, so 1e-9 absolute is ample.
	x0 := train.Sample(0)
	if x0[99] != 13.0/255 || x0[100] != 73.0/255 || x0[98] != 0 {
		t.Errorf("first image pixels 98..100 = %v, want 0, 13/255, 73/255", x0[98:101])
	}
	sum := 0.0
	for _, v := range x0 {
		sum += v
	}
	if d := sum*255 - 76247; d > 1e-9 || d < -1e-9 {
		t.Errorf("first image pixel sum*255 = %v, want 76247", sum*255)
	}
}

func TestFashionMNISTMissing(t *testing.T) {
	dir := t.TempDir()
	_, _, err := LoadFashionMNIST(dir)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
		t.Errorf("err = %v, want fs.ErrNotExist naming %s and the missing file", err, dir)
	}
	t.Setenv("NETGEOM_FASHION_MNIST", dir)
	if FashionMNISTDir() != dir {
		t.Errorf("FashionMNISTDir() = %q with NETGEOM_FASHION_MNIST=%q", FashionMNISTDir(), dir)
	}
	var fm Info
	for _, in := range List() {
		if in.Name == "fashion-mnist" {
			fm = in
		}
	}
	if fm.Source != dir || fm.Available || !strings.Contains(fm.Note, "not found") || !strings.Contains(fm.Note, dir) {
		t.Errorf("List entry %+v: want Source %q, not available, a note saying not found in it", fm, dir)
	}
	t.Setenv("NETGEOM_FASHION_MNIST", "")
	if FashionMNISTDir() != DefaultFashionMNISTDir {
		t.Errorf("FashionMNISTDir() = %q with the variable empty", FashionMNISTDir())
	}
}
