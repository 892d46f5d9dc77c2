package docker

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
)

func TestServerVersion(t *testing.T) {
	for field, want := range map[string]string{
		"Docker/20.10.24+dfsg1 (linux)": "20.10.24+dfsg1",
		"Docker/26.1.5+dfsg1 (linux)":   "26.1.5+dfsg1",
		"Docker/29.0.0":                 "29.0.0",
		"":                              "",
		"nginx/1.25":                    "",
	} {
		if got := serverVersion(field); got != want {
			t.Errorf("serverVersion(%q) = %q, want %q", field, got, want)
		}
	}
}

// Negotiate reads both versions from the ping's header when it has them,
// asks /version only when it lacks one, and asks nothing the second time.
func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pingHdr   map[string]string
		want      Version
		wantPaths []string
	}{
		{"ping has both", map[string]string{"Api-Version": "1.41", "Server": "Docker/20.10.24+dfsg1 (linux)"},
			Version{Version: "20.10.24+dfsg1", APIVersion: "1.41"}, []string{"/_ping"}},
		{"ping lacks the server", map[string]string{"Api-Version": "1.41"},
			Version{Version: "19.03.15", APIVersion: "1.40"}, []string{"/_ping", "/version"}},
		{"ping has neither", nil,
			Version{Version: "19.03.15", APIVersion: "1.40"}, []string{"/_ping", "/version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var paths []string
			sock := filepath.Join(t.TempDir(), "docker.sock")
			l, err := net.Listen("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				paths = append(paths, r.URL.Path)
				mu.Unlock()
				switch r.URL.Path {
				case "/_ping":
					for k, v := range tc.pingHdr {
						w.Header().Set(k, v)
					}
					w.Write([]byte("OK"))
				case "/version":
					w.Write([]byte(`{"Version":"19.03.15","ApiVersion":"1.40"}`))
				default:
					http.NotFound(w, r)
				}
			})}
			go srv.Serve(l)
			defer srv.Close()
			c := NewClient(sock)
			for range 2 {
				v, err := c.Negotiate(context.Background())
				if err != nil || v != tc.want {
					t.Fatalf("Negotiate: %+v, %v; want %+v", v, err, tc.want)
				}
			}
			if c.apiVersion != "/v"+tc.want.APIVersion {
				t.Errorf("requests pinned to %q", c.apiVersion)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(paths) != len(tc.wantPaths) {
				t.Fatalf("asked %q, want %q", paths, tc.wantPaths)
			}
			for i := range paths {
				if paths[i] != tc.wantPaths[i] {
					t.Fatalf("asked %q, want %q", paths, tc.wantPaths)
				}
			}
		})
	}
}
