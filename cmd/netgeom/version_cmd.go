package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCmd) }

// versionLine is what `netgeom --version` prints.
func versionLine() string {
	return fmt.Sprintf("netgeom %s (%s, %s/%s)", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:         "version",
		Short:       "Print netgeom's version and the Go toolchain that built it (also: netgeom --version)",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{noEngine: "it prints the build's version"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]string{"version": version, "go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH}
			t := table{Header: []string{"netgeom", "go", "platform"}, Rows: [][]string{{version, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}}}
			return emit(cmd, g, t, v)
		},
	}
}
