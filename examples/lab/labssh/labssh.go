// Package labssh runs root shell commands on lab VMs over SSH, checking
// host keys against the lab's known_hosts, and makes the lab's keys.
package labssh

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Client reaches lab VMs as root with the lab key, or as User.
type Client struct {
	KeyPath        string
	KnownHostsPath string
	User           string // default root
	// Sudo: Run runs its commands as root through sudo -n (User is not
	// root: a VM where root does not log in).
	Sudo bool
}

// As is c reaching a VM's root shell as user: root logs in itself ("" or
// "root"); any other user logs in and runs commands through sudo.
func (c Client) As(user string) Client {
	c.User = user
	c.Sudo = user != "" && user != "root"
	return c
}

// RootCommand is cmd as Run runs it: through sudo -n (never asking for a
// password) when c.Sudo is set, else as it is.
func (c Client) RootCommand(cmd string) string {
	if !c.Sudo {
		return cmd
	}
	return "sudo -n sh -c " + Quote(cmd)
}

// Quote is s as one single-quoted shell word.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Dial opens an SSH connection to addr, verifying its host key.
func (c Client) Dial(ctx context.Context, addr string) (*ssh.Client, error) {
	key, err := os.ReadFile(c.KeyPath)
	if err != nil {
		return nil, fmt.Errorf("read lab key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("parse lab key: %w", err)
	}
	hostKeys, err := knownhosts.New(c.KnownHostsPath)
	if err != nil {
		return nil, fmt.Errorf("read known_hosts: %w", err)
	}
	user := c.User
	if user == "" {
		user = "root"
	}
	cfg := &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   hostKeys,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           15 * time.Second,
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(cfg.Timeout))
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ssh %s: %w", addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// Run runs cmd through the remote shell (as root through sudo when
// c.Sudo is set) and returns its stdout. On failure the error carries stderr.
func (c Client) Run(ctx context.Context, addr, cmd string) (string, error) {
	cl, err := c.Dial(ctx, addr)
	if err != nil {
		return "", err
	}
	defer cl.Close()
	return c.RunOn(ctx, cl, cmd)
}

// RunOn is Run on an open connection of c's.
func (c Client) RunOn(ctx context.Context, cl *ssh.Client, cmd string) (string, error) {
	out, err := RunOn(ctx, cl, c.RootCommand(cmd))
	if err != nil && c.Sudo {
		return out, fmt.Errorf("as %s with sudo: %w", c.User, err)
	}
	return out, err
}

// ErrNoSession: a connection would not open a session (closed, dead, or
// out of sessions); a new connection may.
var ErrNoSession = errors.New("ssh session")

// sessionBound is the longest wait for a session on an open connection: a
// connection to a VM that rebooted under it may never answer.
const sessionBound = 20 * time.Second

// RunOn runs cmd on an open connection; ctx cancels it by closing its
// session.
func RunOn(ctx context.Context, cl *ssh.Client, cmd string) (string, error) {
	type opened struct {
		s   *ssh.Session
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		s, err := cl.NewSession()
		ch <- opened{s, err}
	}()
	bound := time.NewTimer(sessionBound)
	defer bound.Stop()
	var s *ssh.Session
	select {
	case o := <-ch:
		if o.err != nil {
			return "", fmt.Errorf("%w: %w", ErrNoSession, o.err)
		}
		s = o.s
	case <-bound.C:
		cl.Close()
		return "", fmt.Errorf("%w: none opened in %s", ErrNoSession, sessionBound)
	case <-ctx.Done():
		cl.Close()
		return "", fmt.Errorf("%w: %w", ErrNoSession, ctx.Err())
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	go func() { done <- s.Run(cmd) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// The session only: the connection may carry others'.
		s.Close()
		return stdout.String(), fmt.Errorf("run %q: %w", short(cmd), ctx.Err())
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("run %q: %w: %s", short(cmd), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

// short is cmd for an error message: its first line, at most 100 bytes.
func short(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	if i := strings.IndexByte(cmd, '\n'); i >= 0 {
		cmd = cmd[:i] + " ..."
	}
	if len(cmd) > 100 {
		cmd = cmd[:100] + "..."
	}
	return cmd
}

// NewKey makes an ed25519 key: the private key in OpenSSH PEM form and the
// public key as an authorized_keys line.
func NewKey(comment string) (private, authorized []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, nil, fmt.Errorf("encode key: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("encode public key: %w", err)
	}
	line := bytes.TrimSuffix(ssh.MarshalAuthorizedKey(sshPub), []byte("\n"))
	if comment != "" {
		line = append(line, ' ')
		line = append(line, comment...)
	}
	return pem.EncodeToMemory(block), append(line, '\n'), nil
}

// KnownHostsLine is "[127.0.0.1]:PORT ssh-ed25519 KEY" for a host key's
// authorized_keys line.
func KnownHostsLine(pattern string, authorized []byte) (string, error) {
	pub, _, _, _, err := ssh.ParseAuthorizedKey(authorized)
	if err != nil {
		return "", fmt.Errorf("parse host key: %w", err)
	}
	return knownhosts.Line([]string{pattern}, pub), nil
}
