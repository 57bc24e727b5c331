# WelfareGOV interoperability gateway. `make help` lists the targets.
GO ?= go

.PHONY: help test lint build fuzz bench
help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

test: ## run every test (needs a Redis at REDIS_URL, default redis://127.0.0.1:6379)
	$(GO) vet ./...
	$(GO) test -count=1 ./...

lint: ## gofmt, go vet, staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

build: ## build the binaries into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/...

fuzz: ## run every fuzz target briefly (FUZZTIME, default 5s each)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-5s} || exit 1; \
	  done; \
	done

bench: ## run the benchmarks, each beside its baseline (benchcmp prints the ratios)
	$(GO) test -run '^$$' -bench . -benchtime 200ms ./...
