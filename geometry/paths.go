package geometry

import (
	"math"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// LayerNorms returns, for l = 1..L, the mean over the samples of d of
// |x_l(x)|, the Euclidean norm of layer l's output (x_L the logits) at
// parameters theta. Their sum is the path length sum_l |f_l(x)| averaged
// over the data.
func LayerNorms(net *models.Network, theta engine.Buffer, d *models.Data, chunk int) ([]float64, error) {
	e, err := net.NewEvaluator(chunk)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	b := net.Backend()
	out := make([]float64, net.Depth())
	var host []float64
	err = e.LayerOutputs(theta, d, func(l, _, cols int, x engine.Buffer) error {
		w := net.Width(l)
		host = append(host[:0], make([]float64, w*cols)...)
		if err := b.Download(host, x); err != nil {
			return err
		}
		for j := 0; j < cols; j++ {
			s := 0.0
			for _, v := range host[j*w : (j+1)*w] {
				s += v * v
			}
			out[l-1] += math.Sqrt(s) / float64(d.N)
		}
		return nil
	})
	return out, err
}

// WeightDistances returns |W_l - W_l^0|_F and |W_l^0|_F for l = 1..L
// (weights only, no biases; over all of a layer's weight matrices: W and V
// of a product layer, Wq, Wk and Wv of attention) between parameter
// buffers theta and theta0 of net's layout.
func WeightDistances(net *models.Network, theta, theta0 engine.Buffer) (dist, norm0 []float64, err error) {
	b := net.Backend()
	spec := net.Spec()
	for l := 1; l <= net.Depth(); l++ {
		s, s0 := 0.0, 0.0
		for _, t := range spec.Block(l).Weights() {
			w, w0 := make([]float64, t.Len()), make([]float64, t.Len())
			ops := engine.Ops(b)
			ops.Download(w, ops.View(theta, t.Off, t.Len()))
			if err := ops.Download(w0, ops.View(theta0, t.Off, t.Len())); err != nil {
				return nil, nil, err
			}
			for i := range w {
				s += (w[i] - w0[i]) * (w[i] - w0[i])
				s0 += w0[i] * w0[i]
			}
		}
		dist, norm0 = append(dist, math.Sqrt(s)), append(norm0, math.Sqrt(s0))
	}
	return dist, norm0, nil
}

// FisherRao returns the Fisher-Rao norm theta^T F theta of net at theta on
// d, computed as theta^T G theta with G the Gauss-Newton matrix J^T H_z J
// of the mean loss (models.Evaluator.GaussNewton), J = dz/dtheta over all
// parameters, biases included. For the softmax cross-entropy loss H_z =
// (diag(p) - p p^T)/N per sample, so G is exactly the Fisher information
// of the model's predictive distribution averaged over the inputs of d,
// and theta^T F theta = E_x[(J theta)^T (diag(p) - p p^T) (J theta)]. For
// a bias-free network positively homogeneous of degree L in theta (ReLU
// or linear hidden layers, no biases) J theta = L z, so the norm is L^2
// E_x[z^T (diag(p) - p p^T) z] (Liang et al. 2019's (L+1)^2 counts layers
// differently); with biases there is no such identity and this function
// still returns theta^T G theta. For the squared-error loss H_z = I/N and
// G = E[J^T J], the Fisher of a unit-variance Gaussian predictive law.
func FisherRao(net *models.Network, theta engine.Buffer, d *models.Data, chunk int) (float64, error) {
	e, err := net.NewEvaluator(chunk)
	if err != nil {
		return 0, err
	}
	defer e.Close()
	g, err := net.NewParams()
	if err != nil {
		return 0, err
	}
	defer net.Backend().Free(g)
	if err := e.GaussNewton(theta, d, theta, g); err != nil {
		return 0, err
	}
	return net.Backend().Dot(net.NumParams(), theta, 1, g, 1)
}
