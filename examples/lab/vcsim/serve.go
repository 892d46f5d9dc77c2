package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"

	"github.com/kasmfleet/push/examples/lab/topology"
)

// Username is the lab's vSphere user.
const Username = "lab"

func run(ctx context.Context, dir topology.Dir, listen string) error {
	_ = os.Remove(dir.VCSimReady())
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	l.Close()

	password, err := newPassword()
	if err != nil {
		return err
	}
	creds, err := newCredentials(listen)
	if err != nil {
		return err
	}

	model, err := newModel(ctx)
	if err != nil {
		return err
	}
	defer model.Remove()
	model.Service.Listen = &url.URL{Host: listen, User: url.UserPassword(Username, password)}
	model.Service.TLS = creds.tls
	if err := wrapTrunkVMs(model.Map(), trunkMACs()); err != nil {
		return err
	}

	if err := os.WriteFile(dir.VSpherePassword(), []byte(password), 0o600); err != nil {
		return fmt.Errorf("write password: %w", err)
	}
	if err := os.WriteFile(dir.VCSimCA(), creds.caPEM, 0o644); err != nil {
		return fmt.Errorf("write ca: %w", err)
	}
	if err := os.WriteFile(dir.VCSimThumbprint(), []byte(creds.thumbprint+"\n"), 0o644); err != nil {
		return fmt.Errorf("write thumbprint: %w", err)
	}

	srv := model.Service.NewServer()
	defer srv.Close()
	u := *srv.URL
	u.User = nil
	log.Printf("vcsim: serving %s (user %s)", u.String(), Username)
	// labctl takes the file's existence as ready and reads the URL from
	// it, so it must never see it empty.
	if err := topology.WriteAside(dir.VCSimReady(), []byte(u.String()+"\n")); err != nil {
		return fmt.Errorf("write ready: %w", err)
	}
	<-ctx.Done()
	log.Print("vcsim: stopping")
	_ = os.Remove(dir.VCSimReady())
	return nil
}

func newPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// trunkMACs maps each agent VM to the MAC of its lab trunk NIC.
func trunkMACs() map[string]string {
	m := map[string]string{}
	for _, a := range topology.Agents() {
		m[a.Name] = a.TrunkMAC
	}
	return m
}
