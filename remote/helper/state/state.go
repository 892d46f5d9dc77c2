// Package state keeps what the helper leaves on a host between runs: the
// state folder with its binaries, the last applied spec, and the boot
// unit that re-applies it.
package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kasmfleet/push/remote/helper/internal/atomicfile"
	"github.com/kasmfleet/push/remote/proto"
)

// Fixed paths other parts of push rely on.
const (
	Dir       = "/var/lib/push"
	BinDir    = Dir + "/bin"
	Applied   = Dir + "/applied.json"
	Link      = Dir + "/push-helper"
	UnitName  = "push-restore.service"
	UnitFile  = "/etc/systemd/system/" + UnitName
	WantsLink = "/etc/systemd/system/multi-user.target.wants/" + UnitName
)

// Host reads and writes under Root ("" for the real host).
type Host struct {
	Root string
}

func (h Host) path(p string) string { return filepath.Join(h.Root, p) }

// EnsureDir creates the state folder, private to root.
func (h Host) EnsureDir() error {
	for _, d := range []string{Dir, BinDir} {
		if err := os.MkdirAll(h.path(d), 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	return os.Chmod(h.path(Dir), 0o700)
}

// LoadApplied returns the last applied spec, or nil when there is none.
func (h Host) LoadApplied() (*proto.HostSpec, error) {
	b, err := os.ReadFile(h.path(Applied))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", Applied, err)
	}
	var s proto.HostSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decode %s: %w", Applied, err)
	}
	return &s, nil
}

// EncodeSpec is the stored form of a spec.
func EncodeSpec(s proto.HostSpec) []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return append(b, '\n')
}

// AppliedIs reports whether the stored spec is exactly s.
func (h Host) AppliedIs(s proto.HostSpec) bool {
	return atomicfile.Same(h.path(Applied), EncodeSpec(s))
}

// SaveApplied records s atomically.
func (h Host) SaveApplied(s proto.HostSpec) error {
	if err := h.EnsureDir(); err != nil {
		return err
	}
	return atomicfile.Write(h.path(Applied), EncodeSpec(s), 0o600)
}

// BinaryPath is where a helper with the given sha256 lives.
func BinaryPath(sha string) string { return BinDir + "/push-helper-" + sha }

// ShaFromPath returns the sha256 in a content-addressed helper path, so
// a helper push uploaded need not hash itself on every run.
func ShaFromPath(p string) (string, bool) {
	base := filepath.Base(p)
	sha, ok := strings.CutPrefix(base, "push-helper-")
	if !ok || len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		return "", false
	}
	return sha, true
}

// LinkCurrent reports whether the stable link points at the helper with
// this sha256, and that binary is present.
func (h Host) LinkCurrent(sha string) bool {
	target, err := os.Readlink(h.path(Link))
	if err != nil || target != BinaryPath(sha) {
		return false
	}
	st, err := os.Stat(h.path(target))
	return err == nil && st.Mode().IsRegular()
}

// InstallBinary makes BinaryPath(sha) hold the running helper (copying
// self there unless it already is there) and points the stable link at
// it.
func (h Host) InstallBinary(self, sha string) error {
	if err := h.EnsureDir(); err != nil {
		return err
	}
	dst := h.path(BinaryPath(sha))
	if st, err := os.Stat(dst); err != nil || !st.Mode().IsRegular() {
		data, err := os.ReadFile(self)
		if err != nil {
			return fmt.Errorf("read own executable: %w", err)
		}
		if err := atomicfile.Write(dst, data, 0o755); err != nil {
			return err
		}
	}
	return atomicfile.Symlink(BinaryPath(sha), h.path(Link))
}

// Unit is the boot unit's content.
func Unit() []byte {
	return []byte(`# Written by push. Re-applies the last applied network spec at boot
# (VLAN trunk, Docker networks, SNAT table, secondary addresses).
[Unit]
Description=push: restore Docker VLAN networks and SNAT rules
After=docker.service network-online.target
Wants=docker.service

[Service]
Type=oneshot
ExecStart=` + Link + ` restore
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
`)
}

// UnitInstalled reports whether the unit file is current and enabled.
func (h Host) UnitInstalled() bool {
	if !atomicfile.Same(h.path(UnitFile), Unit()) {
		return false
	}
	target, err := os.Readlink(h.path(WantsLink))
	return err == nil && target == UnitFile
}

// InstallUnit writes the unit and enables it (the wants link that
// `systemctl enable` would make). It reports whether it replaced another
// version of the unit: only then does the caller run daemon-reload.
// systemd loads a unit it has not loaded from disk when first asked, and
// reads every unit afresh at boot, so a new unit needs no reload (which
// costs seconds on a small VM).
func (h Host) InstallUnit() (replaced bool, err error) {
	unit := Unit()
	old, err := os.ReadFile(h.path(UnitFile))
	if same := err == nil && bytes.Equal(old, unit); !same {
		replaced = err == nil
		if err := atomicfile.Write(h.path(UnitFile), unit, 0o644); err != nil {
			return false, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(h.path(WantsLink)), 0o755); err != nil {
		return replaced, fmt.Errorf("enable %s: %w", UnitName, err)
	}
	if target, err := os.Readlink(h.path(WantsLink)); err == nil && target == UnitFile {
		return replaced, nil
	}
	return replaced, atomicfile.Symlink(UnitFile, h.path(WantsLink))
}

// Equal reports whether two specs encode the same.
func Equal(a, b proto.HostSpec) bool { return bytes.Equal(EncodeSpec(a), EncodeSpec(b)) }
