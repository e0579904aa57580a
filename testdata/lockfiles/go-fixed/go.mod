module example.com/secgate/testdata/go-fixed

go 1.22

require golang.org/x/text v0.3.7
