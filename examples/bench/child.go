package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/helperbin"
	pushssh "github.com/kasmfleet/push/remote/ssh"
	"github.com/kasmfleet/push/runner"
	"github.com/kasmfleet/push/runner/sshhosts"
)

// childResult is what the push and floor children print.
type childResult struct {
	Hosts    int           `json:"hosts"`
	Done     int           `json:"done"`
	Failed   int           `json:"failed"`
	Changed  int           `json:"changed"`
	Stats    pushssh.Stats `json:"stats"`
	Errors   []string      `json:"errors,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

func readHosts(path string) ([]playbooks.Host, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var hosts []playbooks.Host
	if err := json.Unmarshal(b, &hosts); err != nil {
		return nil, fmt.Errorf("hosts %s: %w", path, err)
	}
	return hosts, nil
}

// pushChild runs push's own code path for one mode over the hosts, as
// `push apply` and `push check` do after reading the inventory: the
// runner, with the SSH transport and the embedded helper.
func pushChild(ctx context.Context, hostsPath, mode string, forks int, profile string) error {
	hosts, err := readHosts(hostsPath)
	if err != nil {
		return err
	}
	if profile != "" {
		pf, err := os.Create(profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); pf.Close() }()
	}
	began := time.Now()
	// On a loaded machine 300 handshakes at once take a while, 1000 longer
	// (the floor's handshake has no timeout at all: x/crypto/ssh's Timeout
	// bounds its TCP connect only).
	tr, err := sshhosts.New(pushssh.Options{SSHConfigPath: "none", AgentSocket: "none",
		DialTimeout: connTimeout(len(hosts)), HandshakeTimeout: connTimeout(len(hosts)),
		Getenv: func(string) string { return "" }})
	if err != nil {
		return err
	}
	defer tr.Close()
	m := playbooks.Mode(mode)
	job := playbooks.Job{Mode: m, Hosts: hosts, Transport: tr,
		Run:     playbooks.RunOptions{Holder: "bench@controller"},
		Options: runner.Options{Forks: forks, MaxFailures: runner.Size{N: 100, Percent: true}}}
	rep := job.Go(ctx)
	res := childResult{Hosts: len(hosts), Done: rep.Count(runner.StateDone), Stats: tr.Stats(),
		Duration: time.Since(began)}
	for _, h := range rep.Hosts {
		if h.Err != nil {
			res.Failed++
			if len(res.Errors) < 5 {
				res.Errors = append(res.Errors, h.Err.Error()) // a HostError names the host
			}
		}
		if h.Result == nil {
			continue
		}
		if m == playbooks.ModeApply && len(playbooks.Taken(*h.Result)) > 0 ||
			m != playbooks.ModeApply && len(playbooks.Pending(*h.Result)) > 0 {
			res.Changed++
		}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// floorChild is the floor: per host one SSH handshake and one exec with
// x/crypto/ssh, all hosts at once (up to forks). The exec runs `true`
// (work noop) or the converge's unavoidable host work (floorScript).
func floorChild(ctx context.Context, hostsPath, work string, forks int) error {
	hosts, err := readHosts(hostsPath)
	if err != nil || len(hosts) == 0 {
		return fmt.Errorf("floor hosts: %v", err)
	}
	sha, err := helperbin.SHA256(runtime.GOARCH)
	if err != nil {
		return err
	}
	scripts := make([]string, len(hosts))
	for i, h := range hosts {
		if scripts[i], err = floorScript(work, h, sha); err != nil {
			return err
		}
	}
	began := time.Now()
	key, err := os.ReadFile(hosts[0].Conn.IdentityFile)
	if err != nil {
		return err
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return err
	}
	hk, err := knownhosts.New(hosts[0].Conn.KnownHosts)
	if err != nil {
		return err
	}
	cfg := &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hk, Timeout: connTimeout(len(hosts))}
	res := childResult{Hosts: len(hosts)}
	var mu sync.Mutex
	sem := make(chan struct{}, max(forks, 1))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			err := floorOne(ctx, h, cfg, scripts[i])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Failed++
				if len(res.Errors) < 5 {
					res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", h.Name, err))
				}
				return
			}
			res.Done++
			res.Stats.Connections++
			res.Stats.Execs++
		})
	}
	wg.Wait()
	res.Duration = time.Since(began)
	return json.NewEncoder(os.Stdout).Encode(res)
}

func floorOne(ctx context.Context, h playbooks.Host, cfg *ssh.ClientConfig, script string) error {
	addr := net.JoinHostPort(h.Conn.Address, fmt.Sprint(h.Conn.Port))
	nc, err := (&net.Dialer{Timeout: cfg.Timeout}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if err != nil {
		nc.Close()
		return err
	}
	c := ssh.NewClient(sc, chans, reqs)
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	if out, err := s.CombinedOutput(script); err != nil {
		return fmt.Errorf("%w: %.200s", err, out)
	}
	return nil
}

// connTimeout bounds push's connect and handshake on a fleet of n hosts
// all at once: 2 minutes, and 100ms more per host past 300. On 2 cores
// shared with other work 100 handshakes at once have taken over 30s; the
// floor's handshake is not bounded at all.
func connTimeout(n int) time.Duration {
	return 2*time.Minute + time.Duration(max(n-300, 0))*100*time.Millisecond
}
