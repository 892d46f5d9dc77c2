// Package helperbin embeds the push-helper builds that `make build` places
// in bin/, one per architecture, so that users install one file. Each
// build is embedded gzipped (what hosts with gzip receive) with the
// sha256 of its uncompressed bytes beside it (its content address).
package helperbin

import (
	"bytes"
	"compress/gzip"
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
	Data   []byte // the helper
	Gzip   []byte // Data gzipped, as embedded
	SHA256 string // hex of sha256(Data)
}

// For returns the helper for a Linux GOARCH ("amd64", "arm64"),
// uncompressed and checked against its recorded sha256.
func For(goarch string) (Binary, error) {
	sum, err := SHA256(goarch)
	if err != nil {
		return Binary{}, err
	}
	gz, err := fs.ReadFile(binaries, name(goarch)+".gz")
	if err != nil {
		return Binary{}, fmt.Errorf("no embedded helper for linux/%s (build push with `make build`): %w", goarch, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return Binary{}, fmt.Errorf("embedded helper for linux/%s: %w", goarch, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return Binary{}, fmt.Errorf("embedded helper for linux/%s: %w", goarch, err)
	}
	got := sha256.Sum256(data)
	if hex.EncodeToString(got[:]) != sum {
		return Binary{}, fmt.Errorf("embedded helper for linux/%s: sha256 %x, recorded %s (rebuild with `make build`)", goarch, got, sum)
	}
	return Binary{GOARCH: goarch, Data: data, Gzip: gz, SHA256: sum}, nil
}

// SHA256 is the hex sha256 of the helper for goarch, as recorded at build
// time (a run needs every helper's hash but rarely a helper's bytes; For
// checks the record when it loads them).
func SHA256(goarch string) (string, error) {
	b, err := fs.ReadFile(binaries, name(goarch)+".sha256")
	if err != nil {
		return "", fmt.Errorf("no embedded helper for linux/%s (build push with `make build`): %w", goarch, err)
	}
	sum := strings.TrimSpace(string(b))
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", fmt.Errorf("embedded helper for linux/%s: bad sha256 record %.80q", goarch, sum)
	}
	return sum, nil
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
			if arch, ok = strings.CutSuffix(arch, ".gz"); ok {
				out = append(out, arch)
			}
		}
	}
	return out
}
