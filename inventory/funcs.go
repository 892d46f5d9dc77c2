package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// evalContext offers env() and file() to expressions in files under dir.
func evalContext(opts Options, dir string) *hcl.EvalContext {
	return &hcl.EvalContext{Functions: map[string]function.Function{
		"env":  envFunc(opts.LookupEnv),
		"file": fileFunc(opts.ReadFile, dir),
	}}
}

// envFunc is env("NAME") or env("NAME", "default"); an unset variable
// without a default is an error, so a typo cannot become an empty password.
func envFunc(lookup func(string) (string, bool)) function.Function {
	return function.New(&function.Spec{
		Params:   []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam: &function.Parameter{Name: "default", Type: cty.String},
		Type:     function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			if len(args) > 2 {
				return cty.NilVal, function.NewArgErrorf(2, "env takes a name and at most one default")
			}
			if v, ok := lookup(name); ok {
				return cty.StringVal(v), nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return cty.NilVal, function.NewArgErrorf(0, "environment variable %s is not set", name)
		},
	})
}

// fileFunc is file("path") or file("path", "default"): the file's
// contents, relative to the inventory; the default stands in for a file
// that does not exist.
func fileFunc(read func(string) ([]byte, error), dir string) function.Function {
	return function.New(&function.Spec{
		Params:   []function.Parameter{{Name: "path", Type: cty.String}},
		VarParam: &function.Parameter{Name: "default", Type: cty.String},
		Type:     function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, function.NewArgErrorf(2, "file takes a path and at most one default")
			}
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			b, err := read(p)
			if errors.Is(err, fs.ErrNotExist) && len(args) == 2 {
				return args[1], nil
			}
			if err != nil {
				return cty.NilVal, function.NewArgError(0, fmt.Errorf("cannot read %s: %w", p, err))
			}
			return cty.StringVal(string(b)), nil
		},
	})
}
