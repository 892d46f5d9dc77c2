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
	return acquire(path, holder, func() { time.Sleep(20 * time.Millisecond) })
}

// holderWait bounds how often a loser reads the file again while the
// winner has the lock but has not yet written its name: the winner
// writes right after its flock, so this is never reached in practice
// unless the winner's host stalls.
const holderWait = 250 // × pause (~5 s)

// acquire is Acquire with the pause between reads of a lock file whose
// holder has not written its name yet.
func acquire(path, holder string, pause func()) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for i := 0; ; i++ {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder takes the flock, then writes its name: read until
		// it is there, or the lock is free again.
		who, _ := os.ReadFile(path)
		if len(bytes.TrimSpace(who)) > 0 || i == holderWait {
			f.Close()
			return nil, fmt.Errorf("%w: %s", ErrHeld, describe(who))
		}
		pause()
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
		return "holder unknown (it has not written its name)"
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
