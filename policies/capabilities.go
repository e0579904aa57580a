package policies

import (
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// networkBuiltins are the OPA built-ins that reach the network. A policy
// that calls one could send the findings (and whatever the policy reads)
// anywhere, or make the decision depend on a server: they are compiled out
// unless the caller allows the network (--policy-allow-net), and never in
// offline mode.
var networkBuiltins = []string{ast.HTTPSend.Name, ast.NetLookupIPAddr.Name}

// capabilities are OPA's capabilities for this version, without the network
// built-ins unless allowNet; with it, http.send may reach any host.
func capabilities(allowNet bool) *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	if allowNet {
		return caps
	}
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool {
		return slices.Contains(networkBuiltins, b.Name)
	})
	caps.AllowNet = []string{} // and no host, should one be reached another way
	return caps
}

// explainNetwork adds to a compile error about a network built-in why it is
// undefined.
func explainNetwork(err error, allowNet bool) error {
	if err == nil || allowNet {
		return err
	}
	for _, name := range networkBuiltins {
		if strings.Contains(err.Error(), "undefined function "+name) {
			return &networkError{err: err, name: name}
		}
	}
	return err
}

type networkError struct {
	err  error
	name string
}

func (e *networkError) Error() string {
	return e.err.Error() + " (" + e.name + " reaches the network: policies may call it only with --policy-allow-net, and never with --offline-db)"
}

func (e *networkError) Unwrap() error { return e.err }
