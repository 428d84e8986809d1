package rng

import "math"

// pio2 is the double nearest pi/2, 0x3FF921FB54442D18.
const pio2 = 1.57079632679489655800e+00

// Uniform53 turns 64 random bits into a float64 in the open interval (0,1):
//
//	(float64(x>>12) + 0.5) * 0x1p-52
//
// All three steps are exact, so the result is (2m+1)*2^-53 for m = x>>12,
// one of 2^52 equally likely odd multiples of 2^-53, symmetric about 1/2,
// with 2^-53 <= u <= 1 - 2^-53 (53 significant bits, hence the name).
//
// Only the top 52 bits of x are used on purpose: with 53 bits,
// float64(x>>11) + 0.5 is not representable once x>>11 >= 2^52 (it needs 54
// significant bits), so that addition would round, the grid would become
// uneven in [1/2, 1), and x>>11 = 2^53-1 would give exactly 1.0.
func Uniform53(x uint64) float64 {
	return float64((float64(x>>12) + 0.5) * 0x1p-52)
}

// boxMuller turns one Philox output block, as the two 64-bit words x1 =
// w1:w0 and x2 = w3:w2, into the two normals of that block,
// (r*cos(theta), r*sin(theta)). See the package documentation, steps 2
// to 5.
func boxMuller(x1, x2 uint64) (float64, float64) {
	u1 := Uniform53(x1)
	u2 := Uniform53(x2)
	r := math.Sqrt(float64(-2.0 * Log(u1)))
	// theta = 2*pi*u2 = (pi/2)*v with v = 4*u2 (exact). v is a multiple of
	// 2^-51 in (0, 4) and never a half-integer, so int(v + 0.5) is the
	// nearest integer n to v even if v+0.5 rounds, d = v - n is exact with
	// |d| < 1/2, and theta = n*pi/2 + y with y = d*pi/2, |y| < pi/4.
	v := float64(4.0 * u2)
	n := int(v + 0.5)
	d := v - float64(n)
	y := float64(d * pio2)
	s := sinKernel(y, 0, 0)
	c := cosKernel(y, 0)
	// The quadrant n&3 makes (cos, sin) of theta (c, s), (-s, c), (-c, -s)
	// or (s, -c); negation is exact. A table lookup, not a switch: the
	// quadrant is random, and a branch on it mispredicted often enough to
	// cost 8% of the time.
	cs := [4]float64{c, -s, -c, s}
	sn := [4]float64{s, c, -s, -c}
	q := n & 3
	return float64(r * cs[q]), float64(r * sn[q])
}

// block returns the two normals of block b (indices 2b and 2b+1).
func block(k0, k1, s0, s1 uint32, b uint64) (float64, float64) {
	w0, w1, w2, w3 := philox(uint32(b), uint32(b>>32), s0, s1, k0, k1)
	return boxMuller(uint64(w1)<<32|uint64(w0), uint64(w3)<<32|uint64(w2))
}

// Normal returns normal number i of stream `stream` under `seed`:
// r*cos(theta) of block i/2 for even i, r*sin(theta) for odd i (see the
// package documentation).
func Normal(seed, stream, i uint64) float64 {
	c, s := block(uint32(seed), uint32(seed>>32), uint32(stream), uint32(stream>>32), i>>1)
	if i&1 == 0 {
		return c
	}
	return s
}

// FillNormal sets dst[j] = Normal(seed, stream, start+j) for every j, bit for
// bit, with one Philox call per pair of normals. start may be odd and
// start+len(dst) may be odd; indices wrap modulo 2^64 like start+j does.
func FillNormal(dst []float64, seed, stream, start uint64) {
	if len(dst) == 0 {
		return
	}
	k0, k1 := uint32(seed), uint32(seed>>32)
	s0, s1 := uint32(stream), uint32(stream>>32)
	const bMask = 1<<63 - 1 // block index of (start+j) mod 2^64
	b := start >> 1
	j := 0
	if start&1 == 1 {
		_, dst[0] = block(k0, k1, s0, s1, b)
		j = 1
		b = (b + 1) & bMask
	}
	for ; j+1 < len(dst); j += 2 {
		dst[j], dst[j+1] = block(k0, k1, s0, s1, b)
		b = (b + 1) & bMask
	}
	if j < len(dst) {
		dst[j], _ = block(k0, k1, s0, s1, b)
	}
}
