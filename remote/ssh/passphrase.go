package ssh

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// TerminalPassphrase returns an Options.Passphrase that asks on the
// terminal tty (e.g. os.Stdin) with the prompt written to w, without echo,
// or nil when tty is not a terminal (keys then come from the agent only).
func TerminalPassphrase(tty *os.File, w io.Writer) func(keyFile string) ([]byte, error) {
	if tty == nil || !term.IsTerminal(int(tty.Fd())) {
		return nil
	}
	return func(keyFile string) ([]byte, error) {
		fmt.Fprintf(w, "Enter passphrase for key %s: ", keyFile)
		pass, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(w)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if len(pass) == 0 {
			return nil, errors.New("empty passphrase")
		}
		return pass, nil
	}
}
