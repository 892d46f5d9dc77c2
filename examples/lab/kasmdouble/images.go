package kasmdouble

// Workspaces ("images" in Kasm's API), as the contract double keeps them.
//
//   - /api/public/get_images follows Kasm's Developer API page:
//     api_key/api_key_secret in the body, {"images": [...]} back.
//   - /api/public/update_image is not in Kasm's public docs; the shape is
//     the one community clients send ({api_key, api_key_secret,
//     target_image: {image_id, ...}} → {"image": {...}}; see remote/kasm's
//     images.go). Whether Kasm keeps a field the request leaves out is not
//     known, so the double takes the pessimistic reading: the image
//     becomes target_image as sent, and a field left out is gone. A client
//     that does not send back every field loses it here, and the tests see
//     it.
//
// Each image carries the fields a real one has (the image record as
// community clients model it: cores, memory, run_config, volume_mappings,
// categories, zone and server restrictions...), so tests can assert that
// a restriction change leaves them as they were.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
)

// AddImage registers a workspace with a real image's fields and no
// network restriction; its image_id is "img-" + a number.
func (d *Double) AddImage(friendlyName, dockerImage string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.images == nil {
		d.images = map[string]map[string]any{}
	}
	id := fmt.Sprintf("img-%d", len(d.images)+1)
	d.images[id] = map[string]any{
		"image_id": id, "friendly_name": friendlyName, "name": dockerImage,
		"description": "A " + friendlyName + " workspace", "image_type": "Container",
		"cores": 2, "memory": 2768000000, "gpu_count": 0, "require_gpu": false,
		"cpu_allocation_method": "Inherit", "docker_registry": "https://index.docker.io/v1/",
		"docker_user": nil, "docker_token": nil, "enabled": true, "available": true, "hidden": false,
		"image_src": "img/thumbnails/chrome.png", "x_res": 800, "y_res": 600,
		"run_config":              map[string]any{"hostname": "kasm", "environment": map[string]any{"TZ": "UTC"}},
		"exec_config":             map[string]any{"first_launch": map[string]any{"user": "root", "cmd": "bash -c 'echo ready'"}},
		"volume_mappings":         map[string]any{"/mnt/share": map[string]any{"bind": "/share", "mode": "ro"}},
		"launch_config":           map[string]any{},
		"categories":              []any{"Browsers", "Enclaves"},
		"persistent_profile_path": "/mnt/profiles/{image_id}/{username}",
		"restrict_to_server":      false, "server_id": nil, "server_pool_id": nil,
		"restrict_to_zone": false, "zone_id": nil, "zone_name": nil,
		"filter_policy_id": nil, "filter_policy_force_disabled": false, "session_time_limit": nil,
		"override_egress_gateways": false, "uncompressed_size_mb": 1600, "notes": "set up by hand",
		"restrict_to_network": false, "restrict_network_names": []any{}, "allow_network_selection": false,
	}
	return id
}

// Image is the image's record as the double holds it (a copy).
func (d *Double) Image(id string) map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return clone(d.images[id])
}

// RefuseUpdates makes update_image answer {"error_message": msg} until
// called with "".
func (d *Double) RefuseUpdates(msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refuseUpdate = msg
}

// IgnoreUpdates makes update_image answer success without storing
// anything, until called with false: a Kasm that accepts and drops.
func (d *Double) IgnoreUpdates(ignore bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ignoreUpdate = ignore
}

// SetEnabled enables or disables the agent with hostname, as an admin in
// Kasm's UI would.
func (d *Double) SetEnabled(hostname string, enabled bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.agents["srv-"+hostname].enabled = enabled
}

// clone deep-copies a record through JSON, as it travels.
func clone(rec map[string]any) map[string]any {
	if rec == nil {
		return nil
	}
	b, _ := json.Marshal(rec)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

type devBody struct {
	APIKey       string         `json:"api_key"`
	APIKeySecret string         `json:"api_key_secret"`
	TargetImage  map[string]any `json:"target_image"`
}

func (d *Double) dev(w http.ResponseWriter, r *http.Request, in *devBody) bool {
	if !d.begin(w, r, in) {
		return false
	}
	if in.APIKey != APIKey || in.APIKeySecret != APIKeySecret {
		kasmError(w, "Invalid API Key")
		return false
	}
	return true
}

func (d *Double) getImages(w http.ResponseWriter, r *http.Request) {
	var in devBody
	if !d.dev(w, r, &in) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	images := []map[string]any{}
	for _, rec := range d.images {
		images = append(images, clone(rec))
	}
	sort.Slice(images, func(i, j int) bool { return fmt.Sprint(images[i]["image_id"]) < fmt.Sprint(images[j]["image_id"]) })
	answer(w, map[string]any{"images": images})
}

func (d *Double) updateImage(w http.ResponseWriter, r *http.Request) {
	var in devBody
	if !d.dev(w, r, &in) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	t := in.TargetImage
	id, _ := t["image_id"].(string)
	switch {
	case d.refuseUpdate != "":
		kasmError(w, d.refuseUpdate)
		return
	case t == nil:
		kasmError(w, "target_image missing")
		return
	case d.images[id] == nil:
		kasmError(w, "Image not found")
		return
	}
	if msg := checkRestriction(t); msg != "" {
		kasmError(w, msg)
		return
	}
	if !d.ignoreUpdate {
		d.images[id] = clone(t)
	}
	answer(w, map[string]any{"image": clone(d.images[id])})
}

// checkRestriction holds the restriction fields to the shapes get_images
// reads them in: two booleans and a list of strings.
func checkRestriction(t map[string]any) string {
	for _, f := range []string{"restrict_to_network", "allow_network_selection"} {
		if _, ok := t[f].(bool); !ok {
			return f + " must be a boolean"
		}
	}
	names, ok := t["restrict_network_names"].([]any)
	if !ok {
		return "restrict_network_names must be a list"
	}
	for _, n := range names {
		if _, ok := n.(string); !ok {
			return "restrict_network_names must hold strings"
		}
	}
	return ""
}
