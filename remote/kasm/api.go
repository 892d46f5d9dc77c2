package kasm

import (
	"context"
	"errors"
	"fmt"
)

// Server is a Kasm agent as the admin API lists it.
type Server struct {
	ID       string `json:"server_id"`
	Hostname string `json:"hostname"`
	Enabled  bool   `json:"enabled"`
}

// Session is a Kasm session (a "kasm") as the developer API lists it.
type Session struct {
	ID       string `json:"kasm_id"`
	ServerID string `json:"server_id"`
	Username string `json:"username"`
}

// Name names a session for a person: its user and id.
func (s Session) Name() string {
	if s.Username == "" {
		return s.ID
	}
	return s.Username + " (" + s.ID + ")"
}

// adminAuth is what the admin UI sends with each admin call.
type adminAuth struct {
	Token    string `json:"token"`
	Username string `json:"username"`
}

// Login authenticates to the admin API (POST /api/authenticate, from
// Kasm's UI traffic, not documented) and keeps the session token.
func (c *Client) Login(ctx context.Context) error {
	var out struct {
		Token string `json:"token"`
	}
	err := c.call(ctx, "/api/authenticate", map[string]string{
		"username": c.cfg.Username, "password": string(c.cfg.Password)}, &out)
	if err != nil {
		return err
	}
	if out.Token == "" {
		return errors.New("kasm authenticate: Kasm answered without a token")
	}
	c.token = Secret(out.Token)
	return nil
}

func (c *Client) auth(ctx context.Context) (adminAuth, error) {
	if c.token == "" {
		if err := c.Login(ctx); err != nil {
			return adminAuth{}, err
		}
	}
	return adminAuth{Token: string(c.token), Username: c.cfg.Username}, nil
}

// Servers lists the agents (POST /api/admin/get_servers, from Kasm's UI
// traffic, not documented).
func (c *Client) Servers(ctx context.Context) ([]Server, error) {
	a, err := c.auth(ctx)
	if err != nil {
		return nil, err
	}
	var out struct {
		Servers []Server `json:"servers"`
	}
	if err := c.call(ctx, "/api/admin/get_servers", a, &out); err != nil {
		return nil, err
	}
	return out.Servers, nil
}

// ServerByHostname finds the agent Kasm knows by hostname.
func (c *Client) ServerByHostname(ctx context.Context, hostname string) (Server, error) {
	servers, err := c.Servers(ctx)
	if err != nil {
		return Server{}, err
	}
	for _, s := range servers {
		if s.Hostname == hostname {
			return s, nil
		}
	}
	return Server{}, fmt.Errorf("kasm: no agent with hostname %q", hostname)
}

// SetEnabled enables or disables an agent for new sessions
// (POST /api/admin/update_server with target_server {server_type "host",
// server_id, enabled}; from Kasm's UI traffic, not documented; the
// meaning of enabled is documented on the Docker Agents page).
func (c *Client) SetEnabled(ctx context.Context, serverID string, enabled bool) error {
	a, err := c.auth(ctx)
	if err != nil {
		return err
	}
	body := struct {
		adminAuth
		Target struct {
			Type    string `json:"server_type"`
			ID      string `json:"server_id"`
			Enabled bool   `json:"enabled"`
		} `json:"target_server"`
	}{adminAuth: a}
	body.Target.Type, body.Target.ID, body.Target.Enabled = "host", serverID, enabled
	var out struct{}
	return c.call(ctx, "/api/admin/update_server", body, &out)
}

// Sessions lists the sessions on one agent (POST /api/public/get_kasms,
// Kasm's Developer API page; filtered here by server_id).
func (c *Client) Sessions(ctx context.Context, serverID string) ([]Session, error) {
	var out struct {
		Kasms []Session `json:"kasms"`
	}
	err := c.call(ctx, "/api/public/get_kasms", map[string]string{
		"api_key": string(c.cfg.APIKey), "api_key_secret": string(c.cfg.APIKeySecret)}, &out)
	if err != nil {
		return nil, err
	}
	var on []Session
	for _, s := range out.Kasms {
		if s.ServerID == serverID {
			on = append(on, s)
		}
	}
	return on, nil
}

// Disable stops new sessions landing on the agent Kasm knows by hostname.
func (c *Client) Disable(ctx context.Context, hostname string) error {
	return c.setEnabledByHostname(ctx, hostname, false)
}

// Enable lets sessions land on the agent Kasm knows by hostname again.
func (c *Client) Enable(ctx context.Context, hostname string) error {
	return c.setEnabledByHostname(ctx, hostname, true)
}

func (c *Client) setEnabledByHostname(ctx context.Context, hostname string, enabled bool) error {
	s, err := c.ServerByHostname(ctx, hostname)
	if err != nil {
		return err
	}
	return c.SetEnabled(ctx, s.ID, enabled)
}
