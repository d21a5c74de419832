# The two commands of the README, and the steps they are made of.
PORT ?= 8080

.PHONY: demo test bootstrap build-wasm vendor site package bench check-deep

## demo: install what is missing, build the optimised wasm package, serve web/ on $(PORT)
demo: bootstrap build-wasm vendor
	python3 scripts/serve.py --port $(PORT)

## test: every check and test suite; ends with "N passed, M failed"
test:
	scripts/test.sh

bootstrap:
	scripts/bootstrap.sh

build-wasm:
	scripts/build-wasm.sh --release web/pkg

vendor:
	scripts/vendor.sh web/vendor

## site: the playground as a static site for any host, in dist/site
site: bootstrap
	scripts/site.sh --release dist/site

## package: the npm package brigade-wasm in dist/brigade-wasm
package: bootstrap
	scripts/package.sh --release

## bench: install what the benchmarks need (Go too), then run them all into bench/results (not part of test)
bench:
	scripts/bootstrap.sh bench
	bench/run.sh

## check-deep: loom at depth, Miri, ThreadSanitizer, proptest models, fuzzing and a
## soak (not part of test); ends with a table of figures
check-deep:
	scripts/bootstrap.sh deep
	scripts/check-deep.sh
