// Package http1 is the least HTTP/1.1 client the helper needs: one request
// on a connection the caller dialed (Docker's unix socket, a probe's TCP
// connection from inside a namespace), then the connection is closed.
//
// The helper does not import net/http: it would bring crypto/tls, x509
// and their kin into a binary that never speaks TLS, and every byte of
// the helper is uploaded to every host on first contact and paged in on
// every run.
package http1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// Request is one request.
type Request struct {
	Method string // GET, POST, DELETE
	Host   string // the Host header
	Path   string // with the query, already escaped
	// Body is sent with Content-Type application/json when not nil.
	Body []byte
	// Wrote, when set, is called once the request has been written.
	Wrote func()
	// Limit caps the body read; a longer body is an error. 0: 16 MiB.
	Limit int64
}

// Response is the status, the header and the whole body.
type Response struct {
	Status int
	Reason string // "Not Found"
	// Header holds the last value of each field, by lowercase name.
	Header map[string]string
	Body   []byte
}

// ErrTooLarge is returned for a body over Request.Limit.
var ErrTooLarge = errors.New("response body too large")

// Do sends r on conn, reads the response and closes conn. The context's
// deadline and cancellation end a request in flight.
func Do(ctx context.Context, conn net.Conn, r Request) (Response, error) {
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(d); err != nil {
			return Response{}, err
		}
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	resp, err := do(conn, r)
	if err != nil && ctx.Err() != nil {
		return resp, fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return resp, err
}

func do(conn net.Conn, r Request) (Response, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: push-helper\r\nConnection: close\r\n", r.Method, r.Path, r.Host)
	if r.Body != nil {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(r.Body))
	} else if r.Method == "POST" || r.Method == "PUT" {
		b.WriteString("Content-Length: 0\r\n")
	}
	b.WriteString("\r\n")
	req := append([]byte(b.String()), r.Body...)
	if _, err := conn.Write(req); err != nil {
		return Response{}, fmt.Errorf("write request: %w", err)
	}
	if r.Wrote != nil {
		r.Wrote()
	}
	limit := r.Limit
	if limit <= 0 {
		limit = 16 << 20
	}
	return readResponse(bufio.NewReader(conn), r.Method, limit)
}

func readResponse(br *bufio.Reader, method string, limit int64) (Response, error) {
	var resp Response
	var h header
	for {
		line, err := readLine(br)
		if err != nil {
			return resp, fmt.Errorf("read status: %w", err)
		}
		if resp, err = parseStatus(line); err != nil {
			return resp, err
		}
		if h, err = readHeader(br); err != nil {
			return resp, err
		}
		resp.Header = h.fields
		if resp.Status >= 200 || resp.Status == 101 {
			break // 1xx other than 101 are interim: the final one follows
		}
	}
	if method == "HEAD" || resp.Status == 204 || resp.Status == 304 || (resp.Status >= 100 && resp.Status < 200) {
		return resp, nil
	}
	var body io.Reader
	switch {
	case h.chunked:
		body = &chunked{br: br}
	case h.length >= 0:
		if h.length > limit {
			return resp, fmt.Errorf("%w: %d bytes", ErrTooLarge, h.length)
		}
		body = io.LimitReader(br, h.length)
	default:
		body = br // until the server closes
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return resp, fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > limit {
		return resp, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	if h.length >= 0 && !h.chunked && int64(len(data)) < h.length {
		return resp, fmt.Errorf("read body: %w after %d of %d bytes", io.ErrUnexpectedEOF, len(data), h.length)
	}
	resp.Body = data
	return resp, nil
}

// parseStatus reads "HTTP/1.1 404 Not Found".
func parseStatus(line string) (Response, error) {
	proto, rest, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(proto, "HTTP/1.") {
		return Response{}, fmt.Errorf("not an HTTP/1 status line: %.40q", line)
	}
	code, reason, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if err != nil || n < 100 || n > 999 {
		return Response{}, fmt.Errorf("bad status code in %.40q", line)
	}
	return Response{Status: n, Reason: reason}, nil
}

type header struct {
	length  int64 // -1: none given
	chunked bool
	fields  map[string]string
}

func readHeader(br *bufio.Reader) (header, error) {
	h := header{length: -1, fields: map[string]string{}}
	for n := 0; ; n++ {
		line, err := readLine(br)
		if err != nil {
			return h, fmt.Errorf("read header: %w", err)
		}
		if line == "" {
			return h, nil
		}
		if n > 200 {
			return h, errors.New("read header: too many fields")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return h, fmt.Errorf("read header: bad line %.40q", line)
		}
		value = strings.TrimSpace(value)
		name = strings.ToLower(strings.TrimSpace(name))
		h.fields[name] = value
		switch name {
		case "content-length":
			l, err := strconv.ParseInt(value, 10, 64)
			if err != nil || l < 0 {
				return h, fmt.Errorf("read header: bad content-length %.20q", value)
			}
			h.length = l
		case "transfer-encoding":
			h.chunked = strings.EqualFold(value, "chunked") || strings.HasSuffix(strings.ToLower(value), ", chunked")
		}
	}
}

// readLine reads one CRLF (or LF) terminated line of at most 64 KiB.
func readLine(br *bufio.Reader) (string, error) {
	var line []byte
	for {
		part, more, err := br.ReadLine()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		line = append(line, part...)
		if len(line) > 64<<10 {
			return "", errors.New("line too long")
		}
		if !more {
			return string(line), nil
		}
	}
}

// chunked reads a body sent with Transfer-Encoding: chunked.
type chunked struct {
	br   *bufio.Reader
	left int64 // of the current chunk
	done bool
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	if c.left == 0 {
		line, err := readLine(c.br)
		if err != nil {
			return 0, fmt.Errorf("chunk size: %w", err)
		}
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad chunk size %.20q", line)
		}
		if n == 0 {
			for { // trailer fields, then the empty line
				line, err := readLine(c.br)
				if err != nil {
					return 0, fmt.Errorf("chunk trailer: %w", err)
				}
				if line == "" {
					break
				}
			}
			c.done = true
			return 0, io.EOF
		}
		c.left = n
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && c.left == 0 {
		if line, lerr := readLine(c.br); lerr != nil || line != "" {
			err = errors.New("chunk not followed by CRLF")
		}
	}
	return n, err
}
