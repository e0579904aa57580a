module example.com/secgate/testdata/go-stdlib

go 1.19.5

require golang.org/x/text v0.14.0
