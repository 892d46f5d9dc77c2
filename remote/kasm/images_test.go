package kasm_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kasmfleet/push/remote/kasm"
)

// These tests run the client against the contract double, not Kasm.

var restrictionFields = []string{"restrict_to_network", "restrict_network_names", "allow_network_selection"}

func TestRestrictKeepsEveryOtherField(t *testing.T) {
	d, cfg := start(t)
	id := d.AddImage("Chrome - Enclave 2", "kasmweb/chrome:1.16.0")
	d.AddImage("Firefox", "kasmweb/firefox:1.16.0")
	c, ctx := client(t, cfg), context.Background()
	img, err := c.ImageByFriendlyName(ctx, "Chrome - Enclave 2")
	if err != nil || img.ID != id || img.Restriction.Restricted {
		t.Fatalf("ImageByFriendlyName = %+v, %v; want %s, unrestricted", img, err, id)
	}
	before := d.Image(id)
	want := kasm.Restriction{Restricted: true, Networks: []string{"z_enclave_2", "z_enclave_3"}, AllowSelection: true}
	got, err := c.Restrict(ctx, img, want)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Restriction.Equal(want) {
		t.Fatalf("Restrict returned %s, want %s", got.Restriction, want)
	}
	after := d.Image(id)
	if after["restrict_to_network"] != true || after["allow_network_selection"] != true ||
		!reflect.DeepEqual(after["restrict_network_names"], []any{"z_enclave_2", "z_enclave_3"}) {
		t.Fatalf("the double holds %v %v %v", after["restrict_to_network"], after["restrict_network_names"], after["allow_network_selection"])
	}
	if len(before) < 30 {
		t.Fatalf("the double's image has only %d fields; a real one has dozens", len(before))
	}
	for k, v := range before {
		if slices.Contains(restrictionFields, k) {
			continue
		}
		if !reflect.DeepEqual(after[k], v) {
			t.Errorf("field %s changed: %v → %v", k, v, after[k])
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d fields after the update, %d before", len(after), len(before))
	}
	var paths []string
	for _, r := range d.Log() {
		paths = append(paths, r.Path)
	}
	if got, want := strings.Join(paths, " "), "/api/public/get_images /api/public/update_image /api/public/get_images"; got != want {
		t.Fatalf("requests:\n got %s\nwant %s (read, write, read back)", got, want)
	}
}

func TestRestrictRefusedSaysKasmsMessage(t *testing.T) {
	d, cfg := start(t)
	d.AddImage("Chrome", "kasmweb/chrome:1.16.0")
	c, ctx := client(t, cfg), context.Background()
	img, err := c.ImageByFriendlyName(ctx, "Chrome")
	if err != nil {
		t.Fatal(err)
	}
	d.RefuseUpdates("Unauthorized: the API key lacks Images Modify")
	_, err = c.Restrict(ctx, img, kasm.Restriction{Restricted: true, Networks: []string{"z_enclave_2"}})
	var kerr *kasm.Error
	if !errors.As(err, &kerr) || kerr.Call != "public/update_image" || !strings.Contains(err.Error(), "Kasm says: Unauthorized: the API key lacks Images Modify") {
		t.Fatalf("err = %v; want Kasm's own error_message from update_image", err)
	}
}

func TestRestrictReadBackDiffers(t *testing.T) {
	d, cfg := start(t)
	d.AddImage("Chrome", "kasmweb/chrome:1.16.0")
	c, ctx := client(t, cfg), context.Background()
	img, err := c.ImageByFriendlyName(ctx, "Chrome")
	if err != nil {
		t.Fatal(err)
	}
	d.IgnoreUpdates(true)
	_, err = c.Restrict(ctx, img, kasm.Restriction{Restricted: true, Networks: []string{"z_enclave_2"}})
	if err == nil || !strings.Contains(err.Error(), "reads back not restricted to networks, not restricted to z_enclave_2") {
		t.Fatalf("err = %v; an update Kasm drops must fail on the read-back", err)
	}
}

func TestImageByFriendlyNameOneOnly(t *testing.T) {
	d, cfg := start(t)
	d.AddImage("Chrome", "kasmweb/chrome:1.16.0")
	d.AddImage("Chrome", "kasmweb/chrome:1.15.0")
	c, ctx := client(t, cfg), context.Background()
	if _, err := c.ImageByFriendlyName(ctx, "Chrome"); err == nil || !strings.Contains(err.Error(), "2 workspaces are named \"Chrome\"") {
		t.Fatalf("err = %v; two workspaces of one name must be refused", err)
	}
	if _, err := c.ImageByFriendlyName(ctx, "Edge"); err == nil || !strings.Contains(err.Error(), "no workspace is named \"Edge\"") {
		t.Fatalf("err = %v; want no such workspace", err)
	}
}

func TestImageNetworkNamesShapes(t *testing.T) {
	tests := []struct {
		field string
		want  []string
	}{
		{`["z_a", "z_b"]`, []string{"z_a", "z_b"}},
		{`"[\"z_a\"]"`, []string{"z_a"}},
		{`null`, nil},
		{`""`, nil},
		{`[]`, []string{}},
	}
	for _, tc := range tests {
		var img kasm.Image
		src := `{"image_id": "i1", "friendly_name": "Chrome", "restrict_to_network": true, "restrict_network_names": ` + tc.field + `, "cores": 2}`
		if err := json.Unmarshal([]byte(src), &img); err != nil {
			t.Fatalf("%s: %v", tc.field, err)
		}
		if !slices.Equal(img.Restriction.Networks, tc.want) || !img.Restriction.Restricted || string(img.Field("cores")) != "2" {
			t.Errorf("%s: read %+v, want networks %q", tc.field, img.Restriction, tc.want)
		}
	}
	var img kasm.Image
	if err := json.Unmarshal([]byte(`{"image_id": "i1", "restrict_network_names": 7}`), &img); err == nil {
		t.Error("a number as restrict_network_names must be refused")
	}
}
