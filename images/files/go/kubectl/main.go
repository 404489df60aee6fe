// kubectl, built from the k8s.io/kubectl library: the main of upstream's cmd/kubectl
// (kubernetes/kubernetes), which the Go module proxy does not serve as a program.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	// Client authentication plugins (exec, OIDC), as upstream's kubectl has them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
