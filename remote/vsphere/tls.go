package vsphere

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// tlsConfig is the TLS policy for one vCenter: the system roots or
// c.CAFile by default, a pinned thumbprint when given (directly or in a
// known_hosts file), or no verification when c.Insecure.
func tlsConfig(c Config, hostport string) (*tls.Config, error) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if c.Insecure {
		tc.InsecureSkipVerify = true
		return tc, nil
	}
	pin := normThumbprint(c.Thumbprint)
	if pin == "" && c.KnownHosts != "" {
		pin, err = knownThumbprint(c.KnownHosts, hostport)
		if err != nil {
			return nil, err
		}
	}
	if pin != "" {
		// The pin replaces chain verification, as in govc: a vCenter
		// usually has a self-signed certificate.
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return &pinMismatch{want: pin}
			}
			got := cs.PeerCertificates[0]
			if thumbprintSHA256(got) == pin {
				return nil
			}
			// SHA-1 pins are what older govc known_hosts files hold.
			if len(pin) == len("00")*sha1.Size+sha1.Size-1 && thumbprintSHA1(got) == pin {
				return nil
			}
			return &pinMismatch{got: thumbprintSHA256(got), want: pin}
		}
		return tc, nil
	}
	if c.CAFile != "" {
		pool := x509.NewCertPool()
		for _, name := range filepath.SplitList(c.CAFile) {
			pem, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("%w: read CA file: %w", ErrConfig, err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%w: CA file %s holds no PEM certificate", ErrConfig, name)
			}
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// pinMismatch is a server certificate that is not the pinned one.
type pinMismatch struct{ got, want string }

func (p *pinMismatch) Error() string {
	if p.got == "" {
		return "server sent no certificate to compare with the pinned thumbprint"
	}
	return fmt.Sprintf("server certificate SHA-256 thumbprint %s does not match the pinned %s", p.got, p.want)
}

// knownThumbprint reads a govc known_hosts file ("host[:port] thumbprint"
// per line) and returns the thumbprint for hostport, or "" when it has
// none. A missing file is not an error, as with govc.
func knownThumbprint(file, hostport string) (string, error) {
	for _, name := range filepath.SplitList(file) {
		data, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("%w: read known hosts: %w", ErrConfig, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 || strings.HasPrefix(f[0], "#") {
				continue
			}
			if withPort(f[0]) == withPort(hostport) {
				return normThumbprint(f[1]), nil
			}
		}
	}
	return "", nil
}

func withPort(hostport string) string {
	if _, _, err := net.SplitHostPort(hostport); err == nil {
		return hostport
	}
	return net.JoinHostPort(strings.Trim(hostport, "[]"), "443")
}

// normThumbprint returns tp as upper-case hex pairs joined by colons,
// the form vSphere shows, whatever separators the user typed.
func normThumbprint(tp string) string {
	hex := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'F':
			return r
		case r >= 'a' && r <= 'f':
			return r - 'a' + 'A'
		}
		return -1
	}, tp)
	var b strings.Builder
	for i := 0; i+1 < len(hex); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(hex[i : i+2])
	}
	return b.String()
}

func thumbprintSHA256(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return normThumbprint(fmt.Sprintf("%x", sum[:]))
}

func thumbprintSHA1(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return normThumbprint(fmt.Sprintf("%x", sum[:]))
}

// tlsFailure reports whether err is a certificate that was not trusted,
// and the server's SHA-256 thumbprint when the handshake revealed it.
func tlsFailure(err error) (thumbprint string, ok bool) {
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		if len(cve.UnverifiedCertificates) > 0 {
			thumbprint = thumbprintSHA256(cve.UnverifiedCertificates[0])
		}
		return thumbprint, true
	}
	var pm *pinMismatch
	if errors.As(err, &pm) {
		return pm.got, true
	}
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		return "", true
	}
	return "", false
}
