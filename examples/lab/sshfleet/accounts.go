package sshfleet

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// accounts are the fleet's copies of /etc/passwd, /etc/shadow, /etc/group
// and /etc/sudoers, bind-mounted over the originals in every sshd's mount
// namespace, so that extra users exist only inside the fleet.
type accounts struct {
	users  []User
	uids   map[string]int
	home   string  // the path passwd names as the users' homes' parent
	mounts []mount // fleet-wide bind mounts
}

// mount is a bind mount of src on dst, or a new filesystem of type fstype
// (with options data) when fstype is set; readonly makes it read-only.
type mount struct {
	src, dst     string
	fstype, data string
	readonly     bool
}

var validUser = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,30}$`)

const firstUID = 61000

func writeAccounts(dir string, users []User) (*accounts, error) {
	a := &accounts{users: users, uids: map[string]int{}, home: filepath.Join(dir, "home")}
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	shadow, err := os.ReadFile("/etc/shadow")
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	group, err := os.ReadFile("/etc/group")
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	rootLocked := false
	shadow = rewriteLines(shadow, func(f []string) []string {
		// sshd with UsePAM no refuses a locked ("!") account even for
		// public-key logins; the fleet's root must log in.
		if f[0] == "root" && len(f) > 1 && strings.HasPrefix(f[1], "!") {
			rootLocked = true
			f[1] = "*"
		}
		return f
	})
	if len(users) == 0 && !rootLocked {
		return a, nil
	}
	taken := map[int]bool{}
	names := map[string]bool{}
	for _, line := range strings.Split(string(passwd), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 3 {
			names[f[0]] = true
			if n, err := strconv.Atoi(f[2]); err == nil {
				taken[n] = true
			}
		}
	}
	uid := firstUID
	var sudoers strings.Builder
	sudoers.WriteString("Defaults env_reset\nDefaults secure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nroot ALL=(ALL:ALL) ALL\n")
	for _, u := range users {
		if !validUser.MatchString(u.Name) || names[u.Name] {
			return nil, fmt.Errorf("accounts: user name %q is invalid or already exists", u.Name)
		}
		names[u.Name] = true
		for taken[uid] {
			uid++
		}
		taken[uid] = true
		a.uids[u.Name] = uid
		shell := u.Shell
		if shell == "" {
			shell = "/bin/sh"
		}
		passwd = appendLine(passwd, fmt.Sprintf("%s:x:%d:%d::%s:%s", u.Name, uid, uid, filepath.Join(a.home, u.Name), shell))
		group = appendLine(group, fmt.Sprintf("%s:x:%d:", u.Name, uid))
		// "*": no password can ever match, yet sshd does not treat the
		// account as locked.
		shadow = appendLine(shadow, u.Name+":*:19000:0:99999:7:::")
		switch u.Sudo {
		case SudoNoPassword:
			fmt.Fprintf(&sudoers, "%s ALL=(ALL:ALL) NOPASSWD: ALL\n", u.Name)
		case SudoPassword:
			fmt.Fprintf(&sudoers, "%s ALL=(ALL:ALL) ALL\n", u.Name)
		case SudoRequireTTY:
			fmt.Fprintf(&sudoers, "Defaults:%[1]s requiretty\n%[1]s ALL=(ALL:ALL) NOPASSWD: ALL\n", u.Name)
		}
	}
	etc := filepath.Join(dir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"passwd", passwd, 0o644},
		{"group", group, 0o644},
		{"shadow", shadow, 0o640},
	}
	if _, err := os.Stat("/etc/sudoers"); err == nil {
		files = append(files, struct {
			name string
			data []byte
			mode os.FileMode
		}{"sudoers", []byte(sudoers.String()), 0o440})
	}
	for _, fl := range files {
		p := filepath.Join(etc, fl.name)
		if err := os.WriteFile(p, fl.data, fl.mode); err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		if err := os.Chmod(p, fl.mode); err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		a.mounts = append(a.mounts, mount{src: p, dst: "/etc/" + fl.name})
	}
	if len(users) > 0 {
		if err := os.MkdirAll(a.home, 0o755); err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
	}
	return a, nil
}

// makeHomes creates each user's home under hostHome, which is mounted
// over a.home for one host.
func (a *accounts) makeHomes(hostHome string) error {
	for _, u := range a.users {
		h := filepath.Join(hostHome, u.Name)
		if err := os.MkdirAll(h, 0o755); err != nil {
			return err
		}
		if err := os.Chown(h, a.uids[u.Name], a.uids[u.Name]); err != nil {
			return err
		}
	}
	return nil
}

// UID returns the uid of a fleet user.
func (f *Fleet) UID(user string) (int, bool) {
	uid, ok := f.accounts.uids[user]
	return uid, ok
}

func appendLine(b []byte, line string) []byte {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return append(b, line+"\n"...)
}

func rewriteLines(b []byte, fn func([]string) []string) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		out.WriteString(strings.Join(fn(f), ":"))
		out.WriteByte('\n')
	}
	return out.Bytes()
}
