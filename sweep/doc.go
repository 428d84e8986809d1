// Package sweep runs a netgeom command over a grid of settings as
// independent tasks, on the cores of one machine or as the tasks of a
// Slurm job array or a Kubernetes Indexed Job, and merges their results
// into exactly the result of a serial run.
//
// A sweep (Spec) is a grid of axes, each a flag with its values
// (ParseAxis: sigma-w=1:5:41, act=tanh,relu, seed=1:8), and the command
// each point runs with its fixed flags (curvature --width 2000). Points
// are numbered in row-major order, the first axis outermost and the last
// varying fastest (Grid). Point i runs the command with --NAME=VALUE for
// each axis, --seed from PointSeed (the seed axis's value, or a hash of
// the base seed and the point's coordinates, so that no result depends on
// how the grid is split) and --format=jsonl; its record is the command's
// JSON output with its index, coordinates, seed and wall time. Exec runs
// the points as processes of the netgeom binary, each with the sweep's
// thread count; Run runs Jobs of them at once, and with Exec.CPUs
// (PinCPUs) the processes of each of its workers are bound to that
// worker's own CPUs.
//
// Shard I of N runs the points with index = I mod N (Shard, AutoShard for
// the schedulers' environments) and writes them to its own file,
// NAME.shard-I-of-N.jsonl; a sweep run whole writes NAME.jsonl. The files
// are JSON lines in the census's format (internal/jsonl): a header with
// the Spec, then one fsynced record per finished point; a task run again
// resumes its file (finished points are skipped, a half-written last line
// is dropped and redone, a file of other settings is refused). Merge
// checks that every point has a result and writes NAME.jsonl in canonical
// order (the header without a shard, the records by index): the same
// bytes whatever the number of shards, apart from the wall times, which
// are the fields named seconds (StripTiming removes them).
package sweep
