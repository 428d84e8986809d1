// Package reproduce re-runs the figures of the papers netgeom implements,
// at the papers' settings (or, with Options.Quick, at reduced size), and
// checks every quantitative claim against its theory, closed form or
// published value with a stated tolerance: a Check names the measured and
// expected values, the tolerance and why (the standard error of the
// measurement over independent networks, the finite-size terms and their
// bounds), where the expected value comes from, and the verdict. Failing
// checks are reported, never hidden.
//
// Entry points: Run(ctx, backend, name, Options) returns a Report; List and
// Lookup describe the reproductions (poole2016: Poole et al. 2016, figures
// 1 to 5); WriteHTML writes a report as a self-contained HTML page (with
// the SVG figures Run drew beside it) and as results.json. netgeom's
// reproduce command runs them.
package reproduce
