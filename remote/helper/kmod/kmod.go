// Package kmod keeps a kernel module loaded now and at boot.
package kmod

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kasmfleet/push/remote/helper/internal/atomicfile"
)

// PersistFile is the modules-load.d entry push writes for 8021q.
const PersistFile = "/etc/modules-load.d/push-8021q.conf"

// Host reads /sys and /etc under Root ("" for the real host).
type Host struct {
	Root string
}

// Loaded reports whether module is in the running kernel (loaded or
// built in: both show under /sys/module).
func (h Host) Loaded(module string) bool {
	_, err := os.Stat(filepath.Join(h.Root, "/sys/module", module))
	return err == nil
}

// Load runs modprobe.
func (h Host) Load(ctx context.Context, module string) error {
	out, err := exec.CommandContext(ctx, "modprobe", module).CombinedOutput()
	if err != nil {
		return fmt.Errorf("modprobe %s: %w: %s", module, err, bytes.TrimSpace(out))
	}
	return nil
}

// Persisted reports whether the module loads at boot: named in any
// modules-load.d file or in the admin's /etc/modules.
func (h Host) Persisted(module string) bool {
	own := filepath.Join(h.Root, PersistFile)
	if lists(own, module) {
		return true // push's own file: where a converged host has it
	}
	files, _ := filepath.Glob(filepath.Join(h.Root, "/etc/modules-load.d/*.conf"))
	files = append(files, filepath.Join(h.Root, "/etc/modules"))
	for _, f := range files {
		if f != own && lists(f, module) {
			return true
		}
	}
	return false
}

// Persist writes push's modules-load.d entry.
func (h Host) Persist(module string) error {
	data := []byte("# Written by push: " + module + " is needed for VLAN sub-interfaces.\n" + module + "\n")
	return atomicfile.Write(filepath.Join(h.Root, PersistFile), data, 0o644)
}

func lists(path, module string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if f := strings.Fields(line); len(f) > 0 && f[0] == module {
			return true
		}
	}
	return false
}
