// Command echohelper stands in for push-helper in tests: it answers its
// stdin, arguments and identity as one JSON document, and exits with the
// code an "exit=N" argument asks for, after push's end marker when
// PUSH_HELPER_END names it.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

var version = "dev"

type answer struct {
	Version string   `json:"version"`
	Args    []string `json:"args"`
	Stdin   string   `json:"stdin"`
	UID     int      `json:"uid"`
	Exe     string   `json:"exe"`
}

func main() {
	in, _ := io.ReadAll(os.Stdin)
	exe, _ := os.Executable()
	json.NewEncoder(os.Stdout).Encode(answer{Version: version, Args: os.Args[1:], Stdin: string(in), UID: os.Getuid(), Exe: exe})
	code := 0
	for _, a := range os.Args[1:] {
		if n, ok := strings.CutPrefix(a, "exit="); ok {
			code, _ = strconv.Atoi(n)
		}
	}
	if end := os.Getenv("PUSH_HELPER_END"); end != "" {
		fmt.Printf("%s %d\n", end, code) // as push-helper ends push's frame
	}
	os.Exit(code)
}
