package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/netgeom/netgeom/internal/outfile"
)

// SaveGrid draws panels (rows of plots; nil leaves a cell empty) on one
// canvas of the given size and writes it to path, as PNG or SVG by the
// extension, through a temporary file renamed into place (outfile.Write):
// path holds the whole figure or what it held before.
func SaveGrid(panels [][]*plot.Plot, width, height vg.Length, path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	var c interface {
		vg.CanvasSizer
	}
	var write func(w io.Writer) error
	switch ext {
	case ".png":
		img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(110))
		c = img
		write = func(w io.Writer) error { _, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w); return err }
	case ".svg":
		svg := vgsvg.New(width, height)
		c = svg
		write = func(w io.Writer) error { _, err := svg.WriteTo(w); return err }
	default:
		return fmt.Errorf("plot %s: unknown extension %q: use .png or .svg", path, ext)
	}
	rows := len(panels)
	cols := 0
	for _, r := range panels {
		cols = max(cols, len(r))
	}
	if rows == 0 || cols == 0 {
		return fmt.Errorf("plot %s: no panels", path)
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
		copy(grid[i], panels[i])
		for j, p := range grid[i] {
			if p == nil { // plot.Align needs a plot in every cell
				grid[i][j] = plot.New()
				grid[i][j].HideAxes()
			}
		}
	}
	canvases := plot.Align(grid, tiles, dc)
	for i := range grid {
		for j, p := range grid[i] {
			p.Draw(canvases[i][j])
		}
	}
	if err := outfile.Write(path, write); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// DecadeTicks labels a logarithmic axis at powers of ten as 1e-3, 1, 1e+03.
type DecadeTicks struct{}

// Ticks implements plot.Ticker.
func (DecadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if !(lo > 0) || !(hi > lo) {
		return ticks
	}
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		v := math.Pow(10, e)
		if v >= lo && v <= hi {
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 1, 64)})
		}
	}
	return ticks
}

// ExponentTicks labels a linear axis that holds base-10 logarithms at its
// integers e as the powers 10^e (1e-3, 1, 1e+03), the labels of
// DecadeTicks. Plotting log10(y) on a linear axis with these ticks draws
// what a log axis draws, and it avoids gonum/plot v0.17's placement of a
// log axis's centred label: its padding takes the label's centre at the
// arithmetic mean of the axis range, which a log scale puts near the top,
// leaving a blank band above the plot when the label is long.
type ExponentTicks struct{}

// Ticks implements plot.Ticker.
func (ExponentTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return ticks
	}
	for e := math.Ceil(lo); e <= hi; e++ {
		ticks = append(ticks, plot.Tick{Value: e, Label: strconv.FormatFloat(math.Pow(10, e), 'g', 1, 64)})
	}
	return ticks
}

// Palette is the colour cycle of netgeom's figures (matplotlib's tab10
// order, so that figures look familiar beside Python ones).
var Palette = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255},
	color.RGBA{R: 255, G: 127, B: 14, A: 255},
	color.RGBA{R: 44, G: 160, B: 44, A: 255},
	color.RGBA{R: 214, G: 39, B: 40, A: 255},
	color.RGBA{R: 148, G: 103, B: 189, A: 255},
	color.RGBA{R: 140, G: 86, B: 75, A: 255},
	color.RGBA{R: 227, G: 119, B: 194, A: 255},
	color.RGBA{R: 127, G: 127, B: 127, A: 255},
}
