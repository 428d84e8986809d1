package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// AutoShard reads the shard a task runs from its environment (getenv):
//
//   - a Slurm job array task: SLURM_ARRAY_TASK_ID. With shards > 0 (the
//     --shards flag) the array index is the shard index, so an array may
//     run any subset of 0..shards-1 (a resubmission of the shards that did
//     not finish). Without it the array must be contiguous, and shard
//     ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT runs (arrays that
//     start at 1 work too).
//   - a Kubernetes Indexed Job's pod: JOB_COMPLETION_INDEX is the shard
//     index; the count, which Kubernetes does not pass, is shards (the
//     Job's completions).
//
// It returns the shard and a description of where it came from.
func AutoShard(getenv func(string) string, shards int) (Shard, string, error) {
	num := func(name string) (int, error) {
		v := getenv(name)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("--shard auto: %s=%q is not an index", name, v)
		}
		return n, nil
	}
	inRange := func(sh Shard, src string) (Shard, string, error) {
		if sh.Index >= sh.Count {
			return Shard{}, "", fmt.Errorf("--shard auto: %s gives shard %d, and --shards is %d: the indices run from 0 to %d", src, sh.Index, sh.Count, sh.Count-1)
		}
		return sh, src, nil
	}
	if shards < 0 {
		return Shard{}, "", fmt.Errorf("--shards %d: want at least 1", shards)
	}
	switch {
	case getenv("SLURM_ARRAY_TASK_ID") != "":
		id, err := num("SLURM_ARRAY_TASK_ID")
		if err != nil {
			return Shard{}, "", err
		}
		if shards > 0 {
			return inRange(Shard{id, shards}, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", id))
		}
		count, err := num("SLURM_ARRAY_TASK_COUNT")
		if err != nil {
			return Shard{}, "", err
		}
		lo, err := num("SLURM_ARRAY_TASK_MIN")
		if err != nil {
			return Shard{}, "", err
		}
		hi, err := num("SLURM_ARRAY_TASK_MAX")
		if err != nil {
			return Shard{}, "", err
		}
		if count < 1 || hi-lo+1 != count {
			return Shard{}, "", fmt.Errorf("--shard auto: the Slurm array runs %d tasks with indices %d to %d, not every index between: give --shards N, and the array's indices are the shard indices", count, lo, hi)
		}
		return Shard{id - lo, count}, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d of a Slurm array of %d from %d", id, count, lo), nil
	case getenv("JOB_COMPLETION_INDEX") != "":
		id, err := num("JOB_COMPLETION_INDEX")
		if err != nil {
			return Shard{}, "", err
		}
		if shards == 0 {
			return Shard{}, "", errors.New("--shard auto in a Kubernetes Indexed Job: give --shards N, the Job's completions (Kubernetes passes only the index)")
		}
		return inRange(Shard{id, shards}, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", id))
	case getenv("SLURM_JOB_ID") != "":
		return Shard{}, "", errors.New("--shard auto: this Slurm job is not a job array (no SLURM_ARRAY_TASK_ID): submit it with --array, or give --shard I/N")
	}
	return Shard{}, "", errors.New("--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard I/N")
}

// ArraySpec writes Slurm's --array value for the shard indices given
// (ascending): ranges and single indices, "0-15" or "2,5,7-9", with
// "%K" when at most K tasks are to run at once (K > 0).
func ArraySpec(idx []int, parallel int) string {
	s := FormatIndices(idx, len(idx)+1)
	if parallel > 0 {
		s += "%" + strconv.Itoa(parallel)
	}
	return s
}

// SlurmOptions describe the job scripts of a sweep on Slurm.
type SlurmOptions struct {
	Name   string // the job's name
	About  string // a comment line: what the sweep is
	Shards int    // the array runs shards 0..Shards-1
	// Parallel is the most array tasks running at once (0: no limit).
	Parallel int
	// Time (--time), Mem (--mem), Partition and Account are passed to
	// Slurm as given when not empty.
	Time, Mem, Partition, Account string
	CPUsPerTask                   int
	GPU                           bool // --gres=gpu:1
	// LogDir is the folder of the tasks' output files, NAME-JOB_TASK.out.
	LogDir string
	// Extra are more #SBATCH options ("--qos=long").
	Extra []string
	// Task and Merge are the commands of an array task and of the merge
	// job.
	Task, Merge []string
}

// SlurmScripts returns the array job's script and the merge job's.
func SlurmScripts(o SlurmOptions) (task, merge string) {
	var b bytes.Buffer
	all := make([]int, o.Shards)
	for i := range all {
		all[i] = i
	}
	head := func(name string) {
		b.WriteString("#!/bin/bash\n")
		fmt.Fprintf(&b, "# netgeom sweep: %s\n", o.About)
		fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", name)
	}
	head(o.Name)
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", ArraySpec(all, o.Parallel))
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", max(o.CPUsPerTask, 1))
	opt := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, "#SBATCH --%s=%s\n", name, v)
		}
	}
	opt("time", o.Time)
	opt("mem", o.Mem)
	opt("partition", o.Partition)
	opt("account", o.Account)
	if o.GPU {
		b.WriteString("#SBATCH --gres=gpu:1\n")
	}
	fmt.Fprintf(&b, "#SBATCH --output=%s/%s-%%A_%%a.out\n", o.LogDir, o.Name)
	for _, e := range o.Extra {
		fmt.Fprintf(&b, "#SBATCH %s\n", e)
	}
	b.WriteString("# Each task runs the shard SLURM_ARRAY_TASK_ID of the sweep; run again, it resumes it.\n")
	fmt.Fprintf(&b, "exec %s\n", ShellJoin(o.Task))
	task = b.String()

	b.Reset()
	head(o.Name + "-merge")
	opt("time", o.Time)
	opt("partition", o.Partition)
	opt("account", o.Account)
	fmt.Fprintf(&b, "#SBATCH --output=%s/%s-merge-%%j.out\n", o.LogDir, o.Name)
	b.WriteString("# Submitted with --dependency=afterok on the array: runs once every task has succeeded.\n")
	fmt.Fprintf(&b, "exec %s\n", ShellJoin(o.Merge))
	return task, b.String()
}

// ShellJoin writes args as one shell command line, each quoted as needed.
func ShellJoin(args []string) string {
	q := make([]string, len(args))
	for k, a := range args {
		q[k] = ShellQuote(a)
	}
	return strings.Join(q, " ")
}

// ShellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_./=:,+%@.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Sbatch submits script with sbatch --parsable and the extra options
// before it, and returns the job's ID.
func Sbatch(script string, opts ...string) (string, error) {
	args := append(append([]string{"--parsable"}, opts...), script)
	cmd := exec.Command("sbatch", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("sbatch %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(stdout.String()), ";") // "ID" or "ID;CLUSTER"
	if _, err := strconv.Atoi(id); err != nil {
		return "", fmt.Errorf("sbatch %s printed %q, not a job ID", strings.Join(args, " "), stdout.String())
	}
	return id, nil
}
