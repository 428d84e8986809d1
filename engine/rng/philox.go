package rng

// Philox4x32-10 constants (Salmon, Moraes, Dror, Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011; Random123).
const (
	philoxM0 = 0xD2511F53 // multiplier applied to counter word 0
	philoxM1 = 0xCD9E8D57 // multiplier applied to counter word 2
	philoxW0 = 0x9E3779B9 // Weyl key increment, key word 0 (golden ratio)
	philoxW1 = 0xBB67AE85 // Weyl key increment, key word 1 (sqrt(3)-1)
)

// Philox4x32 computes Philox4x32-10 (Salmon et al. 2011, Random123): 10
// rounds, multipliers 0xD2511F53, 0xCD9E8D57, Weyl keys 0x9E3779B9,
// 0xBB67AE85.
//
// One round maps counter (c0, c1, c2, c3) and key (k0, k1) to
//
//	(hi(M1*c2) ^ c1 ^ k0, lo(M1*c2), hi(M0*c0) ^ c3 ^ k1, lo(M0*c0))
//
// where hi/lo are the upper/lower 32 bits of the 64-bit product; between
// rounds the key is bumped by (W0, W1) modulo 2^32. This is Random123's
// philox4x32_R(10, ctr, key), word for word.
func Philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := philox(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1])
	return [4]uint32{c0, c1, c2, c3}
}

// philox is Philox4x32 on words: Go passes arrays of more than one element
// through memory, words in registers (1.5 times faster normals).
func philox(c0, c1, c2, c3, k0, k1 uint32) (uint32, uint32, uint32, uint32) {
	for r := 0; ; r++ {
		p0 := uint64(philoxM0) * uint64(c0)
		p1 := uint64(philoxM1) * uint64(c2)
		c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
		if r == 9 {
			break
		}
		k0 += philoxW0
		k1 += philoxW1
	}
	return c0, c1, c2, c3
}
