// Command langhost is the `pulumi-language-nodejs` the engine talks to here: a thin gRPC proxy
// in front of the Node.js language host built from sdk/v3 3.68.0 (see ../../nodejs-host), the
// newest one the Go module proxy serves. That host runs programs, but its RunPlugin answers
// "not supported", and today's engine starts Node.js policy packs through RunPlugin
// (`pulumi preview --policy-pack …`). So this proxy forwards every call to the old host, except
// RunPlugin for policy packs, which it does itself the way the policy pack runtime expects:
// `node @pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` in the pack's folder, with the
// stack's identity and config passed through the SDK's PolicyProxy.
//
// Usage (as the engine starts language plugins): pulumi-language-nodejs [flags] <engine address>
// The old host is expected next to this binary as pulumi-language-nodejs-sdk3.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

const innerName = "pulumi-language-nodejs-sdk3"

type proxy struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	inner pulumirpc.LanguageRuntimeClient
}

func (p *proxy) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return p.inner.GetRequiredPlugins(ctx, req)
}

func (p *proxy) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return p.inner.GetRequiredPackages(ctx, req)
}

func (p *proxy) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	return p.inner.Run(ctx, req)
}

func (p *proxy) GetPluginInfo(ctx context.Context, req *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return p.inner.GetPluginInfo(ctx, req)
}

func (p *proxy) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	return p.inner.About(ctx, req)
}

func (p *proxy) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return p.inner.GetProgramDependencies(ctx, req)
}

func (p *proxy) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer) error {
	stream, err := p.inner.InstallDependencies(server.Context(), req)
	if err != nil {
		return err
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := server.Send(msg); err != nil {
			return err
		}
	}
}

// RunPlugin starts a Node.js policy pack (kind "analyzer") or a source-based provider (kind
// "resource": a folder with PulumiPlugin.yaml, such as packages/components, which a Pulumi YAML
// program names under `packages:`); other plugin kinds are not supported here.
func (p *proxy) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	switch req.GetKind() {
	case "analyzer":
	case "resource":
		return runResourcePlugin(req, server)
	default:
		return status.Errorf(codes.Unimplemented, "RunPlugin: only policy packs and providers are supported by this language host, not %q", req.GetKind())
	}
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	packDir := req.GetInfo().GetProgramDirectory()
	node, err := exec.LookPath("node")
	if err != nil {
		return err
	}
	resolve := exec.CommandContext(ctx, node, "-e", "console.log(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))")
	resolve.Dir = packDir
	out, err := resolve.Output()
	if err != nil {
		return fmt.Errorf("the policy pack in %s cannot find @pulumi/pulumi/cmd/run-policy-pack (run npm install there): %w", packDir, err)
	}
	runPath := strings.TrimSpace(string(out))

	env := append([]string{}, req.GetEnv()...)
	if ts, ok := req.GetInfo().GetOptions().AsMap()["typescript"].(bool); ok && ts {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}

	// The engine configures the analyzer (stack, project, config) over gRPC; the Node.js policy
	// runtime reads them from the environment. The SDK's PolicyProxy receives that call first.
	policyProxy, proxiedStdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start the policy pack proxy: %w", err)
	}
	config, err := policyProxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get the stack configuration: %w", err)
	}
	if config != nil {
		set := func(k, v string) {
			if v != "" {
				env = append(env, k+"="+v)
			}
		}
		set("PULUMI_NODEJS_ORGANIZATION", config.Organization)
		set("PULUMI_NODEJS_PROJECT", config.Project)
		set("PULUMI_NODEJS_STACK", config.Stack)
		set("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(config.DryRun))
		if config.Config != nil {
			configJSON, err := json.Marshal(config.Config)
			if err != nil {
				return err
			}
			set("PULUMI_CONFIG", string(configJSON))
		}
	}

	args := append([]string{runPath}, req.GetArgs()...)
	args = append(args, packDir)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = packDir // policy packs have always run in their own folder
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = proxiedStdout, stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	if err := policyProxy.Attach(ctx, cmd); err != nil {
		return fmt.Errorf("could not attach the policy pack proxy: %w", err)
	}
	return nil
}

// runResourcePlugin starts a source-based provider as today's Node.js host does:
// `node @pulumi/pulumi/cmd/run-plugin <plugin folder> <engine address>` in the engine's working
// directory. run-plugin requires the folder (its package.json `main`); a module that exports
// component classes is served under the package.json name, one that starts a provider itself
// (componentProviderHost) runs as it is. TypeScript is on unless the plugin's runtime options
// say `typescript: false`, as in the real host.
func runResourcePlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	pluginDir := req.GetInfo().GetProgramDirectory()
	node, err := exec.LookPath("node")
	if err != nil {
		return err
	}
	resolve := exec.CommandContext(ctx, node, "-e", "console.log(require.resolve('@pulumi/pulumi/cmd/run-plugin'))")
	resolve.Dir = pluginDir
	out, err := resolve.Output()
	if err != nil {
		return fmt.Errorf("the plugin in %s cannot find @pulumi/pulumi/cmd/run-plugin (run npm install there): %w", pluginDir, err)
	}
	env := append([]string{}, req.GetEnv()...)
	if ts, ok := req.GetInfo().GetOptions().AsMap()["typescript"].(bool); !ok || ts {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	args := append([]string{strings.TrimSpace(string(out)), pluginDir}, req.GetArgs()...)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("the plugin in %s exited with code %d", pluginDir, exitErr.ExitCode())
		}
		return err
	}
	return closer.Close()
}

// startInner starts the old host with our arguments and dials the port it prints.
func startInner(args []string) (pulumirpc.LanguageRuntimeClient, *exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(filepath.Join(filepath.Dir(self), innerName), args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	reader := bufio.NewReader(out)
	line, err := reader.ReadString('\n')
	if err != nil {
		return nil, nil, fmt.Errorf("%s printed no port: %w", innerName, err)
	}
	go func() { _, _ = io.Copy(os.Stderr, reader) }()
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return nil, nil, fmt.Errorf("%s printed %q, not a port", innerName, line)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()),
		rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, err
	}
	return pulumirpc.NewLanguageRuntimeClient(conn), cmd, nil
}

func main() {
	inner, innerCmd, err := startInner(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	defer func() { _ = innerCmd.Process.Kill() }()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &proxy{inner: inner})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}
