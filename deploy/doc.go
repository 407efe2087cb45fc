// Package deploy holds no code that ships: its tests check the deployment files beside it, so
// that a manifest, a compose file or an alert that cannot work fails in CI instead of at an
// operator's first try. There is no Docker engine or Kubernetes cluster in CI, so the tests
// read the files with the same libraries the tools use:
//
//   - k8s_test.go renders deploy/k8s/base and both overlays with kustomize (sigs.k8s.io/kustomize/api,
//     as `kubectl apply -k` does), decodes every object strictly into the k8s.io/api types (an
//     unknown or misspelled field fails), and checks what an operator relies on: probes on
//     ports that exist, resources on every container, pinned images, PodDisruptionBudgets and
//     Services that select pods, non-root read-only containers, NetworkPolicies, and a database
//     URL that checks the server's certificate with files that are mounted.
//   - compose_test.go loads both compose files with compose-go (as `docker compose` does), in
//     each profile with the environment docs/operations.md names, and checks healthchecks,
//     restart policies, secrets kept out of the file, and one link secret for every replica.
//   - dockerfile_test.go checks the image's contract (ops port, data volume, non-root user,
//     a healthcheck without a shell) and that the repository's .dockerignore is an allow-list.
//   - alerts_test.go decodes alerts.yaml strictly and checks that every alert names only
//     metrics the binary exports and has a section in docs/operations.md that says what to do;
//     with promtool installed (CI takes it from Debian's prometheus package) Prometheus parses
//     the rules and runs alerts.test.yaml, where each alert fires on the state it is for.
//
// It is its own module (github.com/veilig/veilig/deploy), so the server's module never
// depends on kustomize, the Kubernetes API types or compose-go. Run: cd deploy && go test ./...
package deploy
