module example.com/secgate/testdata/go-boundary

go 1.22

require (
	github.com/gin-gonic/gin v1.9.1
	golang.org/x/net v0.7.0
	golang.org/x/text v0.3.7
)
