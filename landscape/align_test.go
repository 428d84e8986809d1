package landscape

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

// TestAlignPermutedCopy: a network and its copy with every hidden layer
// randomly permuted (and, for tanh, randomly sign-flipped) compute the
// same function (logits equal to 1e-12 relative: the same sums in other
// orders), and Align maps the copy back exactly: distance 0 and the
// aligned parameters equal to the original bit for bit (alignment only
// moves and negates numbers). For ReLU, which is not odd, no sign is
// flipped.
func TestAlignPermutedCopy(t *testing.T) {
	b := enginetest.Open(t)
	r := rand.New(rand.NewPCG(5, 6))
	data := randomData(t, b, r, 40, 4, 3)
	defer data.Close()
	for _, act := range []string{"tanh", "relu"} {
		spec := mlpSpec(t, act, 4, 9, 7, 8, 3)
		a := randomParams(r, spec.NumParams())
		for trial := 0; trial < 5; trial++ {
			al := randomAlignment(r, spec.Widths, spec.Act.Odd)
			copyA, err := al.Apply(spec.Widths, a)
			if err != nil {
				t.Fatal(err)
			}
			if d := Distance(a, copyA); d == 0 {
				t.Fatalf("%s: the permuted copy equals the original; the test proves nothing", act)
			}
			za, zc := logits(t, b, spec, a, data), logits(t, b, spec, copyA, data)
			for i := range za {
				if !(math.Abs(za[i]-zc[i]) <= 1e-12*(1+math.Abs(za[i]))) {
					t.Fatalf("%s: permuted copy's logit %d is %v, original %v", act, i, zc[i], za[i])
				}
			}
			back, got, err := Align(spec, a, copyA)
			if err != nil {
				t.Fatal(err)
			}
			if d := Distance(a, back); d != 0 {
				t.Fatalf("%s trial %d: aligned copy at distance %v from the original", act, trial, d)
			}
			// The first pass finds the alignment, so the one sweep after it
			// changes nothing and ends the refinement.
			if got.Sweeps != 1 {
				t.Fatalf("%s trial %d: %d refinement sweeps after an exact first pass, want 1", act, trial, got.Sweeps)
			}
			for l := 1; l < len(spec.Widths)-1; l++ {
				for i, s := range got.Sign[l] {
					if s != 1 && !spec.Act.Odd {
						t.Fatalf("%s: sign flip on a non-odd activation", act)
					}
					// unit i of the aligned copy is unit Perm[l][i] of the copy, which
					// is unit al.Perm[l][Perm[l][i]] of a: it must be unit i.
					if al.Perm[l][got.Perm[l][i]] != i || al.Sign[l][got.Perm[l][i]]*s != 1 {
						t.Fatalf("%s layer %d unit %d: alignment %d/%v does not invert %v/%v", act, l, i, got.Perm[l][i], s, al.Perm[l], al.Sign[l])
					}
				}
			}
		}
	}
}

// TestAlignPreservesFunction: aligning one random network to another
// (nothing to find exactly) leaves the aligned network's logits equal to
// the original's to 1e-12 relative, and never increases the distance to the
// target (the identity is among the candidates of every step).
func TestAlignPreservesFunction(t *testing.T) {
	b := enginetest.Open(t)
	r := rand.New(rand.NewPCG(7, 8))
	data := randomData(t, b, r, 40, 4, 3)
	defer data.Close()
	for _, act := range []string{"tanh", "relu", "erf"} {
		spec := mlpSpec(t, act, 4, 10, 6, 9, 3)
		for trial := 0; trial < 5; trial++ {
			a, bb := randomParams(r, spec.NumParams()), randomParams(r, spec.NumParams())
			aligned, _, err := Align(spec, a, bb)
			if err != nil {
				t.Fatal(err)
			}
			z0, z1 := logits(t, b, spec, bb, data), logits(t, b, spec, aligned, data)
			for i := range z0 {
				if !(math.Abs(z0[i]-z1[i]) <= 1e-12*(1+math.Abs(z0[i]))) {
					t.Fatalf("%s: aligned logit %d is %v, before %v", act, i, z1[i], z0[i])
				}
			}
			if Distance(a, aligned) > Distance(a, bb) {
				t.Fatalf("%s: alignment raised the distance from %v to %v", act, Distance(a, bb), Distance(a, aligned))
			}
		}
	}
}

// TestAlignOneHiddenLayerOptimal: with one hidden layer the distance is a
// sum over units of |in_i - s in'_j|^2 + |out_i - s out'_j|^2, a linear
// assignment, so the refinement sweep finds the global minimum: equal, to
// 1e-12 relative, to the minimum over all 6! 2^6 = 46080 signed
// permutations (tanh) or all 720 permutations (ReLU).
func TestAlignOneHiddenLayerOptimal(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, act := range []string{"tanh", "relu"} {
		spec := mlpSpec(t, act, 3, 6, 2)
		for trial := 0; trial < 3; trial++ {
			a, bb := randomParams(r, spec.NumParams()), randomParams(r, spec.NumParams())
			aligned, _, err := Align(spec, a, bb)
			if err != nil {
				t.Fatal(err)
			}
			got := Distance(a, aligned)
			best := math.Inf(1)
			signs := 1
			if spec.Act.Odd {
				signs = 1 << 6
			}
			permutations(6, func(p []int) {
				for mask := 0; mask < signs; mask++ {
					al := Identity(spec.Widths)
					copy(al.Perm[1], p)
					for i := range al.Sign[1] {
						if mask>>i&1 == 1 {
							al.Sign[1][i] = -1
						}
					}
					c, err := al.Apply(spec.Widths, bb)
					if err != nil {
						t.Fatal(err)
					}
					best = math.Min(best, Distance(a, c))
				}
			})
			if !(math.Abs(got-best) <= 1e-12*best) {
				t.Errorf("%s trial %d: Align gives distance %v, the best signed permutation %v", act, trial, got, best)
			}
		}
	}
}

func TestAlignErrors(t *testing.T) {
	spec := mlpSpec(t, "tanh", 2, 3, 1)
	if _, _, err := Align(spec, make([]float64, 3), make([]float64, 3)); err == nil {
		t.Error("wrong parameter count: no error")
	}
	theta := make([]float64, spec.NumParams())
	for _, c := range []struct {
		what string
		edit func(al Alignment)
		want string
	}{
		{"a repeated unit", func(al Alignment) { al.Perm[1][0] = 1 }, "alignment: layer 1 is not a permutation ([1 1 2])"},
		{"a unit one past the last", func(al Alignment) { al.Perm[1][2] = 3 }, "alignment: layer 1 is not a permutation ([0 1 3])"},
		{"a negative unit", func(al Alignment) { al.Perm[1][0] = -1 }, "alignment: layer 1 is not a permutation ([-1 1 2])"},
		{"a sign of 0", func(al Alignment) { al.Sign[1][2] = 0 }, "alignment: layer 1 unit 2 has sign 0; want +-1"},
		{"a unit too few", func(al Alignment) { al.Perm[1], al.Sign[1] = al.Perm[1][:2], al.Sign[1][:2] }, "alignment: layer 1 has 2 units; the network has 3"},
	} {
		al := Identity(spec.Widths)
		c.edit(al)
		if _, err := al.Apply(spec.Widths, theta); err == nil || err.Error() != c.want {
			t.Errorf("%s: err = %v, want %q", c.what, err, c.want)
		}
	}
	if _, err := Identity([]int{2, 3, 3, 1}).Apply(spec.Widths, theta); err == nil || err.Error() != "alignment for 3 layers applied to a network of 2" {
		t.Errorf("alignment of another depth: err = %v", err)
	}
}

// TestIdentity: the identity alignment has entries for the hidden layers
// only (0 and L nil, as Alignment documents), each the identity with
// signs +1, and Apply leaves parameters unchanged with it.
func TestIdentity(t *testing.T) {
	widths := []int{2, 3, 4, 1}
	al := Identity(widths)
	if len(al.Perm) != 4 || al.Perm[0] != nil || al.Perm[3] != nil || al.Sign[0] != nil || al.Sign[3] != nil {
		t.Fatalf("Identity(%v) = %+v: want entries 1 and 2 only", widths, al)
	}
	for l := 1; l <= 2; l++ {
		for i := range widths[l] {
			if al.Perm[l][i] != i || al.Sign[l][i] != 1 {
				t.Fatalf("layer %d: %v %v", l, al.Perm[l], al.Sign[l])
			}
		}
	}
	spec := mlpSpec(t, "tanh", widths...)
	theta := randomParams(rand.New(rand.NewPCG(1, 2)), spec.NumParams())
	same, err := al.Apply(widths, theta)
	if err != nil {
		t.Fatal(err)
	}
	if Distance(same, theta) != 0 {
		t.Error("the identity alignment changed the parameters")
	}
}

// TestOverlapAndDistances: closed forms on vectors that are not unit
// vectors: (3, 4) and (4, 3) have overlap 24/25, |a - b| = sqrt(2) and
// relative distance sqrt(2)/sqrt(50) = 1/5; orthogonal vectors of
// different lengths overlap 0; a zero vector overlaps 0 and two zero
// vectors are at relative distance 0.
func TestOverlapAndDistances(t *testing.T) {
	a, b := []float64{3, 4}, []float64{4, 3}
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"overlap", Overlap(a, b), 24.0 / 25},
		{"distance", Distance(a, b), math.Sqrt2},
		{"relative distance", RelativeDistance(a, b), 0.2},
		{"overlap of orthogonal vectors", Overlap([]float64{2, 0}, []float64{0, 5}), 0},
		{"overlap of a zero vector", Overlap([]float64{0, 0}, b), 0},
		{"relative distance of zero vectors", RelativeDistance([]float64{0, 0}, []float64{0, 0}), 0},
		{"function distance of one sample", FunctionDistance([]float64{1, 2}, []float64{4, 6}, 1), 5},
	} {
		if !(math.Abs(c.got-c.want) <= 1e-15) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if d := FunctionDistance(nil, nil, 0); !math.IsNaN(d) {
		t.Errorf("function distance of no samples: %v, want NaN", d)
	}
}

// TestFunctionDistance: the RMS over samples of the per-sample Euclidean
// distance, by hand: samples (0,0)-(3,4) at distance 5 and (1,1)-(1,1) at
// 0 give sqrt(25/2).
func TestFunctionDistance(t *testing.T) {
	if d := FunctionDistance([]float64{0, 0, 1, 1}, []float64{3, 4, 1, 1}, 2); !(math.Abs(d-math.Sqrt(12.5)) <= 1e-15) {
		t.Errorf("function distance %v, want sqrt(12.5)", d)
	}
	if d := RelativeDistance([]float64{1, 0}, []float64{0, 1}); !(math.Abs(d-1) <= 1e-15) {
		t.Errorf("relative distance of orthogonal unit vectors %v, want 1", d)
	}
	z := []float64{1, 2, 3, 1000, 1000, 1000}
	softmaxColumns(z, 3)
	e := math.Exp(1.0)
	want := []float64{1 / (1 + e + e*e), e / (1 + e + e*e), e * e / (1 + e + e*e), 1.0 / 3, 1.0 / 3, 1.0 / 3}
	for i := range z {
		if !(math.Abs(z[i]-want[i]) <= 1e-15) {
			t.Errorf("softmax %d: %v, want %v", i, z[i], want[i])
		}
	}
	_ = models.CrossEntropy
}
