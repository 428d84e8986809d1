package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// MaxIDXBytes is the largest IDX data body (product of the dimensions, in
// bytes) that ReadIDX accepts: 4 GiB. Fashion-MNIST's largest file holds
// 47 MB. A header claiming more is reported as an error before anything is
// allocated.
const MaxIDXBytes = 1 << 32

// idxTypeNames names the IDX element type codes, for error messages.
var idxTypeNames = map[byte]string{
	0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16",
	0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
}

// ReadIDX reads a file in the IDX format of MNIST and Fashion-MNIST: the
// magic number 0x00 0x00 0x08 NN (two zero bytes, element type 0x08 =
// unsigned byte, NN = number of dimensions, at least 1), then NN big-endian
// uint32 dimension sizes, then exactly the product of the sizes in bytes of
// data, in row-major order, and nothing after it. Gzip-compressed input is
// detected by its magic bytes and decompressed.
//
// Errors are *FormatError values naming the file (name), the byte offset
// (counted in the uncompressed stream) and, where it applies, the dimension:
// an empty file, a wrong magic, an element type other than unsigned byte,
// zero dimensions, a truncated header, a product of sizes above MaxIDXBytes
// (or that overflows), data shorter than the sizes say, or trailing bytes.
// The data is read under a limit computed from the sizes, so memory grows
// only with the bytes actually present, never with what the header claims.
func ReadIDX(r io.Reader, name string) (dims []int, data []byte, err error) {
	src, err := maybeGunzip(r)
	if err != nil {
		return nil, nil, idxError(name, 0, -1, err, "starts with the gzip magic but is not a valid gzip stream")
	}
	var magic [4]byte
	n, err := io.ReadFull(src, magic[:])
	if err != nil {
		if n == 0 && err == io.EOF {
			return nil, nil, idxError(name, 0, -1, nil, "empty file: expected the 4-byte IDX magic 0x00 0x00 0x08 NN")
		}
		return nil, nil, idxError(name, int64(n), -1, ioErr(err),
			"truncated magic: expected 4 bytes 0x00 0x00 0x08 NN, found %d", n)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, nil, idxError(name, 0, -1, nil,
			"bad magic 0x%02x%02x%02x%02x: expected 0x00 0x00 0x08 NN (an IDX file starts with two zero bytes)",
			magic[0], magic[1], magic[2], magic[3])
	}
	if magic[2] != 0x08 {
		what := idxTypeNames[magic[2]]
		if what == "" {
			what = "unknown"
		}
		return nil, nil, idxError(name, 2, -1, nil,
			"element type 0x%02x (%s): expected 0x08 (unsigned byte), the only type supported", magic[2], what)
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, nil, idxError(name, 3, -1, nil, "0 dimensions: expected at least 1")
	}

	dims = make([]int, nd) // at most 255
	var prod uint64 = 1
	var buf [4]byte
	for i := range nd {
		off := int64(4 + 4*i)
		n, err := io.ReadFull(src, buf[:])
		if err != nil {
			return nil, nil, idxError(name, off+int64(n), i, ioErr(err),
				"truncated header: expected a 4-byte big-endian size for dimension %d of %d", i, nd)
		}
		v := uint64(binary.BigEndian.Uint32(buf[:]))
		if v > math.MaxInt {
			return nil, nil, idxError(name, off, i, nil, "size %d does not fit in an int on this platform", v)
		}
		dims[i] = int(v)
		if v != 0 && prod > MaxIDXBytes/v {
			return nil, nil, idxError(name, off, i, nil,
				"sizes %s multiply to more than %d bytes: expected a data body of at most that (header corrupt?)",
				dimString(dims[:i+1]), uint64(MaxIDXBytes))
		}
		prod *= v
	}
	hdrLen := int64(4 + 4*nd)
	if prod > math.MaxInt-1 {
		return nil, nil, idxError(name, hdrLen, -1, nil,
			"sizes %s need %d bytes, more than this platform can hold", dimString(dims), prod)
	}
	want := int64(prod)

	// Read at most want+1 bytes: the extra one detects trailing data. The
	// buffer grows with what is actually read, not with want.
	data, err = io.ReadAll(io.LimitReader(src, want+1))
	if err != nil {
		return nil, nil, idxError(name, hdrLen+int64(len(data)), -1, err,
			"could not read the %d data bytes for sizes %s (corrupt or truncated gzip stream?)", want, dimString(dims))
	}
	got := int64(len(data))
	if got < want {
		return nil, nil, idxError(name, hdrLen+got, -1, nil,
			"truncated data: sizes %s need %d bytes after the %d-byte header, found %d",
			dimString(dims), want, hdrLen, got)
	}
	if got > want {
		return nil, nil, idxError(name, hdrLen+want, -1, nil,
			"trailing data: sizes %s account for %d bytes after the %d-byte header, expected end of file",
			dimString(dims), want, hdrLen)
	}
	return dims, data, nil
}

// ioErr drops the uninformative EOF errors of a short read.
func ioErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil
	}
	return err
}

func dimString(dims []int) string {
	s := make([]string, len(dims))
	for i, v := range dims {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, "x")
}

// readIDXFile opens and reads one IDX file; errors name path.
func readIDXFile(path string) ([]int, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// LoadIDX reads a labelled image set from a pair of IDX files (gzip or
// plain): images of sizes N x d1 x d2 x ... (at least 2 dimensions; each
// sample is flattened row-major to D = d1*d2*... features) with pixels
// scaled from 0..255 to [0, 1] (v/255), and labels of size N. Classes is
// the largest label plus one. The Dataset's Name is the images file's base
// name. It is an error if N is 0 or the two files disagree on N.
func LoadIDX(imagesPath, labelsPath string) (*Dataset, error) {
	idims, pix, err := readIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	ldims, labs, err := readIDXFile(labelsPath)
	if err != nil {
		return nil, err
	}
	return idxDataset(filepath.Base(imagesPath), imagesPath, labelsPath, idims, pix, ldims, labs)
}

func idxDataset(dsName, imagesName, labelsName string, idims []int, pix []byte, ldims []int, labs []byte) (*Dataset, error) {
	if len(idims) < 2 {
		return nil, idxError(imagesName, 3, -1, nil,
			"images have %d dimension(s) (%s): expected at least 2 (samples x features...)", len(idims), dimString(idims))
	}
	if len(ldims) != 1 {
		return nil, idxError(labelsName, 3, -1, nil,
			"labels have %d dimensions (%s): expected 1 (samples)", len(ldims), dimString(ldims))
	}
	n := idims[0]
	if n == 0 {
		return nil, idxError(imagesName, 4, 0, nil, "0 samples: expected at least 1")
	}
	if ldims[0] != n {
		return nil, idxError(labelsName, 4, 0, nil,
			"%d labels for the %d images in %s: expected the same number", ldims[0], n, imagesName)
	}
	d := len(pix) / n // exact: len(pix) is the product of idims
	var scale [256]float64
	for v := range scale {
		scale[v] = float64(v) / 255
	}
	x := make([]float64, len(pix))
	for i, p := range pix {
		x[i] = scale[p]
	}
	y := make([]int, n)
	classes := 0
	for i, l := range labs {
		y[i] = int(l)
		classes = max(classes, int(l)+1)
	}
	return &Dataset{Name: dsName, X: x, Y: y, N: n, D: d, Classes: classes}, nil
}

// FashionMNISTClassNames are the ten Fashion-MNIST classes, by label.
var FashionMNISTClassNames = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// DefaultFashionMNISTDir is where the Debian package dataset-fashion-mnist
// installs Fashion-MNIST.
const DefaultFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTDir is the directory Fashion-MNIST is read from:
// $NETGEOM_FASHION_MNIST if set, else DefaultFashionMNISTDir.
func FashionMNISTDir() string {
	if d := os.Getenv("NETGEOM_FASHION_MNIST"); d != "" {
		return d
	}
	return DefaultFashionMNISTDir
}

// fashionFiles are the base names of the four Fashion-MNIST files.
var fashionFiles = [4]string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// fashionPath finds base (+".gz" preferred, else plain) in dir.
func fashionPath(dir, base string) (string, error) {
	for _, p := range []string{filepath.Join(dir, base+".gz"), filepath.Join(dir, base)} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("datasets: fashion-mnist: %s(.gz) not found in %s (install the Debian package dataset-fashion-mnist or set NETGEOM_FASHION_MNIST): %w",
		base, dir, fs.ErrNotExist)
}

// FashionMNISTAvailable reports whether all four Fashion-MNIST files are in
// dir; if not, err says which is missing (and wraps fs.ErrNotExist).
func FashionMNISTAvailable(dir string) (ok bool, err error) {
	for _, b := range fashionFiles {
		if _, err := fashionPath(dir, b); err != nil {
			return false, err
		}
	}
	return true, nil
}

// LoadFashionMNIST reads Fashion-MNIST from dir: the files
// {train,t10k}-{images-idx3,labels-idx1}-ubyte, each gzip-compressed (.gz,
// preferred) or plain. It returns the 60000 training and 10000 test images as
// 784 features in [0, 1] with 10 classes (see FashionMNISTClassNames). A
// missing file gives an error wrapping fs.ErrNotExist.
func LoadFashionMNIST(dir string) (train, test *Dataset, err error) {
	var paths [4]string
	for i, b := range fashionFiles {
		if paths[i], err = fashionPath(dir, b); err != nil {
			return nil, nil, err
		}
	}
	load := func(img, lab string) (*Dataset, error) {
		d, err := LoadIDX(img, lab)
		if err != nil {
			return nil, err
		}
		if d.D != 28*28 {
			return nil, errors.New("datasets: " + img + ": images are not 28x28 (" + fmt.Sprint(d.D) + " pixels): not Fashion-MNIST")
		}
		if d.Classes > 10 {
			return nil, fmt.Errorf("datasets: %s: label %d out of range: expected Fashion-MNIST labels in [0, 10)", lab, d.Classes-1)
		}
		d.Name = "fashion-mnist"
		d.Classes = 10
		d.ClassNames = append([]string(nil), FashionMNISTClassNames...)
		return d, nil
	}
	if train, err = load(paths[0], paths[1]); err != nil {
		return nil, nil, err
	}
	if test, err = load(paths[2], paths[3]); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}
