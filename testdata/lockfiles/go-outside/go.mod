module example.com/secgate/testdata/go-outside

go 1.22

require (
	github.com/gin-gonic/gin v1.3.0
	golang.org/x/net v0.17.0
	golang.org/x/text v0.14.0
)
