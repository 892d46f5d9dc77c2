package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/kasm"
)

// A drained host is asked whether sessions remain by a helper run that
// waits up to drainWait on the host for them to end (half of --timeout
// when that is shorter), drainPoll after the previous one.
const (
	drainWait = 20 * time.Second
	drainPoll = time.Second
)

// drain is how apply drains hosts, from the inventory (and
// --drain-timeout): Kasm's API, the rollout's commands, or a wait only.
// opTimeout is --timeout, which bounds each helper run.
func drain(inv *inventory.Inventory, timeout *time.Duration, opTimeout time.Duration) (*playbooks.Drain, error) {
	d := &playbooks.Drain{Timeout: inv.Rollout.DrainWait(), Wait: min(drainWait, opTimeout/2), Poll: drainPoll}
	if timeout != nil {
		d.Timeout = *timeout
	}
	switch inv.DrainMethod() {
	case inventory.DrainKasm:
		k := inv.Kasm
		c, err := kasm.New(kasm.Config{URL: k.URL, Username: k.Username, Password: kasm.Secret(k.Password.Reveal()),
			APIKey: kasm.Secret(k.APIKey.Reveal()), APIKeySecret: kasm.Secret(k.APIKeySecret.Reveal()), CAFile: k.CAFile})
		if err != nil {
			return nil, err
		}
		d.Drainer = kasmDrainer{c}
	case inventory.DrainCommand:
		d.Drainer = hooks{before: inv.Rollout.Before, after: inv.Rollout.After}
	}
	return d, nil
}

// ledger remembers each drained host as an empty file named after it, in
// push's state folder (drained/).
type ledger string

func (l ledger) file(host string) string { return filepath.Join(string(l), url.PathEscape(host)) }

func (l ledger) Drained(host string) bool {
	_, err := os.Stat(l.file(host))
	return err == nil
}

func (l ledger) Mark(host string, drained bool) error {
	if !drained {
		if err := os.Remove(l.file(host)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("forget drained %s: %w", host, err)
		}
		return nil
	}
	if err := os.MkdirAll(string(l), 0o700); err != nil {
		return fmt.Errorf("remember drained %s: %w", host, err)
	}
	if err := os.WriteFile(l.file(host), nil, 0o600); err != nil {
		return fmt.Errorf("remember drained %s: %w", host, err)
	}
	return nil
}

// kasmDrainer disables and enables the Kasm agent of the host's name.
type kasmDrainer struct{ c *kasm.Client }

func (k kasmDrainer) Drain(ctx context.Context, h playbooks.Host) error {
	return k.c.Disable(ctx, h.Name)
}

func (k kasmDrainer) Undrain(ctx context.Context, h playbooks.Host) error {
	return k.c.Enable(ctx, h.Name)
}

// hooks runs the rollout's before and after commands with sh on the
// controller, the host's name and address in PUSH_HOST and PUSH_ADDRESS.
type hooks struct{ before, after string }

func (k hooks) Drain(ctx context.Context, h playbooks.Host) error {
	return runHook(ctx, "before", k.before, h)
}

func (k hooks) Undrain(ctx context.Context, h playbooks.Host) error {
	return runHook(ctx, "after", k.after, h)
}

func runHook(ctx context.Context, name, command string, h playbooks.Host) error {
	if command == "" {
		return nil
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Env = append(os.Environ(), "PUSH_HOST="+h.Name, "PUSH_ADDRESS="+h.Conn.Address)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s command: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	return nil
}
