package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAnswerIsTheCallersAddress(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.5:40000":          "192.0.2.5",
		"[::ffff:192.0.2.6]:40000": "192.0.2.6",
		"[2001:db8:150::7]:40000":  "2001:db8:150::7",
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		answer(rec, req)
		body, _ := io.ReadAll(rec.Result().Body)
		if rec.Code != 200 || string(body) != want {
			t.Errorf("from %s: %d %q, want 200 %q", remote, rec.Code, body, want)
		}
	}
}

// Over a real socket, as the probes and the demo's wget ask.
func TestServesOverTCP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(answer))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "127.0.0.1" {
		t.Errorf("answer %q, want 127.0.0.1", body)
	}
}
