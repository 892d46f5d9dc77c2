// Package kasm is a small client of the Kasm Workspaces API: just what
// push needs to drain an agent (stop new sessions landing on it, see its
// sessions, let sessions come back).
//
// Where each call comes from:
//   - POST /api/public/get_kasms follows Kasm's Developer API page
//     (https://www.kasmweb.com/docs/latest/developers/developer_api.html):
//     api_key and api_key_secret in the JSON body, errors as an
//     "error_message" in the JSON response (checked 2026-12 against that
//     page and its 1.19 form, https://docs.kasm.com/docs/latest/reference/developer-api;
//     the page of Kasm's unreleased "develop" docs sends the key in an
//     HTTP Basic Authorization header instead: not supported here yet).
//   - POST /api/authenticate, /api/admin/get_servers and
//     /api/admin/update_server are NOT in Kasm's public API docs: they are
//     the calls Kasm's own admin UI makes. What "enabled" does is documented
//     on the Docker Agents page
//     (https://www.kasmweb.com/docs/latest/guide/agent_settings.html: a
//     disabled agent "will not be considered for requests to create more
//     sessions. This is useful to drain sessions"); the request shapes are
//     from that UI traffic and may change between Kasm releases.
//
// push's tests run this client against a contract double
// (examples/lab/kasmdouble), never against Kasm.
package kasm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Secret is a credential that is never printed.
type Secret string

func (Secret) String() string   { return "[secret]" }
func (Secret) GoString() string { return "kasm.Secret([secret])" }

// Config says where Kasm is and how to log in.
type Config struct {
	// URL is the Kasm web address, "https://kasm.example.com".
	URL string
	// Username and Password log in to the admin API (agents).
	Username string
	Password Secret
	// APIKey and APIKeySecret call the developer API (sessions).
	APIKey       Secret
	APIKeySecret Secret
	// CAFile, when set, is the PEM file of the CAs Kasm's certificate is
	// checked against (instead of the system's). TLS is always verified.
	CAFile string
	// Timeout bounds each HTTP request (default 15s).
	Timeout time.Duration
	// Attempts is how many times a request is tried when the network or a
	// 5xx/429 answer fails it (default 3); Backoff is the first wait
	// between attempts, doubled each time (default 500ms).
	Attempts int
	Backoff  time.Duration
}

// Client talks to one Kasm deployment.
type Client struct {
	cfg   Config
	http  *http.Client
	token Secret
}

// New returns a client; it reads CAFile, and contacts nothing.
func New(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		return nil, errors.New("kasm: no url")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kasm ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kasm ca_file %s: no PEM certificate in it", cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	return &Client{cfg: cfg, http: &http.Client{Timeout: cfg.Timeout, Transport: tr}}, nil
}

// Error is an error Kasm answered with (its error_message), or an HTTP
// status Kasm returned without one.
type Error struct {
	Call    string
	Status  int
	Message string
}

func (e *Error) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("kasm %s: Kasm says: %s", e.Call, e.Message)
	}
	return fmt.Sprintf("kasm %s: HTTP %d", e.Call, e.Status)
}

// retryable: the request may succeed if tried again.
func (e *Error) retryable() bool {
	return e.Message == "" && (e.Status >= 500 || e.Status == http.StatusTooManyRequests)
}

// call posts body as JSON to path and decodes the answer into out,
// retrying network failures and 5xx/429 answers with backoff.
func (c *Client) call(ctx context.Context, path string, body, out any) error {
	call := strings.TrimPrefix(path, "/api/")
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("kasm %s: %w", call, err)
	}
	wait := c.cfg.Backoff
	for attempt := 1; ; attempt++ {
		err = c.post(ctx, call, path, payload, out)
		var kerr *Error
		var certErr *tls.CertificateVerificationError
		retry := err != nil && ctx.Err() == nil && !errors.As(err, &certErr) && (!errors.As(err, &kerr) || kerr.retryable())
		if !retry || attempt >= c.cfg.Attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kasm %s: %w", call, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (c *Client) post(ctx context.Context, call, path string, payload []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.cfg.URL, "/")+path, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("kasm %s: %w", call, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("kasm %s: %w", call, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("kasm %s: reading the answer: %w", call, err)
	}
	var kerr struct {
		ErrorMessage string `json:"error_message"`
	}
	_ = json.Unmarshal(raw, &kerr) // a non-JSON answer is judged by its status
	if kerr.ErrorMessage != "" || resp.StatusCode/100 != 2 {
		return &Error{Call: call, Status: resp.StatusCode, Message: kerr.ErrorMessage}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("kasm %s: the answer is not the JSON expected: %w", call, err)
	}
	return nil
}
