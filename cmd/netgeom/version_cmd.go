package main

import (
	"runtime"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCmd) }

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print netgeom's version and the Go toolchain that built it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]string{"version": version, "go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH}
			t := table{Header: []string{"netgeom", "go", "platform"}, Rows: [][]string{{version, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}}}
			return emit(cmd, g, t, v)
		},
	}
}
