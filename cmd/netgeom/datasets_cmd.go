package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/datasets"
)

func init() { register(newDatasetsCmd) }

func newDatasetsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:         "datasets",
		Annotations: map[string]string{noEngine: "it lists data sets"},
		Short:       "List the datasets that --data accepts, with their sizes and where they come from",
		Long: `List the datasets that --data accepts. The four small UCI sets are embedded in
the binary; Fashion-MNIST is read from the Debian package dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist) or from $NETGEOM_FASHION_MNIST; the
synthetic sets are generated from --seed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list := datasets.List()
			t := table{Header: []string{"name", "samples", "features", "classes", "source"}}
			for _, in := range list {
				n := fmt.Sprint(in.N)
				if in.N == 0 {
					n = "-"
				}
				t.Rows = append(t.Rows, []string{in.Name, n, fmt.Sprint(in.D), fmt.Sprint(in.Classes), in.Source})
			}
			return emit(cmd, g, t, list)
		},
	}
}
