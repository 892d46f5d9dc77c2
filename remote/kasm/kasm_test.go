package kasm_test

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/kasmdouble"
	"github.com/kasmfleet/push/remote/kasm"
)

// These tests run the client against the contract double, not Kasm.

func start(t *testing.T) (*kasmdouble.Double, kasm.Config) {
	t.Helper()
	d := kasmdouble.Start()
	t.Cleanup(d.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.Certificate().Raw})
	if err := os.WriteFile(ca, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return d, kasm.Config{URL: d.URL, Username: kasmdouble.Username, Password: kasmdouble.Password,
		APIKey: kasmdouble.APIKey, APIKeySecret: kasmdouble.APIKeySecret, CAFile: ca,
		Timeout: time.Minute, Backoff: time.Millisecond}
}

func client(t *testing.T, cfg kasm.Config) *kasm.Client {
	t.Helper()
	c, err := kasm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDisableListEnable(t *testing.T) {
	d, cfg := start(t)
	id := d.AddAgent("agent-1")
	d.AddAgent("agent-2")
	d.AddSession("agent-1", "k1", "alice")
	d.AddSession("agent-2", "k2", "bob")
	c, ctx := client(t, cfg), context.Background()

	s, err := c.ServerByHostname(ctx, "agent-1")
	if err != nil || s.ID != id || !s.Enabled {
		t.Fatalf("ServerByHostname = %+v, %v; want %s enabled", s, err, id)
	}
	if err := c.SetEnabled(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	if d.Enabled("agent-1") || !d.Enabled("agent-2") {
		t.Fatal("disabling agent-1 must disable it alone")
	}
	sessions, err := c.Sessions(ctx, id)
	if err != nil || len(sessions) != 1 || sessions[0].Name() != "alice (k1)" {
		t.Fatalf("Sessions(agent-1) = %+v, %v; want alice's k1 only", sessions, err)
	}
	if err := c.SetEnabled(ctx, id, true); err != nil || !d.Enabled("agent-1") {
		t.Fatalf("enable: %v, enabled %v", err, d.Enabled("agent-1"))
	}
	var paths []string
	for _, r := range d.Log() {
		paths = append(paths, r.Path)
	}
	want := "/api/authenticate /api/admin/get_servers /api/admin/update_server /api/public/get_kasms /api/admin/update_server"
	if got := strings.Join(paths, " "); got != want {
		t.Fatalf("requests:\n got %s\nwant %s (one login, kept)", got, want)
	}
}

func TestKasmErrorMessageIsKasms(t *testing.T) {
	d, cfg := start(t)
	d.AddAgent("agent-1")
	cfg.Password = "wrong"
	_, err := client(t, cfg).Servers(context.Background())
	var kerr *kasm.Error
	if !errors.As(err, &kerr) || kerr.Message != "Access Denied" || !strings.Contains(err.Error(), "Kasm says: Access Denied") {
		t.Fatalf("err = %v; want Kasm's own Access Denied", err)
	}
	if n := len(d.Log()); n != 1 {
		t.Fatalf("%d requests; an error_message must not be retried", n)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatal("the error shows the password")
	}
}

func TestRetriesBounded(t *testing.T) {
	d, cfg := start(t)
	d.AddAgent("agent-1")
	cfg.Attempts = 3
	d.FailNext("/api/public/get_kasms", 2)
	if _, err := client(t, cfg).Sessions(context.Background(), "srv-agent-1"); err != nil {
		t.Fatalf("two 503s then success within 3 attempts: %v", err)
	}
	d.FailNext("/api/public/get_kasms", 3)
	_, err := client(t, cfg).Sessions(context.Background(), "srv-agent-1")
	var kerr *kasm.Error
	if !errors.As(err, &kerr) || kerr.Status != 503 {
		t.Fatalf("err = %v; want HTTP 503 after 3 attempts", err)
	}
	if n := len(d.Log()); n != 6 {
		t.Fatalf("%d requests, want 3 + 3", n)
	}
}

func TestTLSVerified(t *testing.T) {
	d, cfg := start(t)
	d.AddAgent("agent-1")
	cfg.CAFile = ""
	_, err := client(t, cfg).Servers(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v; a certificate from an unknown CA must be refused", err)
	}
	if n := len(d.Log()); n != 0 {
		t.Fatalf("%d requests reached the double over unverified TLS", n)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	_, cfg := start(t)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, cfg)
		for _, s := range []string{kasmdouble.Password, kasmdouble.APIKey, kasmdouble.APIKeySecret} {
			if strings.Contains(out, s) {
				t.Fatalf("%s of the config shows a secret: %s", verb, out)
			}
		}
	}
}
