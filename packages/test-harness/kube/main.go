// Command kube-apiserver-harness runs a real, throw-away Kubernetes API server
// for end-to-end tests: an in-process etcd (go.etcd.io/etcd/server/v3/embed)
// plus the real kube-apiserver (k8s.io/kubernetes/cmd/kube-apiserver/app used
// as a library), both bound to 127.0.0.1 on kernel-assigned ports.
//
// Usage:
//
//	kube-apiserver-harness OUTDIR [extra kube-apiserver flags...]
//
// Once GET /readyz answers 200 it writes OUTDIR/admin.kubeconfig,
// OUTDIR/alice.kubeconfig, OUTDIR/bob.kubeconfig and OUTDIR/cluster.json, then
// prints "ready" on stdout. It runs until SIGTERM/SIGINT (or until its parent
// process dies), then stops the apiserver and etcd and removes its temporary
// directory and the files it wrote to OUTDIR. All logs go to stderr.
//
// With KUBE_HARNESS_STATE_DIR set, the cluster lives in that directory instead
// (etcd data, certificates, tokens and the port) and outlives the run: a later
// run with the same directory is the same cluster restarted, on the same port.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // as in cmd/kube-apiserver: time zone support for CronJob

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
	"golang.org/x/sys/unix"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/cli/globalflag"
	basecompatibility "k8s.io/component-base/compatibility"
	"k8s.io/component-base/featuregate"
	"k8s.io/component-base/logs"
	logsapi "k8s.io/component-base/logs/api/v1"
	_ "k8s.io/component-base/logs/json/register"          // as in cmd/kube-apiserver
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // as in cmd/kube-apiserver
	_ "k8s.io/component-base/metrics/prometheus/version"  // as in cmd/kube-apiserver
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
	"k8s.io/kubernetes/pkg/controller/clusterroleaggregation"
	namespacecontroller "k8s.io/kubernetes/pkg/controller/namespace"
	serviceaccountcontroller "k8s.io/kubernetes/pkg/controller/serviceaccount"
)

const (
	tmpPrefix       = "infra-kube-harness-"
	pidFileName     = "harness.pid"
	portFileName    = "port"
	stateDirEnv     = "KUBE_HARNESS_STATE_DIR"
	readyTimeout    = 110 * time.Second
	shutdownTimeout = 20 * time.Second
)

// users with static bearer tokens. admin is in system:masters; alice and bob
// have no RBAC rights beyond what every authenticated user gets.
var users = []struct{ name, groups string }{
	{"admin", "system:masters"},
	{"alice", ""},
	{"bob", ""},
}

func main() {
	os.Exit(run())
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kube-harness: "+format+"\n", args...)
}

func run() int {
	if len(os.Args) < 2 || strings.HasPrefix(os.Args[1], "-") {
		fmt.Fprintln(os.Stderr, "usage: kube-apiserver-harness OUTDIR [extra kube-apiserver flags...]")
		return 2
	}
	outDir, err := filepath.Abs(os.Args[1])
	if err != nil {
		logf("%v", err)
		return 2
	}
	extraArgs := os.Args[2:]

	// Die with our parent (e.g. a jest worker that gets SIGKILLed): the kernel
	// sends us SIGTERM, which runs the normal cleanup below.
	ppid := os.Getppid()
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGTERM), 0, 0, 0); err != nil {
		logf("warning: prctl(PR_SET_PDEATHSIG): %v", err)
	}
	if os.Getppid() != ppid {
		logf("parent exited before startup; quitting")
		return 1
	}

	// When our parent dies, the pipes it read our stdout/stderr from are gone:
	// logging must then fail with EPIPE instead of killing us with SIGPIPE
	// before we have cleaned up.
	signal.Ignore(syscall.SIGPIPE)

	// First SIGINT/SIGTERM: graceful shutdown. Second one: clean up and exit now.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigCh := make(chan os.Signal, 2)
	signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM)

	// Create OUTDIR if needed; if we created it, we also remove it on exit.
	createdOutDir := false
	if _, err := os.Stat(outDir); errors.Is(err, os.ErrNotExist) {
		createdOutDir = true
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		logf("%v", err)
		return 1
	}
	sweepStaleTempDirs()
	tmpDir, keepTmpDir, err := stateDir()
	if err != nil {
		logf("%v", err)
		return 1
	}
	var outMu sync.Mutex
	outFiles := []string{}
	addOutFile := func(p string) {
		outMu.Lock()
		defer outMu.Unlock()
		outFiles = append(outFiles, p)
	}
	var cleanupOnce sync.Once
	cleanup := func() {
		cleanupOnce.Do(func() {
			outMu.Lock()
			defer outMu.Unlock()
			for _, f := range outFiles {
				_ = os.Remove(f)
			}
			if createdOutDir {
				_ = os.Remove(outDir) // only if empty
			}
			if keepTmpDir {
				return
			}
			if err := os.RemoveAll(tmpDir); err != nil {
				logf("warning: removing %s: %v", tmpDir, err)
			}
		})
	}
	defer cleanup()
	// kube-apiserver calls klog.Fatal in some paths (e.g. a post-start hook
	// failing because we are shut down while still starting): clean up first.
	klog.OsExit = func(code int) {
		cleanup()
		os.Exit(code)
	}
	go func() {
		sig := <-sigCh
		logf("received %v, shutting down", sig)
		cancel()
		sig = <-sigCh
		logf("received %v again, exiting immediately", sig)
		cleanup()
		os.Exit(1)
	}()
	if err := os.WriteFile(filepath.Join(tmpDir, pidFileName), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		logf("%v", err)
		return 1
	}

	// --- etcd ---------------------------------------------------------------
	etcd, etcdURL, err := startEtcd(filepath.Join(tmpDir, "etcd"))
	if err != nil {
		logf("starting etcd: %v", err)
		return 1
	}
	defer func() {
		etcd.Close()
		logf("etcd stopped")
	}()
	logf("etcd ready at %s", etcdURL)

	// --- credentials ----------------------------------------------------------
	pki, err := loadOrWritePKI(filepath.Join(tmpDir, "pki"))
	if err != nil {
		logf("generating certificates: %v", err)
		return 1
	}
	tokenFile := filepath.Join(tmpDir, "tokens.csv")
	tokens, err := loadOrWriteTokens(tokenFile)
	if err != nil {
		logf("%v", err)
		return 1
	}

	// --- kube-apiserver -------------------------------------------------------
	// Let the kernel pick the port and hand the open listener to the apiserver:
	// no race with concurrent runs.
	ln, err := listen(filepath.Join(tmpDir, portFileName))
	if err != nil {
		logf("listen: %v", err)
		return 1
	}
	port := ln.Addr().(*net.TCPAddr).Port
	server := fmt.Sprintf("https://127.0.0.1:%d", port)

	args := []string{
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--advertise-address=127.0.0.1",
		// Only one apiserver and it advertises a loopback address, which is not
		// a valid Endpoints IP: do not maintain the "kubernetes" endpoints.
		"--endpoint-reconciler-type=none",
		"--etcd-servers=" + etcdURL,
		"--etcd-prefix=/registry",
		"--authorization-mode=RBAC",
		"--token-auth-file=" + tokenFile,
		"--client-ca-file=" + pki.caFile,
		"--tls-cert-file=" + pki.certFile,
		"--tls-private-key-file=" + pki.keyFile,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki.saKeyFile,
		"--service-account-signing-key-file=" + pki.saKeyFile,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=0",
	}
	args = append(args, extraArgs...)

	apiDone := make(chan error, 1)
	if err := startAPIServer(ctx, args, ln, apiDone); err != nil {
		logf("kube-apiserver: %v", err)
		return 1
	}
	logf("kube-apiserver starting at %s", server)

	if err := waitReady(ctx, server, pki.caPEM, tokens["admin"], apiDone, etcd); err != nil {
		if ctx.Err() == nil {
			logf("%v", err)
			cancel()
			waitAPIServer(apiDone)
			return 1
		}
		// interrupted during startup: shut down normally
		waitAPIServer(apiDone)
		return 0
	}

	// --- controllers ------------------------------------------------------------
	// There is no kube-controller-manager. Run the few controllers whose absence
	// would make the API behave unlike a real cluster: ClusterRole aggregation
	// (view/edit/admin are empty without it), namespace deletion, and the
	// "default" ServiceAccount in every namespace.
	if err := startControllers(ctx, server, pki.caPEM, tokens["admin"]); err != nil {
		if ctx.Err() == nil {
			logf("controllers: %v", err)
			cancel()
			waitAPIServer(apiDone)
			return 1
		}
		waitAPIServer(apiDone)
		return 0
	}

	// --- outputs ----------------------------------------------------------------
	for _, u := range users {
		p := filepath.Join(outDir, u.name+".kubeconfig")
		addOutFile(p)
		if err := writeFileAtomic(p, []byte(kubeconfig(server, pki.caPEM, u.name, tokens[u.name])), 0o600); err != nil {
			logf("%v", err)
			cancel()
			waitAPIServer(apiDone)
			return 1
		}
	}
	clusterJSON, _ := json.MarshalIndent(map[string]any{
		"server": server,
		"ca":     string(pki.caPEM),
		"tokens": tokens,
	}, "", "  ")
	p := filepath.Join(outDir, "cluster.json")
	addOutFile(p)
	if err := writeFileAtomic(p, append(clusterJSON, '\n'), 0o600); err != nil {
		logf("%v", err)
		cancel()
		waitAPIServer(apiDone)
		return 1
	}

	fmt.Println("ready")
	logf("ready: %s (kubeconfig %s)", server, filepath.Join(outDir, "admin.kubeconfig"))

	exit := 0
	select {
	case <-ctx.Done():
	case err := <-apiDone:
		logf("kube-apiserver exited unexpectedly: %v", err)
		apiDone <- err
		exit = 1
		cancel()
	case err := <-etcd.Err():
		logf("etcd failed: %v", err)
		exit = 1
		cancel()
	}
	waitAPIServer(apiDone)
	return exit
}

// startAPIServer mirrors the RunE of app.NewAPIServerCommand, but parses the
// flags into a fresh flag set and runs the server with our own context (the
// cobra command installs its own process-wide signal handler instead).
func startAPIServer(ctx context.Context, args []string, ln net.Listener, done chan<- error) error {
	s := options.NewServerRunOptions()
	featureGate := s.GenericServerRunOptions.ComponentGlobalsRegistry.FeatureGateFor(basecompatibility.DefaultKubeComponent)

	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	namedFlagSets := s.Flags()
	globalflag.AddGlobalFlags(namedFlagSets.FlagSet("global"), "kube-apiserver", logs.SkipLoggingConfigurationFlags())
	for _, f := range namedFlagSets.FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Hand over the already-open listener (port matches --secure-port).
	s.SecureServing.Listener = ln
	s.SecureServing.BindPort = ln.Addr().(*net.TCPAddr).Port

	if err := s.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	if err := logsapi.ValidateAndApply(s.Logs, featureGate); err != nil {
		return err
	}
	completed, err := s.Complete(ctx)
	if err != nil {
		return err
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return utilerrors.NewAggregate(errs)
	}
	featureGate.(featuregate.MutableFeatureGate).AddMetrics()
	s.GenericServerRunOptions.ComponentGlobalsRegistry.AddMetrics()

	go func() {
		err := app.Run(ctx, completed)
		if err == nil {
			err = errors.New("kube-apiserver stopped")
		}
		done <- err
	}()
	return nil
}

func startControllers(ctx context.Context, server string, caPEM []byte, token string) error {
	cfg := &rest.Config{
		Host:            server,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM},
		QPS:             100,
		Burst:           200,
		UserAgent:       "kube-harness-controllers",
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	metadataClient, err := metadata.NewForConfig(cfg)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)

	aggregation := clusterroleaggregation.NewClusterRoleAggregation(factory.Rbac().V1().ClusterRoles(), client.RbacV1())
	namespaces := namespacecontroller.NewNamespaceController(ctx, client, metadataClient,
		client.Discovery().ServerPreferredNamespacedResources,
		factory.Core().V1().Namespaces(), 5*time.Minute, corev1.FinalizerKubernetes)
	serviceAccounts, err := serviceaccountcontroller.NewServiceAccountsController(
		factory.Core().V1().ServiceAccounts(), factory.Core().V1().Namespaces(), client,
		serviceaccountcontroller.DefaultServiceAccountsControllerOptions())
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	go aggregation.Run(ctx, 2)
	go namespaces.Run(ctx, 2)
	go serviceAccounts.Run(ctx, 1)

	// Ready only once the aggregated default roles have their rules.
	deadline := time.Now().Add(readyTimeout)
	for {
		missing := ""
		for _, name := range []string{"view", "edit", "admin"} {
			role, err := client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err != nil || len(role.Rules) == 0 {
				missing = name
				break
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ClusterRole %q was not aggregated within %v", missing, readyTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitAPIServer(done chan error) {
	select {
	case err := <-done:
		logf("kube-apiserver stopped (%v)", err)
	case <-time.After(shutdownTimeout):
		logf("kube-apiserver did not stop within %v; exiting anyway", shutdownTimeout)
	}
	klog.Flush()
}

func waitReady(ctx context.Context, server string, caPEM []byte, token string, apiDone chan error, etcd *embed.Etcd) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	deadline := time.After(readyTimeout)
	lastErr := "no response yet"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err == nil {
			body := make([]byte, 4096)
			n, _ := resp.Body.Read(body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			lastErr = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body[:n])))
		} else {
			lastErr = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-apiDone:
			apiDone <- err
			return fmt.Errorf("kube-apiserver exited before becoming ready: %v", err)
		case err := <-etcd.Err():
			return fmt.Errorf("etcd failed: %v", err)
		case <-deadline:
			return fmt.Errorf("kube-apiserver not ready after %v; last /readyz: %s", readyTimeout, lastErr)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func startEtcd(dir string) (*embed.Etcd, string, error) {
	cfg := embed.NewConfig()
	cfg.Name = "harness"
	cfg.Dir = dir
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{"stderr"}
	cfg.UnsafeNoFsync = true // throw-away data
	// The HTTP/JSON gateway would dial the configured (port 0) address; the
	// apiserver only needs gRPC.
	cfg.EnableGRPCGateway = false
	// Port 0: the kernel picks free ports, so concurrent runs never collide.
	u, _ := url.Parse("http://127.0.0.1:0")
	cfg.ListenClientUrls = []url.URL{*u}
	cfg.AdvertiseClientUrls = []url.URL{*u}
	cfg.ListenPeerUrls = []url.URL{*u}
	cfg.AdvertisePeerUrls = []url.URL{*u}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ListenMetricsUrls = nil

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, "", err
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, "", errors.New("etcd did not become ready within 60s")
	}
	if len(e.Clients) == 0 {
		e.Close()
		return nil, "", errors.New("etcd has no client listener")
	}
	return e, "http://" + e.Clients[0].Addr().String(), nil
}

type pkiFiles struct {
	caPEM                                []byte
	caFile, certFile, keyFile, saKeyFile string
}

// stateDir is where the cluster's data lives: KUBE_HARNESS_STATE_DIR, kept
// after the run, or else a fresh temporary directory, removed after it.
func stateDir() (dir string, keep bool, err error) {
	if dir := os.Getenv(stateDirEnv); dir != "" {
		return dir, true, os.MkdirAll(dir, 0o700)
	}
	dir, err = os.MkdirTemp("", tmpPrefix+"*")
	return dir, false, err
}

// listen opens the port named in portFile (a restart), or a port the kernel
// picks, which it then writes there.
func listen(portFile string) (net.Listener, error) {
	if data, err := os.ReadFile(portFile); err == nil {
		return net.Listen("tcp", "127.0.0.1:"+strings.TrimSpace(string(data)))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(portFile, []byte(port), 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// loadOrWriteTokens reads the users' tokens from tokenFile (a restart), or
// makes random ones and writes them there, as kube-apiserver's
// --token-auth-file: token,user,uid[,"group1,group2"].
func loadOrWriteTokens(tokenFile string) (map[string]string, error) {
	tokens := map[string]string{}
	if data, err := os.ReadFile(tokenFile); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if fields := strings.SplitN(line, ",", 3); len(fields) == 3 {
				tokens[fields[1]] = fields[0]
			}
		}
		return tokens, nil
	}
	var csv strings.Builder
	for _, u := range users {
		tok, err := randomToken()
		if err != nil {
			return nil, err
		}
		tokens[u.name] = tok
		fmt.Fprintf(&csv, "%s,%s,%s-uid", tok, u.name, u.name)
		if u.groups != "" {
			fmt.Fprintf(&csv, ",%q", u.groups)
		}
		csv.WriteString("\n")
	}
	return tokens, os.WriteFile(tokenFile, []byte(csv.String()), 0o600)
}

func pkiIn(dir string) *pkiFiles {
	return &pkiFiles{
		caFile:    filepath.Join(dir, "ca.crt"),
		certFile:  filepath.Join(dir, "apiserver.crt"),
		keyFile:   filepath.Join(dir, "apiserver.key"),
		saKeyFile: filepath.Join(dir, "sa.key"),
	}
}

// loadOrWritePKI reads the certificates and keys from dir (a restart), or
// generates them there.
func loadOrWritePKI(dir string) (*pkiFiles, error) {
	f := pkiIn(dir)
	if _, err := os.Stat(f.saKeyFile); err == nil {
		f.caPEM, err = os.ReadFile(f.caFile)
		return f, err
	}
	return writePKI(dir)
}

func writePKI(dir string) (*pkiFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	now := time.Now()

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "infra-e2e-kube-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("10.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}

	f := pkiIn(dir)
	f.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	keyPEM, err := ecKeyPEM(key)
	if err != nil {
		return nil, err
	}
	saKeyPEM, err := ecKeyPEM(saKey)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for path, data := range map[string][]byte{
		f.caFile:    f.caPEM,
		f.certFile:  certPEM,
		f.keyFile:   keyPEM,
		f.saKeyFile: saKeyPEM,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func ecKeyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1))
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func kubeconfig(server string, caPEM []byte, user, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: infra-e2e
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: %s@infra-e2e
  context:
    cluster: infra-e2e
    user: %s
current-context: %s@infra-e2e
`, server, base64.StdEncoding.EncodeToString(caPEM), user, token, user, user, user)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp-" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// sweepStaleTempDirs removes temp dirs left behind by earlier runs that were
// SIGKILLed (their pid file points to a process that no longer exists).
func sweepStaleTempDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tmpPrefix+"*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, pidFileName))
		if err != nil {
			// No pid file: either just being created by a concurrent run, or
			// very old. Only remove it once it is clearly old.
			if st, err := os.Stat(d); err == nil && st.IsDir() && time.Since(st.ModTime()) > time.Hour {
				_ = os.RemoveAll(d)
			}
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			logf("removing stale %s (pid %d is gone)", d, pid)
			_ = os.RemoveAll(d)
		}
	}
}
