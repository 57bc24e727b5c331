# WelfareGOV interoperability gateway. `make` or `make help` lists the targets.
GO          ?= go
CONFIG      ?= deploy/config/demo.yaml
FUZZTIME    ?= 3s
BENCHTIME   ?= 200ms
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
LDFLAGS     := -s -w -X main.version=$(VERSION)

.DEFAULT_GOAL := help
.PHONY: help run test fuzz bench lint build deploy-check oas-check clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# `go run` would exit 1 on Ctrl-C whatever the demo returns; building first keeps the exit status
# (0 after a graceful stop). cmd/demo starts the pasim simulators and the gateway in one process:
# $(CONFIG) completed with pasim's ports and keys and credentials generated into .run/demo, every
# e-service published, PDND Tracing on, background traffic; it prints the URLs, curl commands and a
# `bin/modi call` (hence modi and gateway, for `gateway audit verify`, are built too).
run: ## start the demo: pasim's simulators and the whole gateway (in memory, dev certificate), with example calls
	$(GO) build -o bin/ ./cmd/demo ./cmd/modi ./cmd/gateway
	bin/demo --config $(CONFIG)

test: ## go vet, every test (needs Redis at REDIS_URL), deploy-check, then each fuzz target for FUZZTIME
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory deploy-check
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz

fuzz: ## run each fuzz target for FUZZTIME (default 3s; make fuzz FUZZTIME=2m for a real session)
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz

bench: ## run every benchmark for BENCHTIME and print them, baseline ratios included
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

lint: ## gofmt check, go vet, staticcheck
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt -w needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd deploy && $(GO) run $(STATICCHECK) ./...

build: ## static binaries of ./cmd/... into bin/, stamped with VERSION (git describe)
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=auto -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

# deploy/ is its own Go module (kustomize, Kubernetes and compose libraries stay out of the
# gateway's go.mod), so `go test ./...` above does not reach it. Its tests run `make build` in a
# copy of the image's build context, as deploy/Dockerfile's build stage does.
deploy-check: ## check deploy/: Dockerfile, the image build (make build), compose, Kubernetes schemas and rules
	cd deploy && $(GO) vet ./... && GO=$(GO) $(GO) test -count=1 ./...

# The contracts the gateway serves (the e-services' and the internal API's), through the Italian
# OAS checker (Spectral, "Italian Guidelines Full"; ../shared/tools/oas-check, or OAS_CHECK=path).
# It needs node; `make test` runs the same test, which skips (saying so) where node is missing.
oas-check: ## check the OpenAPI contracts the gateway serves with the Italian OAS checker (needs node)
	$(GO) test -count=1 -run TestContractsPassOASChecker -v ./gateway/eservice/

clean: ## remove bin/ and the run directory .run/
	rm -rf bin .run
