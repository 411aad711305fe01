package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/mcpgate/mcpgate/config"
)

func helmOrSkip(t *testing.T) string {
	t.Helper()
	helm, err := Helm()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("helm is not installed (.ci/run installs it into .ci/bin): %v", err)
		}
		t.Skipf("helm not installed: %v", err)
	}
	return helm
}

// valuesCase is a values file of ../mcpgate/ci and what its rendering
// must hold.
type valuesCase struct {
	file           string
	replicas       int32
	store          string // the scheme MCPGATE_STORE must have
	serviceMonitor bool
	networkPolicy  bool
	secretFiles    bool
}

var valuesCases = []valuesCase{
	{file: "default-values.yaml", replicas: 1, store: "sqlite"},
	{file: "postgres-values.yaml", replicas: 3, store: "postgres", serviceMonitor: true, networkPolicy: true},
	{file: "redis-values.yaml", replicas: 2, store: "redis", secretFiles: true},
}

// TestValuesFilesAreAllTested: a values file added to ci/ without a case
// here would be linted by nobody.
func TestValuesFilesAreAllTested(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ChartDir, "ci", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, c := range valuesCases {
		known[c.file] = true
	}
	for _, f := range files {
		if !known[filepath.Base(f)] {
			t.Errorf("%s has no case in valuesCases", f)
		}
	}
	if len(files) != len(valuesCases) {
		t.Errorf("ci/ holds %d values files, valuesCases %d", len(files), len(valuesCases))
	}
}

func TestChart(t *testing.T) {
	helm := helmOrSkip(t)
	for _, tc := range valuesCases {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			values := filepath.Join(ChartDir, "ci", tc.file)
			if _, err := Run(helm, "lint", "--strict", "-f", values, ChartDir); err != nil {
				t.Fatal(err)
			}
			out, err := Run(helm, "template", "mcp", ChartDir, "-f", values, "--namespace", "mcp")
			if err != nil {
				t.Fatal(err)
			}
			r, err := Decode(out)
			if err != nil {
				t.Fatalf("strict decode: %v", err)
			}
			checkRendering(t, tc, r)
			checkConfiguration(t, tc, r)
		})
	}
}

func checkRendering(t *testing.T, tc valuesCase, r *Rendered) {
	t.Helper()
	if len(r.Deployments) != 1 || len(r.ConfigMaps) != 1 || len(r.Services) != 1 || len(r.PDBs) != 1 || len(r.ServiceAccounts) != 1 {
		t.Fatalf("got %d deployments, %d config maps, %d services, %d PDBs, %d service accounts; want one each",
			len(r.Deployments), len(r.ConfigMaps), len(r.Services), len(r.PDBs), len(r.ServiceAccounts))
	}
	if got := len(r.ServiceMonitors) == 1; got != tc.serviceMonitor {
		t.Errorf("ServiceMonitor rendered: %v, want %v", got, tc.serviceMonitor)
	}
	if got := len(r.NetworkPolicies) == 1; got != tc.networkPolicy {
		t.Errorf("NetworkPolicy rendered: %v, want %v", got, tc.networkPolicy)
	}
	d := r.Deployments[0]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != tc.replicas {
		t.Errorf("replicas: got %v, want %d", d.Spec.Replicas, tc.replicas)
	}
	wantStrategy := appsv1.RollingUpdateDeploymentStrategyType
	if tc.store == "sqlite" {
		wantStrategy = appsv1.RecreateDeploymentStrategyType
	}
	if d.Spec.Strategy.Type != wantStrategy {
		t.Errorf("strategy %s, want %s", d.Spec.Strategy.Type, wantStrategy)
	}
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe: got %+v, want GET %s on port http", p.name, p.probe, p.path)
		}
	}
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod security context %+v: want non-root", psc)
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || len(sc.Capabilities.Drop) == 0 {
		t.Errorf("container security context %+v: want a read-only root, no privilege escalation, capabilities dropped", sc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod mounts a service account token mcpgate has no use for")
	}
	if got := pod.TerminationGracePeriodSeconds; got == nil || *got <= 30 {
		t.Errorf("terminationGracePeriodSeconds %v: want more than mcpgate's 30 s shutdown_grace", got)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] != 8080 || ports["metrics"] != 9090 {
		t.Errorf("container ports %v: want http 8080, metrics 9090", ports)
	}
	if got := d.Spec.Template.Annotations["checksum/config"]; len(got) != 64 {
		t.Errorf("checksum/config annotation %q: a changed configuration would not roll the pods", got)
	}
	if tc.secretFiles {
		if len(c.EnvFrom) != 0 {
			t.Errorf("secrets as files, yet envFrom %v", c.EnvFrom)
		}
	} else {
		for _, e := range c.Env {
			if strings.HasSuffix(e.Name, "_FILE") {
				t.Errorf("secrets as environment, yet %s", e.Name)
			}
		}
	}
}

// checkConfiguration loads the ConfigMap's file with the environment the
// pod gets, through mcpgate's own config package: the chart must make a
// configuration mcpgate accepts.
func checkConfiguration(t *testing.T, tc valuesCase, r *Rendered) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, []byte(r.ConfigMaps[0].Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	c := r.Deployments[0].Spec.Template.Spec.Containers[0]
	env := podEnvironment(t, r, c, dir)
	cfg, err := config.Load(file, env)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatalf("mcpgate refuses the rendered configuration: %v\nenvironment: %v", err, env)
	}
	if !strings.HasPrefix(cfg.Store, tc.store+":") {
		t.Errorf("store %q, want a %s URL", cfg.Store, tc.store)
	}
	if cfg.Listen != ":8080" || cfg.Metrics.Listen != ":9090" {
		t.Errorf("listen %q, metrics.listen %q: want :8080 and :9090, the container's ports", cfg.Listen, cfg.Metrics.Listen)
	}
	if tc.store != "sqlite" && len(cfg.EncryptionKey) < 32 {
		t.Errorf("a shared store without the encryption key (got %d bytes)", len(cfg.EncryptionKey))
	}
}

// Values of Secrets the operator manages, which the chart only names.
var externalSecrets = map[string]string{
	"mcpgate-redis/redis-url":                        "redis://:pw@redis.db.svc:6379/0",
	"mcpgate-keys/encryption-key":                    "operator-managed-encryption-key-0123456789",
	"mcpgate-secrets/MCPGATE_UPSTREAM_CLIENT_SECRET": "operator-managed-client-secret",
	"mcpgate-secrets/MCPGATE_SESSION_SECRET":         "operator-managed-session-secret-0123456789",
}

// podEnvironment is the container's environment as the kubelet would make
// it, with secret files written under dir in place of the mounts.
func podEnvironment(t *testing.T, r *Rendered, c corev1.Container, dir string) []string {
	t.Helper()
	secret := func(name, key string) string {
		if v, ok := r.SecretValue(name, key); ok {
			return v
		}
		v, ok := externalSecrets[name+"/"+key]
		if !ok {
			t.Fatalf("the pod reads key %s of Secret %s, which neither the chart nor the test provides", key, name)
		}
		return v
	}
	mounts := map[string]string{} // mount path → Secret name
	vols := map[string]string{}
	for _, v := range r.Deployments[0].Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			vols[v.Name] = v.Secret.SecretName
		}
	}
	for _, m := range c.VolumeMounts {
		if s, ok := vols[m.Name]; ok {
			mounts[m.MountPath] = s
		}
	}
	var env []string
	for _, from := range c.EnvFrom {
		if from.SecretRef == nil {
			t.Fatalf("envFrom %+v: only Secrets expected", from)
		}
		for _, s := range r.Secrets {
			if s.Name == from.SecretRef.Name {
				for k, v := range s.StringData {
					env = append(env, k+"="+v)
				}
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			env = append(env, e.Name+"="+secret(e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key))
		case e.ValueFrom != nil:
			t.Fatalf("env %s: only secretKeyRef expected", e.Name)
		case strings.HasSuffix(e.Name, "_FILE"):
			mount, key := filepath.Split(e.Value)
			name, ok := mounts[filepath.Clean(mount)]
			if !ok {
				t.Fatalf("env %s names %s, which no Secret volume is mounted at", e.Name, e.Value)
			}
			path := filepath.Join(dir, strings.ReplaceAll(e.Name, "/", "_"))
			if err := os.WriteFile(path, []byte(secret(name, key)+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			env = append(env, e.Name+"="+path)
		default:
			env = append(env, e.Name+"="+e.Value)
		}
	}
	return env
}

// TestChartRefusesBrokenValues: values that cannot make a working
// deployment stop helm template with every problem named.
func TestChartRefusesBrokenValues(t *testing.T) {
	helm := helmOrSkip(t)
	tests := []struct {
		name string
		set  []string
		want []string
	}{
		{name: "sqlite with replicas", set: []string{"replicaCount=3"}, want: []string{"replicaCount above 1 needs a shared store"}},
		{name: "postgres without url or key", set: []string{"store.type=postgres"},
			want: []string{"2 problem(s)", "set store.url or store.existingSecret", "set encryptionKey.value"}},
		{name: "short encryption key", set: []string{"store.type=redis", "store.url=redis://r:6379", "encryptionKey.value=short"}, want: []string{"at least 32 bytes"}},
		{name: "unknown store", set: []string{"store.type=mysql"}, want: []string{"/store/type", "sqlite"}},
		{name: "secret not an MCPGATE variable", set: []string{"secrets.values.client_secret=x"}, want: []string{`"client_secret": want an MCPGATE_* variable name`}},
		{name: "files without keys", set: []string{"secrets.mode=files", "secrets.existingSecret=s"}, want: []string{"list the Secret's keys"}},
		{name: "misspelt value", set: []string{"replicaCont=3"}, want: []string{"replicaCont"}},
		{name: "misspelt nested value", set: []string{"store.tpye=redis"}, want: []string{"tpye"}},
		{name: "config as a mapping", set: []string{"config.public_url=https://x"}, want: []string{"config"}},
		{name: "config without public_url", set: []string{"config=upstream: {}"}, want: []string{"public_url is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"template", "mcp", ChartDir}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			_, err := Run(helm, args...)
			if err == nil {
				t.Fatal("helm template succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestDecodeRefusesUnknownFields keeps the strict decoding honest: a
// misspelt field, as a template typo would make, fails.
func TestDecodeRefusesUnknownFields(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{name: "misspelt field", doc: "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {prots: []}\n", want: "prots"},
		{name: "field at the wrong level", doc: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {image: x}}}\n", want: "image"},
		{name: "kind the chart does not make", doc: "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", want: "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte("---\n# Source: x\n" + tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error naming %q", err, tt.want)
			}
		})
	}
	if _, err := Decode([]byte("---\n# Source: x\napiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80}]}\n")); err != nil {
		t.Errorf("a correct Service: %v", err)
	}
}
