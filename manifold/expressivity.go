package manifold

import (
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// FourierTargets returns 2K functions sampled at the P parameter values t_j =
// j/(P-1) of an open curve: cos(2 pi k t) and sin(2 pi k t) for k = 1..K,
// as a P x 2K column-major matrix, and the frequency of each column.
func FourierTargets(P, K int) ([]float64, []int) {
	y := make([]float64, P*2*K)
	freq := make([]int, 2*K)
	for k := 1; k <= K; k++ {
		c, s := y[(2*k-2)*P:(2*k-1)*P], y[(2*k-1)*P:2*k*P]
		for j := 0; j < P; j++ {
			t := float64(j) / float64(P-1)
			c[j] = math.Cos(2 * math.Pi * float64(k) * t)
			s[j] = math.Sin(2 * math.Pi * float64(k) * t)
		}
		freq[2*k-2], freq[2*k-1] = k, k
	}
	return y, freq
}

// HalfCircle returns P points on half a great circle of radius sqrt(N q) in
// N dimensions (theta in [0, pi], both ends included) as an N x P matrix.
func HalfCircle(width, points int, q float64, seed uint64) ([]float64, error) {
	c, err := Circle(width, 2*(points-1), q, seed) // theta_j = 2 pi j / (2(P-1)) = pi j/(P-1)
	if err != nil {
		return nil, err
	}
	return append([]float64(nil), c.H[:width*points]...), nil
}

// FitErrors measures how well the last layer of net represents the target
// functions on the inputs: for each target y (a column of the P x T matrix
// targets), the least-squares fit yhat from the final layer's features
// phi(h^L) plus a constant is the orthogonal projection of y on their span,
// and the error is 1 - cos(y, yhat) = 1 - |yhat| / |y| (Poole et al. 2016,
// figure 5). The span is taken to numerical rank: directions whose
// singular values fall below cutoff times the largest count as zero (0
// means DefaultRankCutoff). The projection comes from a blocked
// Householder QR of the features on the backend (projectionNorms).
func FitErrors(b engine.Backend, net *models.RandomNetwork, inputs []float64, P int, targets []float64, T int, cutoff float64) ([]float64, error) {
	return fitErrors(b, net, inputs, P, targets, T, cutoff, false)
}

// OutputFitErrors is FitErrors with the network's output h^L itself as the
// features, without a constant: the protocol of Poole et al.'s code, whose
// networks end in a linear readout layer (a dense layer without
// activation) whose outputs are regressed on.
func OutputFitErrors(b engine.Backend, net *models.RandomNetwork, inputs []float64, P int, targets []float64, T int, cutoff float64) ([]float64, error) {
	return fitErrors(b, net, inputs, P, targets, T, cutoff, true)
}

// fitBatchElems bounds the elements of one layer's activations in a pass:
// the inputs go through the network in batches of at most
// fitBatchElems / (widest layer) points (128 MiB of float64 per buffer).
const fitBatchElems = 1 << 24

func fitErrors(b engine.Backend, net *models.RandomNetwork, inputs []float64, P int, targets []float64, T int, cutoff float64, output bool) ([]float64, error) {
	if cutoff == 0 {
		cutoff = DefaultRankCutoff
	}
	if !(cutoff > 0 && cutoff < 1) {
		return nil, fmt.Errorf("fit: rank cutoff %v; want a value in (0, 1)", cutoff)
	}
	N0, L := net.Width(0), net.Depth()
	N := net.Width(L)
	if len(inputs) != N0*P || len(targets) != P*T {
		return nil, fmt.Errorf("fit: %d inputs for %d x %d, %d targets for %d x %d", len(inputs), N0, P, len(targets), P, T)
	}
	F := N + 1 // phi(h^L) and a constant
	if output {
		F = N
	}
	feat, err := b.Alloc(engine.DTypeOf(b), F*P)
	if err != nil {
		return nil, err
	}
	defer b.Free(feat)
	if !output {
		if err := b.Fill(feat, 1); err != nil { // the constant row survives the copies below
			return nil, err
		}
	}
	maxW := 0
	for l := 0; l <= L; l++ {
		maxW = max(maxW, net.Width(l))
	}
	batch := max(1, min(P, fitBatchElems/maxW))
	if batch < P {
		// Several passes: draw the weights once, not once per batch.
		if err := net.Materialise(); err != nil {
			return nil, err
		}
	}
	for off := 0; off < P; off += batch {
		n := min(batch, P-off)
		if err := fitFeatures(b, net, inputs[off*N0:(off+n)*N0], n, feat, F, off, output); err != nil {
			return nil, err
		}
	}
	norms, _, err := projectionNorms(b, feat, F, P, targets, T, cutoff)
	if err != nil {
		return nil, err
	}
	errs := make([]float64, T)
	for k := range errs {
		y2 := 0.0
		for _, v := range targets[k*P : (k+1)*P] {
			y2 += v * v
		}
		errs[k] = 1 - math.Sqrt(min(1, norms[k]/y2))
	}
	return errs, nil
}

// fitFeatures runs the n inputs through net and writes their features into
// columns off..off+n of the F x P backend matrix feat: h^L (output) or
// phi(h^L) above the constant row F-1.
func fitFeatures(b engine.Backend, net *models.RandomNetwork, inputs []float64, n int, feat engine.Buffer, F, off int, output bool) error {
	in, err := engine.FromHost(b, inputs)
	if err != nil {
		return err
	}
	defer b.Free(in)
	h, err := net.Run(b, in, n, models.RunOptions{}, nil)
	if err != nil {
		return err
	}
	defer b.Free(h)
	N := net.Width(net.Depth())
	if output {
		dst, err := b.Slice(feat, off*F, n*F)
		if err != nil {
			return err
		}
		return b.Copy(dst, h)
	}
	x, err := b.Alloc(engine.DTypeOf(b), N*n)
	if err != nil {
		return err
	}
	defer b.Free(x)
	if err := b.ActivateDerivative(net.Spec().Act.ID, 0, h, x); err != nil {
		return err
	}
	// feat = [x; 1] column by column: exact copies through views.
	for j := 0; j < n; j++ {
		src, err := b.Slice(x, j*N, N)
		if err != nil {
			return err
		}
		dst, err := b.Slice(feat, (off+j)*F, N)
		if err != nil {
			return err
		}
		if err := b.Copy(dst, src); err != nil {
			return err
		}
	}
	return nil
}
