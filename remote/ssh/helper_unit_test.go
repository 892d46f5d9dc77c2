package ssh

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func scriptConn(user string, become bool) *Conn {
	return &Conn{d: NewDialer(Options{}), e: endpoint{user: user, host: "192.0.2.1", port: 22}, become: become && user != "root"}
}

func TestHelperScripts(t *testing.T) {
	set := HelperSet{SHAs: map[string]string{"arm64": strings.Repeat("b", 64), "amd64": strings.Repeat("a", 64)}}
	helper := Helper{GOARCH: "amd64", SHA256: strings.Repeat("a", 64)}
	tests := []struct {
		user       string
		become     bool
		dir        string
		installVia string
	}{
		{user: "root", dir: "d=/var/lib/push/bin\n"},
		{user: "root", become: true, dir: "d=/var/lib/push/bin\n"},
		{user: "deploy", become: true, dir: "d=/var/lib/push/bin\n", installVia: "sudo -n -- sh -c "},
		{user: "deploy", dir: `d="$HOME/.cache/push/bin"` + "\n"},
	}
	for _, tt := range tests {
		c := scriptConn(tt.user, tt.become)
		f := newFrame()
		run := c.runScript(f, set, []string{"apply", "it's"}, true)
		// Becoming root, the whole script runs through sudo: the helper's
		// state folder is private to root, so even the test whether the
		// helper is there must run as root.
		if tt.installVia != "" {
			unquoted, ok := strings.CutPrefix(run, tt.installVia)
			if !ok {
				t.Errorf("%s become=%v: run script not run through sudo\n%s", tt.user, tt.become, run)
			}
			run = shellUnquote(t, unquoted)
		}
		if !strings.HasPrefix(run, tt.dir) || !strings.Contains(run, "exec \"$h\" apply 'it'\\''s'\n") {
			t.Errorf("%s become=%v: run script\n%s", tt.user, tt.become, run)
		}
		// amd64 is tried before arm64, every run the same.
		a, b := strings.Index(run, "push-helper-aaaa"), strings.Index(run, "push-helper-bbbb")
		if a < 0 || b < a {
			t.Errorf("run script does not try every build in order:\n%s", run)
		}
		// The helper ends the frame itself (the shell execs it), on one
		// thread's worth of runtime.
		if !strings.Contains(run, "echo "+f.mark("begin")) || !strings.Contains(run, "PUSH_HELPER_END="+f.mark("end")+" GOMAXPROCS=1 exec ") {
			t.Errorf("run script does not frame the answer:\n%s", run)
		}
		if fresh := c.runScript(f, set, nil, false); strings.Contains(fresh, "push-helper-") {
			t.Errorf("replacing run script tries installed builds:\n%s", fresh)
		}
		install := c.installScript(f, helper, set, false)
		if !strings.HasPrefix(install, "set -e\numask 022\n"+tt.dir) || !strings.Contains(install, `[ "$s" != `+helper.SHA256+` ]`) ||
			!strings.Contains(install, "\ncat > \"$t\"\n") {
			t.Errorf("%s: install script\n%s", tt.user, install)
		}
		gz := c.installScript(f, helper, set, true)
		if !strings.Contains(gz, "\ngzip -dc > \"$t\"\n") || !strings.Contains(gz, `[ "$s" != `+helper.SHA256+` ]`) {
			t.Errorf("%s: gzip install script\n%s", tt.user, gz)
		}
		if _, err := exec.LookPath("sh"); err == nil {
			for name, s := range map[string]string{"run": run, "install": install, "gzip install": gz} {
				if out, err := exec.Command("sh", "-n", "-c", s).CombinedOutput(); err != nil {
					t.Errorf("%s script is not valid sh: %v: %s", name, err, out)
				}
			}
		}
	}
}

func TestSudoError(t *testing.T) {
	var pw *SudoPasswordError
	var other *SudoError
	tests := []struct {
		name   string
		become bool
		r      ExecResult
		want   any
	}{
		{"password", true, ExecResult{Stderr: []byte("sudo: a password is required\n"), ExitCode: 1}, &pw},
		{"terminal", true, ExecResult{Stderr: []byte("sudo: a terminal is required to read the password\n"), ExitCode: 1}, &pw},
		{"no sudo", true, ExecResult{Stderr: []byte("sh: 1: sudo: not found\n"), ExitCode: 127}, &other},
		{"requiretty", true, ExecResult{Stderr: []byte("sudo: sorry, you must have a tty to run sudo\n"), ExitCode: 1}, &other},
		{"not allowed", true, ExecResult{Stderr: []byte("sudo: user x is not allowed to execute\n"), ExitCode: 1}, &other},
		{"helper failed", true, ExecResult{Stdout: []byte("{}"), Stderr: []byte("sudo: x\n"), ExitCode: 1}, nil},
		{"no become", false, ExecResult{Stderr: []byte("sudo: a password is required\n"), ExitCode: 1}, nil},
		{"ok", true, ExecResult{}, nil},
	}
	for _, tt := range tests {
		err := scriptConn("deploy", tt.become).sudoError(tt.r)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("%s: unexpected %v", tt.name, err)
		case tt.want != nil && !errors.As(err, tt.want):
			t.Errorf("%s: got %v, want %T", tt.name, err, tt.want)
		}
	}
}

func TestFrameParse(t *testing.T) {
	f := newFrame()
	other := newFrame()
	tests := []struct {
		name, out      string
		answer         string
		begun, ended   bool
		exit           int
		noise, noisyAt string
		missing        string
	}{
		{name: "clean", out: f.mark("begin") + "\n{}\n" + f.mark("end") + " 2\n",
			answer: "{}\n", begun: true, ended: true, exit: 2},
		{name: "bashrc echo before", out: "Welcome to host\n\n" + f.mark("begin") + "\n{}\n" + f.mark("end") + " 0\n",
			answer: "{}\n", begun: true, ended: true, noise: `"Welcome to host"`, noisyAt: "before"},
		{name: "no newline before the marker", out: "banner" + f.mark("begin") + "\n{}\n" + f.mark("end") + " 0\n",
			answer: "{}\n", begun: true, ended: true, noise: `"banner"`, noisyAt: "before"},
		{name: "logout script after", out: f.mark("begin") + "\n{}\n" + f.mark("end") + " 1\nbye\x1b[2J\n",
			answer: "{}\n", begun: true, ended: true, exit: 1, noise: `"bye\x1b[2J"`, noisyAt: "after"},
		{name: "answer cut off", out: f.mark("begin") + "\n{\"version\":",
			answer: `{"version":`, begun: true},
		{name: "another command's markers are noise", out: other.mark("begin") + "\n" + f.mark("missing") + " x86_64\n",
			missing: "x86_64", noise: strconv.Quote(other.mark("begin")), noisyAt: "before"},
		{name: "nothing ran", out: "This account is currently not available.\n",
			noise: `"This account is currently not available."`, noisyAt: "before"},
	}
	for _, tt := range tests {
		u := f.parse([]byte(tt.out))
		if string(u.answer) != tt.answer || u.begun != tt.begun || u.ended != tt.ended || u.exit != tt.exit ||
			u.noise != tt.noise || u.noisyAt != tt.noisyAt || u.marks["missing"] != tt.missing {
			t.Errorf("%s: got %+v", tt.name, u)
		}
	}
}

func TestGoarchOf(t *testing.T) {
	for in, want := range map[string]string{"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "riscv64": "riscv64"} {
		if got, err := goarchOf(in); err != nil || got != want {
			t.Errorf("goarchOf(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := goarchOf("sparc64"); err == nil {
		t.Error("sparc64 accepted")
	}
}

func TestLoadHelperChecksHash(t *testing.T) {
	data := []byte("helper")
	good := "10b30f2a3eafae7e0ad0f4ac3b3b7d23c9ee0ddab6e4cd1fbf2e8a1e1c3bcd54" // not sha256("helper")
	set := HelperSet{SHAs: map[string]string{"amd64": good}, Load: func(string) (Helper, error) {
		return Helper{GOARCH: "amd64", SHA256: good, Data: data}, nil
	}}
	if _, err := loadHelper(set, "amd64"); err == nil {
		t.Error("helper whose bytes do not match its sha256 accepted")
	}
	if _, err := loadHelper(set, "arm64"); err == nil || !strings.Contains(err.Error(), "no helper build for linux/arm64") {
		t.Errorf("got %v", err)
	}
}

func TestHostKeyChangedMessage(t *testing.T) {
	for hostport, want := range map[string]string{
		"192.0.2.1:22":   "ssh-keygen -R 192.0.2.1 -f '/home/a b/known_hosts'",
		"192.0.2.1:2222": "ssh-keygen -R '[192.0.2.1]:2222' -f '/home/a b/known_hosts'",
	} {
		e := &HostKeyChangedError{Host: hostport, Offered: "ssh-ed25519 SHA256:x", File: "/home/a b/known_hosts", Line: 3}
		if !strings.Contains(e.Error(), want) || !strings.Contains(e.Error(), "known_hosts:3") {
			t.Errorf("%s: %s", hostport, e)
		}
	}
}

func TestTerminalPassphraseNeedsATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "not-a-tty")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if TerminalPassphrase(f, io.Discard) != nil || TerminalPassphrase(nil, io.Discard) != nil {
		t.Error("passphrase prompt offered without a terminal")
	}
}

// shellUnquote reads one word quoted by shellQuote back, as sh does.
func shellUnquote(t *testing.T, word string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", "printf '%s' "+word).Output()
	if err != nil {
		t.Fatalf("sh cannot read %s: %v", word, err)
	}
	return string(out)
}
