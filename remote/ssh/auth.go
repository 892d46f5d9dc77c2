package ssh

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// keyFile is one identity file, loaded at most once per Dialer.
type keyFile struct {
	once   sync.Once
	signer ssh.Signer
	note   string // why it is not offered; never contains secrets
}

// auth holds what authenticates this run's connections.
type auth struct {
	o Options

	agentOnce sync.Once
	agent     agent.ExtendedAgent
	agentNote string

	mu     sync.Mutex
	files  map[string]*keyFile
	prompt sync.Mutex // one passphrase prompt at a time
}

func newAuth(o Options) *auth { return &auth{o: o, files: map[string]*keyFile{}} }

func (a *auth) agentClient() agent.ExtendedAgent {
	a.agentOnce.Do(func() {
		sock := a.o.AgentSocket
		if sock == "none" {
			return
		}
		if sock == "" {
			sock = a.o.Getenv("SSH_AUTH_SOCK")
		}
		if sock == "" {
			return
		}
		conn, err := net.Dial("unix", sock)
		if err != nil {
			a.agentNote = fmt.Sprintf("ssh-agent at %s: %v", sock, err)
			return
		}
		a.agent = agent.NewClient(conn)
	})
	return a.agent
}

func (a *auth) close() {
	a.agentOnce.Do(func() {})
	if c, ok := a.agent.(interface{ Close() error }); ok {
		c.Close()
	}
}

// methods returns the auth methods for one endpoint, and a function that
// reports why some keys were not offered.
func (a *auth) methods(e endpoint) ([]ssh.AuthMethod, func() []string) {
	var notes []string
	var mu sync.Mutex
	signers := func() ([]ssh.Signer, error) {
		var out []ssh.Signer
		agentKeys := map[string]bool{}
		var local []string
		if ag := a.agentClient(); ag != nil {
			s, err := ag.Signers()
			if err != nil {
				local = append(local, fmt.Sprintf("ssh-agent: %v", err))
			}
			for _, k := range s {
				agentKeys[string(k.PublicKey().Marshal())] = true
			}
			out = append(out, s...)
		} else if a.agentNote != "" {
			local = append(local, a.agentNote)
		}
		for _, path := range e.identityFiles {
			s, note := a.load(path, agentKeys)
			if s != nil {
				out = append(out, s)
			} else if note != "" {
				local = append(local, note)
			}
		}
		mu.Lock()
		notes = local
		mu.Unlock()
		return out, nil
	}
	return []ssh.AuthMethod{ssh.PublicKeysCallback(signers)}, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return notes
	}
}

// load returns the signer for a key file, or why there is none. A key the
// agent holds is left to the agent, so its passphrase is never asked.
func (a *auth) load(path string, agentKeys map[string]bool) (ssh.Signer, string) {
	a.mu.Lock()
	kf := a.files[path]
	if kf == nil {
		kf = &keyFile{}
		a.files[path] = kf
	}
	a.mu.Unlock()
	kf.once.Do(func() { kf.signer, kf.note = a.parse(path, agentKeys) })
	if kf.signer != nil && agentKeys[string(kf.signer.PublicKey().Marshal())] {
		return nil, ""
	}
	return kf.signer, kf.note
}

func (a *auth) parse(path string, agentKeys map[string]bool) (ssh.Signer, string) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "" // like OpenSSH, absent default keys are not worth a word
	}
	if err != nil {
		return nil, fmt.Sprintf("key %s: %v", path, err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err == nil {
		return signer, ""
	}
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		return nil, fmt.Sprintf("key %s: %v", path, err)
	}
	if missing.PublicKey != nil && agentKeys[string(missing.PublicKey.Marshal())] {
		return nil, "" // the agent holds it
	}
	if a.o.Passphrase == nil {
		return nil, fmt.Sprintf("key %s is encrypted and neither ssh-agent nor a passphrase prompt is available", path)
	}
	a.prompt.Lock()
	pass, err := a.o.Passphrase(path)
	a.prompt.Unlock()
	if err != nil {
		return nil, fmt.Sprintf("key %s: passphrase: %v", path, err)
	}
	defer clear(pass)
	signer, err = ssh.ParsePrivateKeyWithPassphrase(data, pass)
	if errors.Is(err, x509.IncorrectPasswordError) {
		return nil, fmt.Sprintf("key %s: wrong passphrase", path)
	}
	if err != nil {
		return nil, fmt.Sprintf("key %s: %v", path, err)
	}
	return signer, ""
}
