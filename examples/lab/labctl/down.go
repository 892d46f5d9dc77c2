package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kasmfleet/push/examples/lab/labvm"
	"github.com/kasmfleet/push/examples/lab/topology"
)

// down stops everything the lab started, by the pids in its state, and
// removes its taps, bridges and disks. It works on stale state and when
// nothing runs.
func down(ctx context.Context, c config) error {
	var errs []error
	if err := stopVCSim(ctx, c.dir); err != nil {
		errs = append(errs, err)
	}
	for _, vm := range topology.All() {
		if err := labvm.Stop(ctx, c.dir, vm.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := removeNetwork(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, p := range []string{c.dir.LabJSON(), c.dir.VSpherePassword(), c.dir.VCSimThumbprint()} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(c.dir.VMDir()); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("down: %w", err)
	}
	return nil
}
