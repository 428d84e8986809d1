package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/engine"
)

func init() { register(newDevicesCmd) }

// deviceReport is one backend's line in `netgeom devices`.
type deviceReport struct {
	Name      string       `json:"name"`
	Available bool         `json:"available"`
	Info      *engine.Info `json:"info,omitempty"`
	Reason    string       `json:"reason,omitempty"` // why it is not available
}

func newDevicesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "devices",
		Short: "List the compute backends on this machine, the BLAS in use, and why CUDA is or is not available",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var reports []deviceReport
			for _, name := range []string{"cpu", "cuda"} {
				b, err := engine.Open(name)
				if err != nil {
					reports = append(reports, deviceReport{Name: name, Reason: err.Error()})
					continue
				}
				in := b.Info()
				b.Close()
				reports = append(reports, deviceReport{Name: name, Available: true, Info: &in})
			}
			auto := map[string]string{}
			if b, err := engine.Open("auto"); err == nil {
				auto["backend"], auto["reason"] = b.Info().Backend, b.Info().Reason
				b.Close()
			} else {
				auto["error"] = err.Error()
			}
			t := table{Header: []string{"backend", "available", "device", "blas", "threads", "notes"}}
			for _, r := range reports {
				if !r.Available {
					t.Rows = append(t.Rows, []string{r.Name, "no", "-", "-", "-", r.Reason})
					continue
				}
				t.Rows = append(t.Rows, []string{r.Name, "yes", r.Info.Device, r.Info.BLAS, fmt.Sprint(r.Info.Threads), details(r.Info.Details)})
			}
			if g.Format == "table" {
				if e, failed := auto["error"]; failed {
					defer fmt.Fprintf(cmd.OutOrStdout(), "\nauto: no backend can be opened: %s\n", e)
				} else {
					defer fmt.Fprintf(cmd.OutOrStdout(), "\nauto selects: %s (%s)\n", auto["backend"], auto["reason"])
				}
			}
			return emit(cmd, g, t, map[string]any{"backends": reports, "auto": auto})
		},
	}
}

func details(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, "; ")
}
