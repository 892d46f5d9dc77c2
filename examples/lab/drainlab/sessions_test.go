package drainlab

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kasmfleet/push/examples/lab/labenv"
)

// eachAgent runs fn for every agent at once and fails t with their
// errors.
func eachAgent(t *testing.T, agents []string, fn func(agent string) error) {
	t.Helper()
	errs := make([]error, len(agents))
	var wg sync.WaitGroup
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(a)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func agentNames(lab *labenv.Lab) []string {
	var names []string
	for _, a := range lab.Agents() {
		names = append(names, a.Name)
	}
	return names
}

func run(ctx context.Context, lab *labenv.Lab, agent, cmd string) (string, error) {
	out, err := lab.Run(ctx, agent, cmd)
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w: %s", agent, cmd, err, strings.TrimSpace(out))
	}
	return strings.TrimSpace(out), nil
}

// startSessions starts sessions on agent as Kasm would: containers on
// z_vlan150 (the lab's probe image, idle), each registered with the
// double as a session of a user.
func (f *fleet) startSessions(ctx context.Context, agent string, names ...string) error {
	for _, n := range names {
		if _, err := run(ctx, f.lab, agent, "docker run -d --name "+n+" --network z_vlan150 lab/probe sleep 86400"); err != nil {
			return err
		}
		f.double.AddSession(agent, n, "user-"+n)
	}
	return nil
}

// endSessions ends them as users logging out would: the containers go,
// and Kasm forgets the sessions.
func (f *fleet) endSessions(ctx context.Context, agent string, names ...string) error {
	if _, err := run(ctx, f.lab, agent, "docker rm -f "+strings.Join(names, " ")); err != nil {
		return err
	}
	for _, n := range names {
		f.double.EndSession(agent, n)
	}
	return nil
}

// ipRange is z_vlan150's ip-range on agent, as Docker says.
func ipRange(ctx context.Context, lab *labenv.Lab, agent string) (string, error) {
	return run(ctx, lab, agent, "docker network inspect -f '{{range .IPAM.Config}}{{.IPRange}}{{end}}' z_vlan150")
}

// probe starts a new session on z_vlan150 and returns the source address
// the gateway saw, which must lie in want.
func probe(ctx context.Context, lab *labenv.Lab, agent string, want netip.Prefix) error {
	out, err := run(ctx, lab, agent, "docker run --rm --network z_vlan150 lab/probe timeout 10 wget -q -O - http://192.0.2.1:8080/")
	if err != nil {
		return err
	}
	if a, err := netip.ParseAddr(out); err != nil || !want.Contains(a) {
		return fmt.Errorf("%s: a new session's traffic came from %q, not from its ip-range %s", agent, out, want)
	}
	return nil
}

// dockerOrder reads the agent's Docker events since the VM's unix time
// since: the time the last session container was destroyed and the time
// z_vlan150 was created (both on the VM's clock, in nanoseconds).
func dockerOrder(ctx context.Context, lab *labenv.Lab, agent, since string) (destroyed, created int64, err error) {
	cmd := "until=$(date +%s); " +
		"docker events --since " + since + " --until $until --filter type=container --filter event=destroy --format '{{.TimeNano}}' | tail -n1; echo -; " +
		"docker events --since " + since + " --until $until --filter type=network --filter event=create --filter network=z_vlan150 --format '{{.TimeNano}}' | tail -n1"
	out, err := run(ctx, lab, agent, cmd)
	if err != nil {
		return 0, 0, err
	}
	d, c, _ := strings.Cut(out, "-")
	if destroyed, err = strconv.ParseInt(strings.TrimSpace(d), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("%s: no container destroyed since %s: %q", agent, since, out)
	}
	if created, err = strconv.ParseInt(strings.TrimSpace(c), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("%s: z_vlan150 not created since %s: %q", agent, since, out)
	}
	return destroyed, created, nil
}
