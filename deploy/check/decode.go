package check

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// ChartDir is the chart, from this package's directory.
const ChartDir = "../helm/mcpgate"

// Rendered are the objects of one helm template run, decoded.
type Rendered struct {
	Deployments     []*appsv1.Deployment
	Services        []*corev1.Service
	ConfigMaps      []*corev1.ConfigMap
	Secrets         []*corev1.Secret
	ServiceAccounts []*corev1.ServiceAccount
	PDBs            []*policyv1.PodDisruptionBudget
	NetworkPolicies []*networkingv1.NetworkPolicy
	ServiceMonitors []*monitoringv1.ServiceMonitor
}

// Helm finds the helm binary: .ci/bin first (where .ci/run installs it),
// then PATH.
func Helm() (string, error) {
	local, err := filepath.Abs("../../.ci/bin/helm")
	if err == nil {
		if _, err := os.Stat(local); err == nil {
			return local, nil
		}
	}
	return exec.LookPath("helm")
}

// Run runs helm with args and returns its standard output, or an error
// holding its standard error.
func Run(helm string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helm, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// Decode splits helm template's output into objects and decodes each one
// strictly into its API type: a field the type does not have, or a kind
// this chart is not expected to render, is an error.
func Decode(manifests []byte) (*Rendered, error) {
	r := &Rendered{}
	for i, doc := range splitDocuments(manifests) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		var err error
		switch head.APIVersion + " " + head.Kind {
		case "apps/v1 Deployment":
			r.Deployments, err = decodeInto(doc, r.Deployments)
		case "v1 Service":
			r.Services, err = decodeInto(doc, r.Services)
		case "v1 ConfigMap":
			r.ConfigMaps, err = decodeInto(doc, r.ConfigMaps)
		case "v1 Secret":
			r.Secrets, err = decodeInto(doc, r.Secrets)
		case "v1 ServiceAccount":
			r.ServiceAccounts, err = decodeInto(doc, r.ServiceAccounts)
		case "policy/v1 PodDisruptionBudget":
			r.PDBs, err = decodeInto(doc, r.PDBs)
		case "networking.k8s.io/v1 NetworkPolicy":
			r.NetworkPolicies, err = decodeInto(doc, r.NetworkPolicies)
		case "monitoring.coreos.com/v1 ServiceMonitor":
			r.ServiceMonitors, err = decodeInto(doc, r.ServiceMonitors)
		default:
			return nil, fmt.Errorf("object %d: unexpected %s %q", i, head.APIVersion, head.Kind)
		}
		if err != nil {
			return nil, fmt.Errorf("object %d (%s): %w", i, head.Kind, err)
		}
	}
	return r, nil
}

func decodeInto[T any](doc []byte, list []*T) ([]*T, error) {
	v := new(T)
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		return list, err
	}
	return append(list, v), nil
}

// splitDocuments splits a YAML stream at its "---" lines, dropping
// documents that hold only comments.
func splitDocuments(stream []byte) [][]byte {
	var docs [][]byte
	for _, part := range bytes.Split(append([]byte("\n"), stream...), []byte("\n---")) {
		empty := true
		for _, line := range strings.Split(string(part), "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				empty = false
				break
			}
		}
		if !empty {
			docs = append(docs, part)
		}
	}
	return docs
}

// SecretValue is key of the rendered Secret name, if the chart made it.
func (r *Rendered) SecretValue(name, key string) (string, bool) {
	for _, s := range r.Secrets {
		if s.Name != name {
			continue
		}
		if v, ok := s.StringData[key]; ok {
			return v, true
		}
		if v, ok := s.Data[key]; ok {
			return string(v), true
		}
	}
	return "", false
}
