// Package kasmdouble is a contract double of the few Kasm Workspaces API
// calls push makes to drain agents: an HTTP server with just those
// endpoints, answering in the shapes push's client (remote/kasm) expects,
// tracking each agent's enabled flag and sessions and logging every
// request. It is part of the test rig, not of push; it is NOT Kasm, and no
// test using it says anything about Kasm itself.
//
// The shapes follow, per endpoint:
//   - /api/public/get_kasms: Kasm's Developer API page
//     (https://www.kasmweb.com/docs/latest/developers/developer_api.html),
//     api_key/api_key_secret in the body, {"error_message": ...} on error.
//   - /api/authenticate, /api/admin/get_servers, /api/admin/update_server:
//     Kasm's admin UI traffic (not publicly documented); enabled's meaning
//     from the Docker Agents page
//     (https://www.kasmweb.com/docs/latest/guide/agent_settings.html).
package kasmdouble

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"
)

// Credentials the double accepts.
const (
	Username     = "admin@kasm.local"
	Password     = "double-password"
	APIKey       = "double-key"
	APIKeySecret = "double-key-secret"
	token        = "double-token"
)

// Request is one logged call: when it came, its path and, for
// update_server, the agent and the enabled flag asked for.
type Request struct {
	Time     time.Time
	Path     string
	ServerID string
	Enabled  *bool
}

// Double is the running contract double.
type Double struct {
	*httptest.Server
	mu       sync.Mutex
	agents   map[string]*agent // by server_id
	log      []Request
	failures map[string]int // path → how many 503 answers to give first
	// images are the workspaces (images.go), by image_id.
	images       map[string]map[string]any
	refuseUpdate string
	ignoreUpdate bool
	logged       chan struct{} // closed and replaced when the log grows
}

type agent struct {
	hostname string
	enabled  bool
	sessions map[string]string // kasm_id → username
}

// Start serves the double over TLS (httptest's own CA: the client trusts
// d.Certificate()); Close it when done.
func Start() *Double {
	d := &Double{agents: map[string]*agent{}, failures: map[string]int{}, logged: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/authenticate", d.authenticate)
	mux.HandleFunc("POST /api/admin/get_servers", d.getServers)
	mux.HandleFunc("POST /api/admin/update_server", d.updateServer)
	mux.HandleFunc("POST /api/public/get_kasms", d.getKasms)
	mux.HandleFunc("POST /api/public/get_images", d.getImages)
	mux.HandleFunc("POST /api/public/update_image", d.updateImage)
	d.Server = httptest.NewTLSServer(mux)
	return d
}

// AddAgent registers an enabled agent; its server_id is "srv-"+hostname.
func (d *Double) AddAgent(hostname string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := "srv-" + hostname
	d.agents[id] = &agent{hostname: hostname, enabled: true, sessions: map[string]string{}}
	return id
}

// AddSession puts a session of user on the agent with hostname.
func (d *Double) AddSession(hostname, kasmID, user string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.agents["srv-"+hostname].sessions[kasmID] = user
}

// EndSession ends a session, as a user logging out would.
func (d *Double) EndSession(hostname, kasmID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.agents["srv-"+hostname].sessions, kasmID)
}

// Enabled says whether the agent with hostname takes new sessions.
func (d *Double) Enabled(hostname string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.agents["srv-"+hostname].enabled
}

// FailNext makes the next n calls to path answer 503 without a body.
func (d *Double) FailNext(path string, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failures[path] = n
}

// Log is every request so far, in order.
func (d *Double) Log() []Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Request(nil), d.log...)
}

// begin logs a request, decodes its body and answers injected failures;
// it reports whether the handler should go on.
func (d *Double) begin(w http.ResponseWriter, r *http.Request, body any) bool {
	d.mu.Lock()
	d.log = append(d.log, Request{Time: time.Now(), Path: r.URL.Path})
	if r.URL.Path != "/api/admin/update_server" {
		d.grew()
	}
	fail := d.failures[r.URL.Path] > 0
	if fail {
		d.failures[r.URL.Path]--
	}
	d.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(body); err != nil {
		kasmError(w, "bad json: "+err.Error())
		return false
	}
	return true
}

// kasmError answers as Kasm does: {"error_message": ...}.
func kasmError(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"error_message": msg})
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (d *Double) authenticate(w http.ResponseWriter, r *http.Request) {
	var in struct{ Username, Password string }
	if !d.begin(w, r, &in) {
		return
	}
	if in.Username != Username || in.Password != Password {
		kasmError(w, "Access Denied")
		return
	}
	answer(w, map[string]string{"token": token, "username": in.Username})
}

type adminBody struct {
	Token        string `json:"token"`
	Username     string `json:"username"`
	TargetServer struct {
		ServerType string `json:"server_type"`
		ServerID   string `json:"server_id"`
		Enabled    *bool  `json:"enabled"`
	} `json:"target_server"`
}

func (d *Double) admin(w http.ResponseWriter, r *http.Request, in *adminBody) bool {
	if !d.begin(w, r, in) {
		return false
	}
	if in.Token != token || in.Username != Username {
		kasmError(w, "Unauthorized")
		return false
	}
	return true
}

func (d *Double) getServers(w http.ResponseWriter, r *http.Request) {
	var in adminBody
	if !d.admin(w, r, &in) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	type server struct {
		ServerID string `json:"server_id"`
		Hostname string `json:"hostname"`
		Enabled  bool   `json:"enabled"`
	}
	var out []server
	for id, a := range d.agents {
		out = append(out, server{id, a.hostname, a.enabled})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ServerID < out[j].ServerID })
	answer(w, map[string]any{"servers": out})
}

func (d *Double) updateServer(w http.ResponseWriter, r *http.Request) {
	var in adminBody
	if !d.admin(w, r, &in) {
		return
	}
	t := in.TargetServer
	d.mu.Lock()
	defer d.mu.Unlock()
	d.log[len(d.log)-1].ServerID, d.log[len(d.log)-1].Enabled = t.ServerID, t.Enabled
	d.grew()
	a := d.agents[t.ServerID]
	switch {
	case t.ServerType != "host":
		kasmError(w, fmt.Sprintf("unsupported server_type %q", t.ServerType))
	case a == nil:
		kasmError(w, "Server not found")
	case t.Enabled == nil:
		kasmError(w, "enabled missing")
	default:
		a.enabled = *t.Enabled
		answer(w, map[string]any{"server": map[string]any{"server_id": t.ServerID, "enabled": a.enabled}})
	}
}

func (d *Double) getKasms(w http.ResponseWriter, r *http.Request) {
	var in struct {
		APIKey       string `json:"api_key"`
		APIKeySecret string `json:"api_key_secret"`
	}
	if !d.begin(w, r, &in) {
		return
	}
	if in.APIKey != APIKey || in.APIKeySecret != APIKeySecret {
		kasmError(w, "Invalid API Key")
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	type kasm struct {
		KasmID   string `json:"kasm_id"`
		ServerID string `json:"server_id"`
		Username string `json:"username"`
	}
	kasms := []kasm{}
	for id, a := range d.agents {
		for k, u := range a.sessions {
			kasms = append(kasms, kasm{k, id, u})
		}
	}
	sort.Slice(kasms, func(i, j int) bool { return kasms[i].KasmID < kasms[j].KasmID })
	answer(w, map[string]any{"kasms": kasms})
}
