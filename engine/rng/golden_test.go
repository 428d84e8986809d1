package rng

import (
	"math"
	"testing"
)

// golden pins the transform: exact float64 bit patterns recorded from this
// implementation (after the statistical and accuracy tests passed). A change
// of a single bit anywhere in Philox, Uniform53, Log, the kernels or the
// Box-Muller step -- including one caused by the compiler fusing a
// multiply-add (build with GOAMD64=v3 or GOARCH=arm64 to exercise that) --
// fails this test. A CUDA port must reproduce the same bits. Tolerance:
// exact.
var golden = []struct {
	seed, stream, start uint64
	bits                [8]uint64
}{
	{1, 0, 0, [8]uint64{
		0xbfbd1a253882cf6d, // -0.11368019704496897
		0xbfdd4dbc714217a3, // -0.4578696352040145
		0xbfd27859d3b9ebce, // -0.28859563518898035
		0xbfdb965d20bf99c3, // -0.43105247686471787
		0x3fee866ccaed0526, // 0.9539092982669544
		0xbfe06302e99b6a10, // -0.5120863497389241
		0x400369f5478412d3, // 2.426737364500107
		0x3feb54871522eb53, // 0.8540683186359764
	}},
	{0xdeadbeef, 7, 1000, [8]uint64{
		0x3fbef7129527f7e1, // 0.1209575285101603
		0x3f607287c89c73a6, // 0.0020077373527684515
		0x3fc1d6587b3445f4, // 0.1393538095076533
		0x3ff4512f8f98054e, // 1.2698207482465764
		0xbffc24965977d91e, // -1.758932446942317
		0x3fd98f37c6a3927c, // 0.3993663253625426
		0x3fbadf47a3ddb2e1, // 0.1049694800437453
		0x3fddb8076589406a, // 0.4643572322429522
	}},
}

func TestGolden(t *testing.T) {
	for _, g := range golden {
		got := make([]float64, 8)
		FillNormal(got, g.seed, g.stream, g.start)
		for j := range got {
			b := math.Float64bits(got[j])
			if b != g.bits[j] {
				t.Errorf("FillNormal(seed %#x, stream %d) index %d = %#016x (%v), want %#016x (%v)",
					g.seed, g.stream, g.start+uint64(j), b, got[j], g.bits[j], math.Float64frombits(g.bits[j]))
			}
			if n := math.Float64bits(Normal(g.seed, g.stream, g.start+uint64(j))); n != g.bits[j] {
				t.Errorf("Normal(seed %#x, stream %d, %d) = %#016x, want %#016x", g.seed, g.stream, g.start+uint64(j), n, g.bits[j])
			}
		}
	}
}

var goldenElem = []struct {
	fn   string
	x    float64
	bits uint64
}{
	{"Log", 0x1p-53, 0xc0425e4f7b2737fa},
	{"Log", 0.3, 0xbff34378fcbda721},
	{"Log", 0.7, 0xbfd6d3c324e13f50},
	{"Log", 1.7, 0x3fe0fae81914a991},
	{"Log", 1.0000001, 0x3e7ad7f2847b6492},
	{"Log", 0.999999997, 0xbe29c511e0a6054d},
	{"Log", 1e-310, 0xc0864e69394d9508},
	{"Log", 123456.789, 0x40277281cad8a844},
	{"Log", 1e+300, 0x4085963447f87fb5},
	{"Sin", 1e-09, 0x3e112e0be826d695},
	{"Cos", 1e-09, 0x3ff0000000000000},
	{"Sin", 0.5, 0x3fdeaee8744b05f0},
	{"Cos", 0.5, 0x3fec1528065b7d50},
	{"Sin", 0.7, 0x3fe49d6e694619b8},
	{"Cos", 0.7, 0x3fe87996529f9d93},
	{"Sin", 2, 0x3fed18f6ead1b446},
	{"Cos", 2, 0xbfdaa22657537205},
	{"Sin", -3.9269908169872423, 0x3fe6a09e667f3bd2},
	{"Cos", -3.9269908169872423, 0xbfe6a09e667f3bc8},
	{"Sin", 100, 0xbfe03425b78c4db8},
	{"Cos", 100, 0x3feb981dbf665fdf},
	{"Sin", -45.553093477052, 0xbff0000000000000},
	{"Cos", -45.553093477052, 0xbc26d61b58c99c43},
	{"Sin", 1e+06, 0xbfd6664b2568d867},
	{"Cos", 1e+06, 0x3fedf9df9906d32c},
}

// TestGoldenElementary pins a few Log/Sin/Cos results whose evaluation uses
// every multiply-add of the polynomials (same purpose as TestGolden, finer
// grained for debugging a port). Tolerance: exact.
func TestGoldenElementary(t *testing.T) {
	for _, c := range goldenElem {
		var got float64
		switch c.fn {
		case "Log":
			got = Log(c.x)
		case "Sin":
			got = Sin(c.x)
		case "Cos":
			got = Cos(c.x)
		}
		if math.Float64bits(got) != c.bits {
			t.Errorf("%s(%v) = %#016x (%v), want %#016x", c.fn, c.x, math.Float64bits(got), got, c.bits)
		}
	}
}

// digestArgs returns n deterministic arguments spread over [lo, hi), made
// from Philox output (independent of math/rand).
func digestArgs(n int, lo, hi float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		w := Philox4x32([4]uint32{uint32(i), 0, 0xd1, 0}, [2]uint32{0x5eed, 0})
		xs[i] = lo + float64((hi-lo)*Uniform53(uint64(w[1])<<32|uint64(w[0]))) // float64(): no fusion, same args everywhere
	}
	return xs
}

// fnv1a64 folds the bit patterns of xs into a 64-bit FNV-1a hash.
func fnv1a64(h uint64, xs []float64) uint64 {
	for _, x := range xs {
		b := math.Float64bits(x)
		for k := 0; k < 8; k++ {
			h ^= b & 0xff
			h *= 0x100000001b3
			b >>= 8
		}
	}
	return h
}

const fnvOffset = 0xcbf29ce484222325

// digests returns FNV-1a digests of the bit patterns of 2^17 consecutive
// normals of (seed 1, stream 0) and of 2^15 values each of Log, Sin and Cos
// at deterministic arguments.
func digests() (normals, logs, sins, coss uint64) {
	xs := make([]float64, 1<<17)
	FillNormal(xs, 1, 0, 0)
	normals = fnv1a64(fnvOffset, xs)

	logArgs := digestArgs(1<<15, 0, 1) // the generator's domain (0, 1)
	for i := range logArgs[:1<<14] {   // and a wide range of binades
		logArgs[i] = math.Ldexp(0.5+float64(logArgs[i]*0.5), i%2000-1000)
	}
	trigArgs := digestArgs(1<<15, -8*math.Pi, 8*math.Pi)
	ls := make([]float64, len(logArgs))
	ss := make([]float64, len(trigArgs))
	cs := make([]float64, len(trigArgs))
	for i, x := range logArgs {
		ls[i] = Log(x)
	}
	for i, x := range trigArgs {
		ss[i], cs[i] = Sin(x), Cos(x)
	}
	return normals, fnv1a64(fnvOffset, ls), fnv1a64(fnvOffset, ss), fnv1a64(fnvOffset, cs)
}

// TestGoldenDigest pins the bits of 2^17 consecutive normals and of 2^15
// values each of Log, Sin and Cos through FNV-1a digests recorded from this
// implementation. Any single changed bit (e.g. from multiply-add fusion under
// GOAMD64=v3 or on arm64, where only some inputs are affected) changes the
// digest. Tolerance: exact.
func TestGoldenDigest(t *testing.T) {
	n, l, s, c := digests()
	for _, d := range []struct {
		name      string
		got, want uint64
	}{
		{"normals", n, 0x974fefd5a8fd9a13},
		{"Log", l, 0xbd51a10cc1000b7f},
		{"Sin", s, 0xca5953081ebdf05d},
		{"Cos", c, 0x6f1a9ad8f8afc75f},
	} {
		if d.got != d.want {
			t.Errorf("%s digest = %#016x, want %#016x", d.name, d.got, d.want)
		}
	}
}
