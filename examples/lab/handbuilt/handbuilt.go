// Package handbuilt builds lab agents the way admins built theirs before
// push: with the commands of the three Kasm procedures (docker CLI
// networks, an iptables SNAT rule saved for boot, 8021q in /etc/modules,
// an "iface eth1 inet manual" stanza), and puts a session container on
// every network whose only job is to prove its egress, once a second,
// in its log. Tests use it to bring such a fleet under push.
package handbuilt

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/kasmfleet/push/examples/lab/labenv"
)

//go:embed build.sh
var buildScript string

//go:embed unbuild.sh
var unbuildScript string

// Agent is what to build on one lab agent.
type Agent struct {
	Name string
	Slot int // which /28 of each lab VLAN is this agent's --ip-range
	// SourceIP is the egress rule's --to-source.
	SourceIP string
	// Enclave also creates z_enclave_2 (the enclave procedure).
	Enclave bool
	// EgressSubnet, when set, is z_custom_a's --subnet; empty lets Docker
	// pick, as the procedure does (per agent, so it may differ).
	EgressSubnet string
	// IPRange150 and IPRange160, when set, replace the slot's slices: an
	// agent whose ranges fit no slice grid.
	IPRange150, IPRange160 string
}

// Range150 and Range160 are the agent's --ip-range on the lab's VLANs:
// the slices push's inventory gives slot Slot, unless set by hand.
func (a Agent) Range150() string {
	if a.IPRange150 != "" {
		return a.IPRange150
	}
	return fmt.Sprintf("192.0.2.%d/28", 16*(a.Slot+1))
}

func (a Agent) Range160() string {
	if a.IPRange160 != "" {
		return a.IPRange160
	}
	return fmt.Sprintf("192.0.2.%d/28", 144+16*a.Slot)
}

// Build runs the procedures on the agent and returns the subnets Docker
// chose, by network name (what the admin reads with docker inspect).
func Build(ctx context.Context, lab *labenv.Lab, a Agent) (map[string]string, error) {
	enclave := "no"
	if a.Enclave {
		enclave = "yes"
	}
	env := fmt.Sprintf("RANGE150=%s RANGE160=%s SOURCE_IP=%s ENCLAVE=%s EGRESS_SUBNET=%s sh -s <<'PUSH_HANDBUILT'\n%s\nPUSH_HANDBUILT\n",
		a.Range150(), a.Range160(), a.SourceIP, enclave, a.EgressSubnet, buildScript)
	out, err := lab.Run(ctx, a.Name, env)
	if err != nil {
		return nil, fmt.Errorf("build %s by hand: %w: %s", a.Name, err, strings.TrimSpace(out))
	}
	subnets := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			subnets[f[0]] = f[1]
		}
	}
	return subnets, nil
}

// Unbuild removes what Build and the sessions made that push's reset
// does not know, then resets the agent (labenv.Reset).
func Unbuild(ctx context.Context, lab *labenv.Lab, agent string) error {
	if out, err := lab.Run(ctx, agent, unbuildScript); err != nil {
		return fmt.Errorf("unbuild %s: %w: %s", agent, err, strings.TrimSpace(out))
	}
	return lab.Reset(ctx, agent)
}

// Session is a container on Network that asks URL for its source
// address once a second and logs "N UNIXTIME ANSWER" (ANSWER is FAIL
// when no answer came within 5 s). It restarts with Docker.
type Session struct {
	Network, URL string
}

// Name is the session's container name.
func (s Session) Name() string { return "hand_" + s.Network }

// Start starts the session containers on agent.
func Start(ctx context.Context, lab *labenv.Lab, agent string, sessions []Session) error {
	img, err := lab.ProbeImage(ctx, agent)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		// The trap: as a container's PID 1, sh ignores SIGTERM unless it
		// handles it, and a reboot would then wait for systemd's final
		// kill (80–90 s) before the VM restarts.
		loop := fmt.Sprintf(`trap "exit 0" TERM; i=0; while :; do i=$((i+1)); a=$(timeout 5 wget -q -O - %s 2>/dev/null) || a=FAIL; echo "$i $(date +%%s) $a"; sleep 1; done`, s.URL)
		cmd := fmt.Sprintf("docker run -d --name %s --network %s --restart unless-stopped %s sh -c '%s'", s.Name(), s.Network, img, loop)
		if out, err := lab.Run(ctx, agent, cmd); err != nil {
			return fmt.Errorf("start session on %s: %w: %s", s.Network, err, strings.TrimSpace(out))
		}
	}
	return nil
}

// Container is a session container as Docker reports it.
type Container struct {
	ID, IP string
}

// Inspect returns the session's container ID and its address.
func Inspect(ctx context.Context, lab *labenv.Lab, agent string, s Session) (Container, error) {
	out, err := lab.Run(ctx, agent, fmt.Sprintf(`docker inspect -f '{{.Id}} {{(index .NetworkSettings.Networks "%s").IPAddress}}' %s`, s.Network, s.Name()))
	f := strings.Fields(out)
	if err != nil || len(f) != 2 {
		return Container{}, fmt.Errorf("inspect %s on %s: %v: %s", s.Name(), agent, err, strings.TrimSpace(out))
	}
	return Container{ID: f[0], IP: f[1]}, nil
}

// Answer is one line of a session's log.
type Answer struct {
	Seq, Time int64
	Got       string
}

// Answers reads the session's log.
func Answers(ctx context.Context, lab *labenv.Lab, agent string, s Session) ([]Answer, error) {
	out, err := lab.Run(ctx, agent, "docker logs "+s.Name()+" 2>&1")
	if err != nil {
		return nil, fmt.Errorf("logs of %s on %s: %w", s.Name(), agent, err)
	}
	var as []Answer
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		seq, err1 := strconv.ParseInt(f[0], 10, 64)
		t, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		a := Answer{Seq: seq, Time: t, Got: "FAIL"}
		if len(f) == 3 {
			a.Got = f[2]
		}
		as = append(as, a)
	}
	return as, nil
}
