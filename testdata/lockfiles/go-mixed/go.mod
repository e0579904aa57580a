module example.com/secgate/testdata/go-mixed

go 1.22

require (
	github.com/gin-gonic/gin v1.9.0
	github.com/hashicorp/yamux v0.1.1
	golang.org/x/net v0.5.0
)
