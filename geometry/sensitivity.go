package geometry

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// Eval is a loss and an accuracy on a data set.
type Eval struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
}

// LayerSensitivity is what happens to a trained network when one layer's
// weights and biases are replaced.
type LayerSensitivity struct {
	Layer int `json:"layer"`
	// Reinit: layer l reset to its values at initialisation.
	Reinit Eval `json:"reinit"`
	// Rerandom: layer l drawn afresh from the initial distribution, the
	// mean over the draws, and the standard deviation of the draws'
	// accuracies and losses (0 for one draw).
	Rerandom    Eval `json:"rerandom"`
	RerandomStd Eval `json:"rerandom_std"`
}

// SensitivityOptions configure Sensitivity.
type SensitivityOptions struct {
	// Init and InitSeed regenerate the network's initial parameters (the
	// checkpoint records both).
	Init     models.Init
	InitSeed uint64
	// RerandomSeeds draw the re-randomised layers, one evaluation per seed;
	// none may equal InitSeed (that would be a re-initialisation).
	RerandomSeeds []uint64
	// Chunk is the evaluator's samples per batched pass (0: default).
	Chunk int
}

// Initial returns a new network with net's spec initialised from init and
// seed: the initial point of a trained network whose checkpoint records
// them. The caller closes it.
func Initial(net *models.Network, init models.Init, seed uint64) (*models.Network, error) {
	n0, err := models.NewNetwork(net.Backend(), net.Spec())
	if err != nil {
		return nil, err
	}
	if err := n0.Initialize(init, seed); err != nil {
		n0.Close()
		return nil, err
	}
	return n0, nil
}

// copyLayer copies layer l's parameters (all of them: W_l and b_l of a
// dense layer) of src into dst (both in net's layout).
func copyLayer(net *models.Network, dst, src engine.Buffer, l int) error {
	blk := net.Spec().Block(l)
	b := net.Backend()
	d, err := blk.View(b, dst)
	if err != nil {
		return err
	}
	s, err := blk.View(b, src)
	if err != nil {
		return err
	}
	return b.Copy(d, s)
}

// Sensitivity evaluates the trained network net on d, then for each layer
// l = 1..L the network with layer l (W_l and b_l) re-initialised to its
// initial values and re-randomised from each of opt.RerandomSeeds, all
// other layers kept trained (Zhang, Bengio and Singer 2019). The
// network's own parameters are not changed.
func Sensitivity(net *models.Network, d *models.Data, opt SensitivityOptions) (Eval, []LayerSensitivity, error) {
	if d == nil || d.Labels == nil {
		return Eval{}, nil, errors.New("geometry: sensitivity needs labelled data")
	}
	for _, s := range opt.RerandomSeeds {
		if s == opt.InitSeed {
			return Eval{}, nil, fmt.Errorf("geometry: re-randomisation seed %d is the initialisation seed; choose another", s)
		}
	}
	e, err := net.NewEvaluator(opt.Chunk)
	if err != nil {
		return Eval{}, nil, err
	}
	defer e.Close()
	eval := func(theta engine.Buffer) (Eval, error) {
		loss, acc, err := e.Evaluate(theta, d)
		return Eval{Loss: loss, Accuracy: acc}, err
	}
	trained, err := eval(net.Params())
	if err != nil {
		return Eval{}, nil, err
	}
	nets := make([]*models.Network, 0, 1+len(opt.RerandomSeeds))
	defer func() {
		for _, n := range nets {
			n.Close()
		}
	}()
	for _, s := range append([]uint64{opt.InitSeed}, opt.RerandomSeeds...) {
		n0, err := Initial(net, opt.Init, s)
		if err != nil {
			return Eval{}, nil, err
		}
		nets = append(nets, n0)
	}
	work, err := net.NewParams()
	if err != nil {
		return Eval{}, nil, err
	}
	defer net.Backend().Free(work)
	if err := net.Backend().Copy(work, net.Params()); err != nil {
		return Eval{}, nil, err
	}
	// swap evaluates the trained network with layer l taken from src, then
	// restores the layer.
	swap := func(l int, src engine.Buffer) (Eval, error) {
		if err := copyLayer(net, work, src, l); err != nil {
			return Eval{}, err
		}
		ev, err := eval(work)
		if err != nil {
			return Eval{}, err
		}
		return ev, copyLayer(net, work, net.Params(), l)
	}
	out := make([]LayerSensitivity, net.Depth())
	for l := 1; l <= net.Depth(); l++ {
		ls := LayerSensitivity{Layer: l}
		if ls.Reinit, err = swap(l, nets[0].Params()); err != nil {
			return Eval{}, nil, err
		}
		var evs []Eval
		for _, n := range nets[1:] {
			ev, err := swap(l, n.Params())
			if err != nil {
				return Eval{}, nil, err
			}
			evs = append(evs, ev)
		}
		ls.Rerandom, ls.RerandomStd = meanStd(evs)
		out[l-1] = ls
	}
	return trained, out, nil
}

// meanStd returns the mean and the sample standard deviation (0 for one
// value, NaN for none) of the losses and accuracies.
func meanStd(evs []Eval) (mean, std Eval) {
	n := float64(len(evs))
	if len(evs) == 0 {
		nan := math.NaN()
		return Eval{nan, nan}, Eval{nan, nan}
	}
	for _, ev := range evs {
		mean.Loss += ev.Loss / n
		mean.Accuracy += ev.Accuracy / n
	}
	if len(evs) < 2 {
		return mean, Eval{}
	}
	for _, ev := range evs {
		std.Loss += (ev.Loss - mean.Loss) * (ev.Loss - mean.Loss) / (n - 1)
		std.Accuracy += (ev.Accuracy - mean.Accuracy) * (ev.Accuracy - mean.Accuracy) / (n - 1)
	}
	std.Loss, std.Accuracy = math.Sqrt(std.Loss), math.Sqrt(std.Accuracy)
	return mean, std
}
