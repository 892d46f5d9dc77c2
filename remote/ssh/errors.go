package ssh

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// HostKeyChangedError: the host offered a key other than the one(s)
// known_hosts lists for it. push refuses to connect.
type HostKeyChangedError struct {
	Host    string // "host:port" as dialed
	Offered string // "ssh-ed25519 SHA256:..."
	File    string // known_hosts file holding the old key
	Line    int
}

func (e *HostKeyChangedError) Error() string {
	return fmt.Sprintf("host key for %s has changed: it offered %s, but %s:%d lists another key. "+
		"Someone may be intercepting the connection, or the host was reinstalled. "+
		"If you have verified the new key, remove the old one with `ssh-keygen -R %s -f %s` and connect again",
		e.Host, e.Offered, e.File, e.Line, shellQuote(knownhosts.Normalize(e.Host)), shellQuote(e.File))
}

// UnknownHostKeyError: known_hosts has no key for the host and trust on
// first use was not asked for.
type UnknownHostKeyError struct {
	Host    string
	Offered string
	Files   []string
}

func (e *UnknownHostKeyError) Error() string {
	return fmt.Sprintf("host key for %s is unknown (it offered %s; not in %s). "+
		"Verify the fingerprint and add the key to %s, or accept new host keys on first use (--accept-new-host-keys)",
		e.Host, e.Offered, strings.Join(e.Files, ", "), e.firstFile())
}

func (e *UnknownHostKeyError) firstFile() string {
	if len(e.Files) == 0 {
		return "known_hosts"
	}
	return e.Files[0]
}

// RevokedHostKeyError: the host offered a key marked @revoked.
type RevokedHostKeyError struct {
	Host    string
	Offered string
	File    string
	Line    int
}

func (e *RevokedHostKeyError) Error() string {
	return fmt.Sprintf("host key for %s is revoked: it offered %s, marked @revoked in %s:%d", e.Host, e.Offered, e.File, e.Line)
}

// AuthError: the server accepted none of the keys offered.
type AuthError struct {
	Endpoint string   // "user@host:port"
	Notes    []string // keys that could not be offered, and why
	Err      error
}

func (e *AuthError) Error() string {
	msg := fmt.Sprintf("authenticate %s: %v", e.Endpoint, e.Err)
	if len(e.Notes) > 0 {
		msg += " (" + strings.Join(e.Notes, "; ") + ")"
	}
	return msg
}

func (e *AuthError) Unwrap() error { return e.Err }

// TimeoutError: a dial, handshake or operation did not finish in time.
type TimeoutError struct {
	Op    string // "dial", "handshake", "exec", ...
	Addr  string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s %s: timed out after %s", e.Op, e.Addr, e.After)
}

// Is makes errors.Is(err, context.DeadlineExceeded) true.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// SudoPasswordError: become was asked but sudo wants a password.
type SudoPasswordError struct {
	Endpoint string
	Message  string // what sudo said
}

func (e *SudoPasswordError) Error() string {
	return fmt.Sprintf("become root on %s: sudo wants a password (%s); allow the user passwordless sudo (NOPASSWD) or connect as root", e.Endpoint, e.Message)
}

// SudoError: become was asked and sudo refused for another reason.
type SudoError struct {
	Endpoint string
	Message  string
}

func (e *SudoError) Error() string {
	return fmt.Sprintf("become root on %s: %s", e.Endpoint, e.Message)
}

// HelperCorruptError: the helper written on the host does not have the
// expected sha256. Nothing was installed.
type HelperCorruptError struct {
	Endpoint string
	Want     string
	Got      string
}

func (e *HelperCorruptError) Error() string {
	return fmt.Sprintf("upload helper to %s: sha256 on the host is %s, want %s; the upload was discarded", e.Endpoint, e.Got, e.Want)
}

// ConnectionLostError: the connection died (the peer stopped answering
// keepalives, or the transport failed) while an operation used it.
type ConnectionLostError struct {
	Endpoint string
	Err      error
}

func (e *ConnectionLostError) Error() string {
	return fmt.Sprintf("connection to %s lost: %v", e.Endpoint, e.Err)
}

func (e *ConnectionLostError) Unwrap() error { return e.Err }

func describeKey(k ssh.PublicKey) string {
	return k.Type() + " " + ssh.FingerprintSHA256(k)
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// RemoteError: a command push ran on a host did not do what push expects
// of it (no answer, an unreadable one, too much output, a failed upload).
// It keeps the exit code and the first bytes of what the host sent.
type RemoteError struct {
	Endpoint string
	Doing    string // "run helper", "upload helper", ...
	Problem  string // "no answer", "sent more than 4 MiB on stdout; ..."
	ExitCode int    // -1 when the command ended without one
	// Stdout and Stderr are the first bytes the host sent (at most 16 KiB
	// each), for the full log; Error shows their first lines.
	Stdout, Stderr []byte
	Err            error // the underlying failure, if any
}

func (e *RemoteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: %s", e.Doing, e.Endpoint, e.Problem)
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, " (exit %d)", e.ExitCode)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	for _, s := range []struct {
		name string
		out  []byte
	}{{"stdout", e.Stdout}, {"stderr", e.Stderr}} {
		if lines := firstLines(s.out, 3, 200); lines != "" {
			fmt.Fprintf(&b, "; %s: %s", s.name, lines)
		}
	}
	return b.String()
}

func (e *RemoteError) Unwrap() error { return e.Err }

// Output is everything of the host's output the error kept, for the log.
func (e *RemoteError) Output() string {
	return fmt.Sprintf("stdout (first %d bytes): %q\nstderr (first %d bytes): %q", len(e.Stdout), e.Stdout, len(e.Stderr), e.Stderr)
}

func newRemoteError(e endpoint, doing, problem string, r ExecResult, err error) *RemoteError {
	return &RemoteError{Endpoint: e.String(), Doing: doing, Problem: problem, ExitCode: r.ExitCode,
		Stdout: head(r.Stdout), Stderr: head(r.Stderr), Err: err}
}

func head(b []byte) []byte { return bytes.Clone(b[:min(len(b), headSize)]) }

// firstLines is up to n non-blank lines of b, each quoted (so that a
// host's control characters reach no terminal) and cut at width bytes.
func firstLines(b []byte, n, width int) string {
	var out []string
	for _, line := range strings.Split(string(b[:min(len(b), n*width*4)]), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		q := strconv.Quote(line)
		if len(q) > width {
			q = q[:width] + `…"`
		}
		out = append(out, q)
		if len(out) == n {
			break
		}
	}
	return strings.Join(out, " ")
}
