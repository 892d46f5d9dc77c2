package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/labssh"
)

// "admin" logs in with the lab key and becomes root with sudo -n (push's
// become = true).
func TestBecomeWithSudo(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, 2*time.Minute)
	admin := labssh.Client{KeyPath: lab.KeyPath(), KnownHostsPath: lab.KnownHostsPath(), User: "admin"}
	for _, a := range lab.Agents() {
		out, err := admin.Run(ctx, a.SSHAddr, "id -u; sudo -n id -u")
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		if f := strings.Fields(out); len(f) != 2 || f[0] != "1000" || f[1] != "0" {
			t.Errorf("%s: uids %q, want 1000 then 0", a.Name, f)
		}
	}
}

// An agent is reachable on its LAN address through lab-gw as a jump host,
// with its host key checked under that address.
func TestJumpThroughGateway(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, 2*time.Minute)
	c := labssh.Client{KeyPath: lab.KeyPath(), KnownHostsPath: lab.KnownHostsPath()}
	jump, err := c.Dial(ctx, lab.Gateway().SSHAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer jump.Close()
	key, err := os.ReadFile(lab.KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	hostKeys, err := knownhosts.New(lab.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	a := lab.Agents()[0]
	addr := a.LANAddr + ":22"
	conn, err := jump.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeys, HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
	})
	if err != nil {
		t.Fatal(err)
	}
	cl := ssh.NewClient(sc, chans, reqs)
	defer cl.Close()
	out, err := labssh.RunOn(ctx, cl, "hostname")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out); got != a.Name {
		t.Errorf("through the gateway, %s is %q", addr, got)
	}
}
