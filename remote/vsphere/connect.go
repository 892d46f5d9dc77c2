package vsphere

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Client is a logged-in vCenter session. It is safe for concurrent use.
type Client struct {
	vc         *vim25.Client
	sm         *session.Manager
	server     string   // SDK URL without userinfo, for messages
	datacenter string   // Config.Datacenter, used when the spec names none
	secrets    []string // scrubbed from every error text
}

// Connect logs in to the vCenter of c, verifying its certificate unless
// c.Insecure. Errors wrap ErrConfig, ErrUnreachable, ErrTLS or ErrLogin,
// name the server, and never contain the password.
func Connect(ctx context.Context, c Config) (*Client, error) {
	secrets := []string{c.Password, url.QueryEscape(c.Password), url.PathEscape(c.Password)}
	ep, err := parseEndpoint(c)
	if err != nil {
		return nil, redact(err, secrets...)
	}
	secrets = append(secrets, ep.password, url.QueryEscape(ep.password), url.PathEscape(ep.password))
	server := ep.url.String()

	if ep.url.Scheme == "http" && !c.Insecure {
		return nil, fmt.Errorf("%w: %s is plain http; the password would cross the network in clear (use https, or insecure = true)", ErrConfig, server)
	}
	tc, err := tlsConfig(c, ep.url.Host)
	if err != nil {
		return nil, redact(fmt.Errorf("vcenter %s: %w", server, err), secrets...)
	}
	sc := soap.NewClient(ep.url, c.Insecure)
	t := sc.DefaultTransport()
	t.TLSClientConfig = tc
	// govmomi's own TLS dialer ignores the context; the transport's
	// default one honours it and applies tc (verification, pin) as is.
	t.DialTLSContext = nil
	// Keep a connection per concurrent task wait, rather than a TLS
	// handshake per request (the default keeps 2).
	t.MaxIdleConnsPerHost = 4 * vmParallel

	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, redact(connectError(ctx, server, err), secrets...)
	}
	sm := session.NewManager(vc)
	if err := sm.Login(ctx, url.UserPassword(ep.username, ep.password)); err != nil {
		sc.CloseIdleConnections()
		return nil, redact(loginError(ctx, server, ep.username, err), secrets...)
	}
	return &Client{vc: vc, sm: sm, server: server, datacenter: c.Datacenter, secrets: secrets}, nil
}

func connectError(ctx context.Context, server string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("connect to vcenter %s: %w", server, ctx.Err())
	}
	if tp, ok := tlsFailure(err); ok {
		hint := "trust it with ca_file (GOVC_TLS_CA_CERTS) or thumbprint (GOVC_TLS_KNOWN_HOSTS), or set insecure = true"
		var pm *pinMismatch
		switch {
		case errors.As(err, &pm):
			hint = "if the certificate was replaced on purpose, update the pinned thumbprint"
		case tp != "":
			hint = fmt.Sprintf("its SHA-256 thumbprint is %s; %s", tp, hint)
		}
		return fmt.Errorf("%w: %s: %w (%s)", ErrTLS, server, err, hint)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnreachable, server, err)
}

func loginError(ctx context.Context, server, user string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("log in to vcenter %s: %w", server, ctx.Err())
	}
	var f interface{ Fault() types.BaseMethodFault }
	if errors.As(err, &f) {
		return fmt.Errorf("%w: %s as %s: %w", ErrLogin, server, user, inWords(err))
	}
	return fmt.Errorf("%w: log in to %s: %w", ErrUnreachable, server, err)
}

// Server is the SDK URL of the session, without credentials.
func (c *Client) Server() string { return c.server }

// Close logs out and drops idle connections.
func (c *Client) Close(ctx context.Context) error {
	defer c.vc.CloseIdleConnections()
	if err := c.sm.Logout(ctx); err != nil {
		return c.redact(fmt.Errorf("log out of vcenter %s: %w", c.server, err))
	}
	return nil
}

func (c *Client) redact(err error) error { return redact(err, c.secrets...) }
