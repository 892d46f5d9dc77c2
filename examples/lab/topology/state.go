package topology

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// VCSimAddr is where the lab's vSphere simulator listens.
const VCSimAddr = "127.0.0.1:8989"

// Dir is the lab's state folder (examples/lab/state) and names its files.
type Dir string

func (d Dir) path(name string) string { return filepath.Join(string(d), name) }

// File names inside the state folder.
func (d Dir) LabJSON() string         { return d.path("lab.json") }
func (d Dir) Lock() string            { return d.path("lab.lock") }
func (d Dir) Key() string             { return d.path("id_ed25519") }
func (d Dir) KnownHosts() string      { return d.path("known_hosts") }
func (d Dir) VSpherePassword() string { return d.path("vsphere-password") }
func (d Dir) VCSimCA() string         { return d.path("vcsim-ca.pem") }
func (d Dir) VCSimThumbprint() string { return d.path("vcsim-thumbprint") }
func (d Dir) VCSimPID() string        { return d.path("vcsim.pid") }
func (d Dir) VCSimLog() string        { return d.path("vcsim.log") }
func (d Dir) VCSimReady() string      { return d.path("vcsim.ready") }
func (d Dir) Bin(name string) string  { return d.path(filepath.Join("bin", name)) }
func (d Dir) VMDir() string           { return d.path("vm") }
func (d Dir) PID(vm string) string    { return d.path(filepath.Join("vm", vm+".pid")) }
func (d Dir) Overlay(vm string) string {
	return d.path(filepath.Join("vm", vm+".qcow2"))
}
func (d Dir) Identity(vm string) string { return d.path(filepath.Join("vm", vm+"-identity.tar")) }
func (d Dir) Console(vm string) string  { return d.path("console-" + vm + ".log") }

// State is lab.json: what `lab.sh up` started and how to reach it.
type State struct {
	Version int       `json:"version"`
	Started time.Time `json:"started"`
	Image   string    `json:"image"` // folder with vmlinuz, initrd.gz, base.qcow2 (bookworm)
	// Images: the folder of each image variant (topology.Bookworm, ...).
	Images    map[string]string `json:"images,omitempty"`
	Agents    []VM              `json:"agents"`
	BareMetal []VM              `json:"bare_metal,omitempty"` // agents that are no VM in vcsim
	Gateway   VM                `json:"gateway"`
	VCSimURL  string            `json:"vcsim_url"`
	Inventory string            `json:"inventory"`
	BootSecs  float64           `json:"boot_seconds"` // up: from first qemu to all ready
}

// ImageOf is the image folder vm boots.
func (s *State) ImageOf(vm VM) string {
	if img, ok := s.Images[vm.ImageName()]; ok {
		return img
	}
	return s.Image
}

// StateVersion is the lab.json format version.
const StateVersion = 1

// ReadState reads lab.json.
func (d Dir) ReadState() (*State, error) {
	b, err := os.ReadFile(d.LabJSON())
	if err != nil {
		return nil, fmt.Errorf("read lab state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %w", d.LabJSON(), err)
	}
	if s.Version != StateVersion {
		return nil, errors.New("lab state: unknown version; run make lab-down && make lab-up")
	}
	return &s, nil
}

// WriteState writes lab.json atomically.
func (d Dir) WriteState(s *State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode lab state: %w", err)
	}
	if err := WriteAside(d.LabJSON(), append(b, '\n')); err != nil {
		return fmt.Errorf("write lab state: %w", err)
	}
	return nil
}

// WriteAside writes b to path through a file beside it and a rename, so
// that a process polling for path never reads it empty or half written.
func WriteAside(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
