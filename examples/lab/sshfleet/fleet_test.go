package sshfleet_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

// run executes cmd on host i as user with plain x/crypto/ssh, checking the
// host key against the fleet's known_hosts.
func run(t *testing.T, f *sshfleet.Fleet, i int, user, cmd string) (string, error) {
	t.Helper()
	key, err := os.ReadFile(f.KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := knownhosts.New(f.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", f.Host(i).HostPort(), &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hk, Timeout: 5 * time.Second,
	})
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	out, err := s.CombinedOutput(cmd)
	return string(out), err
}

func TestFleetHostsAreSeparate(t *testing.T) {
	private := t.TempDir()
	f := sshfleet.StartT(t, 3, sshfleet.Options{
		Users:       []sshfleet.User{{Name: "deploy", Sudo: sshfleet.SudoNoPassword}},
		PrivateDirs: []string{private},
	})
	for i, h := range f.Hosts() {
		out, err := run(t, f, i, "root", "id -u; ip -4 -o addr show dev eth0; mkdir -p /var/lib/push/bin && echo "+h.Name+
			" > /var/lib/push/bin/mark && cat /var/lib/push/bin/mark && echo "+h.Name+" > "+private+"/mark")
		if err != nil {
			t.Fatalf("%s: %v: %s", h.Name, err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if lines[0] != "0" || !strings.Contains(lines[1], " "+h.Addr+"/22 ") || lines[2] != h.Name {
			t.Errorf("%s: unexpected output %q", h.Name, out)
		}
	}
	// Each host has its own /var/lib/push: host 0 still sees its own mark.
	if b, err := os.ReadFile(f.HelperDir(0) + "/bin/mark"); err != nil || string(b) != "host-0\n" {
		t.Errorf("host-0 mark = %q, %v", b, err)
	}
	if _, err := os.Stat("/var/lib/push/bin/mark"); err == nil {
		t.Errorf("fleet wrote to the machine's /var/lib/push")
	}
	if b, err := os.ReadFile(f.PrivateDir(2, private) + "/mark"); err != nil || string(b) != "host-2\n" {
		t.Errorf("host-2 private mark = %q, %v", b, err)
	}
	if _, err := os.Stat(private + "/mark"); err == nil {
		t.Errorf("fleet wrote to the machine's %s", private)
	}
	out, err := run(t, f, 1, "deploy", `id -un; echo "$HOME"; sudo -n id -u`)
	if err != nil {
		t.Fatalf("deploy: %v: %s", err, out)
	}
	if want := "deploy\n" + "/" + strings.TrimPrefix(f.Dir(), "/") + "/home/deploy\n0\n"; out != want {
		t.Errorf("deploy: got %q, want %q", out, want)
	}
}

func TestFleetStopPauseLink(t *testing.T) {
	f := sshfleet.StartT(t, 2, sshfleet.Options{})
	h := f.Host(1)
	banner := func() (string, error) {
		c, err := net.DialTimeout("tcp", h.HostPort(), time.Second)
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		return bufio.NewReader(c).ReadString('\n')
	}
	if b, err := banner(); err != nil || !strings.HasPrefix(b, "SSH-2.0-OpenSSH") {
		t.Fatalf("banner %q, %v", b, err)
	}
	if err := f.Pause(1); err != nil {
		t.Fatal(err)
	}
	if b, err := banner(); err == nil {
		t.Errorf("paused sshd answered %q", b)
	}
	if err := f.Resume(1); err != nil {
		t.Fatal(err)
	}
	if err := f.Stop(1); err != nil {
		t.Fatal(err)
	}
	if _, err := banner(); err == nil {
		t.Errorf("stopped sshd answered")
	}
	if err := f.Start(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if err := f.LinkDown(1); err != nil {
		t.Fatal(err)
	}
	if _, err := banner(); err == nil {
		t.Errorf("host with link down answered")
	}
	if err := f.LinkUp(1); err != nil {
		t.Fatal(err)
	}
	if b, err := banner(); err != nil || !strings.HasPrefix(b, "SSH-2.0-OpenSSH") {
		t.Fatalf("after restart and link up: banner %q, %v", b, err)
	}
}

func TestFleetCloseRemovesEverything(t *testing.T) {
	f := sshfleet.StartT(t, 2, sshfleet.Options{Users: []sshfleet.User{{Name: "deploy"}}})
	if out, err := run(t, f, 0, "deploy", "true"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	pid, ns, dir := f.PID(0), f.Host(0).Netns, f.Dir()
	start := time.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waits until the kernel has deleted the namespaces' links; a
	// namespace kept alive by a stray reference makes it wait 20s.
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("close took %s", took)
	}
	if _, err := os.Stat("/run/netns/" + ns); err == nil {
		t.Errorf("netns %s left behind", ns)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("dir %s left behind", dir)
	}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && !strings.Contains(string(b), ") Z") {
		t.Errorf("sshd %d still running", pid)
	}
}
