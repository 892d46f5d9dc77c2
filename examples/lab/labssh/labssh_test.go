package labssh

import (
	"os/exec"
	"testing"
)

// A command run through sudo reaches the shell unchanged, quotes and all.
func TestRootCommandQuotes(t *testing.T) {
	cmd := `printf '%s\n' "it's" 'a "b"' $((1+1))`
	c := Client{}.As("admin")
	got := c.RootCommand(cmd)
	want := `sudo -n sh -c 'printf '\''%s\n'\'' "it'\''s" '\''a "b"'\'' $((1+1))'`
	if got != want {
		t.Fatalf("RootCommand = %s, want %s", got, want)
	}
	// The remote shell's view of it, without sudo.
	out, err := exec.Command("sh", "-c", "sh -c "+Quote(cmd)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "it's\na \"b\"\n2\n" {
		t.Errorf("the quoted command printed %q", out)
	}
	for _, u := range []string{"", "root"} {
		if c := (Client{}).As(u); c.Sudo || c.RootCommand(cmd) != cmd {
			t.Errorf("As(%q) wraps commands: %s", u, c.RootCommand(cmd))
		}
	}
	if c := (Client{User: "admin"}); c.RootCommand(cmd) != cmd {
		t.Errorf("a Client with a User but no Sudo wraps commands")
	}
}
