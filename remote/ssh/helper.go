package ssh

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Helper is one build of push-helper.
type Helper struct {
	GOARCH string
	SHA256 string // hex of sha256(Data)
	Data   []byte
}

// HelperSet is every build push carries. Load is called only when a host
// lacks the helper, with the GOARCH its `uname -m` names.
type HelperSet struct {
	SHAs map[string]string // GOARCH → sha256 hex
	Load func(goarch string) (Helper, error)
}

// HelperRun is what one RunHelper did.
type HelperRun struct {
	ExecResult           // the helper's output and exit code (0 ok, 1 failed, 2 changes pending)
	Path          string // the helper's path on the host, when known
	Uploaded      bool   // the helper was missing and was uploaded
	BytesUploaded int64
	Execs         int // remote commands run: 1 when the helper was present
}

// Exit codes and markers of the scripts below; the helper itself uses 0-2.
const (
	exitMissing = 97
	exitCorrupt = 98
	exitNoHash  = 99

	markMissing   = "push-helper-missing "
	markCorrupt   = "push-helper-corrupt "
	markInstalled = "push-helper-installed"
)

// RunHelper runs push-helper on the host with args and stdin. The remote
// command tries the content-addressed path of each build in h and execs
// the first present (through `sudo -n` when becoming root), so a host that
// has the helper costs one exec and uploads nothing. Otherwise it uploads
// the build for the host's architecture (temp file, sha256 checked on the
// host, chmod, atomic rename, older versions pruned) and runs it.
func (c *Conn) RunHelper(ctx context.Context, h HelperSet, args []string, stdin []byte) (HelperRun, error) {
	var run HelperRun
	if len(h.SHAs) == 0 {
		return run, errors.New("run helper: no helper builds")
	}
	for arch, sha := range h.SHAs {
		if !validSHA(sha) {
			return run, fmt.Errorf("run helper: build for %s: %q is not a sha256 in lowercase hex", arch, sha)
		}
	}
	script := c.runScript(h, args)
	r, err := c.exec(ctx, "run helper on", script, stdin)
	run.Execs++
	if err != nil {
		return run, err
	}
	arch, missing := parseMissing(r)
	if !missing {
		run.ExecResult = r
		return run, c.helperError(r)
	}
	goarch, err := goarchOf(arch)
	if err != nil {
		return run, fmt.Errorf("run helper on %s: %w", c.e, err)
	}
	helper, err := loadHelper(h, goarch)
	if err != nil {
		return run, fmt.Errorf("run helper on %s: %w", c.e, err)
	}
	if err := c.install(ctx, helper, h, &run); err != nil {
		return run, err
	}
	r, err = c.exec(ctx, "run helper on", script, stdin)
	run.Execs++
	if err != nil {
		return run, err
	}
	if _, missing := parseMissing(r); missing {
		return run, fmt.Errorf("run helper on %s: helper still missing after upload to %s", c.e, run.Path)
	}
	run.ExecResult = r
	return run, c.helperError(r)
}

// helperDir is where the helper lives on the host, as a shell word.
func (c *Conn) helperDir() string {
	if c.e.user == "root" || c.become {
		return "/var/lib/push/bin"
	}
	return `"$HOME/.cache/push/bin"`
}

func helperName(sha string) string { return "push-helper-" + sha }

func (c *Conn) runScript(h HelperSet, args []string) string {
	var quoted []string
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	sudo := ""
	if c.become {
		sudo = "sudo -n -- "
	}
	var b strings.Builder
	fmt.Fprintf(&b, "d=%s\nfor h in", c.helperDir())
	for _, sha := range sortedSHAs(h) {
		fmt.Fprintf(&b, ` "$d/%s"`, helperName(sha))
	}
	fmt.Fprintf(&b, "; do\n\t[ -x \"$h\" ] && exec %s\"$h\" %s\ndone\necho \"%s$(uname -m)\"\nexit %d\n",
		sudo, strings.Join(quoted, " "), markMissing, exitMissing)
	return b.String()
}

func (c *Conn) installScript(helper Helper, h HelperSet) string {
	name := helperName(helper.SHA256)
	keep := []string{`"$f"`}
	for _, sha := range sortedSHAs(h) {
		keep = append(keep, `"$d/`+helperName(sha)+`"`)
	}
	return fmt.Sprintf(`set -e
umask 022
d=%[1]s
f="$d/%[2]s"
t="$d/.%[2]s.$$"
mkdir -p "$d"
trap 'rm -f "$t"' EXIT
cat > "$t"
if command -v sha256sum >/dev/null 2>&1; then s=$(sha256sum "$t")
elif command -v shasum >/dev/null 2>&1; then s=$(shasum -a 256 "$t")
elif command -v openssl >/dev/null 2>&1; then s=$(openssl dgst -sha256 -r "$t")
else echo "no sha256sum, shasum or openssl on the host" >&2; exit %[5]d
fi
s=${s%%%% *}
if [ "$s" != %[3]s ]; then echo "%[6]s$s"; exit %[4]d; fi
chmod 0755 "$t"
mv -f "$t" "$f"
trap - EXIT
for o in "$d"/push-helper-*; do
	case "$o" in %[7]s) ;; *) rm -f "$o" ;; esac
done
find "$d" -name '.push-helper-*' -mmin +60 -exec rm -f {} + 2>/dev/null || true
echo %[8]s
`, c.helperDir(), name, helper.SHA256, exitCorrupt, exitNoHash, markCorrupt, strings.Join(keep, "|"), markInstalled)
}

func (c *Conn) install(ctx context.Context, helper Helper, h HelperSet, run *HelperRun) error {
	cmd := c.installScript(helper, h)
	if c.become {
		cmd = "sudo -n -- sh -c " + shellQuote(cmd)
	}
	data := helper.Data
	if c.d.corruptUpload != nil {
		data = c.d.corruptUpload(data)
	}
	r, err := c.exec(ctx, "upload helper to", cmd, data)
	run.Execs++
	if err != nil {
		return err
	}
	run.Uploaded = true
	run.BytesUploaded += int64(len(data))
	c.d.bytesUploaded.Add(int64(len(data)))
	if err := c.sudoError(r); err != nil {
		return err
	}
	switch {
	case r.ExitCode == exitCorrupt && bytes.HasPrefix(r.Stdout, []byte(markCorrupt)):
		got := strings.TrimSpace(strings.TrimPrefix(string(r.Stdout), markCorrupt))
		return &HelperCorruptError{Endpoint: c.e.String(), Want: helper.SHA256, Got: got}
	case r.ExitCode != 0 || !bytes.Contains(r.Stdout, []byte(markInstalled)):
		return fmt.Errorf("upload helper to %s: exit %d: %s", c.e, r.ExitCode, firstLine(r.Stderr))
	}
	run.Path = strings.ReplaceAll(c.helperDir(), `"`, "") + "/" + helperName(helper.SHA256)
	return nil
}

// helperError turns a failure to start the helper (not the helper's own
// failure, which is exit 1 with JSON on stdout) into an error.
func (c *Conn) helperError(r ExecResult) error {
	if err := c.sudoError(r); err != nil {
		return err
	}
	if (r.ExitCode == 126 || r.ExitCode == 127) && len(r.Stdout) == 0 {
		return fmt.Errorf("run helper on %s: cannot execute it (exit %d): %s", c.e, r.ExitCode, firstLine(r.Stderr))
	}
	return nil
}

// sudoError recognizes sudo's own refusals, which come before the command
// runs: nothing on stdout and "sudo: ..." on stderr.
func (c *Conn) sudoError(r ExecResult) error {
	if !c.become || r.ExitCode == 0 || len(r.Stdout) != 0 {
		return nil
	}
	msg := ""
	for _, line := range strings.Split(string(r.Stderr), "\n") {
		if strings.HasPrefix(line, "sudo: ") {
			msg = strings.TrimPrefix(line, "sudo: ")
		}
	}
	switch {
	case msg == "" && r.ExitCode == 127:
		return &SudoError{Endpoint: c.e.String(), Message: "sudo is not installed: " + firstLine(r.Stderr)}
	case msg == "":
		return nil
	case strings.Contains(msg, "password is required") || strings.Contains(msg, "terminal is required"):
		return &SudoPasswordError{Endpoint: c.e.String(), Message: msg}
	case strings.Contains(msg, "not found"):
		return &SudoError{Endpoint: c.e.String(), Message: "sudo is not installed: " + msg}
	}
	return &SudoError{Endpoint: c.e.String(), Message: msg}
}

func parseMissing(r ExecResult) (arch string, missing bool) {
	if r.ExitCode != exitMissing || !bytes.HasPrefix(r.Stdout, []byte(markMissing)) {
		return "", false
	}
	return strings.TrimSpace(strings.TrimPrefix(string(r.Stdout), markMissing)), true
}

// goarchOf maps `uname -m` to a Go architecture name.
func goarchOf(unameM string) (string, error) {
	switch unameM {
	case "x86_64", "amd64":
		return "amd64", nil
	case "aarch64", "arm64", "aarch64_be":
		return "arm64", nil
	case "armv6l", "armv7l", "armv8l":
		return "arm", nil
	case "i386", "i486", "i586", "i686":
		return "386", nil
	case "riscv64", "ppc64le", "s390x", "mips64", "loong64":
		return unameM, nil
	}
	return "", fmt.Errorf("unsupported host architecture %q", unameM)
}

func loadHelper(h HelperSet, goarch string) (Helper, error) {
	want, ok := h.SHAs[goarch]
	if !ok {
		return Helper{}, fmt.Errorf("no helper build for linux/%s", goarch)
	}
	if h.Load == nil {
		return Helper{}, errors.New("no helper loader")
	}
	helper, err := h.Load(goarch)
	if err != nil {
		return Helper{}, fmt.Errorf("load helper for linux/%s: %w", goarch, err)
	}
	sum := sha256.Sum256(helper.Data)
	if got := hex.EncodeToString(sum[:]); got != want || helper.SHA256 != want {
		return Helper{}, fmt.Errorf("helper for linux/%s has sha256 %s, want %s", goarch, got, want)
	}
	return helper, nil
}

// sortedSHAs lists the builds' hashes by GOARCH, so the script is the same
// on every run.
func sortedSHAs(h HelperSet) []string {
	var shas []string
	for _, a := range slices.Sorted(maps.Keys(h.SHAs)) {
		shas = append(shas, h.SHAs[a])
	}
	return shas
}

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
