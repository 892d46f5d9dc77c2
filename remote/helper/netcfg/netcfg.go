// Package netcfg detects how a host configures its network and keeps the
// trunk NIC up with no address across reboots, in that system's own
// files: ifupdown, systemd-networkd, netplan or NetworkManager.
package netcfg

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kasmfleet/push/remote/helper/internal/atomicfile"
)

// Flavor names a network configuration system.
type Flavor string

const (
	IfUpDown       Flavor = "ifupdown"
	Networkd       Flavor = "systemd-networkd"
	Netplan        Flavor = "netplan"
	NetworkManager Flavor = "networkmanager"
	Unknown        Flavor = "unknown"
)

// Trunk files push owns, one per flavor.
const (
	IfUpDownFile       = "/etc/network/interfaces.d/push-trunk"
	NetworkdFile       = "/etc/systemd/network/10-push-trunk.network"
	NetplanFile        = "/etc/netplan/60-push-trunk.yaml"
	NetworkManagerFile = "/etc/NetworkManager/system-connections/push-trunk.nmconnection"
	interfacesFile     = "/etc/network/interfaces"
)

// Host reads and writes under Root ("" for the real host). Run, when
// set, runs a program for best-effort reloads (nil: none are run).
type Host struct {
	Root string
	Run  func(ctx context.Context, name string, args ...string) error
}

func (h Host) path(p string) string { return filepath.Join(h.Root, p) }

func (h Host) exists(p string) bool {
	_, err := os.Stat(h.path(p))
	return err == nil
}

func (h Host) anyExists(paths ...string) bool {
	for _, p := range paths {
		if h.exists(p) {
			return true
		}
	}
	return false
}

func (h Host) globs(pattern string) bool {
	m, _ := filepath.Glob(h.path(pattern))
	return len(m) > 0
}

// Detect tells which system configures the host's network. netplan
// comes first because it renders for networkd or NetworkManager; then a
// NetworkManager or networkd that runs or is enabled; ifupdown last,
// being the long-standing default that is often installed but idle.
func (h Host) Detect() Flavor {
	wants := "/etc/systemd/system/multi-user.target.wants/"
	switch {
	case h.globs("/etc/netplan/*.yaml") && h.anyExists("/usr/sbin/netplan", "/sbin/netplan", "/usr/bin/netplan"):
		return Netplan
	case h.anyExists("/run/NetworkManager/NetworkManager.pid", wants+"NetworkManager.service") &&
		h.anyExists("/usr/sbin/NetworkManager", "/sbin/NetworkManager"):
		return NetworkManager
	case h.anyExists("/run/systemd/netif/state", wants+"systemd-networkd.service") && h.globs("/etc/systemd/network/*.network"):
		return Networkd
	case h.exists(interfacesFile) && h.anyExists("/sbin/ifup", "/usr/sbin/ifup"):
		return IfUpDown
	}
	return Unknown
}

// File is push's trunk file for a flavor ("" for Unknown).
func File(f Flavor) string {
	switch f {
	case IfUpDown:
		return IfUpDownFile
	case Networkd:
		return NetworkdFile
	case Netplan:
		return NetplanFile
	case NetworkManager:
		return NetworkManagerFile
	}
	return ""
}

// Render is the content of push's trunk file: nic up, no address.
func Render(f Flavor, nic string) []byte {
	head := "# Written by push: trunk NIC " + nic + ", up with no address; Docker adds VLAN sub-interfaces.\n"
	switch f {
	case IfUpDown:
		return []byte(head + "auto " + nic + "\niface " + nic + " inet manual\n")
	case Networkd:
		return []byte(head + "[Match]\nName=" + nic + "\n\n[Link]\nRequiredForOnline=no\n\n" +
			"[Network]\nDHCP=no\nLinkLocalAddressing=no\nIPv6AcceptRA=no\nConfigureWithoutCarrier=yes\n")
	case Netplan:
		return []byte(head + "network:\n  version: 2\n  ethernets:\n    " + nic + ":\n" +
			"      dhcp4: false\n      dhcp6: false\n      accept-ra: false\n      link-local: []\n      optional: true\n")
	case NetworkManager:
		// ipv6 "disabled", not "ignore": ignore leaves the kernel taking
		// router advertisements, and an RA on the trunk's untagged
		// network gives it a SLAAC address (seen on Debian 13's
		// NetworkManager 1.52), as networkd's IPv6AcceptRA=no prevents.
		return []byte(head + "[connection]\nid=push-trunk\ntype=ethernet\ninterface-name=" + nic +
			"\nautoconnect=true\n\n[ipv4]\nmethod=disabled\n\n[ipv6]\nmethod=disabled\n")
	}
	return nil
}

// Status is whether the trunk's configuration survives a reboot.
type Status struct {
	Persisted bool
	// Detail says why not, or which admin file already does it.
	Detail string
}

// Check reports whether nic is configured up with no address at boot.
func (h Host) Check(f Flavor, nic string) Status {
	if f == Unknown {
		return Status{Detail: "cannot tell how this host configures its network"}
	}
	if f == IfUpDown {
		if file, ok := h.adminManual(nic); ok {
			// The admin's stanza does push's job (the IPVLAN procedure's
			// "iface NIC inet manual"); a second one makes ifup fail.
			if strings.Contains(h.read(IfUpDownFile), "iface "+nic+" ") {
				return Status{Detail: fmt.Sprintf("%s and %s both have an iface %s stanza: ifup fails at boot", file, IfUpDownFile, nic)}
			}
			return Status{Persisted: true, Detail: file + " configures " + nic + " as manual"}
		}
		if !sourcesPushFile(h.read(interfacesFile)) {
			return Status{Detail: interfacesFile + " does not source " + IfUpDownFile}
		}
	}
	if atomicfile.Same(h.path(File(f)), Render(f, nic)) {
		return Status{Persisted: true}
	}
	return Status{Detail: File(f) + " is missing or differs"}
}

// Persist writes push's trunk file (and, for ifupdown, makes
// /etc/network/interfaces source it), then asks the system to reload
// its files without reconfiguring other links.
func (h Host) Persist(ctx context.Context, f Flavor, nic string) error {
	if f == Unknown {
		return fmt.Errorf("persist trunk %s: cannot tell how this host configures its network (ifupdown, systemd-networkd, netplan or NetworkManager)", nic)
	}
	if f == IfUpDown {
		if _, ok := h.adminManual(nic); ok { // push's own file would be a duplicate
			if err := os.Remove(h.path(IfUpDownFile)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("persist trunk %s: remove duplicate %s: %w", nic, IfUpDownFile, err)
			}
			return nil
		}
		if file, conflict := h.adminStanza(nic); conflict != "" {
			return fmt.Errorf("persist trunk %s: %s already has %q; change it to \"iface %s inet manual\" or remove it", nic, file, conflict, nic)
		}
		if err := h.ensureSource(); err != nil {
			return err
		}
	}
	mode := os.FileMode(0o644)
	if f == Netplan || f == NetworkManager {
		mode = 0o600 // both warn about or ignore readable files
	}
	if err := atomicfile.Write(h.path(File(f)), Render(f, nic), mode); err != nil {
		return fmt.Errorf("persist trunk %s: %w", nic, err)
	}
	h.reload(ctx, f)
	return nil
}

// Remove deletes push's trunk files of every flavor.
func (h Host) Remove() error {
	for _, f := range []Flavor{IfUpDown, Networkd, Netplan, NetworkManager} {
		if err := os.Remove(h.path(File(f))); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", File(f), err)
		}
	}
	return nil
}

// reload makes the system read the new file. It never applies the whole
// configuration (no `netplan apply`, no `networkctl reconfigure` of
// other links): push has already set the link up itself.
func (h Host) reload(ctx context.Context, f Flavor) {
	if h.Run == nil {
		return
	}
	switch f {
	case Networkd:
		h.Run(ctx, "networkctl", "reload")
	case Netplan:
		h.Run(ctx, "netplan", "generate")
	case NetworkManager:
		h.Run(ctx, "nmcli", "connection", "reload")
	}
}

// RunCommand is a Host.Run that executes the program.
func RunCommand(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (h Host) read(p string) string {
	b, _ := os.ReadFile(h.path(p))
	return string(b)
}

// ensureSource makes /etc/network/interfaces read push's file. When the
// admin's file sources neither interfaces.d nor our file, push appends
// one marked line naming only its own file: without it the trunk would
// silently not come up after a reboot, and the line touches nothing the
// admin wrote.
func (h Host) ensureSource() error {
	cur := h.read(interfacesFile)
	if sourcesPushFile(cur) {
		return nil
	}
	if cur != "" && !strings.HasSuffix(cur, "\n") {
		cur += "\n"
	}
	cur += "# Added by push: the trunk NIC's configuration.\nsource " + IfUpDownFile + "\n"
	if err := atomicfile.Write(h.path(interfacesFile), []byte(cur), 0o644); err != nil {
		return fmt.Errorf("add source line to %s: %w", interfacesFile, err)
	}
	return nil
}

// lines returns the file's lines as fields, comments dropped.
func lines(text string) [][]string {
	var out [][]string
	for _, l := range strings.Split(text, "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		if f := strings.Fields(l); len(f) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// sourcesPushFile reports whether an interfaces file includes push's.
func sourcesPushFile(interfaces string) bool {
	for _, f := range lines(interfaces) {
		if len(f) < 2 {
			continue
		}
		arg := strings.TrimRight(f[1], "/")
		switch {
		case f[0] == "source-directory" && (arg == "/etc/network/interfaces.d" || arg == "interfaces.d"):
			return true
		case f[0] == "source" && (arg == IfUpDownFile || arg == "/etc/network/interfaces.d/*" || arg == "interfaces.d/*"):
			return true
		}
	}
	return false
}

// adminFiles are the admin's ifupdown files: interfaces and every file
// in interfaces.d but push's.
func (h Host) adminFiles() []string {
	files := []string{interfacesFile}
	more, _ := filepath.Glob(h.path("/etc/network/interfaces.d/*"))
	for _, m := range more {
		if rel := "/etc/network/interfaces.d/" + filepath.Base(m); rel != IfUpDownFile {
			files = append(files, rel)
		}
	}
	return files
}

// adminStanza returns the admin's "iface NIC ..." line, if any, and the
// file that has it.
func (h Host) adminStanza(nic string) (file, stanza string) {
	for _, file := range h.adminFiles() {
		for _, f := range lines(h.read(file)) {
			if len(f) >= 2 && f[0] == "iface" && f[1] == nic {
				return file, strings.Join(f, " ")
			}
		}
	}
	return "", ""
}

// adminManual reports whether the admin's files configure nic as
// "iface NIC inet manual", and in which file. Without an "auto" line
// ifupdown leaves the NIC down at boot; push's boot unit brings it up.
func (h Host) adminManual(nic string) (string, bool) {
	file, stanza := h.adminStanza(nic)
	st := strings.Fields(stanza)
	return file, len(st) >= 4 && st[3] == "manual"
}
