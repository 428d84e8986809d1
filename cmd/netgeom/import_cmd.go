package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/pytorch"
	"github.com/netgeom/netgeom/safetensors"
)

func init() {
	register(newImportCmd)
	register(newExportCmd)
}

// importResult is what `netgeom import --format json` prints.
type importResult struct {
	Safetensors string   `json:"safetensors"`
	Out         string   `json:"out"`
	Arch        string   `json:"arch"`
	Activation  string   `json:"activation"`
	Loss        string   `json:"loss"`
	Params      int      `json:"params"`
	Layers      []string `json:"layers"` // the tensor-name prefix of each layer
	DTypes      []string `json:"dtypes"` // of the tensors read, in file order
}

func newImportCmd(g *globals) *cobra.Command {
	var in, out, arch, actName, lossName, layers string
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Read a PyTorch MLP from a safetensors file into a netgeom model file",
		Long: `Read the weights of a multilayer perceptron trained in PyTorch, saved with
safetensors (safetensors.torch.save_file(model.state_dict(), PATH)), and write
them as a netgeom model file that hessian, sensitivity, pullback and connect
read.

The network is --arch widths (input to output) of dense layers with --act on
every hidden layer and a linear output layer, as nn.Sequential(nn.Linear,
activation, ..., nn.Linear). Layer l takes the tensors P.weight (PyTorch's
out x in) and P.bias for the l-th prefix P: by default every P with both
tensors, in natural order ("0", "2", "4" for nn.Sequential), or the comma
list --layers. Every tensor of the file must belong to a layer. F64 tensors
are read as they are, F32, F16 and BF16 widened exactly.

The model file records no training data: give the analyses the data the
model was trained on with --data (for example npy:X.npy,Y.npy); it is used
whole, as it is.

  netgeom import --safetensors model.safetensors --arch 784-100-100-10 --act tanh --out model.ngm
  netgeom hessian --model model.ngm --data npy:X.npy,Y.npy --top 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || arch == "" || out == "" {
				return fmt.Errorf("--safetensors, --arch and --out are required")
			}
			widths, err := models.ParseArch(arch)
			if err != nil {
				return fmt.Errorf("--arch: %w", err)
			}
			act, err := activation.Lookup(actName)
			if err != nil {
				return fmt.Errorf("--act: %w", err)
			}
			loss, err := models.ParseLoss(lossName)
			if err != nil {
				return fmt.Errorf("--loss: %w", err)
			}
			var prefixes []string
			if layers != "" {
				prefixes = strings.Split(layers, ",")
			}
			f, err := safetensors.ReadFile(in)
			if err != nil {
				return err
			}
			spec := models.NetworkSpec{Widths: widths, Act: act, Loss: loss}
			params, err := pytorch.Params(f, spec, prefixes)
			if err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			raw, err := models.EncodeCheckpoint(spec, models.CheckpointHeader{Init: "pytorch"}, params)
			if err != nil {
				return err
			}
			if err := outfile.WriteFile(out, raw); err != nil {
				return err
			}
			g.wrote(cmd, out)
			res := importResult{Safetensors: in, Out: out, Arch: spec.Describe(), Activation: act.Name, Loss: loss.String(), Params: len(params)}
			if res.Layers = prefixes; prefixes == nil {
				res.Layers = pytorch.Prefixes(f)
			}
			for _, t := range f.Tensors {
				res.DTypes = append(res.DTypes, t.DType)
			}
			t := table{Title: fmt.Sprintf("%s -> %s: %s %s, %s loss, %d parameters", in, out, res.Arch, res.Activation, res.Loss, res.Params),
				Header: []string{"layer", "weight", "bias"}}
			for l, p := range res.Layers {
				t.Rows = append(t.Rows, []string{fmt.Sprint(l + 1), p + ".weight", p + ".bias"})
			}
			return emit(cmd, g, t, res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in, "safetensors", "", "the safetensors file of the model's state dict (required)")
	fl.StringVar(&arch, "arch", "", "widths from input to output, like 784-100-100-10 (required)")
	fl.StringVar(&actName, "act", "tanh", "activation of the hidden layers: "+strings.Join(activation.Names(), ", "))
	fl.StringVar(&lossName, "loss", "cross-entropy", "loss: "+strings.Join(models.LossNames(), ", "))
	fl.StringVar(&layers, "layers", "", "the layers' tensor-name prefixes, comma-separated (default: every P with P.weight and P.bias, in order)")
	outputFlag(cmd, &out, "out", "", "model", "model file to write (required)")
	return cmd
}

func newExportCmd(g *globals) *cobra.Command {
	var modelPath, out, dtype, layers string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a netgeom model's weights as a safetensors file PyTorch loads",
		Long: `Write the weights of a netgeom model file (dense layers) as a PyTorch state
dict in safetensors format: layer l as P.weight (out x in) and P.bias, with P
"0", "2", "4", ... as nn.Sequential names them (or the comma list --layers),
so that model.load_state_dict(safetensors.torch.load_file(PATH)) loads them
into nn.Sequential(nn.Linear, activation, ..., nn.Linear). --dtype F32 writes
float32 and refuses weights that float32 cannot hold exactly; F64 (the
default) loses nothing.

  netgeom export --model iris.ngm --out iris.safetensors`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" || out == "" {
				return fmt.Errorf("--model and --out are required")
			}
			if dtype != "F64" && dtype != "F32" {
				return fmt.Errorf("--dtype %q: want F64 or F32", dtype)
			}
			var prefixes []string
			if layers != "" {
				prefixes = strings.Split(layers, ",")
			}
			b, err := g.open()
			if err != nil {
				return err
			}
			defer b.Close()
			net, _, err := models.LoadNetwork(b, modelPath)
			if err != nil {
				return err
			}
			defer net.Close()
			params, err := net.HostParams()
			if err != nil {
				return err
			}
			spec := net.Spec()
			ts, err := pytorch.Tensors(spec, params, prefixes, dtype)
			if err != nil {
				return fmt.Errorf("%s: %w", modelPath, err)
			}
			var buf bytes.Buffer
			if err := safetensors.Write(&buf, ts, map[string]string{"format": "pt", "netgeom_arch": spec.Describe(), "netgeom_activation": spec.Act.Name}); err != nil {
				return err
			}
			if err := outfile.WriteFile(out, buf.Bytes()); err != nil {
				return err
			}
			g.wrote(cmd, out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "model file (required)")
	fl.StringVar(&dtype, "dtype", "F64", "tensor dtype: F64 or F32")
	fl.StringVar(&layers, "layers", "", "the layers' tensor-name prefixes, comma-separated (default: 0, 2, 4, ...)")
	outputFlag(cmd, &out, "out", "", "safetensors", "safetensors file to write (required)")
	return cmd
}
