// Package importinv writes the inventory of a fleet that already exists:
// from the facts each agent's helper surveyed (and, optionally, what
// vSphere showed) to an HCL inventory that push validate accepts, with a
// "# push import:" comment wherever the fleet disagrees with itself and
// the admin must decide. It is pure: facts in, bytes out.
package importinv

import (
	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/remote/proto"
)

// Fleet is what import read.
type Fleet struct {
	// Defaults are the connection defaults, written as the defaults block;
	// an agent's own user and port are written only where they differ.
	Defaults inventory.SSH `json:"defaults"`
	// Hosts in the order the admin named them; an agent keeps its place.
	Hosts   []Host   `json:"hosts"`
	VSphere *VSphere `json:"vsphere,omitempty"` // nil: no vSphere
}

// Host is one agent and what its helper surveyed.
type Host struct {
	Name    string       `json:"name"` // the agent's name in the inventory
	Address string       `json:"address"`
	User    string       `json:"user,omitempty"`
	Port    int          `json:"port,omitempty"`
	Facts   *proto.Facts `json:"facts,omitempty"` // nil: unreachable
	Err     string       `json:"error,omitempty"` // why it could not be read
}

// VSphere is what vCenter showed. Credentials are never carried: the
// inventory reads them from the environment.
type VSphere struct {
	Name       string         `json:"name"`
	URL        string         `json:"url"`
	Datacenter string         `json:"datacenter,omitempty"`
	Trunks     []VSphereTrunk `json:"trunks,omitempty"`
	VMs        []VSphereVM    `json:"vms,omitempty"`
}

// VSphereTrunk is a port group that trunks VLANs.
type VSphereTrunk struct {
	Switch    string               `json:"switch"`
	PortGroup string               `json:"portgroup"`
	VLANs     []inventory.VIDRange `json:"vlans"`
}

// VSphereVM is a VM and the MAC addresses of its NICs.
type VSphereVM struct {
	Name string   `json:"name"`
	Path string   `json:"path,omitempty"`
	MACs []string `json:"macs,omitempty"`
}

// Write returns the inventory of f, formatted as hclwrite formats it.
func Write(f Fleet) []byte {
	return render(f, plan(f))
}
