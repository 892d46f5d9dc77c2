package main

import (
	"fmt"
	"strings"
)

// notes explain the figures under the tables.
func (b *bench) notes() []string {
	out := []string{
		"Wall: each tool runs as its own process; wall is start to exit (Ansible: ansible-playbook's own run). " +
			"Controller CPU: user+system of the tool's process tree from wait4 (Ansible under a child subreaper, so its ssh clients and ControlPersist masters are counted). " +
			"Server CPU: CPU of the hosts' sshd listeners and everything they reaped (connections, sessions, the helper or Python modules), read from /proc; on the lab, the agents' qemu processes.",
		fmt.Sprintf("Ansible: Debian's ansible (core 2.14), forks = hosts, pipelining on, ControlMaster=auto ControlPersist=60s (masters stopped after each run, none reused between runs), gathering explicit (gather_facts: false), host keys checked against the fleet's known_hosts, strategy %s, interpreter /usr/bin/python3 (no discovery).", b.strategy),
		"push on the sshfleet: its own code path (playbooks.Job with runner/sshhosts and the embedded helper, what `push apply`/`push check` run after reading the inventory) with a hand-built HostSpec{Trunk: trunk0}: the inventory language always pairs a trunk with VLANs, which need 8021q and Docker, absent on this machine.",
		b.forksNote(),
		"Conns and execs per host: push's from its SSH dialer's counters in the timed run; Ansible's from sshd's DEBUG1 logs on a separate 2-host fleet running the same playbook; the floor's by construction.",
	}
	if len(b.skippedAnsible) > 0 {
		var s []string
		for _, n := range b.skippedAnsible {
			s = append(s, fmt.Sprint(n))
		}
		out = append(out, fmt.Sprintf("Ansible was not run on %s hosts (BENCH_ANSIBLE_MAX_N=%d; one run takes 1 to 2.5 s per host on this machine). Its server CPU per host is the same at every size, so its wall time there is bounded below by hosts × server CPU per host ÷ cores.", strings.Join(s, ", "), b.ansibleMax))
	}
	return out
}

// forksNote says how many hosts push and the floor worked on at once.
func (b *bench) forksNote() string {
	if b.forks == 0 {
		return "push and the floor: forks = hosts (every host's connection started at once)."
	}
	return fmt.Sprintf("push and the floor: at most %d hosts at once (BENCH_FORKS), alike; first contact at most %d.", b.forks, deliverForks)
}
