package datasets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"runtime/debug"
	"testing"
)

// digest is the SHA-256 of a data set's shape, features (float64 bits) and
// labels.
func digest(d *Dataset) string {
	h := sha256.New()
	var b [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	put(uint64(d.N))
	put(uint64(d.D))
	put(uint64(d.Classes))
	for _, x := range d.X {
		put(math.Float64bits(x))
	}
	for _, y := range d.Y {
		put(uint64(y))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestSyntheticGolden pins every synthetic generator's output, bit for bit,
// for fixed arguments and seeds. A seed names a data set: a model file
// records the seed and the SHA-256 of the data it was trained on, and
// refuses data that differ (train.DataHash), so a generator that changes
// its numbers breaks every model trained on it. The digests are those of
// this implementation (the noise included, whose sign and scale the
// geometry tests cannot see); a deliberate change of a generator must
// change them and say so. They are a GOAMD64=v1 build's: where the
// compiler fuses multiply-adds (v3, in this package and in math and
// math/rand/v2 alike) the last bits may differ, as README's
// reproducibility contract between builds allows, so other builds skip.
func TestSyntheticGolden(t *testing.T) {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOAMD64" && s.Value != "v1" {
				t.Skipf("the digests are of a GOAMD64=v1 build; this is %s", s.Value)
			}
		}
	}
	for _, c := range []struct {
		name string
		make func() (*Dataset, error)
		want string
	}{
		{"spirals", func() (*Dataset, error) { return TwoSpirals(101, 0.1, 3) }, "b77391e89ab28bd9f30313c6a4c782eedeee84ff3628504df925e63165ea2f7a"},
		{"circles", func() (*Dataset, error) { return Circles(101, 0.05, 0.4, 3) }, "ebad75ffe0cfcab435457614b621f3cc57383f4cf7085feda94d238abe7bc1e6"},
		{"mixture d >= k", func() (*Dataset, error) { return GaussianMixture(40, 5, 4, 2, 3) }, "eb4b8e13ff86193719cf76959469e5d83df31665b93111b76953190b8828f116"},
		{"mixture 2 <= d < k", func() (*Dataset, error) { return GaussianMixture(40, 3, 5, 2, 3) }, "a6cc05abe26d1282db8a06f79b12a707755bf31e207807ed143f406e1d0b3156"},
		{"mixture d = 1", func() (*Dataset, error) { return GaussianMixture(40, 1, 3, 2, 3) }, "01b5bf51eec5e7d5ca9228ff372e1c0345739df7f30da0caf5c040b07e79d659"},
		{"teacher", func() (*Dataset, error) { return Teacher(60, 6, 3, 5, 3) }, "d3639d43648caeb4ed91a94c1e7a36463dabde76521d21172c4d134eec261533"},
	} {
		d, err := c.make()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := digest(d); got != c.want {
			t.Errorf("%s: digest %s, want %s", c.name, got, c.want)
		}
	}
}
