package vsphere

import (
	"errors"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"GOVC_URL":             "vc.example.com",
		"GOVC_USERNAME":        "env-user",
		"GOVC_PASSWORD":        "env-pass",
		"GOVC_INSECURE":        "1",
		"GOVC_TLS_CA_CERTS":    "/etc/ca.pem",
		"GOVC_TLS_KNOWN_HOSTS": "/root/.govmomi/known_hosts",
		"GOVC_DATACENTER":      "DC-env",
	}
	getenv := func(k string) string { return env[k] }

	got := ConfigFromEnv(Config{}, getenv)
	want := Config{URL: "vc.example.com", Username: "env-user", Password: "env-pass", Datacenter: "DC-env",
		Insecure: true, CAFile: "/etc/ca.pem", KnownHosts: "/root/.govmomi/known_hosts"}
	if got != want {
		t.Errorf("from nothing:\n got %s\nwant %s", got, want)
	}

	inv := Config{URL: "https://vc.inventory/sdk", Username: "inv-user", Password: "inv-pass", Datacenter: "DC1", CAFile: "/inv.pem"}
	got = ConfigFromEnv(inv, getenv)
	want = inv
	want.Insecure = true // only a true can come from either side
	want.KnownHosts = "/root/.govmomi/known_hosts"
	if got != want {
		t.Errorf("inventory wins:\n got %s\nwant %s", got, want)
	}

	env["GOVC_INSECURE"] = "false"
	if ConfigFromEnv(Config{}, getenv).Insecure {
		t.Error("GOVC_INSECURE=false made the connection insecure")
	}
	env["GOVC_INSECURE"] = "maybe"
	if ConfigFromEnv(Config{}, getenv).Insecure {
		t.Error("an unparsable GOVC_INSECURE made the connection insecure")
	}
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in         Config
		url, user  string
		pass       string
		wantConfig bool // error wrapping ErrConfig
	}{
		{in: Config{URL: "vc.example.com", Username: "u", Password: "p"}, url: "https://vc.example.com/sdk", user: "u", pass: "p"},
		{in: Config{URL: "vc.example.com:8989/", Username: "u", Password: "p"}, url: "https://vc.example.com:8989/sdk", user: "u", pass: "p"},
		{in: Config{URL: "https://a:b%2Fc@vc.example.com/sdk"}, url: "https://vc.example.com/sdk", user: "a", pass: "b/c"},
		{in: Config{URL: "https://a:b@vc.example.com/sdk", Username: "x", Password: "y"}, url: "https://vc.example.com/sdk", user: "x", pass: "y"},
		{in: Config{URL: "ftp://vc.example.com", Username: "u", Password: "p"}, wantConfig: true},
		{in: Config{URL: "https://", Username: "u", Password: "p"}, wantConfig: true},
		{in: Config{URL: "vc.example.com", Username: "u"}, wantConfig: true},
	}
	for _, tc := range tests {
		ep, err := parseEndpoint(tc.in)
		if tc.wantConfig {
			if !errors.Is(err, ErrConfig) {
				t.Errorf("%s: error %v, want ErrConfig", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if ep.url.String() != tc.url || ep.username != tc.user || ep.password != tc.pass {
			t.Errorf("%s: got %s %s %s, want %s %s %s", tc.in, ep.url, ep.username, ep.password, tc.url, tc.user, tc.pass)
		}
	}
}

func TestNormThumbprint(t *testing.T) {
	for in, want := range map[string]string{
		"ab:cd:ef":  "AB:CD:EF",
		"abcdef":    "AB:CD:EF",
		" AB CD EF": "AB:CD:EF",
		"":          "",
	} {
		if got := normThumbprint(in); got != want {
			t.Errorf("normThumbprint(%q) = %q, want %q", in, got, want)
		}
	}
}
