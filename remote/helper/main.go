package helper

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/kasmfleet/push/remote/proto"
)

const usage = `usage: push-helper              read one JSON request on stdin, write one JSON result on stdout
       push-helper version      print the helper's build (version, sha256, GOARCH)
       push-helper restore      re-apply the last applied spec (the boot unit runs this)
`

// Main is the whole program behind cmd/push-helper: it reads a request
// (or takes the verb from args), runs it and writes one JSON result on
// stdout, whatever happens, and returns the exit code.
func Main(ctx context.Context, cfg Config, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	res := proto.Result{Version: proto.Version}
	if cfg.EndMark != "" {
		defer func() { fmt.Fprintf(stdout, "%s %d\n", cfg.EndMark, code) }()
	}
	defer func() {
		if r := recover(); r != nil {
			res.Error = fmt.Sprintf("helper panic: %v", r)
			code = proto.ExitFailed
			writeResult(stdout, res)
		}
	}()
	var req proto.Request
	switch {
	case len(args) == 1 && args[0] == "version":
		req = proto.Request{Version: proto.Version, Verb: proto.VerbVersion}
	case len(args) == 1 && args[0] == "restore":
		req = proto.Request{Version: proto.Version, Verb: proto.VerbRestore}
	case len(args) == 0:
		dec := json.NewDecoder(io.LimitReader(stdin, 8<<20))
		if err := dec.Decode(&req); err != nil {
			res.Error = fmt.Sprintf("read request from stdin: %v", err)
			writeResult(stdout, res)
			return proto.ExitFailed
		}
		res.Verb = req.Verb
	default:
		fmt.Fprint(stderr, usage)
		res.Error = fmt.Sprintf("unexpected arguments %q", args)
		writeResult(stdout, res)
		return proto.ExitFailed
	}
	if cfg.Interruptible != nil && req.Verb.Changes() {
		var stop context.CancelFunc
		ctx, stop = cfg.Interruptible(ctx)
		defer stop()
	}
	res, code = New(cfg).Run(ctx, req)
	if err := writeResult(stdout, res); err != nil {
		fmt.Fprintf(stderr, "push-helper: write result: %v\n", err)
		return proto.ExitFailed
	}
	return code
}

func writeResult(w io.Writer, res proto.Result) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
