package ssh

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// plainHostKeyAlgos are asked of hosts known_hosts knows nothing about, so
// that a host with a certificate still shows its plain key (which is what
// trust on first use can record and what a mismatch message can name).
var plainHostKeyAlgos = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// hostKeys checks host keys against a list of known_hosts files. It is
// shared by every dial that uses the same list.
type hostKeys struct {
	files  []string
	accept bool

	mu sync.Mutex
	db *knownhosts.HostKeyDB // nil: no file exists yet
}

func (d *Dialer) hostKeysFor(files []string) *hostKeys {
	key := strings.Join(files, "\x00")
	d.mu.Lock()
	defer d.mu.Unlock()
	hk := d.hostKeys[key]
	if hk == nil {
		hk = &hostKeys{files: files, accept: d.o.AcceptNewHostKeys}
		d.hostKeys[key] = hk
	}
	return hk
}

// load (re)reads the files that exist; called with mu held.
func (h *hostKeys) load() error {
	var existing []string
	for _, f := range h.files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("known_hosts: %w", err)
		}
	}
	h.db = nil
	if len(existing) == 0 {
		return nil
	}
	db, err := knownhosts.NewDB(existing...)
	if err != nil {
		return fmt.Errorf("known_hosts: %w", err)
	}
	h.db = db
	return nil
}

func (h *hostKeys) current() (*knownhosts.HostKeyDB, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.db == nil {
		if err := h.load(); err != nil {
			return nil, err
		}
	}
	return h.db, nil
}

// algorithms lists the host key algorithms to ask of hostport: those of
// the keys known_hosts has for it (golang/go#29286), else plain keys.
func (h *hostKeys) algorithms(hostport string) ([]string, error) {
	db, err := h.current()
	if err != nil {
		return nil, err
	}
	if db != nil {
		if algos := db.HostKeyAlgorithms(hostport); len(algos) > 0 {
			if !slices.ContainsFunc(algos, isPlainAlgo) {
				// Only certificate authorities: a host without a
				// certificate must still be able to show its key.
				algos = append(algos, plainHostKeyAlgos...)
			}
			return algos, nil
		}
	}
	return plainHostKeyAlgos, nil
}

func isPlainAlgo(algo string) bool { return !strings.Contains(algo, "-cert-") }

func check(db *knownhosts.HostKeyDB, hostport string, remote net.Addr, key ssh.PublicKey) error {
	if db == nil {
		return &xknownhosts.KeyError{}
	}
	return db.HostKeyCallback()(hostport, remote, key)
}

// callback is the ssh.HostKeyCallback for one dial.
func (h *hostKeys) callback(hostport string, remote net.Addr, key ssh.PublicKey) error {
	db, err := h.current()
	if err != nil {
		return err
	}
	err = h.classify(hostport, key, check(db, hostport, remote, key))
	var unknown *UnknownHostKeyError
	if errors.As(err, &unknown) && h.accept {
		return h.record(hostport, remote, key)
	}
	return err
}

func (h *hostKeys) classify(hostport string, key ssh.PublicKey, err error) error {
	if err == nil {
		return nil
	}
	var revoked *xknownhosts.RevokedError
	if errors.As(err, &revoked) {
		return &RevokedHostKeyError{Host: hostport, Offered: describeKey(key),
			File: revoked.Revoked.Filename, Line: revoked.Revoked.Line}
	}
	var keyErr *xknownhosts.KeyError
	if errors.As(err, &keyErr) {
		// A host that shows a plain key where known_hosts only trusts a
		// certificate authority is unknown, not changed (as in OpenSSH).
		want := slices.DeleteFunc(slices.Clone(keyErr.Want), isCALine)
		if len(want) == 0 {
			return &UnknownHostKeyError{Host: hostport, Offered: describeKey(key), Files: h.files}
		}
		return &HostKeyChangedError{Host: hostport, Offered: describeKey(key),
			File: want[0].Filename, Line: want[0].Line}
	}
	return fmt.Errorf("host key for %s: %w", hostport, err)
}

// isCALine reports whether a known_hosts entry is a @cert-authority line.
func isCALine(k xknownhosts.KnownKey) bool {
	b, err := os.ReadFile(k.Filename)
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	if k.Line < 1 || k.Line > len(lines) {
		return false
	}
	return strings.HasPrefix(strings.TrimSpace(lines[k.Line-1]), "@cert-authority")
}

// record appends an unknown host's key to the first known_hosts file,
// unless another dial (of this process or another) recorded it meanwhile.
func (h *hostKeys) record(hostport string, remote net.Addr, key ssh.PublicKey) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.load(); err != nil {
		return err
	}
	if err := h.classify(hostport, key, check(h.db, hostport, remote, key)); err == nil {
		return nil
	} else if _, unknown := err.(*UnknownHostKeyError); !unknown {
		return err
	}
	file := h.files[0]
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if err := knownhosts.WriteKnownHost(f, hostport, remote, key); err != nil {
		return fmt.Errorf("record host key in %s: %w", file, err)
	}
	return h.load()
}
