package ssh

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

// startAgent runs ssh-agent in the foreground on a private socket and
// stops it (by PID) when the test ends.
func startAgent(t *testing.T) string {
	t.Helper()
	needs.Command(t, "ssh-agent")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	for range 100 {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("ssh-agent did not create its socket")
	return ""
}

func addToAgent(t *testing.T, sock, keyFile string, passphrase []byte) {
	t.Helper()
	data := []byte(readFile(t, keyFile))
	var key any
	var err error
	if passphrase != nil {
		key, err = ssh.ParseRawPrivateKeyWithPassphrase(data, passphrase)
	} else {
		key, err = ssh.ParseRawPrivateKey(data)
	}
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := agent.NewClient(conn).Add(agent.AddedKey{PrivateKey: key}); err != nil {
		t.Fatal(err)
	}
}

func TestAuth(t *testing.T) {
	f := sshfleet.StartT(t, 1, sshfleet.Options{})
	secret := "correct horse battery staple"
	encrypted := filepath.Join(t.TempDir(), "id_encrypted")
	keygen(t, "-q", "-t", "ed25519", "-N", secret, "-f", encrypted)
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(readFile(t, encrypted+".pub")))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.AuthorizeKey(pub); err != nil {
		t.Fatal(err)
	}

	t.Run("agent", func(t *testing.T) {
		sock := startAgent(t)
		addToAgent(t, sock, f.KeyPath(), nil)
		o := testOptions(t)
		o.AgentSocket = sock
		c := rootConfig(f, 0)
		c.IdentityFiles = nil // HOME is empty: only the agent can authenticate
		mustExec(t, dial(t, newDialer(t, o), c), "true")

		o.AgentSocket = "none"
		_, err := newDialer(t, o).Dial(testCtx(t), c)
		var auth *AuthError
		if !errors.As(err, &auth) {
			t.Fatalf("without the agent: got %v, want AuthError", err)
		}
	})

	t.Run("encrypted key asks once", func(t *testing.T) {
		var asked atomic.Int32
		o := testOptions(t)
		o.Passphrase = func(file string) ([]byte, error) {
			asked.Add(1)
			if file != encrypted {
				t.Errorf("asked passphrase for %s", file)
			}
			return []byte(secret), nil
		}
		d := newDialer(t, o)
		c := rootConfig(f, 0)
		c.IdentityFiles = []string{encrypted}
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				conn, err := d.Dial(testCtx(t), c)
				if err != nil {
					t.Error(err)
					return
				}
				conn.Close()
			})
		}
		wg.Wait()
		if n := asked.Load(); n != 1 {
			t.Errorf("passphrase asked %d times, want 1", n)
		}
	})

	t.Run("wrong or no passphrase", func(t *testing.T) {
		c := rootConfig(f, 0)
		c.IdentityFiles = []string{encrypted}
		for name, prompt := range map[string]func(string) ([]byte, error){
			"wrong passphrase": func(string) ([]byte, error) { return []byte("not the " + secret), nil },
			"is encrypted":     nil,
		} {
			o := testOptions(t)
			o.Passphrase = prompt
			_, err := newDialer(t, o).Dial(testCtx(t), c)
			var auth *AuthError
			if !errors.As(err, &auth) || !strings.Contains(err.Error(), name) {
				t.Errorf("got %v, want AuthError saying %q", err, name)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the passphrase: %v", err)
			}
		}
	})

	t.Run("encrypted key held by the agent is not asked for", func(t *testing.T) {
		sock := startAgent(t)
		addToAgent(t, sock, encrypted, []byte(secret))
		o := testOptions(t)
		o.AgentSocket = sock
		o.Passphrase = func(string) ([]byte, error) {
			t.Error("passphrase asked although the agent holds the key")
			return nil, errors.New("no")
		}
		c := rootConfig(f, 0)
		c.IdentityFiles = []string{encrypted}
		mustExec(t, dial(t, newDialer(t, o), c), "true")
	})

	t.Run("ssh_config", func(t *testing.T) {
		h := f.Host(0)
		o := testOptions(t)
		o.SSHConfigPath = writeFile(t, t.TempDir(), "config", "Host web-*\n  HostName "+h.Addr+
			"\n  User root\n  Port 22\n  IdentityFile "+f.KeyPath()+"\n")
		c := Config{Alias: "web-1", KnownHosts: []string{f.KnownHostsPath()}}
		conn := dial(t, newDialer(t, o), c)
		if out := mustExec(t, conn, "id -un; echo $SSH_CONNECTION"); !strings.HasPrefix(out, "root\n") || !strings.Contains(out, " "+h.Addr+" 22") {
			t.Errorf("got %q", out)
		}
		if conn.String() != "root@"+h.Addr+":22" {
			t.Errorf("conn = %s", conn)
		}
	})
}
