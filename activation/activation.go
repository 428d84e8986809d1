package activation

import (
	"fmt"
	"math"
	"strings"
)

// ID identifies an activation. The integer values are stable: compute
// backends (including CUDA kernels) switch on them, so new activations must
// only ever be appended.
type ID int

// Activation IDs. Do not reorder.
const (
	Tanh     ID = iota // tanh(x)
	Erf                // erf(x)
	ReLU               // max(x, 0)
	Linear             // x
	Sigmoid            // logistic 1/(1+e^-x)
	Softplus           // log(1+e^x), numerically stable for large |x|
	HardTanh           // clamp(x, -1, 1)
	Sin                // sin(x)
	GELU               // erf form: x * Phi(x) = x/2 (1 + erf(x/sqrt2))
	Swish              // x * sigmoid(x)

	numIDs // number of defined IDs; keep last
)

// Func is one activation: phi and its first three derivatives as plain scalar
// functions.
type Func struct {
	ID   ID
	Name string // canonical name, see Names

	// Phi is the activation; D1, D2, D3 are its first, second and third
	// derivatives. At kinks they follow the conventions in the package doc
	// (one-sided values, Dirac deltas ignored).
	Phi, D1, D2, D3 func(float64) float64

	// Jet returns Phi(x), D1(x) and D2(x) together, bit for bit the same
	// numbers, sharing the transcendental function they are built from
	// where there is one (tanh's tanh, erf's exponential): a second-order
	// jet needs all three at every element.
	Jet func(x float64) (phi, d1, d2 float64)

	// Kinks lists, in increasing order, the points where Phi is not
	// infinitely differentiable (relu: {0}; hard-tanh: {-1, 1}); nil for
	// smooth activations. Each call to Lookup/ByID returns a fresh slice.
	Kinks []float64

	// Odd reports phi(-x) = -phi(x) for all x (tanh, erf, linear,
	// hard-tanh, sin).
	Odd bool
}

// Smooth reports whether phi is infinitely differentiable everywhere, i.e.
// len(f.Kinks) == 0.
func (f Func) Smooth() bool { return len(f.Kinks) == 0 }

// names holds the canonical names in ID order.
var names = [numIDs]string{
	Tanh:     "tanh",
	Erf:      "erf",
	ReLU:     "relu",
	Linear:   "linear",
	Sigmoid:  "sigmoid",
	Softplus: "softplus",
	HardTanh: "hard-tanh",
	Sin:      "sin",
	GELU:     "gelu",
	Swish:    "swish",
}

// aliases maps accepted alternative (lower-case) names to IDs.
var aliases = map[string]ID{
	"logistic": Sigmoid,
	"hardtanh": HardTanh,
}

// String returns the canonical name of id, or "ID(n)" if id is not defined.
func (id ID) String() string {
	if id < 0 || id >= numIDs {
		return fmt.Sprintf("ID(%d)", int(id))
	}
	return names[id]
}

// Names returns the canonical activation names in ID order.
func Names() []string {
	out := make([]string, numIDs)
	copy(out, names[:])
	return out
}

// Lookup returns the activation with the given name. Matching is
// case-insensitive and ignores surrounding white space; besides the
// canonical names (see Names) it accepts "logistic" for sigmoid and
// "hardtanh" for hard-tanh.
func Lookup(name string) (Func, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	for id, n := range names {
		if n == key {
			return ByID(ID(id))
		}
	}
	if id, ok := aliases[key]; ok {
		return ByID(id)
	}
	return Func{}, fmt.Errorf("unknown activation %q: valid names are %s", name, strings.Join(names[:], ", "))
}

// ByID returns the activation with the given ID, or an error if id is not
// one of the defined constants.
func ByID(id ID) (Func, error) {
	f := Func{ID: id}
	switch id {
	case Tanh:
		f.Phi, f.D1, f.D2, f.D3 = math.Tanh, tanhD1, tanhD2, tanhD3
		f.Odd = true
	case Erf:
		f.Phi, f.D1, f.D2, f.D3 = math.Erf, erfD1, erfD2, erfD3
		f.Odd = true
	case ReLU:
		f.Phi, f.D1, f.D2, f.D3 = relu, reluD1, zero, zero
		f.Kinks = []float64{0}
	case Linear:
		f.Phi, f.D1, f.D2, f.D3 = identity, one, zero, zero
		f.Odd = true
	case Sigmoid:
		f.Phi, f.D1, f.D2, f.D3 = sigmoid, sigmoidD1, sigmoidD2, sigmoidD3
	case Softplus:
		f.Phi, f.D1, f.D2, f.D3 = softplus, sigmoid, sigmoidD1, sigmoidD2
	case HardTanh:
		f.Phi, f.D1, f.D2, f.D3 = hardTanh, hardTanhD1, zero, zero
		f.Kinks = []float64{-1, 1}
		f.Odd = true
	case Sin:
		f.Phi, f.D1, f.D2, f.D3 = math.Sin, math.Cos, sinD2, sinD3
		f.Odd = true
	case GELU:
		f.Phi, f.D1, f.D2, f.D3 = gelu, geluD1, geluD2, geluD3
	case Swish:
		f.Phi, f.D1, f.D2, f.D3 = swish, swishD1, swishD2, swishD3
	default:
		return Func{}, fmt.Errorf("unknown activation ID %d: valid IDs are 0..%d", int(id), int(numIDs)-1)
	}
	switch id {
	case Tanh:
		f.Jet = tanhJet
	case Erf:
		f.Jet = erfJet
	default:
		phi, d1, d2 := f.Phi, f.D1, f.D2
		f.Jet = func(x float64) (float64, float64, float64) { return phi(x), d1(x), d2(x) }
	}
	f.Name = names[id]
	return f, nil
}

func zero(float64) float64       { return 0 }
func one(float64) float64        { return 1 }
func identity(x float64) float64 { return x }

// tanh: with t = tanh(x), phi' = 1 - t^2, phi'' = -2t(1 - t^2),
// phi''' = -2(1 - t^2)(1 - 3t^2).

func tanhD1(x float64) float64 {
	t := math.Tanh(x)
	return 1 - t*t
}

func tanhD2(x float64) float64 {
	t := math.Tanh(x)
	return -2 * t * (1 - t*t)
}

// tanhJet is (tanh, tanhD1, tanhD2) with one tanh: the same expressions
// of the same t, so the same bits.
func tanhJet(x float64) (float64, float64, float64) {
	t := math.Tanh(x)
	return t, 1 - t*t, -2 * t * (1 - t*t)
}

func tanhD3(x float64) float64 {
	t := math.Tanh(x)
	return -2 * (1 - t*t) * (1 - 3*t*t)
}

// erf: phi' = (2/sqrt(pi)) e^{-x^2}, phi'' = -2x phi', phi''' = (4x^2 - 2) phi'.

const twoOverSqrtPi = 2 / math.SqrtPi

func erfD1(x float64) float64 { return twoOverSqrtPi * math.Exp(-x*x) }
func erfD2(x float64) float64 { return -2 * x * twoOverSqrtPi * math.Exp(-x*x) }
func erfD3(x float64) float64 { return (4*x*x - 2) * twoOverSqrtPi * math.Exp(-x*x) }

// erfJet is (erf, erfD1, erfD2) with one exponential, each expression as
// above, so the same bits.
func erfJet(x float64) (float64, float64, float64) {
	e := math.Exp(-x * x)
	return math.Erf(x), twoOverSqrtPi * e, -2 * x * twoOverSqrtPi * e
}

// relu: phi' = 1 for x > 0, 0 for x <= 0.

func relu(x float64) float64 {
	if x > 0 {
		return x
	}
	return 0
}

func reluD1(x float64) float64 {
	if x > 0 {
		return 1
	}
	return 0
}

// hard-tanh: phi' = 1 on the open interval (-1, 1), 0 elsewhere.

func hardTanh(x float64) float64 {
	return math.Max(-1, math.Min(1, x))
}

func hardTanhD1(x float64) float64 {
	if x > -1 && x < 1 {
		return 1
	}
	return 0
}

// sin: phi' = cos, phi'' = -sin, phi''' = -cos.

func sinD2(x float64) float64 { return -math.Sin(x) }
func sinD3(x float64) float64 { return -math.Cos(x) }

// sigmoid s(x) = 1/(1+e^-x). Only e^{-|x|} is ever formed, so nothing
// overflows. Derivatives use s(x) and 1-s(x) = s(-x), both computed directly
// (no cancellation in 1-s for large x):
// s' = s(1-s), s'' = s(1-s)(1-2s), s''' = s(1-s)(1 - 6s(1-s)).

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// sigmoidPair returns s(x) and 1 - s(x) = s(-x).
func sigmoidPair(x float64) (s, c float64) { return sigmoid(x), sigmoid(-x) }

func sigmoidD1(x float64) float64 {
	s, c := sigmoidPair(x)
	return s * c
}

func sigmoidD2(x float64) float64 {
	s, c := sigmoidPair(x)
	return s * c * (c - s) // 1 - 2s = (1-s) - s
}

func sigmoidD3(x float64) float64 {
	s, c := sigmoidPair(x)
	return s * c * (1 - 6*s*c)
}

// softplus(x) = log(1+e^x) = max(x, 0) + log1p(e^{-|x|}); its derivatives
// are sigmoid, sigmoid', sigmoid''.

func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// gelu(x) = x Phi(x) with Phi the standard normal CDF and pdf its density:
// phi' = Phi + x pdf, phi'' = (2 - x^2) pdf, phi''' = (x^3 - 4x) pdf.

// normCDF is Phi(x) = erfc(-x/sqrt2)/2, accurate in the lower tail too.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normPDF is the standard normal density e^{-x^2/2}/sqrt(2 pi).
func normPDF(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }

func gelu(x float64) float64   { return x * normCDF(x) }
func geluD1(x float64) float64 { return normCDF(x) + x*normPDF(x) }
func geluD2(x float64) float64 { return (2 - x*x) * normPDF(x) }
func geluD3(x float64) float64 { return (x*x*x - 4*x) * normPDF(x) }

// swish(x) = x s(x) with s = sigmoid and s' = s(1-s):
// phi'   = s + x s(1-s),
// phi''  = s(1-s) (2 + x(1-2s)),
// phi''' = s(1-s) (3(1-2s) + x(1 - 6s(1-s))).

func swish(x float64) float64 { return x * sigmoid(x) }

func swishD1(x float64) float64 {
	s, c := sigmoidPair(x)
	return s + x*s*c
}

func swishD2(x float64) float64 {
	s, c := sigmoidPair(x)
	return s * c * (2 + x*(c-s))
}

func swishD3(x float64) float64 {
	s, c := sigmoidPair(x)
	return s * c * (3*(c-s) + x*(1-6*s*c))
}
