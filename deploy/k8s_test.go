package deploy

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// rendered is one kustomization's output, decoded into the Kubernetes API types.
type rendered struct {
	namespaces      []corev1.Namespace
	serviceAccounts []corev1.ServiceAccount
	configMaps      []corev1.ConfigMap
	secrets         []corev1.Secret
	services        []corev1.Service
	deployments     []appsv1.Deployment
	jobs            []batchv1.Job
	pdbs            []policyv1.PodDisruptionBudget
	netpols         []networkingv1.NetworkPolicy
}

// workload is a pod template with the name of the object that holds it.
type workload struct {
	name     string
	template corev1.PodTemplateSpec
}

func (r *rendered) workloads() []workload {
	var ws []workload
	for _, d := range r.deployments {
		ws = append(ws, workload{"Deployment/" + d.Name, d.Spec.Template})
	}
	for _, j := range r.jobs {
		ws = append(ws, workload{"Job/" + j.Name, j.Spec.Template})
	}
	return ws
}

func (r *rendered) deployment(t *testing.T, component string) appsv1.Deployment {
	t.Helper()
	for _, d := range r.deployments {
		if d.Spec.Template.Labels["app.kubernetes.io/component"] == component {
			return d
		}
	}
	t.Fatalf("no Deployment of component %q", component)
	return appsv1.Deployment{}
}

func (r *rendered) secret(name string) (corev1.Secret, bool) {
	for _, s := range r.secrets {
		if s.Name == name {
			return s, true
		}
	}
	return corev1.Secret{}, false
}

// strictInto decodes one object: a field the type does not have is an error, as the API server
// of a cluster with strict field validation (kubectl's default) would refuse it.
func strictInto[T any](t *testing.T, doc []byte, list *[]T) {
	t.Helper()
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		t.Fatalf("strict decode: %v\n%s", err, doc)
	}
	*list = append(*list, v)
}

// render copies deploy/k8s into a temporary folder, puts each overlay's secrets/*.example in
// place of the real files (as an operator does with real values), and renders dir in it.
func render(t *testing.T, dir string) *rendered {
	t.Helper()
	tmp := t.TempDir()
	if err := os.CopyFS(tmp, os.DirFS("k8s")); err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Glob(filepath.Join(tmp, "overlays", "*", "secrets", "*.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		b, err := os.ReadFile(ex)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(strings.TrimSuffix(ex, ".example"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(tmp, dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var r rendered
	for _, res := range resMap.Resources() {
		doc, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		switch gvk := res.GetGvk(); gvk.ApiVersion() + " " + gvk.Kind {
		case "v1 Namespace":
			strictInto(t, doc, &r.namespaces)
		case "v1 ServiceAccount":
			strictInto(t, doc, &r.serviceAccounts)
		case "v1 ConfigMap":
			strictInto(t, doc, &r.configMaps)
		case "v1 Secret":
			strictInto(t, doc, &r.secrets)
		case "v1 Service":
			strictInto(t, doc, &r.services)
		case "apps/v1 Deployment":
			strictInto(t, doc, &r.deployments)
		case "batch/v1 Job":
			strictInto(t, doc, &r.jobs)
		case "policy/v1 PodDisruptionBudget":
			strictInto(t, doc, &r.pdbs)
		case "networking.k8s.io/v1 NetworkPolicy":
			strictInto(t, doc, &r.netpols)
		default:
			t.Fatalf("%s: a kind this test does not decode: add it here, strictly", gvk)
		}
	}
	return &r
}

func TestKustomizationsRender(t *testing.T) {
	for _, dir := range []string{"base", "overlays/postgres", "overlays/cockroach"} {
		t.Run(dir, func(t *testing.T) {
			r := render(t, dir)
			checkWorkloads(t, r)
			checkSelectors(t, r)
			checkNetworkPolicies(t, r)
			if dir != "base" {
				checkReferences(t, r)
			}
		})
	}
}

// checkWorkloads checks every container of every Deployment and Job.
func checkWorkloads(t *testing.T, r *rendered) {
	t.Helper()
	if len(r.deployments) != 2 || len(r.jobs) != 1 {
		t.Fatalf("want the serve and worker Deployments and the migrate Job, got %d Deployments and %d Jobs", len(r.deployments), len(r.jobs))
	}
	serve, worker := r.deployment(t, "serve"), r.deployment(t, "worker")
	if got := envValue(serve.Spec.Template.Spec.Containers[0], "VEILIG_SCHEDULER"); got != "off" {
		t.Errorf("serve: VEILIG_SCHEDULER = %q, want off: the worker Deployment runs the scheduler", got)
	}
	if args := worker.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args, []string{"worker"}) {
		t.Errorf("worker: args %q, want [worker]", args)
	}
	for _, w := range r.workloads() {
		spec := w.template.Spec
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s: automountServiceAccountToken must be false: Veilig never calls the Kubernetes API", w.name)
		}
		if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: the pod must set runAsNonRoot", w.name)
		}
		mounts := map[string]bool{}
		for _, v := range spec.Volumes {
			mounts[v.Name] = true
		}
		_, isJob := strings.CutPrefix(w.name, "Job/")
		for _, c := range spec.Containers {
			where := w.name + " container " + c.Name
			checkImagePinned(t, where, c.Image)
			req, lim := c.Resources.Requests, c.Resources.Limits
			if req.Cpu().IsZero() || req.Memory().IsZero() || lim.Memory().IsZero() {
				t.Errorf("%s: want CPU and memory requests and a memory limit, got requests %v limits %v", where, req, lim)
			}
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
				t.Errorf("%s: want a read-only root filesystem, no privilege escalation and all capabilities dropped", where)
			}
			for _, m := range c.VolumeMounts {
				if !mounts[m.Name] {
					t.Errorf("%s: mounts volume %q, which the pod does not have", where, m.Name)
				}
			}
			if isJob {
				continue
			}
			if c.LivenessProbe == nil || c.ReadinessProbe == nil {
				t.Errorf("%s: want liveness and readiness probes", where)
			}
			for kind, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
				if p != nil {
					checkProbe(t, where+" "+kind+" probe", c, p, kind)
				}
			}
		}
	}
}

// checkProbe checks that a probe asks the ops listener's /livez or /readyz on a port the
// container declares.
func checkProbe(t *testing.T, where string, c corev1.Container, p *corev1.Probe, kind string) {
	t.Helper()
	g := p.HTTPGet
	if g == nil {
		t.Errorf("%s: want an HTTP probe of the ops listener", where)
		return
	}
	want := "/livez"
	if kind == "readiness" {
		want = "/readyz"
	}
	if g.Path != want {
		t.Errorf("%s: path %q, want %q", where, g.Path, want)
	}
	port, ok := containerPort(c, g.Port)
	if !ok {
		t.Errorf("%s: port %s is not a port of the container", where, g.Port.String())
		return
	}
	if port.ContainerPort != 9090 {
		t.Errorf("%s: port %d, want the ops listener's 9090 (VEILIG_METRICS_ADDR)", where, port.ContainerPort)
	}
	if got := envValue(c, "VEILIG_METRICS_ADDR"); got != ":9090" {
		t.Errorf("%s: VEILIG_METRICS_ADDR = %q, want :9090 (the default listens on loopback only)", where, got)
	}
}

func containerPort(c corev1.Container, p intstr.IntOrString) (corev1.ContainerPort, bool) {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp, true
		}
	}
	return corev1.ContainerPort{}, false
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// checkImagePinned refuses an image without a version, or with latest: a rollout must start
// the version that was tested, and a rollback must be able to name the one before.
func checkImagePinned(t *testing.T, where, image string) {
	t.Helper()
	if strings.Contains(image, "@sha256:") {
		return
	}
	name, tag := image, ""
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		name, tag = image[:i], image[i+1:]
	}
	if tag == "" || tag == "latest" || !strings.Contains(name, "/") {
		t.Errorf("%s: image %q is not pinned to a registry's tag or digest", where, image)
	}
}

// checkSelectors checks that PodDisruptionBudgets and Services select the pods they are for.
func checkSelectors(t *testing.T, r *rendered) {
	t.Helper()
	matching := func(sel labels.Selector) []appsv1.Deployment {
		var ds []appsv1.Deployment
		for _, d := range r.deployments {
			if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				ds = append(ds, d)
			}
		}
		return ds
	}
	for _, d := range r.deployments {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("Deployment %s: its selector does not match its own pods (%v)", d.Name, err)
		}
	}
	covered := map[string]bool{}
	for _, p := range r.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			t.Fatalf("PodDisruptionBudget %s: %v", p.Name, err)
		}
		ds := matching(sel)
		if len(ds) != 1 {
			t.Errorf("PodDisruptionBudget %s selects the pods of %d Deployments, want exactly one", p.Name, len(ds))
			continue
		}
		covered[ds[0].Name] = true
		if max := p.Spec.MaxUnavailable; max != nil && ds[0].Spec.Replicas != nil && max.IntValue() >= int(*ds[0].Spec.Replicas) {
			t.Errorf("PodDisruptionBudget %s lets every pod of %s go at once", p.Name, ds[0].Name)
		}
	}
	for _, d := range r.deployments {
		if !covered[d.Name] {
			t.Errorf("Deployment %s has no PodDisruptionBudget", d.Name)
		}
	}
	for _, s := range r.services {
		ds := matching(labels.SelectorFromSet(s.Spec.Selector))
		if len(s.Spec.Selector) == 0 || len(ds) == 0 {
			t.Errorf("Service %s selects no pods", s.Name)
		}
		for _, sp := range s.Spec.Ports {
			for _, d := range ds {
				if _, ok := containerPort(d.Spec.Template.Spec.Containers[0], sp.TargetPort); !ok {
					t.Errorf("Service %s port %s: targetPort %s is not a port of %s", s.Name, sp.Name, sp.TargetPort.String(), d.Name)
				}
			}
		}
	}
}

// checkNetworkPolicies wants ingress denied by default, the API port open, and the ops port
// open only to the monitoring namespace.
func checkNetworkPolicies(t *testing.T, r *rendered) {
	t.Helper()
	var denyAll, api, metrics bool
	for _, np := range r.netpols {
		if len(np.Spec.Ingress) == 0 && slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			denyAll = true
		}
		for _, rule := range np.Spec.Ingress {
			for _, p := range rule.Ports {
				switch p.Port.String() {
				case "http":
					api = true
				case "metrics":
					if len(rule.From) == 0 {
						t.Errorf("NetworkPolicy %s opens the ops port (metrics, /readyz) to every source", np.Name)
					}
					for _, peer := range rule.From {
						ns := peer.NamespaceSelector
						if ns == nil || ns.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" {
							t.Errorf("NetworkPolicy %s opens the ops port to %+v, want only the monitoring namespace", np.Name, peer)
						}
					}
					metrics = true
				}
			}
		}
	}
	if !denyAll || !api || !metrics {
		t.Errorf("NetworkPolicies: default deny %v, API port open %v, metrics from monitoring %v: want all three", denyAll, api, metrics)
	}
}

// checkReferences checks, on a deployable overlay, that every Secret and ConfigMap a pod uses
// is rendered, and that the database URL checks the server's certificate with files that are
// mounted.
func checkReferences(t *testing.T, r *rendered) {
	t.Helper()
	if len(r.configMaps) != 1 {
		t.Fatalf("want one ConfigMap, got %d", len(r.configMaps))
	}
	config := r.configMaps[0].Data
	for _, w := range r.workloads() {
		for _, v := range w.template.Spec.Volumes {
			if s := v.Secret; s != nil {
				if _, ok := r.secret(s.SecretName); !ok && (s.Optional == nil || !*s.Optional) {
					t.Errorf("%s: volume %s needs Secret %s, which the overlay does not make", w.name, v.Name, s.SecretName)
				}
			}
		}
		for _, c := range w.template.Spec.Containers {
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && ef.ConfigMapRef.Name != r.configMaps[0].Name {
					t.Errorf("%s: envFrom ConfigMap %s is not rendered", w.name, ef.ConfigMapRef.Name)
				}
			}
		}
	}

	if got := config["VEILIG_DEV_ISSUER"]; got != "off" {
		t.Errorf("VEILIG_DEV_ISSUER = %q, want off: the dev issuer signs in anybody as anybody", got)
	}
	dbURL := config["VEILIG_DATABASE_URL"]
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("VEILIG_DATABASE_URL %q: want a postgres:// URL (%v)", dbURL, err)
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		t.Errorf("VEILIG_DATABASE_URL carries a password: keep it in the pgpass file or use a client certificate")
	}
	q := u.Query()
	if q.Get("sslmode") != "verify-full" {
		t.Errorf("VEILIG_DATABASE_URL: sslmode=%q, want verify-full", q.Get("sslmode"))
	}
	files := map[string]string{"sslrootcert": q.Get("sslrootcert"), "sslcert": q.Get("sslcert"), "sslkey": q.Get("sslkey"), "PGPASSFILE": config["PGPASSFILE"]}
	if files["sslrootcert"] == "" {
		t.Errorf("VEILIG_DATABASE_URL names no sslrootcert: verify-full needs the server's CA")
	}
	if files["PGPASSFILE"] == "" && (files["sslcert"] == "" || files["sslkey"] == "") {
		t.Errorf("the database credentials are neither a pgpass file nor a client certificate")
	}
	for _, w := range r.workloads() {
		c := w.template.Spec.Containers[0]
		for what, file := range files {
			if file != "" && !fileMounted(r, w.template.Spec, c, file) {
				t.Errorf("%s: %s %s is not a key of a mounted Secret", w.name, what, file)
			}
		}
	}
}

// fileMounted reports whether file is a key of a Secret mounted (whole) in c.
func fileMounted(r *rendered, spec corev1.PodSpec, c corev1.Container, file string) bool {
	for _, m := range c.VolumeMounts {
		if path.Dir(file) != path.Clean(m.MountPath) {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name != m.Name || v.Secret == nil {
				continue
			}
			s, ok := r.secret(v.Secret.SecretName)
			if _, has := s.Data[path.Base(file)]; ok && has {
				return true
			}
		}
	}
	return false
}
