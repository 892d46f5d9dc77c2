package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// buildWhoami builds the gateway's lab-whoami (examples/lab/whoami),
// static, into out: the gateway's identity disk carries it.
func buildWhoami(ctx context.Context, c config, out string) error {
	return goBuild(ctx, filepath.Join(c.labRoot, "whoami"), out, "CGO_ENABLED=0")
}

// goBuild builds the Go command in dir into out.
func goBuild(ctx context.Context, dir, out string, env ...string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %w: %s", filepath.Base(dir), err, strings.TrimSpace(string(b)))
	}
	return nil
}
