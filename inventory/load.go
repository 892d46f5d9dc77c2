package inventory

import (
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Options are what Load may consult besides the files themselves.
type Options struct {
	LookupEnv func(string) (string, bool)  // for env(); default os.LookupEnv
	ReadFile  func(string) ([]byte, error) // for the files and file(); default os.ReadFile
}

func (o Options) withDefaults() Options {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	return o
}

// Load parses, decodes and validates the inventory made of paths. The
// Inventory is returned even when there are errors (its Files render the
// diagnostics); it is usable only when diags has no errors.
func Load(opts Options, paths ...string) (*Inventory, hcl.Diagnostics) {
	opts = opts.withDefaults()
	inv := &Inventory{Files: map[string]*hcl.File{}}
	if len(paths) > 0 {
		inv.Dir = filepath.Dir(paths[0])
	}
	parser := hclparse.NewParser()
	var diags hcl.Diagnostics
	var bodies []hcl.Body
	for _, p := range paths {
		src, err := opts.ReadFile(p)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError,
				Summary: "Cannot read inventory", Detail: err.Error()})
			continue
		}
		f, d := parser.ParseHCL(src, p)
		diags = append(diags, d...)
		if f != nil {
			inv.Files[p] = f
			bodies = append(bodies, f.Body)
		}
	}
	if diags.HasErrors() {
		return inv, diags
	}
	d := decode(inv, evalContext(opts, inv.Dir), bodies)
	diags = append(diags, d...)
	diags = append(diags, validate(inv)...)
	return inv, diags
}

// Parse is Load for an inventory already in memory, named filename.
func Parse(opts Options, filename string, src []byte) (*Inventory, hcl.Diagnostics) {
	opts = opts.withDefaults()
	read := opts.ReadFile
	opts.ReadFile = func(p string) ([]byte, error) {
		if p == filename {
			return src, nil
		}
		return read(p)
	}
	return Load(opts, filename)
}
