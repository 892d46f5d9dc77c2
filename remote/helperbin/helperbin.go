// Package helperbin embeds the push-helper binaries that `make build`
// places in bin/, one per architecture, so that users install one file.
package helperbin

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

//go:embed bin
var binaries embed.FS

// Binary is one embedded helper build.
type Binary struct {
	GOARCH string
	Data   []byte
	SHA256 string
}

// For returns the helper for a Linux GOARCH ("amd64", "arm64").
func For(goarch string) (Binary, error) {
	data, err := fs.ReadFile(binaries, name(goarch))
	if err != nil {
		return Binary{}, fmt.Errorf("no embedded helper for linux/%s (build push with `make build`): %w", goarch, err)
	}
	sum := sha256.Sum256(data)
	return Binary{GOARCH: goarch, Data: data, SHA256: hex.EncodeToString(sum[:])}, nil
}

// SHA256 is the hex sha256 of the helper for goarch, read from the
// embedded file without copying it (a run needs every helper's hash but
// rarely a helper's bytes).
func SHA256(goarch string) (string, error) {
	f, err := binaries.Open(name(goarch))
	if err != nil {
		return "", fmt.Errorf("no embedded helper for linux/%s (build push with `make build`): %w", goarch, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash embedded helper for linux/%s: %w", goarch, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func name(goarch string) string { return "bin/push-helper-linux-" + goarch }

// GOARCH maps `uname -m` output to a Go architecture name.
func GOARCH(unameM string) (string, error) {
	switch unameM {
	case "x86_64", "amd64":
		return "amd64", nil
	case "aarch64", "arm64":
		return "arm64", nil
	}
	return "", fmt.Errorf("unsupported host architecture %q", unameM)
}

// Arches lists the embedded helper builds.
func Arches() []string {
	entries, _ := fs.ReadDir(binaries, "bin")
	var out []string
	for _, e := range entries {
		if arch, ok := strings.CutPrefix(e.Name(), "push-helper-linux-"); ok {
			out = append(out, arch)
		}
	}
	return out
}
