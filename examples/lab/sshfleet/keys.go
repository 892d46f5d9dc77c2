package sshfleet

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// writeKeyPair writes a new ed25519 key in OpenSSH format to path (0600)
// and its public half to path.pub.
func writeKeyPair(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	line := ssh.MarshalAuthorizedKey(sshPub)
	line = append(line[:len(line)-1], []byte(" "+comment+"\n")...)
	if err := os.WriteFile(path+".pub", line, 0o644); err != nil {
		return nil, err
	}
	return sshPub, nil
}

func (f *Fleet) writeClientKey() error {
	f.keyPath = filepath.Join(f.dir, "id_ed25519")
	pub, err := writeKeyPair(f.keyPath, "push-sshfleet client")
	if err != nil {
		return fmt.Errorf("client key: %w", err)
	}
	f.authKeys = filepath.Join(f.dir, "authorized_keys")
	if err := os.WriteFile(f.authKeys, ssh.MarshalAuthorizedKey(pub), 0o644); err != nil {
		return fmt.Errorf("authorized_keys: %w", err)
	}
	return nil
}

// AuthorizeKey lets pub log in to every account of every host. sshd reads
// the file at each login, so no restart is needed.
func (f *Fleet) AuthorizeKey(pub ssh.PublicKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.authKeys, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("authorize key: %w", err)
	}
	if _, err := fh.Write(ssh.MarshalAuthorizedKey(pub)); err != nil {
		fh.Close()
		return fmt.Errorf("authorize key: %w", err)
	}
	return fh.Close()
}
