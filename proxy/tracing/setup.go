package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Settings are the tracing part of the configuration.
type Settings struct {
	// OTLPEndpoint is the collector's base URL; "" leaves the choice to
	// the OTEL_EXPORTER_OTLP_* variables.
	OTLPEndpoint string
	// SampleRatio is the share of new traces recorded, unless
	// OTEL_TRACES_SAMPLER says otherwise.
	SampleRatio float64
	// Version is mcpgate's, reported as service.version.
	Version string
}

// Provider is a configured SDK tracer provider; Shutdown flushes what is
// buffered.
type Provider interface {
	trace.TracerProvider
	Shutdown(context.Context) error
}

// CheckEnv reports what in the OTEL_* variables (read through getenv)
// mcpgate cannot honour: only OTLP over HTTP is built in, and asking for
// gRPC or another exporter is an error rather than silence.
func CheckEnv(getenv func(string) string) error {
	switch exp := getenv("OTEL_TRACES_EXPORTER"); exp {
	case "", "otlp", "none":
	default:
		return fmt.Errorf("tracing: OTEL_TRACES_EXPORTER=%s: only otlp (over HTTP) and none are built in", exp)
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		switch p := getenv(name); p {
		case "", "http/protobuf", "http/json":
		default:
			return fmt.Errorf("tracing: %s=%s: only http/protobuf and http/json are built in", name, p)
		}
	}
	return nil
}

// Setup builds the tracer provider that Settings and the standard OTEL_*
// variables (read through getenv) ask for, or returns nil when tracing is
// off: no endpoint anywhere, OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none. Export failures are logged to log.
func Setup(ctx context.Context, s Settings, getenv func(string) string, log *slog.Logger) (Provider, error) {
	if err := CheckEnv(getenv); err != nil {
		return nil, err
	}
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") || getenv("OTEL_TRACES_EXPORTER") == "none" {
		return nil, nil
	}
	fromEnv := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	if !fromEnv && s.OTLPEndpoint == "" {
		return nil, nil
	}
	var opts []otlptracehttp.Option
	if !fromEnv {
		// The standard variables win over the file, as MCPGATE_* ones do.
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimRight(s.OTLPEndpoint, "/")+"/v1/traces"))
	}
	exporter, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "mcpgate"), attribute.String("service.version", s.Version)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exporter), sdktrace.WithResource(res)}
	if getenv("OTEL_TRACES_SAMPLER") == "" {
		// The SDK reads OTEL_TRACES_SAMPLER itself; an explicit sampler
		// would override it.
		tpOpts = append(tpOpts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(s.SampleRatio))))
	}
	// The SDK's errors (a collector that does not answer) would
	// otherwise go to its own unstructured logger.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing: export failed", "err", err)
	}))
	return sdktrace.NewTracerProvider(tpOpts...), nil
}
