package cuda

import (
	"math"
	"math/rand/v2"
	"runtime"
)

// The activation kernels compute exp as Go's math.Exp does on amd64
// (kernels/activation.cu, ng_exp), so that tanh and the exp-based
// activations agree with the CPU backend to the bit. Go's amd64 Exp has two
// paths, chosen at run time by the CPU (AVX and FMA present or not); these
// are both paths transcribed, and hostExpFMA finds which one this process's
// math.Exp takes by comparing them on probe values.

const (
	expLog2e    = 0x1.71547652b82fep+00 // 1/ln 2
	expLn2U     = 0x1.62e42fefa3p-01    // upper part of ln 2
	expLn2L     = 0x1.3de6af278ece6p-42 // lower part of ln 2
	expOverflow = 0x1.62e42fefa39efp+09 // 709.782712893384
	expC3       = 0x1.5555555555555p-03 // 1/3!
	expC4       = 0x1.5555555555555p-05
	expC5       = 0x1.1111111111111p-07
	expC6       = 0x1.6c16c16c16c17p-10
	expC7       = 0x1.a01a01a01a01ap-13
	expC8       = 0x1.a01a01a01a01ap-16 // 1/8!
)

// goExp is math/exp_amd64.s: with fma true its AVX+FMA path, else the SSE2
// path. Every float64(...) is one rounded operation.
func goExp(x float64, fma bool) float64 {
	bits := math.Float64bits(x)
	if bits&^(1<<63) >= 0x7FF0000000000000 {
		if bits == 0xFFF0000000000000 {
			return 0
		}
		return x
	}
	if x > expOverflow {
		return math.Inf(1)
	}
	k := roundToInt32(float64(expLog2e * x))
	fk := float64(k)
	var p float64
	if fma {
		x = math.FMA(-expLn2U, fk, x)
		x = math.FMA(-expLn2L, fk, x)
		x = float64(x * 0.0625)
		p = math.FMA(expC8, x, expC7)
		for _, c := range []float64{expC6, expC5, expC4, expC3, 0.5, 1} {
			p = math.FMA(p, x, c)
		}
		x = float64(x * p)
		for i := 0; i < 3; i++ {
			x = float64(x * float64(x+2))
		}
		x = math.FMA(x, x+2, 1)
	} else {
		x = x - float64(expLn2U*fk)
		x = x - float64(expLn2L*fk)
		x = float64(x * 0.0625)
		p = float64(expC8*x) + expC7
		for _, c := range []float64{expC6, expC5, expC4, expC3, 0.5, 1} {
			p = float64(p*x) + c
		}
		x = float64(x * p)
		for i := 0; i < 4; i++ {
			x = float64(x * float64(2+x))
		}
		x = x + 1
	}
	e := k + 0x3FF
	if e <= 0 {
		if e < -52 {
			return 0
		}
		e += 0x3FE
		x = float64(x * math.Float64frombits(uint64(e)<<52))
		e = 1
	} else if e >= 0x7FF {
		return math.Inf(1)
	}
	return float64(x * math.Float64frombits(uint64(e)<<52))
}

// roundToInt32 is CVTSD2SL: round to nearest even, INT_MIN when out of
// range (x86's "integer indefinite"; the kernels' __double2int_rn clamps,
// which gives the same result for every finite x that reaches it).
func roundToInt32(x float64) int32 {
	r := math.RoundToEven(x)
	if r < math.MinInt32 || r > math.MaxInt32 || math.IsNaN(r) {
		return math.MinInt32
	}
	return int32(r)
}

// goLog is math/log_amd64.s: frexp by bit manipulation (subnormals are not
// normalised first, as there), then fdlibm's polynomial. The kernels' ng_golog
// is the same transcription.
func goLog(x float64) float64 {
	const (
		hSqrt2 = 7.07106781186547524401e-01
		ln2Hi  = 6.93147180369123816490e-01
		ln2Lo  = 1.90821492927058770002e-10
		l1     = 6.666666666666735130e-01
		l2     = 3.999999999940941908e-01
		l3     = 2.857142874366239149e-01
		l4     = 2.222219843214978396e-01
		l5     = 1.818357216161805012e-01
		l6     = 1.531383769920937332e-01
		l7     = 1.479819860511658591e-01
	)
	bx := math.Float64bits(x)
	switch {
	case bx&^(1<<63) == 0:
		return math.Inf(-1)
	case int64(bx) < 0:
		return math.Float64frombits(0x7FF8000000000001)
	case bx >= 0x7FF0000000000000:
		return x
	}
	f1 := math.Float64frombits(bx&0x000FFFFFFFFFFFFF | 0x3FE0000000000000)
	k := float64(int32(bx>>52&0x7FF) - 0x3FE)
	if f1 <= hSqrt2 {
		k = k - 1
		f1 = float64(f1 * 2)
	}
	f := f1 - 1
	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * (l1 + float64(s4*(l3+float64(s4*(l5+float64(s4*l7)))))))
	t2 := float64(s4 * (l2 + float64(s4*(l4+float64(s4*l6)))))
	R := t1 + t2
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*(hfsq+R)) + float64(k*ln2Lo))) - f)
}

// hostExpFMA returns the expfma argument of the activation kernels: 1 when
// this process's math.Exp is the FMA path of goExp, 0 when it is the SSE2
// path, and 1 when it is neither (another architecture: the kernels then
// agree with the CPU backend only to the suite's tolerance), with a word on
// which for Info.
func hostExpFMA() (int32, string) {
	if runtime.GOARCH == "amd64" {
		r := rand.New(rand.NewPCG(1, 2))
		fmaOK, sseOK := true, true
		for i := 0; i < 4096 && (fmaOK || sseOK); i++ {
			x := (r.Float64() - 0.5) * 80
			e := math.Exp(x)
			fmaOK = fmaOK && goExp(x, true) == e
			sseOK = sseOK && goExp(x, false) == e
		}
		switch {
		case fmaOK && !sseOK:
			return 1, "Go's amd64 exp, FMA path (as this CPU)"
		case sseOK && !fmaOK:
			return 0, "Go's amd64 exp, SSE2 path (as this CPU)"
		}
	}
	return 1, "Go's amd64 exp, FMA path (this host's math.Exp differs: activations agree with the CPU to the tolerance only)"
}
