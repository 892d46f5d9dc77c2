package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kasmfleet/push/remote/helper/internal/http1"
)

// DefaultSocket is where dockerd listens.
const DefaultSocket = "/var/run/docker.sock"

// ErrNotFound is returned for a network Docker does not have.
var ErrNotFound = errors.New("no such network")

// Client is a small Docker Engine API client: just the calls push needs,
// over the unix socket, with no docker CLI.
type Client struct {
	socket     string
	apiVersion string   // path prefix "/v1.41", set by Negotiate
	version    *Version // what Negotiate learned
	// Sent, when set, is called once a request has been written to the
	// daemon (tracing, and tests that interrupt push while Docker works
	// or count its reads).
	Sent func(method, path string)
}

// NewClient returns a client for the daemon listening on socket.
func NewClient(socket string) *Client {
	return &Client{socket: socket}
}

// Close releases what the client holds: nothing, since every request
// has its own connection (a unix socket's connect costs microseconds).
func (c *Client) Close() {}

// requestTimeout bounds one request to the daemon.
const requestTimeout = 60 * time.Second

// Version is what the daemon says about itself.
type Version struct {
	Version    string `json:"Version"`
	APIVersion string `json:"ApiVersion"`
}

// SupportsIPVlan reports whether ipvlan is available without
// experimental mode (Docker 19.03 and later).
func (v Version) SupportsIPVlan() bool {
	major, minor := parseVersion(v.Version)
	return major > 19 || (major == 19 && minor >= 3)
}

// parseVersion reads "20.10.24+dfsg1" as 20, 10.
func parseVersion(s string) (int, int) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return 0, 0
	}
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(parts[1])
	return major, minor
}

// Negotiate learns the daemon's version and pins later requests to the
// daemon's own API version. The few fields push reads and writes have
// been stable since API 1.40 (Docker 19.03); newer daemons drop support
// for old versions (Docker 29 needs 1.44), so push speaks the daemon's
// version rather than a fixed one.
//
// It asks /_ping, whose answer carries both versions in its header
// (API-Version, and Server: "Docker/20.10.24+dfsg1 (linux)"). /version
// would make the daemon run runc and containerd to report theirs: 80 to
// 290 ms on a lab agent against 5 to 9 ms for the ping. A daemon whose
// ping lacks either is asked /version. The answer is kept for the rest
// of the client's life (one helper run).
func (c *Client) Negotiate(ctx context.Context) (Version, error) {
	if c.version != nil {
		return *c.version, nil
	}
	resp, err := c.request(ctx, "GET", "/_ping", nil)
	if err != nil {
		return Version{}, fmt.Errorf("docker version: %w", err)
	}
	v := Version{APIVersion: resp.Header["api-version"], Version: serverVersion(resp.Header["server"])}
	if v.APIVersion == "" || v.Version == "" {
		if err := c.do(ctx, "GET", "/version", nil, &v); err != nil {
			return Version{}, fmt.Errorf("docker version: %w", err)
		}
	}
	if v.APIVersion == "" {
		return v, fmt.Errorf("docker version: daemon %q reports no API version", v.Version)
	}
	c.apiVersion = "/v" + v.APIVersion
	c.version = &v
	return v, nil
}

// serverVersion reads the engine's version from a Server header field:
// "Docker/20.10.24+dfsg1 (linux)" is "20.10.24+dfsg1".
func serverVersion(field string) string {
	v, ok := strings.CutPrefix(field, "Docker/")
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, " ")
	return v
}

type apiNetwork struct {
	ID         string            `json:"Id"`
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Options    map[string]string `json:"Options"`
	Attachable bool              `json:"Attachable"`
	EnableIPv6 bool              `json:"EnableIPv6"`
	Labels     map[string]string `json:"Labels"`
	IPAM       struct {
		Driver string `json:"Driver"`
		Config []struct {
			Subnet     string            `json:"Subnet"`
			Gateway    string            `json:"Gateway"`
			IPRange    string            `json:"IPRange"`
			AuxAddress map[string]string `json:"AuxiliaryAddresses"`
		} `json:"Config"`
	} `json:"IPAM"`
	Containers map[string]struct {
		Name        string `json:"Name"`
		IPv4Address string `json:"IPv4Address"`
	} `json:"Containers"`
}

func (a apiNetwork) network() Network {
	n := Network{
		ID: a.ID, Name: a.Name, Driver: a.Driver, Options: a.Options,
		Attachable: a.Attachable, Labels: a.Labels, IPv6: a.EnableIPv6,
	}
	// The first pool of each family is the one push manages.
	seen4, seen6 := false, false
	for _, c := range a.IPAM.Config {
		switch v6 := strings.Contains(c.Subnet, ":"); {
		case v6 && !seen6:
			seen6 = true
			n.Subnet6, n.Gateway6, n.IPRange6, n.Aux6 = c.Subnet, c.Gateway, c.IPRange, c.AuxAddress
		case !v6 && !seen4:
			seen4 = true
			n.Subnet, n.Gateway, n.IPRange, n.Aux = c.Subnet, c.Gateway, c.IPRange, c.AuxAddress
		}
	}
	for id, c := range a.Containers {
		name := strings.TrimPrefix(c.Name, "/")
		if name == "" {
			name = id[:min(12, len(id))]
		}
		n.Containers = append(n.Containers, name)
		if c.IPv4Address != "" {
			n.ContainerAddrs = append(n.ContainerAddrs, normAddr(c.IPv4Address))
		}
	}
	return Normalize(n)
}

// Networks lists every network. Containers are not filled in; Inspect
// one network for those.
func (c *Client) Networks(ctx context.Context) ([]Network, error) {
	var list []apiNetwork
	if err := c.do(ctx, "GET", c.apiVersion+"/networks", nil, &list); err != nil {
		return nil, fmt.Errorf("list docker networks: %w", err)
	}
	out := make([]Network, 0, len(list))
	for _, a := range list {
		out = append(out, a.network())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Inspect returns one network, with its attached containers.
func (c *Client) Inspect(ctx context.Context, idOrName string) (Network, error) {
	var a apiNetwork
	if err := c.do(ctx, "GET", c.apiVersion+"/networks/"+url.PathEscape(idOrName), nil, &a); err != nil {
		return Network{}, fmt.Errorf("inspect docker network %s: %w", idOrName, err)
	}
	return a.network(), nil
}

type createRequest struct {
	Name           string            `json:"Name"`
	CheckDuplicate bool              `json:"CheckDuplicate"`
	Driver         string            `json:"Driver"`
	Attachable     bool              `json:"Attachable"`
	EnableIPv6     bool              `json:"EnableIPv6,omitempty"`
	Options        map[string]string `json:"Options,omitempty"`
	Labels         map[string]string `json:"Labels,omitempty"`
	IPAM           *createIPAM       `json:"IPAM,omitempty"`
}

type createIPAM struct {
	Driver string         `json:"Driver"`
	Config []createConfig `json:"Config"`
}

type createConfig struct {
	Subnet     string            `json:"Subnet,omitempty"`
	Gateway    string            `json:"Gateway,omitempty"`
	IPRange    string            `json:"IPRange,omitempty"`
	AuxAddress map[string]string `json:"AuxiliaryAddresses,omitempty"`
}

// Create makes n and returns its id.
func (c *Client) Create(ctx context.Context, n Network) (string, error) {
	req := createRequest{
		Name: n.Name, CheckDuplicate: true, Driver: n.Driver,
		Attachable: n.Attachable, Options: n.Options, Labels: n.Labels, EnableIPv6: n.IPv6,
	}
	if n.Subnet != "" {
		req.IPAM = &createIPAM{Driver: "default", Config: []createConfig{{
			Subnet: n.Subnet, Gateway: n.Gateway, IPRange: n.IPRange, AuxAddress: n.Aux,
		}}}
		if n.Subnet6 != "" {
			req.IPAM.Config = append(req.IPAM.Config, createConfig{
				Subnet: n.Subnet6, Gateway: n.Gateway6, IPRange: n.IPRange6, AuxAddress: n.Aux6,
			})
		}
	}
	var resp struct {
		ID string `json:"Id"`
	}
	if err := c.do(ctx, "POST", c.apiVersion+"/networks/create", req, &resp); err != nil {
		return "", fmt.Errorf("create docker network %s: %w", n.Name, err)
	}
	return resp.ID, nil
}

// Remove deletes a network; a network already gone is not an error.
func (c *Client) Remove(ctx context.Context, idOrName string) error {
	err := c.do(ctx, "DELETE", c.apiVersion+"/networks/"+url.PathEscape(idOrName), nil, nil)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("remove docker network %s: %w", idOrName, err)
	}
	return nil
}

// Disconnect forces a container off a network; a container or network
// already gone is not an error.
func (c *Client) Disconnect(ctx context.Context, network, container string) error {
	body := struct {
		Container string
		Force     bool
	}{container, true}
	err := c.do(ctx, "POST", c.apiVersion+"/networks/"+url.PathEscape(network)+"/disconnect", body, nil)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("disconnect %s from docker network %s: %w", container, network, err)
	}
	return nil
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var data []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		data = b
	}
	resp, err := c.request(ctx, method, path, data)
	if err != nil {
		return err
	}
	if out == nil || len(resp.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("decode docker api %s: %w", path, err)
	}
	return nil
}

// request sends one request on a connection of its own and returns a
// successful response; a 404 is ErrNotFound, other failures *APIError.
func (c *Client) request(ctx context.Context, method, path string, data []byte) (http1.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil {
		return http1.Response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req := http1.Request{Method: method, Host: "docker", Path: path, Body: data}
	if c.Sent != nil {
		req.Wrote = func() { c.Sent(method, path) }
	}
	resp, err := http1.Do(ctx, conn, req)
	if err != nil {
		return resp, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.Status == 404 {
		return resp, fmt.Errorf("%w: %s", ErrNotFound, apiMessage(resp.Body))
	}
	if resp.Status >= 300 {
		return resp, &APIError{Method: method, Path: path, Status: resp.Status, Reason: resp.Reason, Message: apiMessage(resp.Body)}
	}
	return resp, nil
}

func apiMessage(data []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &m) == nil && m.Message != "" {
		return m.Message
	}
	return strings.TrimSpace(string(data))
}
