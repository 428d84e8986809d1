#!/bin/sh
# A one-node Slurm cluster on this machine, for netgeom's Slurm tests and
# for trying `netgeom sweep slurm` without a cluster: munged, slurmctld and
# slurmd (Debian's slurm-wlm and munge packages), run as root, with a
# minimal slurm.conf that needs no cgroups (proctrack/linuxproc,
# task/none), no accounting and no systemd.
#
#   scripts/slurm-local.sh start    start it (or find it running); prints SLURM_CONF=FILE
#   scripts/slurm-local.sh stop     stop what start started
#   scripts/slurm-local.sh status   sinfo of the cluster
#
# start and stop are idempotent. Everything lives in $NETGEOM_SLURM_DIR
# (default /tmp/netgeom-slurm): the configuration, state, spool, logs and
# process IDs; the daemons listen on ports $NETGEOM_SLURM_PORT and the next
# one (default 16817, away from a system Slurm's 6817). Use the cluster with
# SLURM_CONF=$NETGEOM_SLURM_DIR/slurm.conf in the environment of sbatch,
# squeue and scancel. Only the processes whose IDs start recorded are
# stopped; munged is stopped only if start started it.
set -eu

dir=${NETGEOM_SLURM_DIR:-/tmp/netgeom-slurm}
port=${NETGEOM_SLURM_PORT:-16817}
conf=$dir/slurm.conf
host=$(hostname -s)

say() { echo "slurm-local: $*" >&2; }
die() { say "$*"; exit 1; }

# alive PIDFILE: the process the file names is running.
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid NAME PIDFILE: SIGTERM the process the file names, wait for it.
stop_pid() {
	if alive "$2"; then
		pid=$(cat "$2")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
		say "stopped $1 ($pid)"
	fi
	rm -f "$2"
}

need() {
	for b in "$@"; do
		[ -x "$b" ] || command -v "$b" >/dev/null 2>&1 || die "$b is missing: apt-get install slurm-wlm munge"
	done
}

start_munge() {
	mkdir -p /run/munge
	if [ -S /run/munge/munge.socket.2 ] && munge -n >/dev/null 2>&1; then
		return # a munged is running (ours or the system's)
	fi
	if [ ! -s /etc/munge/munge.key ]; then
		if command -v mungekey >/dev/null 2>&1; then
			mungekey --create --keyfile=/etc/munge/munge.key
		else
			dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
		fi
	fi
	chown munge:munge /etc/munge/munge.key /run/munge
	chmod 0400 /etc/munge/munge.key
	chown munge:munge /var/lib/munge /var/log/munge 2>/dev/null || true
	su -s /bin/sh munge -c /usr/sbin/munged
	i=0
	until munge -n >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 50 ] || die "munged did not start"
		sleep 0.1
	done
	cp /run/munge/munged.pid "$dir/munged.pid"
	say "started munged ($(cat "$dir/munged.pid"))"
}

write_conf() {
	mkdir -p "$dir/state" "$dir/spool"
	cpus=$(nproc)
	mem=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
	cat >"$conf" <<EOF
# One-node Slurm cluster written by netgeom's scripts/slurm-local.sh.
ClusterName=netgeom-local
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
KillWait=5
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
	[ "$(id -u)" = 0 ] || die "start needs root (the daemons run as root here)"
	need /usr/sbin/slurmctld /usr/sbin/slurmd /usr/sbin/munged sinfo scontrol munge
	mkdir -p "$dir"
	if alive "$dir/slurmctld.pid" && alive "$dir/slurmd.pid" && SLURM_CONF=$conf sinfo -h >/dev/null 2>&1; then
		say "already running"
		echo "SLURM_CONF=$conf"
		return
	fi
	stop_daemons
	start_munge
	write_conf
	rm -rf "${dir:?}/state/"* "${dir:?}/spool/"*
	export SLURM_CONF="$conf"
	/usr/sbin/slurmctld -f "$conf" || die "slurmctld did not start: $(tail -5 "$dir/slurmctld.log" 2>/dev/null)"
	/usr/sbin/slurmd -f "$conf" || die "slurmd did not start: $(tail -5 "$dir/slurmd.log" 2>/dev/null)"
	i=0
	while :; do
		state=$(sinfo -h -n "$host" -o %T 2>/dev/null | head -1)
		case $state in
		idle*) break ;;
		down* | drain* | unknown*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
		esac
		i=$((i + 1))
		[ $i -lt 150 ] || die "the node is not idle after 30 s (state '$state'); see $dir/slurmctld.log and $dir/slurmd.log"
		sleep 0.2
	done
	say "started slurmctld ($(cat "$dir/slurmctld.pid")) and slurmd ($(cat "$dir/slurmd.pid")): node $host, $(nproc) CPUs, partition local"
	echo "SLURM_CONF=$conf"
}

stop_daemons() {
	stop_pid slurmd "$dir/slurmd.pid"
	stop_pid slurmctld "$dir/slurmctld.pid"
}

stop() {
	stop_daemons
	stop_pid munged "$dir/munged.pid"
	rm -rf "${dir:?}/state" "${dir:?}/spool"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) SLURM_CONF=$conf sinfo ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
