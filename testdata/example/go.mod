module example.com/acme/storefront

go 1.22

require (
	github.com/spf13/cobra v1.8.0
	golang.org/x/text v0.3.5
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.5 // indirect
)
