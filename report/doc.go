// Package report draws netgeom's figures with gonum/plot. It sits above the
// science packages and computes nothing: every curve it draws, theory
// included, comes from their results.
//
// Entry points: one plot per experiment, taking that experiment's result
// and computing nothing (the theory curves are in the result):
// CurvaturePlot, CarvePlot, BoundaryPlot, ExpressivityPlot, JacobianPlot,
// PhasePlot, HessianDensityPlot, CensusPlot, ConnectPlot, PSpinPlot,
// LayeredPlot and DisconnectivityPlot (package energy's graphs); PanelsPlot draws given curves panel by panel (the
// reproductions' figures). Below them, SeriesPlot (a per-layer measure beside its mean-field
// prediction, Poole et al. 2016 figures 3 and 4), AutocorrelationPlot and
// ProjectionPlot (a curve's autocorrelation and its principal-component
// projections per layer), and the helpers shared by every figure: SaveGrid
// (a grid of panels as PNG or SVG, chosen by the file's extension), Palette,
// and the tickers DecadeTicks, ExponentTicks, ExactTicks and LogTicks, whose
// labels equal their values.
package report
