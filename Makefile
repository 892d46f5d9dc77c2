# push — see README.md. Every target is safe to run twice.
GO        ?= go
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
HELPERBIN := remote/helperbin/bin
HELPERS   := $(HELPERBIN)/push-helper-linux-amd64.gz $(HELPERBIN)/push-helper-linux-arm64.gz
GOFILES   := $(shell find . -name '*.go' -not -path './.git/*')

.PHONY: all build helpers test test-short lint demo bench lab-up lab-down clean fuzz

all: build

build: bin/push

helpers: $(HELPERS)

# Each helper is embedded gzipped (hosts with gzip receive it so), with
# the sha256 of its uncompressed bytes beside it.
$(HELPERBIN)/push-helper-linux-%.gz: $(GOFILES) go.mod go.sum
	CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(HELPERBIN)/.push-helper-linux-$* ./cmd/push-helper
	sha256sum < $(HELPERBIN)/.push-helper-linux-$* | cut -c1-64 > $(HELPERBIN)/push-helper-linux-$*.sha256
	gzip -9n < $(HELPERBIN)/.push-helper-linux-$* > $@.tmp && mv $@.tmp $@
	rm -f $(HELPERBIN)/.push-helper-linux-$* $(HELPERBIN)/push-helper-linux-$*

bin/push: $(HELPERS) $(GOFILES) go.mod go.sum
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/push

# The whole suite, lab included: first the fast tests under the race
# detector, then everything. As root, the lab's and the tests' Debian
# packages are installed when missing (examples/lab/deps.sh), the lab is
# brought up during the race pass and removed afterwards (PUSH_LAB_KEEP=1
# keeps it).
# Not as root, tests that need root, qemu or the lab skip with a reason;
# with PUSH_REQUIRE_ALL=1 (set by .ci/run) such a skip is a failure.
IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)
CAN_LAB := $(shell [ "$(IS_ROOT)" = yes ] && command -v qemu-system-x86_64 >/dev/null && echo yes)
GOTEST  := $(GO) test -count=1 -timeout 50m $(TESTFLAGS) ./...
# The fast tests once more under the race detector (cgo: needs gcc).
GORACE  := $(GO) test -race -short -count=1 ./...

test: build
ifeq ($(IS_ROOT),yes)
	examples/lab/deps.sh test
	@# The lab comes up (image build, boots) while the race pass runs.
	@examples/lab/lab.sh up & up=$$!; \
	$(GORACE); race=$$?; \
	wait $$up; labup=$$?; \
	if [ $$race -ne 0 ] || [ $$labup -ne 0 ]; then \
		echo "make test: race pass exit $$race, lab up exit $$labup" >&2; \
		[ -n "$$PUSH_LAB_KEEP" ] || examples/lab/lab.sh down; exit 1; fi; \
	echo "$(GOTEST)"; $(GOTEST); rc=$$?; [ -n "$$PUSH_LAB_KEEP" ] || examples/lab/lab.sh down; exit $$rc
else
	@echo "make test: not root, so the lab tests skip (run as root to run them too)"
	$(GORACE)
	$(GOTEST)
endif

# Only the fast, pure tests.
test-short: helpers
	$(GO) test -short -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz: helpers
	$(GO) test ./inventory -run '^$$' -fuzz FuzzLoad -fuzztime 60s

demo: build
	examples/lab/demo.sh

# Benchmarks (docs/benchmarks.md): push against Ansible and against the
# floor (one bare SSH handshake and one no-op exec per host) on sshd fleets
# of BENCH_N hosts (default 10,100,300) and, as root with qemu, on the lab
# (workload 3). A lab already up is used as it is (the bench waits for its
# lock) and left up; otherwise it is brought up first and removed afterwards
# (PUSH_LAB_KEEP=1 keeps it; BENCH_LAB=no skips workload 3). Results:
# bench-results/results.md and .json, push's CPU profiles. Then vSphere
# apply/observe in vcsim.
BENCH := $(GO) run ./examples/bench

bench: build
ifeq ($(CAN_LAB),yes)
	@own=; if [ "$$BENCH_LAB" != no ] && [ ! -e examples/lab/state/lab.json ]; then \
		own=1; examples/lab/lab.sh up || exit 1; fi; \
	$(BENCH); rc=$$?; \
	if [ -n "$$own" ] && [ -z "$$PUSH_LAB_KEEP" ]; then examples/lab/lab.sh down; fi; exit $$rc
else
	$(BENCH) -lab no
endif
	$(GO) test -run '^$$' -bench . -benchtime 3x ./remote/vsphere

lab-up:
	examples/lab/lab.sh up

lab-down:
	examples/lab/lab.sh down

clean:
	rm -rf bin $(HELPERS)
