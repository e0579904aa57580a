module example.com/secgate/testdata/vex-app

go 1.22

require golang.org/x/text v0.3.5
