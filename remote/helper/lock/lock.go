// Package lock gives one push run at a time the host: an flock on a file
// that names the holder. The kernel drops the lock when the holder's
// process ends, however it ends, so a killed helper leaves no lock.
package lock

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultPath is the host lock.
const DefaultPath = "/run/push.lock"

// ErrHeld is returned (wrapped, with the holder) when another run holds
// the lock.
var ErrHeld = errors.New("host is locked by another push run")

// Lock is a held lock.
type Lock struct {
	f *os.File
}

// Acquire takes the lock without waiting, writing holder, time and pid
// into the file; when it is held it fails at once naming the holder.
func Acquire(path, holder string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		who, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrHeld, describe(who))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if holder == "" {
		holder = "unknown"
	}
	info := fmt.Sprintf("holder=%s since=%s pid=%d\n", holder, time.Now().UTC().Format(time.RFC3339), os.Getpid())
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(info), 0)
	}
	return &Lock{f: f}, nil
}

func describe(who []byte) string {
	who = bytes.TrimSpace(who)
	if len(who) == 0 {
		return "holder unknown"
	}
	return string(who)
}

// Release drops the lock. The file stays: removing it would let two
// runs lock different files of the same name.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
