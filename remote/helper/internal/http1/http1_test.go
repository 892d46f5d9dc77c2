package http1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve answers one request on a pipe with raw bytes and returns what the
// client sent.
func serve(t *testing.T, raw string) (net.Conn, <-chan string) {
	t.Helper()
	client, server := net.Pipe()
	got := make(chan string, 1)
	go func() {
		defer server.Close()
		br := bufio.NewReader(server)
		var req strings.Builder
		length := 0
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				got <- req.String()
				return
			}
			req.WriteString(line)
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				for _, c := range strings.TrimSpace(v) {
					length = length*10 + int(c-'0')
				}
			}
			if line == "\r\n" {
				break
			}
		}
		body := make([]byte, length)
		io.ReadFull(br, body)
		req.Write(body)
		got <- req.String()
		io.WriteString(server, raw)
	}()
	return client, got
}

func TestDo(t *testing.T) {
	for _, tc := range []struct {
		name, method, raw string
		body              []byte
		limit             int64
		status            int
		want, err         string
		sent              []string
		header            map[string]string
	}{
		{name: "content-length", method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloXX", status: 200, want: "hello",
			sent: []string{"GET /v1.41/networks HTTP/1.1\r\n", "Host: docker\r\n", "Connection: close\r\n"}},
		{name: "chunked", method: "GET", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nTrailer: a\r\n\r\n", status: 200, want: "hello"},
		{name: "until close", method: "GET", raw: "HTTP/1.0 200 OK\r\n\r\nhello", status: 200, want: "hello"},
		{name: "no content", method: "DELETE", raw: "HTTP/1.1 204 No Content\r\n\r\n", status: 204},
		{name: "interim then final", method: "POST", body: []byte(`{"a":1}`), raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}", status: 201, want: "{}",
			sent: []string{"Content-Type: application/json\r\n", "Content-Length: 7\r\n", "\r\n\r\n{\"a\":1}"}},
		{name: "empty post", method: "POST", raw: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", status: 200, sent: []string{"Content-Length: 0\r\n"}},
		{name: "error status", method: "GET", raw: "HTTP/1.1 404 Not Found\r\nContent-Length: 20\r\n\r\n{\"message\":\"no such\"}", status: 404, want: `{"message":"no such"`},
		{name: "LF only", method: "GET", raw: "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", status: 200, want: "ok"},
		{name: "too large by length", method: "GET", limit: 3, raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", err: "too large"},
		{name: "too large chunked", method: "GET", limit: 3, raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", err: "too large"},
		{name: "short body", method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello", err: "unexpected EOF"},
		{name: "cut chunk", method: "GET", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nhel", err: "unexpected EOF"},
		{name: "bad chunk size", method: "GET", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", err: "bad chunk size"},
		{name: "header fields", method: "GET", raw: "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nServer:  Docker/20.10.24+dfsg1 (linux) \r\nContent-Length: 2\r\n\r\nOK", status: 200, want: "OK",
			header: map[string]string{"api-version": "1.41", "server": "Docker/20.10.24+dfsg1 (linux)", "content-length": "2"}},
		{name: "not http", method: "GET", raw: "SSH-2.0-OpenSSH\r\n\r\n", err: "not an HTTP/1 status line"},
		{name: "closed early", method: "GET", raw: "", err: "read status"},
		{name: "bad length", method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: "bad content-length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, got := serve(t, tc.raw)
			wrote := false
			resp, err := Do(context.Background(), conn, Request{Method: tc.method, Host: "docker", Path: "/v1.41/networks", Body: tc.body, Limit: tc.limit, Wrote: func() { wrote = true }})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.status || string(resp.Body) != tc.want || !wrote {
				t.Errorf("got %d %q (wrote %v), want %d %q", resp.Status, resp.Body, wrote, tc.status, tc.want)
			}
			for k, v := range tc.header {
				if resp.Header[k] != v {
					t.Errorf("header %s: %q, want %q (all: %q)", k, resp.Header[k], v, resp.Header)
				}
			}
			req := <-got
			for _, s := range tc.sent {
				if !strings.Contains(req, s) {
					t.Errorf("request %q lacks %q", req, s)
				}
			}
		})
	}
}

// Against Go's own server: a large chunked body and a JSON post.
func TestDoNetHTTPServer(t *testing.T) {
	big := strings.Repeat("0123456789", 100000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method == "POST" {
			w.WriteHeader(http.StatusCreated)
			w.Write(b)
			return
		}
		w.(http.Flusher).Flush() // forces chunked
		io.WriteString(w, big)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		method string
		body   []byte
		status int
		want   string
	}{
		{"GET", nil, 200, big},
		{"POST", []byte(`{"Name":"n"}`), 201, `{"Name":"n"}`},
	} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := Do(context.Background(), conn, Request{Method: tc.method, Host: "x", Path: "/", Body: tc.body})
		if err != nil || resp.Status != tc.status || string(resp.Body) != tc.want {
			t.Errorf("%s: %d, %d bytes, %v", tc.method, resp.Status, len(resp.Body), err)
		}
	}
}

// A cancelled context ends a request whose server never answers.
func TestDoCancel(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	go io.Copy(io.Discard, server)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Do(ctx, client, Request{Method: "GET", Host: "h", Path: "/"})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}
