package datasets_test

import (
	"runtime/debug"
	"testing"

	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/train"
)

// TestSyntheticGolden pins every synthetic generator's output, bit for bit,
// for fixed arguments and seeds, by train.DataHash: the hash a model file
// records of its data. A seed names a data set: a model file
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
		make func() (*datasets.Dataset, error)
		want string
	}{
		{"spirals", func() (*datasets.Dataset, error) { return datasets.TwoSpirals(101, 0.1, 3) }, "8e0553a664698a1bca5d7125c13d893a82668f2795f58bad5344ce4dbc7937c1"},
		{"circles", func() (*datasets.Dataset, error) { return datasets.Circles(101, 0.05, 0.4, 3) }, "848d1e006f823f7c3a8bacb39b6d52b56f7b3b754d283f141ff25ce7ad934b61"},
		{"mixture d >= k", func() (*datasets.Dataset, error) { return datasets.GaussianMixture(40, 5, 4, 2, 3) }, "a89c7461ec47de7303f7f89173c7ea0ebe3b38a74257d043ab8f851124a4c05c"},
		{"mixture 2 <= d < k", func() (*datasets.Dataset, error) { return datasets.GaussianMixture(40, 3, 5, 2, 3) }, "a7a4933267d7a06fb7583e70c4fa1cf42e547995833186fbaf45c01015e5620b"},
		{"mixture d = 1", func() (*datasets.Dataset, error) { return datasets.GaussianMixture(40, 1, 3, 2, 3) }, "b640a8a8f0ad343b587771d04b15ff74a44a30e79e87a98909992bd8a1aefb20"},
		{"teacher", func() (*datasets.Dataset, error) { return datasets.Teacher(60, 6, 3, 5, 3) }, "2cdb8156bd4a869d1050c911ebc52e8ca526bf6f6cd5cf4fcd30f5ee3d6235f7"},
	} {
		d, err := c.make()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := train.DataHash(d, nil); got != c.want {
			t.Errorf("%s: digest %s, want %s", c.name, got, c.want)
		}
	}
}
