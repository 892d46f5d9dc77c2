package main

import (
	"context"

	"github.com/hashicorp/hcl/v2"
	"github.com/kasmfleet/push/inventory"
)

// jsonVersion is the schema version of every JSON document push prints.
const jsonVersion = 1

func runValidate(_ context.Context, io stdio, args []string) int {
	fs := flags(io, "validate", "[--json] FILE...")
	asJSON := fs.Bool("json", false, "print diagnostics as JSON")
	files, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	_, diags, ok := load(io, files, !*asJSON)
	if *asJSON {
		writeJSON(io.out, map[string]any{"version": jsonVersion, "valid": ok, "diagnostics": diagnosticsJSON(diags)})
	}
	if !ok {
		return exitFailed
	}
	return exitOK
}

// load reads and validates the inventory; with render, diagnostics are
// printed on stderr. ok is false when there are errors.
func load(io stdio, files []string, render bool) (*inventory.Inventory, hcl.Diagnostics, bool) {
	inv, diags := inventory.Load(inventory.Options{LookupEnv: io.lookupEnv}, files...)
	if render && len(diags) > 0 {
		renderDiagnostics(io.err, inv.Files, diags, io.color)
	}
	return inv, diags, !diags.HasErrors()
}
