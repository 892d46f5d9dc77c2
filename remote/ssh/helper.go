package ssh

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
)

// Helper is one build of push-helper.
type Helper struct {
	GOARCH string
	SHA256 string // hex of sha256(Data)
	Data   []byte
	// Gzip is Data compressed with gzip, when push has it: what a host
	// that can run gzip receives (the sha256 is checked on the host after
	// gzip -d). A host without gzip receives Data.
	Gzip []byte
}

// HelperSet is every build push carries. Load is called only when a host
// lacks the helper, with the GOARCH its `uname -m` names.
type HelperSet struct {
	SHAs map[string]string // GOARCH → sha256 hex
	Load func(goarch string) (Helper, error)
}

// HelperRun is what one RunHelper did.
type HelperRun struct {
	// ExecResult is the helper's answer (what it printed between push's
	// markers), its stderr and exit code (0 ok, 1 failed, 2 changes pending).
	ExecResult
	Path          string // the helper's path on the host, when known
	Uploaded      bool   // the helper was missing and was uploaded
	BytesUploaded int64
	Execs         int // remote commands run: 1 when the helper was present
	// Noise is the first line the host's shell printed around push's
	// commands (ignored, but worth a warning), and NoiseWhere "before" or
	// "after" them.
	Noise, NoiseWhere string

	e endpoint
}

// Exit code of the run script when no build is present; the helper itself
// uses 0-2.
const exitMissing = 97

// RunHelper runs push-helper on the host with args and stdin. The remote
// command tries the content-addressed path of each build in h and runs
// the first present (through `sudo -n` when becoming root), so a host that
// has the helper costs one exec and uploads nothing. Otherwise it uploads
// the build for the host's architecture (temp file, sha256 checked on the
// host, chmod, atomic rename, older versions pruned) and runs it. The
// answer is framed by markers new for every command, so whatever the
// host's shell prints around it is set aside (HelperRun.Noise).
func (c *Conn) RunHelper(ctx context.Context, h HelperSet, args []string, stdin []byte) (HelperRun, error) {
	return c.runHelper(ctx, h, args, stdin, false)
}

// ReplaceHelper uploads the helper again, whatever its path holds, then
// runs it as RunHelper does: for a host whose file at the helper's path
// answered as another build (left there by hand, or damaged).
func (c *Conn) ReplaceHelper(ctx context.Context, h HelperSet, args []string, stdin []byte) (HelperRun, error) {
	return c.runHelper(ctx, h, args, stdin, true)
}

func (c *Conn) runHelper(ctx context.Context, h HelperSet, args []string, stdin []byte, replace bool) (HelperRun, error) {
	run := HelperRun{e: c.e}
	if len(h.SHAs) == 0 {
		return run, errors.New("run helper: no helper builds")
	}
	for arch, sha := range h.SHAs {
		if !validSHA(sha) {
			return run, fmt.Errorf("run helper: build for %s: %q is not a sha256 in lowercase hex", arch, sha)
		}
	}
	u, r, err := c.runOnce(ctx, h, args, stdin, !replace, &run)
	if err != nil {
		return run, err
	}
	if host, missing := u.marks["missing"]; missing {
		arch, codec, _ := strings.Cut(strings.TrimSpace(host), " ")
		goarch, err := goarchOf(arch)
		if err != nil {
			return run, fmt.Errorf("run helper on %s: %w", c.e, err)
		}
		helper, err := loadHelper(h, goarch)
		if err != nil {
			return run, fmt.Errorf("run helper on %s: %w", c.e, err)
		}
		if err := c.install(ctx, helper, h, strings.TrimSpace(codec) == "gzip", &run); err != nil {
			return run, err
		}
		if u, r, err = c.runOnce(ctx, h, args, stdin, true, &run); err != nil {
			return run, err
		}
		if _, missing := u.marks["missing"]; missing {
			return run, fmt.Errorf("run helper on %s: helper still missing after upload to %s", c.e, run.Path)
		}
	}
	run.ExecResult = ExecResult{Stdout: u.answer, Stderr: r.Stderr, ExitCode: r.ExitCode}
	if u.ended { // a ForceCommand wrapper may not pass the exit status on
		run.ExitCode = u.exit
	}
	return run, c.helperError(run.ExecResult, u, r)
}

// runOnce runs the run script (trying the installed builds when cached).
func (c *Conn) runOnce(ctx context.Context, h HelperSet, args []string, stdin []byte, cached bool, run *HelperRun) (unframed, ExecResult, error) {
	f := newFrame()
	r, err := c.exec(ctx, "run helper", c.runScript(f, h, args, cached), stdin)
	run.Execs++
	u := f.parse(r.Stdout)
	run.noted(u)
	var lost *ConnectionLostError
	if errors.As(err, &lost) && u.begun && !u.ended {
		return u, r, newRemoteError(c.e, "run helper", fmt.Sprintf("the connection closed in the middle of the helper's answer, after %d bytes", len(u.answer)), r, err)
	}
	return u, r, err
}

// noted keeps the first noise of a command that ran (the output of one
// that did not is the error's).
func (run *HelperRun) noted(u unframed) {
	if run.Noise == "" && len(u.marks) > 0 {
		run.Noise, run.NoiseWhere = u.noise, u.noisyAt
	}
}

// NoiseWarning says what the host's shell printed and what to do about
// it, or "" when it printed nothing.
func (run HelperRun) NoiseWarning() string {
	if run.Noise == "" {
		return ""
	}
	return fmt.Sprintf("the login shell of %s printed %s %s push's command; push ignored it, but "+
		"%s's ~/.bashrc, ~/.profile or an sshd ForceCommand should print nothing for non-interactive sessions",
		run.e, run.Noise, run.NoiseWhere, run.e.user)
}

// Bad is the error for an answer push cannot use (malformed, truncated):
// it carries the exit code and the first bytes of what the helper sent.
func (run HelperRun) Bad(problem string) *RemoteError {
	return newRemoteError(run.e, "run helper", problem, run.ExecResult, nil)
}

// helperDir is where the helper lives on the host, as a shell word.
func (c *Conn) helperDir() string {
	if c.e.user == "root" || c.become {
		return "/var/lib/push/bin"
	}
	return `"$HOME/.cache/push/bin"`
}

func helperName(sha string) string { return "push-helper-" + sha }

// runScript runs the first build present (none when !cached) after f's
// begin marker, or names the host's architecture and whether gzip runs
// there (gzip is Essential on Debian and Ubuntu; a host without it
// receives the helper uncompressed). The shell execs the helper rather
// than waiting for it, and the helper prints the end marker, with its
// exit status, itself (proto.EndMarkEnv): one process fewer per host.
// GOMAXPROCS=1: the helper's work waits on the kernel and Docker, and
// one P costs its start less (docs/benchmarks.md, the check against its
// floor).
func (c *Conn) runScript(f frame, h HelperSet, args []string, cached bool) string {
	var quoted []string
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "d=%s\nfor h in", c.helperDir())
	if cached {
		for _, sha := range sortedSHAs(h) {
			fmt.Fprintf(&b, ` "$d/%s"`, helperName(sha))
		}
	}
	fmt.Fprintf(&b, "; do\n\tif [ -x \"$h\" ]; then\n\t\techo %s\n\t\t%s=%s GOMAXPROCS=1 exec \"$h\" %s\n\tfi\ndone\necho \"%s $(uname -m) $(gzip -V >/dev/null 2>&1 && echo gzip)\"\nexit %d\n",
		f.mark("begin"), proto.EndMarkEnv, f.mark("end"), strings.Join(quoted, " "), f.mark("missing"), exitMissing)
	if c.become {
		// The whole script runs as root: the helper makes its state
		// folder private to root, so the user could not even see that
		// the helper is there.
		return "sudo -n -- sh -c " + shellQuote(b.String())
	}
	return b.String()
}

// installScript writes the helper from stdin (gunzipped when gz),
// checks its sha256, makes it executable, flushes it to disk (so that a
// crash cannot leave an empty file under the helper's name), and moves
// it into place.
func (c *Conn) installScript(f frame, helper Helper, h HelperSet, gz bool) string {
	write := `cat > "$t"`
	if gz {
		// A damaged stream or a full disk stops the script here (gzip
		// says which on stderr); bytes gzip accepts are still checked
		// against the sha256 below.
		write = `gzip -dc > "$t"`
	}
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
%[7]s
if command -v sha256sum >/dev/null 2>&1; then s=$(sha256sum "$t")
elif command -v shasum >/dev/null 2>&1; then s=$(shasum -a 256 "$t")
elif command -v openssl >/dev/null 2>&1; then s=$(openssl dgst -sha256 -r "$t")
else echo "no sha256sum, shasum or openssl on the host" >&2; exit 1
fi
s=${s%%%% *}
if [ "$s" != %[3]s ]; then echo "%[4]s $s"; exit 1; fi
chmod 0755 "$t"
sync "$t" 2>/dev/null || sync
mv -f "$t" "$f"
trap - EXIT
for o in "$d"/push-helper-*; do
	case "$o" in %[5]s) ;; *) rm -f "$o" ;; esac
done
find "$d" -name '.push-helper-*' -mmin +60 -exec rm -f {} + 2>/dev/null || true
echo %[6]s
`, c.helperDir(), name, helper.SHA256, f.mark("corrupt"), strings.Join(keep, "|"), f.mark("installed"), write)
}

func (c *Conn) install(ctx context.Context, helper Helper, h HelperSet, hostGzip bool, run *HelperRun) error {
	f := newFrame()
	gz := hostGzip && len(helper.Gzip) > 0
	cmd := c.installScript(f, helper, h, gz)
	if c.become {
		cmd = "sudo -n -- sh -c " + shellQuote(cmd)
	}
	data := helper.Data
	if gz {
		data = helper.Gzip
	}
	if c.d.corruptUpload != nil {
		data = c.d.corruptUpload(data)
	}
	r, err := c.exec(ctx, "upload helper", cmd, data)
	run.Execs++
	if err != nil {
		return err
	}
	run.Uploaded = true
	run.BytesUploaded += int64(len(data))
	c.d.bytesUploaded.Add(int64(len(data)))
	u := f.parse(r.Stdout)
	run.noted(u)
	got, corrupt := u.marks["corrupt"]
	_, installed := u.marks["installed"]
	switch {
	case corrupt:
		return &HelperCorruptError{Endpoint: c.e.String(), Want: helper.SHA256, Got: strings.TrimSpace(got)}
	case installed:
		run.Path = strings.ReplaceAll(c.helperDir(), `"`, "") + "/" + helperName(helper.SHA256)
		return nil
	}
	if err := c.sudoError(ExecResult{Stderr: r.Stderr, ExitCode: r.ExitCode}); err != nil {
		return err
	}
	return newRemoteError(c.e, "upload helper", "the upload failed; nothing was installed", r, nil)
}

// helperError turns a failure to start the helper (not the helper's own
// failure, which is exit 1 with JSON on stdout) into an error. answer is
// the helper's part of r, u the whole output taken apart.
func (c *Conn) helperError(answer ExecResult, u unframed, r ExecResult) error {
	if err := c.sudoError(answer); err != nil {
		return err
	}
	switch {
	case !u.begun:
		return newRemoteError(c.e, "run helper", fmt.Sprintf("the host did not run push's command "+
			"(is the login shell of %s /bin/false or nologin, or does an sshd ForceCommand replace commands?)", c.e.user), r, nil)
	case (answer.ExitCode == 126 || answer.ExitCode == 127) && len(answer.Stdout) == 0:
		return newRemoteError(c.e, "run helper", "cannot execute the helper", answer, nil)
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
	case strings.Contains(msg, "must have a tty"):
		return &SudoError{Endpoint: c.e.String(), Message: msg + " (requiretty in sudoers; allow push's user without a tty: `Defaults:" + c.e.user + " !requiretty`)"}
	case strings.Contains(msg, "not found"):
		return &SudoError{Endpoint: c.e.String(), Message: "sudo is not installed: " + msg}
	}
	return &SudoError{Endpoint: c.e.String(), Message: msg}
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
