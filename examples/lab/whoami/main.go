// Command lab-whoami is the lab gateway's "what is my source IP"
// service: it answers every HTTP request with the caller's address as
// the whole body, no newline. labctl builds it into the gateway's
// identity disk. One process serves every request: the busybox httpd
// and CGI script it replaces started a shell per request, which under
// emulation, with every agent probing at once, added about half a
// second to push's verify.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

func main() {
	listen := flag.String("listen", ":8080", "address to serve on (IPv4 and IPv6)")
	flag.Parse()
	if err := http.ListenAndServe(*listen, http.HandlerFunc(answer)); err != nil {
		fmt.Fprintln(os.Stderr, "lab-whoami:", err)
		os.Exit(1)
	}
}

// answer writes the caller's address: IPv4 callers on the dual-stack
// socket as plain IPv4, IPv6 ones without brackets.
func answer(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, strings.TrimPrefix(host, "::ffff:"))
}
