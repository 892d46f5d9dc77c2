// Package identity builds a lab VM's identity disk: a tar archive attached
// as the VM's second disk, which the lab's initramfs unpacks over the root
// filesystem on first boot. It carries the hostname, machine id, SSH host
// key, the lab's authorized key and the VM's network configuration (and
// the gateway's lab-whoami service).
package identity

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/kasmfleet/push/examples/lab/topology"
)

// AdminUID is the uid of "admin", the image's sudoer with the lab key.
const AdminUID = 1000

// Input is what makes one VM unique.
type Input struct {
	VM            topology.VM
	HostKeyPEM    []byte // OpenSSH private key of the VM's ed25519 host key
	HostKeyPub    []byte // its authorized_keys line
	AuthorizedKey []byte // the lab key's authorized_keys line, for root and admin
	// Whoami is the gateway's lab-whoami binary (examples/lab/whoami);
	// only the gateway needs it.
	Whoami []byte
}

type entry struct {
	uid    int // owner (and group): 0, or AdminUID
	mode   int64
	body   string
	target string // symlink target when set
	dir    bool
}

// Tar returns the identity archive of in.VM.
func Tar(in Input) ([]byte, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("machine id: %w", err)
	}
	vm := in.VM
	files := map[string]entry{
		"etc/lab-identity":                           file(0o644, vm.Name+"\n"),
		"etc/hostname":                               file(0o644, vm.Name+"\n"),
		"etc/hosts":                                  file(0o644, "127.0.0.1\tlocalhost\n127.0.1.1\t"+vm.Name+"\n"),
		"etc/machine-id":                             file(0o444, hex.EncodeToString(id)+"\n"),
		"etc/ssh/ssh_host_ed25519_key":               file(0o600, string(in.HostKeyPEM)),
		"etc/ssh/ssh_host_ed25519_key.pub":           file(0o644, string(in.HostKeyPub)),
		"home/admin/.ssh/authorized_keys":            {uid: AdminUID, mode: 0o600, body: string(in.AuthorizedKey)},
		"etc/systemd/system/multi-user.target.wants": {mode: 0o755, dir: true},
	}
	// Where root does not log in, it has no key either.
	if vm.User == "" || vm.User == "root" {
		files["root/.ssh/authorized_keys"] = file(0o600, string(in.AuthorizedKey))
	}
	var err error
	switch {
	case vm.Role == topology.RoleGateway && len(in.Whoami) == 0:
		err = fmt.Errorf("vm %s: the gateway needs the lab-whoami binary", vm.Name)
	case vm.Role == topology.RoleGateway:
		gateway(files, vm, in.Whoami)
	case vm.NetConfig == topology.IfUpDown:
		ifupdown(files, vm)
	case vm.NetConfig == topology.Networkd:
		networkd(files, vm)
	case vm.NetConfig == topology.Netplan:
		netplan(files, vm)
	case vm.NetConfig == topology.NetworkManager:
		networkManager(files, vm)
	default:
		err = fmt.Errorf("vm %s: unknown net config %q", vm.Name, vm.NetConfig)
	}
	if err != nil {
		return nil, err
	}
	return archive(files)
}

func file(mode int64, body string) entry { return entry{mode: mode, body: body} }
func link(target string) entry           { return entry{mode: 0o777, target: target} }

// enable adds the symlinks `systemctl enable` would make.
func enable(files map[string]entry, wants, unit string) {
	dir := "etc/systemd/system/" + wants + ".wants"
	files[dir] = entry{mode: 0o755, dir: true}
	files[dir+"/"+unit] = link("/lib/systemd/system/" + unit)
}

func enableNetworkd(files map[string]entry) {
	enable(files, "multi-user.target", "systemd-networkd.service")
	enable(files, "sockets.target", "systemd-networkd.socket")
}

// archive writes the entries, parents first, with fixed times and owners.
func archive(files map[string]entry) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(1700000000, 0)
	seen := map[string]bool{}
	for _, n := range names {
		for _, d := range parents(n) {
			if seen[d] {
				continue
			}
			seen[d] = true
			mode := int64(0o755)
			if e, ok := files[d]; ok && e.dir {
				mode = e.mode
			}
			uid := 0
			switch d {
			case "root", "root/.ssh":
				mode = 0o700
			case "home/admin", "home/admin/.ssh":
				mode, uid = 0o700, AdminUID
			}
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode, ModTime: mtime, Uid: uid, Gid: uid}); err != nil {
				return nil, fmt.Errorf("identity tar: %w", err)
			}
		}
		e := files[n]
		h := &tar.Header{Name: n, Mode: e.mode, ModTime: mtime, Uid: e.uid, Gid: e.uid}
		switch {
		case e.dir:
			if seen[n] {
				continue
			}
			seen[n] = true
			h.Typeflag, h.Name = tar.TypeDir, n+"/"
		case e.target != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.target
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("identity tar: %w", err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				return nil, fmt.Errorf("identity tar: %w", err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("identity tar: %w", err)
	}
	return buf.Bytes(), nil
}

// parents lists the directories above name, outermost first.
func parents(name string) []string {
	var out []string
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			out = append(out, name[:i])
		}
	}
	return out
}
