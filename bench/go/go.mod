module brigade/bench/go

go 1.19
