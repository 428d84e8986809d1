// Package rng provides the reproducible random numbers of netgeom.
//
// Entry points: Normal(seed, stream, i) is one standard normal, FillNormal
// a run of them; Philox4x32 is the counter-based generator (Salmon, Moraes,
// Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011, as
// in Random123), Uniform53 its conversion to (0, 1), and Log, Sin and Cos
// the exactly specified elementary functions of the Box-Muller transform.
// Which stream holds which weights is listed in docs/science.md section 1.
//
// Random network weights are standard normal float64 values produced by a
// counter-based generator: normal number i of stream s under seed k is a
// pure function of (k, s, i). Any chunk of a stream can therefore be
// generated independently (by CPU goroutines or GPU threads), and the result
// is bit-for-bit the same however the index range is split.
//
// The transform uses only operations that IEEE-754 defines as correctly
// rounded (+, -, *, / and sqrt in round-to-nearest-even), exact integer and
// bit manipulation, and no fused multiply-add, so that a CUDA kernel compiled
// with nvcc -fmad=false reproduces the same float64 bits. Every product in
// this package is written float64(a*b), also when it feeds an addition in a
// later statement: the Go specification guarantees that an explicit
// conversion rounds, which stops the compiler from fusing it (Go fuses, even
// across statements, on arm64, ppc64, s390x, riscv64 and on amd64 with
// GOAMD64=v3). The elementary functions of package math are never
// used for the transform (their results differ between platforms and from
// CUDA's); this package's own Log, Sin and Cos are used instead.
//
// # The transform, step by step
//
// Inputs: seed k, stream s, index i (all uint64).
//
//  1. Block and Philox call. b = i/2 (integer division, i.e. i>>1).
//     counter = (uint32(b), uint32(b>>32), uint32(s), uint32(s>>32)),
//     key = (uint32(k), uint32(k>>32)).
//     (w0, w1, w2, w3) = Philox4x32-10(counter, key); see [Philox4x32]
//     (Random123's philox4x32_R(10, ...) with the same word order).
//
//  2. Uniforms. x1 = uint64(w1)<<32 | w0, x2 = uint64(w3)<<32 | w2,
//     u1 = Uniform53(x1), u2 = Uniform53(x2), where
//     Uniform53(x) = (double(x>>12) + 0.5) * 0x1p-52.
//     Each of the three steps is exact, so u = (2m+1)*2^-53 for the 52-bit
//     integer m = x>>12, and u lies in the open interval (0, 1):
//     2^-53 <= u <= 1-2^-53. (See [Uniform53] for why 52 and not 53 bits.)
//
//  3. Radius. r = sqrt(-2.0 * Log(u1)), with Log the function of this package
//     and sqrt the correctly rounded IEEE square root (CUDA: sqrt(), which is
//     __dsqrt_rn). Multiplying by -2 is exact. Log(u1) < 0 always, so r > 0,
//     and r <= sqrt(106*ln 2) ~= 8.57.
//
//  4. Angle theta = 2*pi*u2, reduced exactly by quadrant instead of being
//     formed in floating point (see the pseudo-code below): v = 4*u2 is
//     exact, n = nearest integer to v, d = v - n is exact, and
//     theta = n*pi/2 + d*pi/2 with |d*pi/2| < pi/4 evaluated by the fdlibm
//     kernels; the quadrant n&3 only permutes and negates (exactly).
//
//  5. Box-Muller. Normal(k, s, 2b) = r*cos(theta) and
//     Normal(k, s, 2b+1) = r*sin(theta), each a single rounded product.
//
// Pseudo-code of steps 2-5 for one block (C double arithmetic, every operator
// one correctly rounded operation, no contraction), as in boxMuller:
//
//	u1 = ((double)(x1 >> 12) + 0.5) * 0x1p-52;
//	u2 = ((double)(x2 >> 12) + 0.5) * 0x1p-52;
//	r  = sqrt(-2.0 * Log(u1));
//	v  = 4.0 * u2;            // exact; a multiple of 2^-51 in (0,4), never k+1/2
//	n  = (int)(v + 0.5);      // truncation: the integer nearest to v, 0..4
//	d  = v - (double)n;       // exact, |d| < 1/2
//	y  = d * 0x1.921fb54442d18p0;   // one rounding; |y| < pi/4
//	S  = sinKernel(y, 0.0, 0);      // iy = 0 branch
//	C  = cosKernel(y, 0.0);
//	switch (n & 3) {          // (cos theta, sin theta)
//	case 0: c =  C; s =  S; break;
//	case 1: c = -S; s =  C; break;
//	case 2: c = -C; s = -S; break;
//	case 3: c =  S; s = -C; break;
//	}
//	normal[2b] = r * c;  normal[2b+1] = r * s;
//
// # Elementary functions
//
// [Log] is fdlibm's e_log.c (argument reduction x = 2^k*(1+f) with
// sqrt(2)/2 <= 1+f < sqrt(2) by bit manipulation, s = f/(2+f), the Lg1..Lg7
// polynomial, ln2_hi/ln2_lo reconstruction). sinKernel and cosKernel are
// FreeBSD msun's __kernel_sin and __kernel_cos; [Sin] and [Cos] reduce by pi/2
// with the "medium" case of __ieee754_rem_pio2 (a three-stage Cody-Waite
// reduction with pio2_1, pio2_1t, pio2_2, pio2_2t, pio2_3, pio2_3t).
// The order of operations is exactly what is written in elem.go: every
// operator there is one IEEE operation with one rounding, grouped as
// parenthesised and otherwise left to right (Go and C agree on this), and
// float64(a*b) marks a product that is rounded on its own. The CUDA code must be a
// line-for-line transcription of Log, sinKernel, cosKernel and boxMuller
// (and of Uniform53) with double arithmetic, compiled with -fmad=false (or
// written with __dmul_rn/__dadd_rn/__dsub_rn/__ddiv_rn/__dsqrt_rn), and with
// the same constants given as exact hex bit patterns. Philox4x32 uses only
// 32x32->64 bit integer products (CUDA: __umulhi and a*b).
//
// golden_test.go pins the transform: exact bit patterns of the first normals
// of two streams and of some Log/Sin/Cos values, and FNV-1a digests of the
// bits of 2^17 normals and of 2^15 values each of Log, Sin and Cos. A port or
// refactor (or compiler fusion) that changes a single bit of those fails.
package rng
