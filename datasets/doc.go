// Package datasets provides the labelled classification data sets that netgeom
// trains its small networks on and computes loss Hessians for: four small
// classical sets embedded in the binary (iris, wine, breast-cancer, digits;
// see data/README.md for their origin and licence), Fashion-MNIST read from
// the Debian package dataset-fashion-mnist, and seeded synthetic sets (two
// spirals, concentric circles, a Gaussian mixture, and a random teacher
// network).
//
// Entry points: Load(name, seed) returns a named set (Names and List say
// which exist) as training and test parts (test nil when the set has none);
// Split makes a stratified split, FitStandardizer a per-feature
// standardisation; ReadCSV, LoadCSV, ReadIDX and LoadIDX read files;
// ReadTable and LoadTable read any CSV table of numbers (a label column or
// regression target columns; names "csv:PATH?label=..." for Load); TwoSpirals,
// Circles, GaussianMixture and Teacher draw the synthetic sets.
//
// # Layout
//
// A Dataset stores its N samples of D features in one row-major N x D slice,
// sample i at X[i*D:(i+1)*D]. That is the same memory as a column-major D x N
// matrix with one sample per column, which is the layout of netgeom's compute
// engine, so X can be uploaded as is. OneHot uses the same convention
// (N x Classes, row-major).
//
// # Readers and errors
//
// The readers (ReadCSV, ReadCSVNoHeader, LoadCSV, ReadIDX, LoadIDX) accept
// gzip-compressed or plain input, detected by the gzip magic bytes. They are
// meant to be safe on hostile input: a malformed file gives a *FormatError
// naming the file and the place (line and column for CSV, byte offset and
// dimension for IDX) and saying what was expected; they never panic, and
// never allocate memory in proportion to sizes claimed by a header, only in
// proportion to data actually read.
//
// The embedded files are checked against their sha256 sums on every load.
//
// # Determinism
//
// Everything random (synthetic sets, Split) is a deterministic function of a
// uint64 seed, via math/rand/v2's PCG generator.
package datasets
