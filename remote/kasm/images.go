package kasm

// Workspaces ("images" in Kasm's API) and their network restriction.
//
// Where each call comes from:
//   - POST /api/public/get_images is on Kasm's Developer API page
//     (https://www.kasmweb.com/docs/latest/developers/developer_api.html):
//     api_key and api_key_secret in the body, {"images": [...]} back.
//   - POST /api/public/update_image is NOT in Kasm's public docs. Community
//     clients call it with {api_key, api_key_secret, target_image: {image_id,
//     ...every field...}} and read {"image": {...}} back: the Terraform
//     provider github.com/SiM22/terraform-provider-kasm
//     (internal/client/image_ops.go, UpdateImage) and
//     github.com/KnightRider2070/KasmLink (pkg/webApi, UpdateImage, whose
//     comment says it uses undocumented endpoints). Both send
//     restrict_network_names as a list of strings and restrict_to_network /
//     allow_network_selection as booleans, as get_images reads them.
//   - What the three fields mean is on Kasm's guide "Restricting Workspaces
//     to Docker Networks" (Workspace → Edit → Restrict Image to Docker
//     Network, Allow Network Selection).
//
// Because update_image is undocumented, and whether Kasm keeps a field the
// request leaves out is unknown, Restrict reads the image, sends back every
// field exactly as read with only the three restriction fields changed,
// then reads the image again and fails unless it holds what was asked.
// push's tests run this against a contract double, never against Kasm.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Restriction is where a workspace's sessions may land.
type Restriction struct {
	// Restricted: sessions land only on agents with one of Networks.
	Restricted bool
	// Networks are Docker network names.
	Networks []string
	// AllowSelection lets the user choose the network at launch.
	AllowSelection bool
}

// Equal reports whether r and o restrict alike; the order of the networks
// does not matter.
func (r Restriction) Equal(o Restriction) bool {
	a, b := slices.Clone(r.Networks), slices.Clone(o.Networks)
	slices.Sort(a)
	slices.Sort(b)
	return r.Restricted == o.Restricted && r.AllowSelection == o.AllowSelection && slices.Equal(a, b)
}

// String is the restriction for a person, in the words push's reports use
// (playbooks.Restriction, which keeps playbooks free of this package).
func (r Restriction) String() string {
	if !r.Restricted {
		return "not restricted to networks"
	}
	s := "restricted to " + strings.Join(r.Networks, ", ")
	if len(r.Networks) == 0 {
		s = "restricted to no network"
	}
	if r.AllowSelection {
		return s + ", user selects"
	}
	return s
}

// Image is a Kasm workspace as get_images answers it: the fields push
// reads, and every field as Kasm sent it, to send back unchanged.
type Image struct {
	ID           string
	Name         string // the Docker image
	FriendlyName string // the name users see
	Restriction  Restriction
	raw          map[string]json.RawMessage
}

// Field is the named field exactly as Kasm sent it, or nil.
func (i Image) Field(name string) json.RawMessage { return i.raw[name] }

// UnmarshalJSON keeps every field, and reads the ones push needs.
// restrict_network_names may come as a list, null, or a JSON string
// holding a list (as Kasm's admin UI form carries it).
func (i *Image) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &i.raw); err != nil {
		return err
	}
	var f struct {
		ID           string `json:"image_id"`
		Name         string `json:"name"`
		FriendlyName string `json:"friendly_name"`
		Restrict     bool   `json:"restrict_to_network"`
		Allow        bool   `json:"allow_network_selection"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	names, err := networkNames(i.raw["restrict_network_names"])
	if err != nil {
		return fmt.Errorf("image %s: restrict_network_names: %w", f.ID, err)
	}
	i.ID, i.Name, i.FriendlyName = f.ID, f.Name, f.FriendlyName
	i.Restriction = Restriction{Restricted: f.Restrict, Networks: names, AllowSelection: f.Allow}
	return nil
}

func networkNames(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		raw = []byte(s)
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return nil, fmt.Errorf("not a list of network names: %w", err)
	}
	return names, nil
}

func (c *Client) devAuth() map[string]any {
	return map[string]any{"api_key": string(c.cfg.APIKey), "api_key_secret": string(c.cfg.APIKeySecret)}
}

// Images lists every workspace (POST /api/public/get_images, documented).
func (c *Client) Images(ctx context.Context) ([]Image, error) {
	var out struct {
		Images []Image `json:"images"`
	}
	if err := c.call(ctx, "/api/public/get_images", c.devAuth(), &out); err != nil {
		return nil, err
	}
	return out.Images, nil
}

// ImageByFriendlyName finds the one workspace with that friendly name; none
// or several is an error.
func (c *Client) ImageByFriendlyName(ctx context.Context, name string) (Image, error) {
	images, err := c.Images(ctx)
	if err != nil {
		return Image{}, err
	}
	var found []Image
	for _, img := range images {
		if img.FriendlyName == name {
			found = append(found, img)
		}
	}
	switch len(found) {
	case 0:
		return Image{}, fmt.Errorf("kasm: no workspace is named %q (its Friendly Name)", name)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, img := range found {
		ids[i] = img.ID
	}
	return Image{}, fmt.Errorf("kasm: %d workspaces are named %q (image ids %s); give each its own Friendly Name", len(found), name, strings.Join(ids, ", "))
}

// Restrict sets img's restriction to want (POST /api/public/update_image,
// undocumented): every other field is sent back as read. It then reads
// the workspace again and returns it, failing unless it holds want.
func (c *Client) Restrict(ctx context.Context, img Image, want Restriction) (Image, error) {
	if img.ID == "" || img.raw == nil {
		return Image{}, fmt.Errorf("kasm update_image: workspace %q was not read from Kasm", img.FriendlyName)
	}
	target := make(map[string]any, len(img.raw))
	for k, v := range img.raw {
		target[k] = v
	}
	names := want.Networks
	if names == nil {
		names = []string{}
	}
	target["restrict_to_network"] = want.Restricted
	target["restrict_network_names"] = names
	target["allow_network_selection"] = want.AllowSelection
	body := c.devAuth()
	body["target_image"] = target
	var out struct {
		Image *Image `json:"image"`
	}
	if err := c.call(ctx, "/api/public/update_image", body, &out); err != nil {
		return Image{}, err
	}
	images, err := c.Images(ctx)
	if err != nil {
		return Image{}, fmt.Errorf("kasm: reading workspace %q back: %w", img.FriendlyName, err)
	}
	for _, got := range images {
		if got.ID != img.ID {
			continue
		}
		if !got.Restriction.Equal(want) {
			return got, fmt.Errorf("kasm update_image: Kasm accepted the update of workspace %q but reads back %s, not %s", img.FriendlyName, got.Restriction, want)
		}
		return got, nil
	}
	return Image{}, fmt.Errorf("kasm: workspace %q (image id %s) is gone after update_image", img.FriendlyName, img.ID)
}
