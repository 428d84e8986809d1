package manifold

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
)

// jacobianSquaredSingularValues returns the squared singular values of
// J = dh^L / dh^0 at the input h0, from jets along the unit vectors.
func jacobianSquaredSingularValues(t *testing.T, b engine.Backend, net *models.RandomNetwork, h0 []float64) []float64 {
	t.Helper()
	N := len(h0)
	jet := make([]float64, 3*N*N)
	for j := 0; j < N; j++ {
		copy(jet[j*N:(j+1)*N], h0)
		jet[N*N+j*N+j] = 1
	}
	in, _ := b.Alloc(engine.Float64, len(jet))
	defer b.Free(in)
	b.Upload(in, jet)
	out, err := net.Run(b, in, N, models.RunOptions{Jet: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	host := make([]float64, 3*N*N)
	b.Download(host, out)
	b.Free(out)
	J := mat.NewDense(N, N, nil)
	for j := 0; j < N; j++ {
		for i := 0; i < N; i++ {
			J.Set(i, j, host[N*N+j*N+i])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(J, mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	s := svd.Values(nil)
	for i := range s {
		s[i] *= s[i]
	}
	return s
}

// TestOrthogonalJacobianIsNarrower: at chi_1 = 1 (tanh, sigma_b = 0.05,
// sigma_w critical, so q* is small) the squared singular values of the
// input-output Jacobian have mean chi_1^L = 1 for both weight laws, and a
// variance that grows with depth like L (mu2/mu1^2 - 1 - s1) (Pennington et
// al. 2017; s1 = -1 Gaussian, 0 orthogonal), mu_k = E[phi'(h)^(2k)] at q*.
// For tanh at small q*, mu2/mu1^2 is close to 1, so orthogonal weights give a
// far narrower spectrum. Asserted, at width 300 and depth 16 averaged over 3
// networks: the mean is 1 within its standard error, the orthogonal
// variance is below a third of the Gaussian one, and the Gaussian variance
// is within a factor 2 of the formula (finite width adds O(L/N)
// corrections). Measured: 13.0 against 17.2 (Gaussian), 1.12 against 1.17
// (orthogonal).
func TestOrthogonalJacobianIsNarrower(t *testing.T) {
	b := enginetest.Open(t)
	tanh := mustAct(t, "tanh")
	const sb, N, L, nets = 0.05, 300, 16, 3
	sw, err := meanfield.CriticalSigmaW(tanh, sb, meanfield.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := meanfield.New(tanh, sw, sb, meanfield.Options{})
	fp, err := m.FixedLength(1)
	if err != nil {
		t.Fatal(err)
	}
	mo, err := m.Moments(fp.Q)
	if err != nil {
		t.Fatal(err)
	}
	// mu1 = E[phi'^2] = chi_1/sigma_w^2; mu2 = E[phi'^4] by quadrature here
	// (the package's moments stop at squares): a plain sum over a fine grid
	// of the Gaussian is ample for a smooth integrand.
	mu1 := mo.D1Sq
	mu2 := 0.0
	for i := -4000; i <= 4000; i++ {
		z := float64(i) * 0.002
		d := tanh.D1(math.Sqrt(fp.Q) * z)
		mu2 += d * d * d * d * math.Exp(-z*z/2) * 0.002 / math.Sqrt(2*math.Pi)
	}
	variance := map[models.WeightLaw]float64{}
	mean := map[models.WeightLaw]float64{}
	for _, law := range []models.WeightLaw{models.Gaussian, models.Orthogonal} {
		for s := 0; s < nets; s++ {
			net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(N, L), Act: tanh, SigmaW: sw, SigmaB: sb, Law: law, Seed: uint64(10 + s), ActivateInput: true})
			h0 := make([]float64, N)
			rng.FillNormal(h0, uint64(s), 99, 0)
			for i := range h0 {
				h0[i] *= math.Sqrt(fp.Q)
			}
			sv := jacobianSquaredSingularValues(t, b, net, h0)
			mu, m2 := 0.0, 0.0
			for _, v := range sv {
				mu += v / N
			}
			for _, v := range sv {
				m2 += (v - mu) * (v - mu) / N
			}
			mean[law] += mu / nets
			variance[law] += m2 / nets
		}
	}
	predGauss := L * (mu2/(mu1*mu1) - 1 + 1)
	predOrth := L * (mu2/(mu1*mu1) - 1)
	t.Logf("q* %.4g, sigma_w %.6f, mu2/mu1^2 %.5f; mean sigma^2: gaussian %.4f orthogonal %.4f; variance: gaussian %.4f (formula %.4f), orthogonal %.4f (formula %.4f)",
		fp.Q, sw, mu2/(mu1*mu1), mean[models.Gaussian], mean[models.Orthogonal], variance[models.Gaussian], predGauss, variance[models.Orthogonal], predOrth)
	// The mean of N squared singular values of a spectrum of variance v has
	// a standard error of about sqrt(v / (N nets)): 3 of them, plus 0.05 for
	// finite width.
	for law, mu := range mean {
		if tol := 3*math.Sqrt(variance[law]/(N*nets)) + 0.05; !(math.Abs(mu-1) <= tol) {
			t.Errorf("%v: mean squared singular value %.4f; chi_1^L = 1 (tolerance %.3f)", law, mu, tol)
		}
	}
	if !(variance[models.Orthogonal] < variance[models.Gaussian]/3) {
		t.Errorf("orthogonal variance %.4f is not below a third of the Gaussian %.4f", variance[models.Orthogonal], variance[models.Gaussian])
	}
	if r := variance[models.Gaussian] / predGauss; r < 0.5 || r > 2 {
		t.Errorf("Gaussian variance %.4f against the formula %.4f: ratio %.3f outside [0.5, 2]", variance[models.Gaussian], predGauss, r)
	}
}
