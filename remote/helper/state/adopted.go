package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/kasmfleet/push/remote/helper/internal/atomicfile"
)

// AdoptedFile records the hand-made Docker networks apply --adopt took
// over. A network's labels cannot change once it exists, so ownership of
// an adopted one lives here, pinned to its Docker ID: a network made
// again by hand under the same name is not push's.
const AdoptedFile = Dir + "/adopted.json"

// Adopted maps a Docker network's name to the ID it had when adopted.
type Adopted map[string]string

// Owns reports whether the network name with this ID was adopted.
func (a Adopted) Owns(name, id string) bool { return id != "" && a[name] == id }

// LoadAdopted returns the adoption record (empty when there is none).
func (h Host) LoadAdopted() (Adopted, error) {
	b, err := os.ReadFile(h.path(AdoptedFile))
	if errors.Is(err, os.ErrNotExist) {
		return Adopted{}, nil
	}
	if err != nil {
		return Adopted{}, fmt.Errorf("read %s: %w", AdoptedFile, err)
	}
	a := Adopted{}
	if err := json.Unmarshal(b, &a); err != nil {
		return Adopted{}, fmt.Errorf("decode %s: %w", AdoptedFile, err)
	}
	return a, nil
}

// Adopt records network name, with Docker ID id, as push's.
func (h Host) Adopt(name, id string) error {
	return h.editAdopted(func(a Adopted) { a[name] = id })
}

// Forget drops name from the record (push removed or re-created it; a
// network push creates carries its label).
func (h Host) Forget(name string) error {
	return h.editAdopted(func(a Adopted) { delete(a, name) })
}

func (h Host) editAdopted(edit func(Adopted)) error {
	a, err := h.LoadAdopted()
	if err != nil {
		return err
	}
	if len(a) == 0 {
		if err := h.EnsureDir(); err != nil {
			return err
		}
	}
	edit(a)
	b, _ := json.MarshalIndent(a, "", "  ")
	return atomicfile.Write(h.path(AdoptedFile), append(b, '\n'), 0o600)
}
