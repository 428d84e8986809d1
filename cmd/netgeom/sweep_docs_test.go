package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// k8sJob is the part of a Kubernetes batch/v1 Job that the sweep's
// manifests set.
type k8sJob struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Command      []string `yaml:"command"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name string `yaml:"name"`
					PVC  struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// flagValue is the value of --name=VALUE among args before the first --.
func flagValue(args []string, name string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// TestSweepDocsKubernetes: the Kubernetes Indexed Job template in
// docs/sweep.md is an Indexed Job whose completions are its command's
// --shards, whose pods run netgeom sweep --shard=auto with a grid and
// command that netgeom accepts (checked by sweep slurm, which runs no
// point), and whose merge Job merges the same file on the same volume.
func TestSweepDocsKubernetes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "sweep.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	if len(blocks) != 2 {
		t.Fatalf("docs/sweep.md has %d yaml blocks, want the sweep's Job and the merge Job", len(blocks))
	}
	var job, merge k8sJob
	for k, dst := range []*k8sJob{&job, &merge} {
		dec := yaml.NewDecoder(strings.NewReader(blocks[k][1]))
		dec.KnownFields(false)
		if err := dec.Decode(dst); err != nil {
			t.Fatalf("yaml block %d: %v", k, err)
		}
		if dst.APIVersion != "batch/v1" || dst.Kind != "Job" || dst.Spec.Template.Spec.RestartPolicy != "Never" || len(dst.Spec.Template.Spec.Containers) != 1 {
			t.Fatalf("yaml block %d is not a one-container batch/v1 Job that never restarts its pods: %+v", k, dst)
		}
	}
	s := job.Spec
	c := s.Template.Spec.Containers[0]
	cmd := c.Command
	if s.CompletionMode != "Indexed" || s.Parallelism < 1 || len(cmd) < 3 || cmd[0] != "netgeom" || cmd[1] != "sweep" || flagValue(cmd, "shard") != "auto" {
		t.Fatalf("the sweep's Job is not an Indexed Job running netgeom sweep --shard=auto: %+v", s)
	}
	if n, err := strconv.Atoi(flagValue(cmd, "shards")); err != nil || n != s.Completions {
		t.Fatalf("--shards %q and completions %d differ: a pod's JOB_COMPLETION_INDEX is its shard", flagValue(cmd, "shards"), s.Completions)
	}
	out := flagValue(cmd, "out")
	mc := merge.Spec.Template.Spec.Containers[0]
	if !slices.Equal(mc.Command[:3], []string{"netgeom", "sweep", "merge"}) || flagValue(mc.Command, "out") != out {
		t.Errorf("the merge Job runs %v, not netgeom sweep merge --out=%s", mc.Command, out)
	}
	for k, j := range []k8sJob{job, merge} {
		ts := j.Spec.Template.Spec
		vm := ts.Containers[0].VolumeMounts
		if len(vm) != 1 || len(ts.Volumes) != 1 || vm[0].Name != ts.Volumes[0].Name || !strings.HasPrefix(out, vm[0].MountPath+"/") ||
			ts.Volumes[0].PVC.ClaimName != job.Spec.Template.Spec.Volumes[0].PVC.ClaimName {
			t.Errorf("Job %d does not mount the sweep's volume at %s's folder: %+v", k, out, ts)
		}
	}
	// The pods' grid and command, as sweep slurm checks them (every
	// sweep flag but --shard, --out and --shards, which it sets itself).
	args := []string{"sweep", "slurm", "--out", filepath.Join(t.TempDir(), "k.jsonl"), "--shards", strconv.Itoa(s.Completions)}
	for k, a := range cmd[2:] {
		if a == "--" {
			args = append(args, cmd[2+k:]...)
			break
		}
		if !strings.HasPrefix(a, "--shard=") && !strings.HasPrefix(a, "--shards=") && !strings.HasPrefix(a, "--out=") {
			args = append(args, a)
		}
	}
	if _, err := execCLI(t, args...); err != nil {
		t.Fatalf("netgeom %s: %v", strings.Join(args, " "), err)
	}
}
